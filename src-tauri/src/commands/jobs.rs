//! Long work the webview asks for (back up, check, check all, restore, copy), in the folder or
//! the shared store `current_store()` names: resolved against what was handed over when it is
//! queued, run in the job queue, with progress over a channel. A restore carries the identity its destination had when queued; the core checks it again when
//! the job runs, so a folder swapped meanwhile is refused.

use results_backup::Locations;
use results_backup::{back_up_in_handing_over, BackupOptions, BackupOutcome};
use results_backup::{check, check_all_in, check_in, BackupsStore, CheckReport};
use results_backup::{copy_between, CopyStatus, RemoteStore};
use results_backup::{restore_in, OnConflict, RestoreOptions, RestoreOutcome};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime};

use super::copy::{copy_to_shared, CopySummary};
use super::{off_ui_thread, Shell};
use crate::access::{self, BackupRef};
use crate::error::{CommandResult, IpcError};
use crate::job_queue::Work;
use crate::progress_channel::JobEvent;
use crate::store::{current_store, Store};

#[derive(Clone, Debug, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobRequest {
    Backup {
        strategy: String,
    },
    Check {
        backup: BackupRef,
    },
    CheckAll,
    /// Copies every backup of the folder on this computer that the shared store lacks.
    CopyToShared,
    /// Copies one backup of the shared store (by its archive file name) into the backups
    /// folder on this computer, verified.
    CopyToThisComputer {
        backup_file: String,
    },
    /// Copies an archive dropped on the window into the shared store, proved by the manifest
    /// beside or inside it and verified.
    CopyDroppedToShared {
        dropped: PathBuf,
    },
    Restore {
        backup: BackupRef,
        destination: Option<PathBuf>,
        on_conflict: OnConflict,
        /// Files and folders inside the strategy folder to restore; empty: everything.
        #[serde(default)]
        #[ts(optional)]
        only: Option<Vec<String>>,
    },
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct CheckFailure {
    pub backup_file: String,
    pub error: IpcError,
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobResult {
    Backup {
        outcome: BackupOutcome,
    },
    Check {
        report: CheckReport,
    },
    CheckAll {
        reports: Vec<CheckReport>,
        failures: Vec<CheckFailure>,
    },
    Restore {
        outcome: RestoreOutcome,
    },
    CopyToShared {
        summary: CopySummary,
    },
    CopyToThisComputer {
        copied: CopiedHere,
    },
    CopyDroppedToShared {
        copied: CopiedToShared,
    },
}

/// One backup of the shared store copied into the backups folder on this computer.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct CopiedHere {
    pub backup_file: String,
    /// The folder already had it, with the same SHA-256: nothing was downloaded.
    pub already_there: bool,
    /// The backups folder on this computer, where it is now.
    pub folder: PathBuf,
}

/// A dropped archive copied into the shared store.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct CopiedToShared {
    pub backup_file: String,
    /// The store already had it, with the same SHA-256: nothing was uploaded.
    pub already_there: bool,
    /// `s3://bucket/prefix`.
    pub store: String,
}

/// Checks the request against what was handed over, then returns the work to queue.
pub(super) fn prepare<R: Runtime>(
    app: &AppHandle<R>,
    locations: Locations,
    store: Store,
    job: JobRequest,
) -> CommandResult<Work<JobResult>> {
    let shell = app.state::<Shell>();
    Ok(match job {
        JobRequest::Backup { strategy } => {
            let strategy = access::strategy(&locations, &strategy)?;
            Box::new(move |progress, cancel, hand_over| {
                let options = BackupOptions {
                    level: locations.level,
                    if_changed: false,
                };
                // Into shared storage, the next job starts while the server completes this one.
                let outcome = back_up_in_handing_over(
                    &locations,
                    &store.backups(&locations),
                    &strategy,
                    &options,
                    progress,
                    cancel,
                    hand_over,
                )?;
                Ok(JobResult::Backup { outcome })
            })
        }
        JobRequest::Check { backup } => {
            let (backups, wanted) = store.resolve(&shell.grants, &locations, &backup)?;
            let hold = hold_catalogued(&shell, &backup);
            Box::new(move |progress, cancel, _| {
                let _hold = hold;
                let report = match &backups {
                    // The folder's catalog records the result of the check.
                    BackupsStore::Folder(_) => check(&locations, &wanted, false, progress, cancel)?,
                    BackupsStore::S3(_) => {
                        let checked = check_in(&backups, &[wanted], false, progress, cancel)?;
                        match checked.into_iter().next() {
                            Some((_, result)) => result?,
                            None => return Err(results_backup::Error::Cancelled.into()),
                        }
                    }
                };
                Ok(JobResult::Check { report })
            })
        }
        JobRequest::CheckAll => Box::new(move |progress, cancel, _| {
            let mut reports = Vec::new();
            let mut failures = Vec::new();
            let checked = check_all_in(&store.backups(&locations), false, progress, cancel)?;
            for (backup_file, result) in checked {
                match result {
                    Ok(report) => reports.push(report),
                    Err(results_backup::Error::Cancelled) => {
                        return Err(results_backup::Error::Cancelled.into())
                    }
                    Err(e) => failures.push(CheckFailure {
                        backup_file,
                        error: e.into(),
                    }),
                }
            }
            Ok(JobResult::CheckAll { reports, failures })
        }),
        JobRequest::Restore {
            backup,
            destination,
            on_conflict,
            only,
        } => {
            let (backups, wanted) = store.resolve(&shell.grants, &locations, &backup)?;
            let (destination, identity) =
                access::destination(&shell.grants, &locations, destination)?;
            let hold = hold_catalogued(&shell, &backup);
            let app = app.clone();
            Box::new(move |progress, cancel, _| {
                let _hold = hold;
                let options = RestoreOptions {
                    destination: Some(destination),
                    on_conflict,
                    expected_destination: Some(identity),
                    // Checked by the core against the manifest before anything is written.
                    only: only.unwrap_or_default(),
                };
                let outcome =
                    restore_in(&locations, &backups, &wanted, &options, progress, cancel)?;
                // The analyst may now open what was restored: exactly that folder.
                if let Some(restored) = outcome.restored_identity {
                    app.state::<Shell>()
                        .grants
                        .grant_folder_as(&outcome.restored_to, restored);
                }
                Ok(JobResult::Restore { outcome })
            })
        }
        JobRequest::CopyToShared => {
            let Store::Shared(remote) = store else {
                return Err(IpcError::not_allowed(
                    "copying without shared storage chosen",
                ));
            };
            Box::new(move |progress, cancel, _| {
                let summary = copy_to_shared(&locations, &remote, progress, cancel)?;
                Ok(JobResult::CopyToShared { summary })
            })
        }
        JobRequest::CopyToThisComputer { backup_file } => {
            let Store::Shared(remote) = &store else {
                return Err(IpcError::not_allowed(
                    "copying without shared storage chosen",
                ));
            };
            let wanted = access::shared_backup(remote, &backup_file)?;
            let source = store.backups(&locations);
            let hold = hold_catalogued(&shell, &BackupRef::Catalog(backup_file));
            Box::new(move |progress, cancel, _| {
                let _hold = hold;
                let folder = BackupsStore::folder(&locations.backups);
                let outcome = copy_between(&source, &wanted, &folder, progress, cancel)?;
                Ok(JobResult::CopyToThisComputer {
                    copied: CopiedHere {
                        backup_file: outcome.backup_file,
                        already_there: outcome.status == CopyStatus::AlreadyThere,
                        folder: access::absolute(&locations.backups),
                    },
                })
            })
        }
        JobRequest::CopyDroppedToShared { dropped } => {
            let Store::Shared(remote) = &store else {
                return Err(IpcError::not_allowed(
                    "copying without shared storage chosen",
                ));
            };
            // Only a file handed over by a drop, still that same file when it is read.
            let (source, wanted) =
                store.resolve(&shell.grants, &locations, &BackupRef::Dropped(dropped))?;
            let shown = remote.shown().to_string();
            let target = BackupsStore::S3(RemoteStore::clone(remote));
            Box::new(move |progress, cancel, _| {
                let outcome = copy_between(&source, &wanted, &target, progress, cancel)?;
                Ok(JobResult::CopyDroppedToShared {
                    copied: CopiedToShared {
                        backup_file: outcome.backup_file,
                        already_there: outcome.status == CopyStatus::AlreadyThere,
                        store: shown,
                    },
                })
            })
        }
    })
}

/// Retention leaves a catalogued backup alone while a job is queued for it or running on it.
fn hold_catalogued(shell: &Shell, backup: &BackupRef) -> Option<crate::in_use::Hold> {
    match backup {
        BackupRef::Catalog(name) => Some(shell.in_use.hold(name)),
        BackupRef::Dropped(_) => None,
    }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn run_job<R: Runtime>(
    app: AppHandle<R>,
    job_id: String,
    job: JobRequest,
    on_event: Channel<JobEvent>,
) -> CommandResult<JobResult> {
    let waiting = {
        let app = app.clone();
        off_ui_thread(move || {
            let (locations, store) = current_store()?;
            let work = prepare(&app, locations, store, job)?;
            app.state::<Shell>()
                .jobs
                .submit(&job_id, Arc::new(on_event), work)
        })
        .await?
    };
    tauri::async_runtime::spawn_blocking(move || waiting.recv())
        .await
        .map_err(IpcError::internal)?
        .map_err(|_| IpcError::internal("the job worker stopped"))?
}

#[tauri::command(rename_all = "snake_case")]
pub fn cancel_job<R: Runtime>(app: AppHandle<R>, job_id: String) -> CommandResult<()> {
    app.state::<Shell>().jobs.cancel(&job_id)
}

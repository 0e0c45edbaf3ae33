//! Copying the backups kept on this computer into the shared store, after the analyst switched
//! to shared storage: offered when the folder holds backups the store lacks, run as a job.

use results_backup::{
    copy_between, BackupsStore, Catalog, CopyStatus, Locations, Locator, RemoteStore,
};
use results_backup::{CancelToken, NoProgress, Progress};
use serde::Serialize;
use std::collections::HashSet;

use super::off_ui_thread;
use crate::error::{CommandResult, IpcError};
use crate::store::{current_store, Store};

/// What the window offers to copy: backups in the folder on this computer the store lacks.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct CopyOffer {
    /// `s3://bucket/prefix`; empty when backups are kept on this computer (nothing to offer).
    pub store: String,
    pub missing: u32,
    pub bytes: u64,
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct CopyFailure {
    pub backup_file: String,
    pub error: IpcError,
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct CopySummary {
    pub store: String,
    /// Uploaded now, each verified by its SHA-256.
    pub copied: Vec<String>,
    /// Already in the store with the same SHA-256.
    pub already_there: u32,
    pub failures: Vec<CopyFailure>,
}

/// The local backups (from the folder's catalog) whose names the store does not list, and how
/// many it does list already.
fn missing_from(
    locations: &Locations,
    remote: &RemoteStore,
) -> CommandResult<(Vec<(String, u64)>, u32)> {
    let present: HashSet<String> = remote
        .list(None, &NoProgress)?
        .into_iter()
        .map(|entry| entry.backup_file.to_string())
        .collect();
    let (there, missing): (Vec<_>, Vec<_>) = Catalog::load(&locations.backups, &NoProgress)?
        .list(None)
        .into_iter()
        .partition(|entry| present.contains(entry.backup_file.as_str()));
    let missing = missing
        .into_iter()
        .map(|entry| (entry.backup_file.to_string(), entry.size))
        .collect();
    Ok((missing, u32::try_from(there.len()).unwrap_or(u32::MAX)))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn copy_offer() -> CommandResult<CopyOffer> {
    off_ui_thread(|| {
        let (locations, store) = current_store()?;
        let Store::Shared(remote) = store else {
            return Ok(CopyOffer {
                store: String::new(),
                missing: 0,
                bytes: 0,
            });
        };
        let (missing, _) = missing_from(&locations, &remote)?;
        Ok(CopyOffer {
            store: remote.shown().to_string(),
            missing: u32::try_from(missing.len()).unwrap_or(u32::MAX),
            bytes: missing.iter().map(|(_, size)| size).sum(),
        })
    })
    .await
}

/// Copies each missing backup, verified; one that fails (a different backup of the same name
/// already in the store, say) is reported and the others go on. Cancelling stops at once.
pub(super) fn copy_to_shared(
    locations: &Locations,
    remote: &RemoteStore,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> CommandResult<CopySummary> {
    let (missing, already_there) = missing_from(locations, remote)?;
    let mut summary = CopySummary {
        store: remote.shown().to_string(),
        copied: Vec::new(),
        already_there,
        failures: Vec::new(),
    };
    let from = BackupsStore::folder(&locations.backups);
    let to = BackupsStore::S3(remote.clone());
    for (backup_file, _) in missing {
        cancel.check()?;
        let wanted = Locator::Name(backup_file.clone());
        match copy_between(&from, &wanted, &to, progress, cancel) {
            Ok(outcome) if outcome.status == CopyStatus::Copied => summary.copied.push(backup_file),
            Ok(_) => summary.already_there += 1,
            Err(results_backup::Error::Cancelled) => {
                return Err(results_backup::Error::Cancelled.into())
            }
            Err(error) => summary.failures.push(CopyFailure {
                backup_file,
                error: error.into(),
            }),
        }
    }
    Ok(summary)
}

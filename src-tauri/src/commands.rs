//! The commands the webview may call. Each one checks that what it is asked to touch was handed
//! to the app (a scanned strategy, a catalogued backup, a picked folder, a dropped file), runs the
//! core off the UI thread, and turns core errors into `{code, message, hint}`.

use results_backup::backup::{back_up, BackupOptions, BackupOutcome};
use results_backup::catalog::{Catalog, CatalogEntry};
use results_backup::check::{check, check_many, CheckReport, Proof};
use results_backup::delete::{delete, Deleted};
use results_backup::locate::{inspect, known_identity, locate_in, BackupIdentity, LocatedBackup};
use results_backup::manifest::Manifest;
use results_backup::restore::{
    preview, restore, OnConflict, RestoreOptions, RestoreOutcome, RestorePreview,
};
use results_backup::scan::{scan, strategy_names, StrategyStatus};
use results_backup::settings::{
    check_results_folder, validate_level, Overrides, Settings, BACKUPS_ENV, RESULTS_ENV,
};
use results_backup::{CancelToken, Locations, NoProgress, Progress, ProgressUpdate};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, WebviewWindow};
use tauri_plugin_opener::OpenerExt;

use crate::error::{CommandResult, IpcError};
use crate::grants::Grants;
use crate::jobs::JobQueue;
use crate::picker;
use crate::progress_channel::{JobEvent, PROGRESS_INTERVAL};
use crate::samples::install_samples;

/// Everything the shell keeps between commands.
pub struct Shell {
    pub grants: Grants,
    pub jobs: JobQueue<JobResult>,
    /// Strategy and timestamp of archives already opened, so a restore preview of a dropped
    /// archive does not read it again.
    identities: Mutex<HashMap<PathBuf, BackupIdentity>>,
}

impl Shell {
    pub fn new() -> Self {
        Shell {
            grants: Grants::default(),
            jobs: JobQueue::start(PROGRESS_INTERVAL),
            identities: Mutex::new(HashMap::new()),
        }
    }
}

impl Default for Shell {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs blocking core work on tauri's blocking pool so the UI thread never waits on a disk.
async fn off_ui_thread<T: Send + 'static>(
    work: impl FnOnce() -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(IpcError::internal)?
}

fn current_locations() -> CommandResult<Locations> {
    Ok(Locations::resolve(&Overrides::default())?)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn same_place(a: &Path, b: &Path) -> bool {
    if absolute(a) == absolute(b) {
        return true;
    }
    matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
}

fn data_folder() -> CommandResult<PathBuf> {
    dirs::data_dir()
        .map(|d| d.join("results-backup"))
        .ok_or_else(|| IpcError::internal("this system has no data folder for apps"))
}

// ---------------------------------------------------------------------------------------------
// Settings and first launch

#[derive(Clone, Debug, Serialize)]
pub struct Overview {
    pub configured: bool,
    pub results_dir: PathBuf,
    pub backups_dir: PathBuf,
    pub compression_level: u32,
    pub results_exists: bool,
    pub settings_file: Option<PathBuf>,
    pub environment_overrides: Vec<String>,
    pub sample_results: PathBuf,
    pub version: String,
}

fn environment_sets(variable: &str) -> bool {
    std::env::var_os(variable).is_some_and(|v| !v.is_empty())
}

fn load_settings() -> CommandResult<(Option<PathBuf>, Settings)> {
    let path = Settings::default_path();
    let settings = match &path {
        Some(p) => Settings::load(p)?,
        None => Settings::default(),
    };
    Ok((path, settings))
}

/// The settings and the file they are saved to, for a command about to change them.
fn settings_to_change() -> CommandResult<(PathBuf, Settings)> {
    let (path, settings) = load_settings()?;
    let path = path.ok_or_else(|| IpcError::internal("this system has no config folder"))?;
    Ok((path, settings))
}

fn overview() -> CommandResult<Overview> {
    let (settings_file, settings) = load_settings()?;
    let locations =
        Locations::resolve_from(&Overrides::default(), |k| std::env::var_os(k), &settings);
    let environment_overrides = [RESULTS_ENV, BACKUPS_ENV]
        .into_iter()
        .filter(|v| environment_sets(v))
        .map(String::from)
        .collect();
    Ok(Overview {
        configured: settings.results_dir.is_some() || environment_sets(RESULTS_ENV),
        results_exists: locations.results.is_dir(),
        results_dir: absolute(&locations.results),
        backups_dir: absolute(&locations.backups),
        compression_level: locations.level,
        settings_file,
        environment_overrides,
        sample_results: data_folder()?.join("sample-results"),
        version: results_backup::APP_VERSION.to_string(),
    })
}

#[tauri::command(rename_all = "snake_case")]
pub async fn app_overview() -> CommandResult<Overview> {
    off_ui_thread(overview).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn use_sample_results() -> CommandResult<Overview> {
    off_ui_thread(|| {
        let data = data_folder()?;
        let results = data.join("sample-results");
        install_samples(&results)?;
        let (path, mut settings) = settings_to_change()?;
        settings.results_dir = Some(results);
        settings.backups_dir = Some(data.join("sample-backups"));
        settings.save(&path)?;
        overview()
    })
    .await
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PickPurpose {
    Results,
    Backups,
    Destination,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn pick_folder(
    window: WebviewWindow,
    app: AppHandle,
    purpose: PickPurpose,
) -> CommandResult<Option<PathBuf>> {
    let locations = current_locations()?;
    let (title, start) = match purpose {
        PickPurpose::Results => ("Choose your results folder", locations.results),
        PickPurpose::Backups => ("Choose where backups are kept", locations.backups),
        PickPurpose::Destination => ("Choose where to restore", locations.results),
    };
    let picked = picker::pick_folder(window, title, &absolute(&start)).await?;
    if let Some(folder) = &picked {
        app.state::<Shell>().grants.grant_folder(folder);
    }
    Ok(picked)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn save_settings(
    app: AppHandle,
    results_dir: PathBuf,
    backups_dir: PathBuf,
    compression_level: u32,
) -> CommandResult<Overview> {
    off_ui_thread(move || {
        let shell = app.state::<Shell>();
        let level = validate_level(compression_level)?;
        let current = current_locations()?;
        let allowed = |asked: &Path, current: &Path| {
            same_place(asked, current) || shell.grants.folder_allowed(asked)
        };
        if !allowed(&results_dir, &current.results) {
            return Err(IpcError::not_allowed(results_dir.display()));
        }
        if !allowed(&backups_dir, &current.backups) {
            return Err(IpcError::not_allowed(backups_dir.display()));
        }
        check_results_folder(&results_dir)?;
        let (path, mut settings) = settings_to_change()?;
        // An unconfigured backups folder follows the results folder (it sits beside it), so
        // choosing a new results folder does not pin the old default.
        let backups_follow_results =
            settings.backups_dir.is_none() && same_place(&backups_dir, &current.backups);
        settings.results_dir = Some(absolute(&results_dir));
        settings.backups_dir = (!backups_follow_results).then(|| absolute(&backups_dir));
        settings.compression_level = Some(level);
        settings.save(&path)?;
        overview()
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Strategies and backups

/// Collects the core's warnings (a repaired catalog, say) so the UI can show them.
#[derive(Default)]
struct Warnings(Mutex<Vec<String>>);

impl Progress for Warnings {
    fn update(&self, _update: &ProgressUpdate) {}
    fn warn(&self, message: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(message.to_string());
    }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn scan_strategies() -> CommandResult<Vec<StrategyStatus>> {
    off_ui_thread(|| Ok(scan(&current_locations()?, &NoProgress)?)).await
}

#[derive(Clone, Debug, Serialize)]
pub struct BackupList {
    pub backups_dir: PathBuf,
    pub backups: Vec<CatalogEntry>,
    pub warnings: Vec<String>,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_backups() -> CommandResult<BackupList> {
    off_ui_thread(|| {
        let locations = current_locations()?;
        let warnings = Warnings::default();
        let catalog = Catalog::load(&locations.backups, &warnings)?;
        Ok(BackupList {
            backups_dir: absolute(&locations.backups),
            backups: catalog.list(None),
            warnings: warnings.0.into_inner().unwrap_or_else(|p| p.into_inner()),
        })
    })
    .await
}

/// A backup as the webview names it: a catalog file name, or an archive dropped on the window.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BackupRef {
    Catalog(String),
    Dropped(PathBuf),
}

/// Turns a reference into what the core's `locate` takes, refusing anything not handed over.
fn resolve_ref(grants: &Grants, catalog: &Catalog, backup: &BackupRef) -> CommandResult<String> {
    match backup {
        BackupRef::Catalog(file) => {
            let plain_name =
                !file.is_empty() && !file.contains(['/', '\\']) && !file.starts_with('.');
            if plain_name && catalog.find(file).is_some() {
                Ok(file.clone())
            } else {
                Err(IpcError::not_allowed(format!("the backup \"{file}\"")))
            }
        }
        BackupRef::Dropped(path) => {
            if !grants.file_allowed(path) {
                return Err(IpcError::not_allowed(path.display()));
            }
            path.to_str()
                .map(String::from)
                .ok_or_else(|| IpcError::not_an_archive(path))
        }
    }
}

/// [`resolve_ref`] for callers that need the backup itself: the catalog is read once for both
/// the permission check and the lookup.
fn locate_allowed(
    grants: &Grants,
    locations: &Locations,
    backup: &BackupRef,
) -> CommandResult<LocatedBackup> {
    let catalog = load_catalog(locations)?;
    let given = resolve_ref(grants, &catalog, backup)?;
    Ok(locate_in(&catalog, &locations.backups, &given)?)
}

fn load_catalog(locations: &Locations) -> CommandResult<Catalog> {
    Ok(Catalog::load(&locations.backups, &NoProgress)?)
}

/// A destination folder must be the results folder or one the analyst picked.
fn resolve_destination(
    grants: &Grants,
    locations: &Locations,
    destination: Option<PathBuf>,
) -> CommandResult<PathBuf> {
    match destination {
        None => Ok(locations.results.clone()),
        Some(d) if same_place(&d, &locations.results) || grants.folder_allowed(&d) => Ok(d),
        Some(d) => Err(IpcError::not_allowed(d.display())),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct BackupDetails {
    pub backup: BackupRef,
    pub backup_file: String,
    pub path: PathBuf,
    pub folder: PathBuf,
    pub size: u64,
    pub in_catalog: bool,
    pub entry: Option<CatalogEntry>,
    pub manifest: Option<Manifest>,
    pub proof: Proof,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn backup_details(app: AppHandle, backup: BackupRef) -> CommandResult<BackupDetails> {
    off_ui_thread(move || {
        let shell = app.state::<Shell>();
        let locations = current_locations()?;
        let located = locate_allowed(&shell.grants, &locations, &backup)?;
        let inspection = inspect(&located, &CancelToken::new())?;
        let proof = match (&located.sidecar, &inspection.manifest) {
            (Some(_), _) => Proof::Manifest,
            (None, Some(_)) => Proof::EmbeddedManifest,
            (None, None) => Proof::None,
        };
        shell
            .identities
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(located.path.clone(), inspection.identity);
        let size = std::fs::metadata(&located.path)
            .map_err(|e| results_backup::Error::io("read", &located.path, e))?
            .len();
        Ok(BackupDetails {
            backup,
            backup_file: located.file_name.clone(),
            folder: absolute(results_backup::fsutil::parent_of(&located.path)),
            path: absolute(&located.path),
            size,
            in_catalog: located.catalog_entry.is_some(),
            entry: located.catalog_entry.clone(),
            manifest: inspection.manifest,
            proof,
        })
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn restore_preview(
    app: AppHandle,
    backup: BackupRef,
    destination: Option<PathBuf>,
) -> CommandResult<RestorePreview> {
    off_ui_thread(move || {
        let shell = app.state::<Shell>();
        let locations = current_locations()?;
        let destination = resolve_destination(&shell.grants, &locations, destination)?;
        let located = locate_allowed(&shell.grants, &locations, &backup)?;
        let known = shell
            .identities
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&located.path)
            .cloned();
        let identity = match known.or_else(|| known_identity(&located)) {
            Some(identity) => identity,
            None => inspect(&located, &CancelToken::new())?.identity,
        };
        Ok(preview(
            &identity.strategy,
            &identity.timestamp,
            &absolute(&destination),
        ))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Jobs

#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobRequest {
    Backup {
        strategy: String,
    },
    Check {
        backup: BackupRef,
    },
    CheckAll,
    Restore {
        backup: BackupRef,
        destination: Option<PathBuf>,
        on_conflict: OnConflict,
    },
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckFailure {
    pub backup_file: String,
    pub error: IpcError,
}

#[derive(Clone, Debug, Serialize)]
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
}

/// Checks the request against what was handed over, then returns the work to queue.
fn prepare(
    app: &AppHandle,
    locations: Locations,
    job: JobRequest,
) -> CommandResult<crate::jobs::Work<JobResult>> {
    let shell = app.state::<Shell>();
    Ok(match job {
        JobRequest::Backup { strategy } => {
            if !strategy_names(&locations)?.contains(&strategy) {
                return Err(IpcError::not_allowed(format!(
                    "the strategy \"{strategy}\""
                )));
            }
            Box::new(move |progress, cancel| {
                let options = BackupOptions {
                    level: locations.level,
                    if_changed: false,
                };
                let outcome = back_up(&locations, &strategy, &options, progress, cancel)?;
                Ok(JobResult::Backup { outcome })
            })
        }
        JobRequest::Check { backup } => {
            let given = resolve_ref(&shell.grants, &load_catalog(&locations)?, &backup)?;
            Box::new(move |progress, cancel| {
                let report = check(&locations, &given, false, progress, cancel)?;
                Ok(JobResult::Check { report })
            })
        }
        JobRequest::CheckAll => Box::new(move |progress, cancel| {
            let names: Vec<String> = Catalog::load(&locations.backups, progress)?
                .list(None)
                .into_iter()
                .map(|e| e.backup_file)
                .collect();
            let mut reports = Vec::new();
            let mut failures = Vec::new();
            for (backup_file, result) in check_many(&locations, &names, false, progress, cancel)? {
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
        } => {
            let given = resolve_ref(&shell.grants, &load_catalog(&locations)?, &backup)?;
            let destination = resolve_destination(&shell.grants, &locations, destination)?;
            let app = app.clone();
            Box::new(move |progress, cancel| {
                let options = RestoreOptions {
                    destination: Some(destination),
                    on_conflict,
                };
                let outcome = restore(&locations, &given, &options, progress, cancel)?;
                // The analyst may now open what was restored.
                app.state::<Shell>()
                    .grants
                    .grant_folder(&absolute(&outcome.restored_to));
                Ok(JobResult::Restore { outcome })
            })
        }
    })
}

#[tauri::command(rename_all = "snake_case")]
pub async fn run_job(
    app: AppHandle,
    job_id: String,
    job: JobRequest,
    on_event: Channel<JobEvent>,
) -> CommandResult<JobResult> {
    let waiting = {
        let app = app.clone();
        off_ui_thread(move || {
            let work = prepare(&app, current_locations()?, job)?;
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
pub fn cancel_job(app: AppHandle, job_id: String) -> CommandResult<()> {
    app.state::<Shell>().jobs.cancel(&job_id)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn delete_backup(app: AppHandle, backup_file: String) -> CommandResult<Deleted> {
    off_ui_thread(move || {
        let shell = app.state::<Shell>();
        let locations = current_locations()?;
        let given = resolve_ref(
            &shell.grants,
            &load_catalog(&locations)?,
            &BackupRef::Catalog(backup_file),
        )?;
        Ok(delete(&locations, &given, &NoProgress)?)
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Opening things in the file manager

/// An archive the catalog lists (in the backups folder), or one dropped on the window.
fn archive_allowed(grants: &Grants, locations: &Locations, path: &Path) -> CommandResult<bool> {
    if grants.file_allowed(path) {
        return Ok(true);
    }
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Ok(false);
    };
    let in_backups = same_place(results_backup::fsutil::parent_of(path), &locations.backups);
    Ok(in_backups && load_catalog(locations)?.find(name).is_some())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn show_in_folder(app: AppHandle, path: PathBuf) -> CommandResult<()> {
    off_ui_thread(move || {
        let shell = app.state::<Shell>();
        if !archive_allowed(&shell.grants, &current_locations()?, &path)? {
            return Err(IpcError::not_allowed(path.display()));
        }
        app.opener()
            .reveal_item_in_dir(&path)
            .map_err(|e| IpcError::could_not_open(&path, e))
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn open_folder(app: AppHandle, path: PathBuf) -> CommandResult<()> {
    off_ui_thread(move || {
        let shell = app.state::<Shell>();
        let locations = current_locations()?;
        let allowed = shell.grants.folder_allowed(&path)
            || same_place(&path, &locations.results)
            || same_place(&path, &locations.backups);
        if !allowed {
            return Err(IpcError::not_allowed(path.display()));
        }
        let text = path
            .to_str()
            .ok_or_else(|| IpcError::not_allowed(path.display()))?;
        app.opener()
            .open_path(text, None::<&str>)
            .map_err(|e| IpcError::could_not_open(&path, e))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locations(root: &Path) -> Locations {
        Locations::new(root.join("results"), root.join("backups"))
    }

    #[test]
    fn backup_references_travel_as_catalog_name_or_dropped_path() {
        let parsed: BackupRef =
            serde_json::from_str(r#"{"catalog": "alpha_20260101_120000.tar.gz"}"#).unwrap();
        assert_eq!(
            parsed,
            BackupRef::Catalog("alpha_20260101_120000.tar.gz".into())
        );
        let parsed: BackupRef = serde_json::from_str(r#"{"dropped": "/tmp/a.tar.gz"}"#).unwrap();
        assert_eq!(parsed, BackupRef::Dropped("/tmp/a.tar.gz".into()));
        let job: JobRequest = serde_json::from_str(
            r#"{"kind": "restore", "backup": {"catalog": "a.tar.gz"}, "destination": null, "on_conflict": "replace"}"#,
        )
        .unwrap();
        assert!(matches!(
            job,
            JobRequest::Restore {
                on_conflict: OnConflict::Replace,
                destination: None,
                ..
            }
        ));
    }

    #[test]
    fn a_catalog_reference_must_be_a_plain_name_the_catalog_lists() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = load_catalog(&locations(dir.path())).unwrap();
        let grants = Grants::default();
        for name in [
            "../../etc/passwd",
            "/etc/passwd",
            "sub/alpha.tar.gz",
            ".catalog.lock",
            "",
            "alpha_20260101_120000.tar.gz",
        ] {
            let error =
                resolve_ref(&grants, &catalog, &BackupRef::Catalog(name.into())).expect_err(name);
            assert_eq!(error.code, "not_allowed", "{name}");
        }
    }

    #[test]
    fn a_dropped_path_is_usable_only_once_it_was_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("alpha_20260101_120000.tar.gz");
        std::fs::write(&archive, b"not really").unwrap();
        let grants = Grants::default();
        let reference = BackupRef::Dropped(archive.clone());
        assert_eq!(
            resolve_ref(&grants, &Catalog::default(), &reference)
                .unwrap_err()
                .code,
            "not_allowed"
        );
        grants.grant_file(&archive);
        assert_eq!(
            resolve_ref(&grants, &Catalog::default(), &reference).unwrap(),
            archive.to_str().unwrap()
        );
    }

    #[test]
    fn a_restore_destination_is_the_results_folder_or_a_picked_one() {
        let dir = tempfile::tempdir().unwrap();
        let locations = locations(dir.path());
        let grants = Grants::default();
        assert_eq!(
            resolve_destination(&grants, &locations, None).unwrap(),
            locations.results
        );
        assert_eq!(
            resolve_destination(&grants, &locations, Some(locations.results.clone())).unwrap(),
            locations.results
        );
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        assert_eq!(
            resolve_destination(&grants, &locations, Some(elsewhere.clone()))
                .unwrap_err()
                .code,
            "not_allowed"
        );
        grants.grant_folder(&elsewhere);
        assert_eq!(
            resolve_destination(&grants, &locations, Some(elsewhere.clone())).unwrap(),
            elsewhere
        );
    }
}

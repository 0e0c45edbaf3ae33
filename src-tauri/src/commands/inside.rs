//! Looking inside backups without restoring them: two backups compared, a backup against its
//! strategy folder now, its equity curve, and one of its files opened in the system's app.
//! Every backup named is resolved through `access` (listed where backups are kept, or dropped);
//! from a shared store only the documents and the one file needed are read. Files taken out go
//! to the app's own cache folder, verified against the manifest first.

use results_backup::{diff_backups_in, diff_current_in, equity_curve_in, extract_file_in};
use results_backup::{BackupDiff, CancelToken, EquityCurve, NoProgress};
use std::path::PathBuf;
use tauri::{AppHandle, Runtime};
use tauri_plugin_opener::OpenerExt;

use super::{named_backup, off_ui_thread};
use crate::access::BackupRef;
use crate::error::{CommandResult, IpcError};

/// Where files opened from backups are taken out: the app's cache, emptied at each start.
pub fn opened_files_folder() -> CommandResult<PathBuf> {
    let folder = dirs::cache_dir()
        .map(|d| d.join("results-backup").join("opened"))
        .ok_or_else(|| IpcError::internal("this system has no cache folder"))?;
    results_backup::ensure_dir(&folder)?;
    Ok(folder)
}

/// Files opened in an earlier run are not kept: they were copies, verified when taken out.
pub fn forget_opened_files() {
    if let Ok(folder) = opened_files_folder() {
        if let Ok(entries) = std::fs::read_dir(&folder) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// Metrics side by side and the files added, removed and changed, from the manifests alone.
#[tauri::command(rename_all = "snake_case")]
pub async fn compare_backups<R: Runtime>(
    app: AppHandle<R>,
    a: BackupRef,
    b: BackupRef,
) -> CommandResult<BackupDiff> {
    off_ui_thread(move || {
        let (_, store_a, a) = named_backup(&app, &a)?;
        let (_, store_b, b) = named_backup(&app, &b)?;
        // The core compares two backups of one store; a dropped archive is on this computer
        // while a shared store's backups are not.
        if store_a.shown() != store_b.shown() {
            return Err(IpcError::not_in_one_place());
        }
        Ok(diff_backups_in(&store_a, &a, &b, &NoProgress)?)
    })
    .await
}

/// What changed in the strategy folder since this backup (size and time; `verify` also hashes
/// files whose size is the same).
#[tauri::command(rename_all = "snake_case")]
pub async fn changes_since<R: Runtime>(
    app: AppHandle<R>,
    backup: BackupRef,
    verify: bool,
) -> CommandResult<BackupDiff> {
    off_ui_thread(move || {
        let (locations, backups, wanted) = named_backup(&app, &backup)?;
        Ok(diff_current_in(
            &locations,
            &backups,
            &wanted,
            verify,
            &NoProgress,
            &CancelToken::new(),
        )?)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn backup_equity_curve<R: Runtime>(
    app: AppHandle<R>,
    backup: BackupRef,
) -> CommandResult<Option<EquityCurve>> {
    off_ui_thread(move || {
        let (_, backups, wanted) = named_backup(&app, &backup)?;
        let scratch = opened_files_folder()?;
        Ok(equity_curve_in(
            &backups,
            &wanted,
            &scratch,
            &NoProgress,
            &CancelToken::new(),
        )?)
    })
    .await
}

/// Takes one file out of the backup (verified against its manifest) and opens it in the
/// system's app for its type. Returns where the copy is.
#[tauri::command(rename_all = "snake_case")]
pub async fn open_backup_file<R: Runtime>(
    app: AppHandle<R>,
    backup: BackupRef,
    member: String,
) -> CommandResult<PathBuf> {
    off_ui_thread(move || {
        let (_, backups, wanted) = named_backup(&app, &backup)?;
        let extracted = extract_file_in(
            &backups,
            &wanted,
            &member,
            &opened_files_folder()?,
            &NoProgress,
            &CancelToken::new(),
        )?;
        let text = extracted
            .path
            .to_str()
            .ok_or_else(|| IpcError::not_allowed(extracted.path.display()))?;
        app.opener()
            .open_path(text, None::<&str>)
            .map_err(|e| IpcError::could_not_open(&extracted.path, e))?;
        Ok(extracted.path)
    })
    .await
}

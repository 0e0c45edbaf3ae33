//! Showing things in the system's file manager: only a catalogued or dropped archive, and only
//! folders (a restored strategy "folder" that is really a file is never handed to the opener).

use std::path::PathBuf;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_opener::OpenerExt;

use super::{current_locations, load_catalog, off_ui_thread, Shell};
use crate::access;
use crate::error::{CommandResult, IpcError};

#[tauri::command(rename_all = "snake_case")]
pub async fn show_in_folder<R: Runtime>(app: AppHandle<R>, path: PathBuf) -> CommandResult<()> {
    off_ui_thread(move || {
        let shell = app.state::<Shell>();
        let locations = current_locations()?;
        let catalog = load_catalog(&locations)?;
        access::archive_to_reveal(&shell.grants, &locations, &catalog, &path)?;
        app.opener()
            .reveal_item_in_dir(&path)
            .map_err(|e| IpcError::could_not_open(&path, e))
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn open_folder<R: Runtime>(app: AppHandle<R>, path: PathBuf) -> CommandResult<()> {
    off_ui_thread(move || {
        let shell = app.state::<Shell>();
        access::folder_to_open(&shell.grants, &current_locations()?, &path)?;
        let text = path
            .to_str()
            .ok_or_else(|| IpcError::not_allowed(path.display()))?;
        app.opener()
            .open_path(text, None::<&str>)
            .map_err(|e| IpcError::could_not_open(&path, e))
    })
    .await
}

//! The window's own life: closing it to the tray once the analyst has read why, quitting, and
//! start at login.

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_autostart::AutoLaunchManager;

use crate::app_state::AppState;
use crate::desktop::MAIN_WINDOW;
use crate::error::{CommandResult, IpcError};

/// "Keep protecting in the background": hides the window and never asks again.
#[tauri::command(rename_all = "snake_case")]
pub fn close_to_tray<R: Runtime>(app: AppHandle<R>) -> CommandResult<()> {
    app.state::<AppState>().set_close_explained()?;
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        window.hide().map_err(IpcError::internal)?;
    }
    Ok(())
}

/// "Quit": stops automatic protection and the app.
#[tauri::command(rename_all = "snake_case")]
pub fn quit_app<R: Runtime>(app: AppHandle<R>) {
    app.exit(0);
}

fn login_items<R: Runtime>(
    app: &AppHandle<R>,
) -> CommandResult<tauri::State<'_, AutoLaunchManager>> {
    app.try_state::<AutoLaunchManager>()
        .ok_or_else(|| IpcError::internal("starting at login is not available here"))
}

#[tauri::command(rename_all = "snake_case")]
pub fn start_at_login<R: Runtime>(app: AppHandle<R>) -> CommandResult<bool> {
    login_items(&app)?
        .is_enabled()
        .map_err(|e| IpcError::internal(format!("could not read the login items: {e}")))
}

/// Opt-in: the login item starts the app hidden, protecting in the tray.
#[tauri::command(rename_all = "snake_case")]
pub fn set_start_at_login<R: Runtime>(app: AppHandle<R>, enabled: bool) -> CommandResult<bool> {
    let launcher = login_items(&app)?;
    let changed = if enabled {
        launcher.enable()
    } else {
        launcher.disable()
    };
    changed.map_err(|e| IpcError::internal(format!("could not change the login items: {e}")))?;
    launcher
        .is_enabled()
        .map_err(|e| IpcError::internal(format!("could not read the login items: {e}")))
}

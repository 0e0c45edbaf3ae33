//! Automatic protection from the window: live updates, the health summary, failures the analyst
//! has seen, and the automatic settings (shared with `results-backup watch`).

use results_backup::{AutomaticSettings, HealthSummary, Settings};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime};

use super::off_ui_thread;
use super::settings::settings_to_change;
use crate::app_state::AppState;
use crate::error::{CommandResult, IpcError};
use crate::protection::{LiveUpdate, Protection};

fn protection<R: Runtime>(app: &AppHandle<R>) -> CommandResult<tauri::State<'_, Protection>> {
    app.try_state::<Protection>()
        .ok_or_else(|| IpcError::internal("automatic protection is not running in this app"))
}

/// The window subscribes once; updates arrive as the disk and the engine change.
#[tauri::command(rename_all = "snake_case")]
pub fn listen_live<R: Runtime>(
    app: AppHandle<R>,
    on_update: Channel<LiveUpdate>,
) -> CommandResult<()> {
    protection(&app)?.listen(on_update);
    Ok(())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn protection_health<R: Runtime>(app: AppHandle<R>) -> CommandResult<HealthSummary> {
    off_ui_thread(move || protection(&app)?.health()).await
}

#[tauri::command(rename_all = "snake_case")]
pub fn acknowledge_failure<R: Runtime>(app: AppHandle<R>, strategy: String) -> CommandResult<()> {
    protection(&app)?.acknowledge_failure(&strategy);
    Ok(())
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct AutomaticView {
    pub automatic: AutomaticSettings,
    pub notify_success: bool,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn automatic_settings<R: Runtime>(app: AppHandle<R>) -> CommandResult<AutomaticView> {
    off_ui_thread(move || {
        let (_, settings) = settings_to_change()?;
        Ok(AutomaticView {
            automatic: settings.automatic,
            notify_success: app
                .try_state::<AppState>()
                .is_some_and(|state| state.notify_success()),
        })
    })
    .await
}

/// Saves the automatic settings the window sends, after the same checks as the settings file
/// gets when read (the webview is untrusted too), then restarts protection with them.
#[tauri::command(rename_all = "snake_case")]
pub async fn save_automatic<R: Runtime>(
    app: AppHandle<R>,
    automatic: serde_json::Value,
    notify_success: bool,
) -> CommandResult<AutomaticView> {
    off_ui_thread(move || {
        // Taken as plain JSON and read as the settings file is, so a refusal names the key.
        let document = serde_json::json!({ "format_version": 2, "automatic": automatic });
        let bytes = serde_json::to_vec(&document).map_err(IpcError::internal)?;
        let origin = std::path::Path::new("the automatic backup settings");
        let automatic = Settings::from_json(&bytes, origin)
            .map_err(IpcError::setting_refused)?
            .automatic;
        let (path, mut settings) = settings_to_change()?;
        settings.automatic = automatic;
        settings.save(&path)?;
        if let Some(state) = app.try_state::<AppState>() {
            state.set_notify_success(notify_success)?;
        }
        if let Some(protection) = app.try_state::<Protection>() {
            protection.restart(&app);
        }
        Ok(AutomaticView {
            automatic: settings.automatic,
            notify_success,
        })
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_paused<R: Runtime>(app: AppHandle<R>, paused: bool) -> CommandResult<bool> {
    off_ui_thread(move || {
        let protection = protection(&app)?;
        protection.set_paused(&app, paused)?;
        if let Some(menu) = app.try_state::<crate::desktop::TrayMenu<R>>() {
            menu.show_paused(paused);
        }
        Ok(protection.paused())
    })
    .await
}

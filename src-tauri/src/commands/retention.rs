//! Keeping backups from the window: the retention policies (shared with `results-backup
//! forget`), a preview of exactly what a policy would delete and the space it frees, and applying
//! it. Backups that jobs use are never removed, nor each strategy's newest.

use results_backup::{
    forget_in, CancelToken, ForgetReport, ForgetRequest, NoProgress, RetentionPolicies, Settings,
};
use tauri::{AppHandle, Manager, Runtime};

use super::settings::settings_to_change;
use super::{off_ui_thread, Shell};
use crate::error::{CommandResult, IpcError};

/// The webview's policies, as it sent them, get the same checks as the settings file's (taken
/// as plain JSON so a refusal is the settings' plain `{code, message, hint}`, not a bare
/// argument error).
fn checked(policies: serde_json::Value) -> CommandResult<RetentionPolicies> {
    let document = serde_json::json!({ "format_version": 1, "retention": policies });
    let bytes = serde_json::to_vec(&document).map_err(IpcError::internal)?;
    let origin = std::path::Path::new("the retention settings");
    Ok(Settings::from_json(&bytes, origin)
        .map_err(IpcError::setting_refused)?
        .retention)
}

fn run<R: Runtime>(
    app: &AppHandle<R>,
    policies: RetentionPolicies,
    dry_run: bool,
) -> CommandResult<ForgetReport> {
    // The policies apply where backups are kept now: the folder or the shared store.
    let (locations, store) = crate::store::current_store()?;
    let in_use = app.state::<Shell>().in_use.names();
    let request = ForgetRequest {
        strategy: None,
        policies,
        dry_run,
        in_use: &in_use,
    };
    let now = chrono::Local::now().naive_local();
    Ok(forget_in(
        &store.backups(&locations),
        &request,
        now,
        &NoProgress,
        &CancelToken::new(),
    )?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn retention_settings() -> CommandResult<RetentionPolicies> {
    off_ui_thread(|| Ok(settings_to_change()?.1.retention)).await
}

/// What the policies would keep and delete now, deleting nothing.
#[tauri::command(rename_all = "snake_case")]
pub async fn preview_retention<R: Runtime>(
    app: AppHandle<R>,
    policies: serde_json::Value,
) -> CommandResult<ForgetReport> {
    off_ui_thread(move || run(&app, checked(policies)?, true)).await
}

/// Saves the policies; "Keep everything" is saved as no policy at all.
#[tauri::command(rename_all = "snake_case")]
pub async fn save_retention<R: Runtime>(
    app: AppHandle<R>,
    policies: serde_json::Value,
) -> CommandResult<RetentionPolicies> {
    off_ui_thread(move || {
        let policies = checked(policies)?;
        let (path, mut settings) = settings_to_change()?;
        settings.retention = policies;
        settings.save(&path)?;
        if let Some(protection) = app.try_state::<crate::protection::Protection>() {
            protection.restart(&app);
        }
        Ok(settings.retention)
    })
    .await
}

/// Deletes what the policies do not keep, after the analyst saw the preview.
#[tauri::command(rename_all = "snake_case")]
pub async fn apply_retention<R: Runtime>(
    app: AppHandle<R>,
    policies: serde_json::Value,
) -> CommandResult<ForgetReport> {
    off_ui_thread(move || run(&app, checked(policies)?, false)).await
}

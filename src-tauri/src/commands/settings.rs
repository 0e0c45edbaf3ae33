//! Settings and first launch: what is configured, the sample results, picking folders, saving.

use results_backup::Locations;
use results_backup::{
    check_results_folder, validate_level, Overrides, Settings, BACKUPS_ENV, RESULTS_ENV,
};
use results_backup::{check_store_fields, tidy_store_setting, ConnectionCheck};
use results_backup::{BackupsSetting, RemoteChoice};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use tauri::{AppHandle, Manager, Runtime, WebviewWindow};

use super::{current_locations, off_ui_thread, Shell};
use crate::access::{self, absolute};
use crate::error::{CommandResult, IpcError};
use crate::picker;
use crate::samples::install_samples;
use crate::store::StoreShown;

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
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
    /// Where backups are kept now (the environment may choose a store the settings do not).
    pub store: StoreShown,
    /// Where the settings file says backups are kept, for the form.
    pub backups: BackupsSetting,
}

fn environment_sets(variable: &str) -> bool {
    std::env::var_os(variable).is_some_and(|v| !v.is_empty())
}

fn data_folder() -> CommandResult<PathBuf> {
    dirs::data_dir()
        .map(|d| d.join("results-backup"))
        .ok_or_else(|| IpcError::internal("this system has no data folder for apps"))
}

pub(crate) fn load_settings() -> CommandResult<(Option<PathBuf>, Settings)> {
    let path = Settings::default_path();
    let settings = match &path {
        Some(p) => Settings::load(p)?,
        None => Settings::default(),
    };
    Ok((path, settings))
}

/// The settings and the file they are saved to, for a command about to change them.
pub(crate) fn settings_to_change() -> CommandResult<(PathBuf, Settings)> {
    let (path, settings) = load_settings()?;
    let path = path.ok_or_else(|| IpcError::internal("this system has no config folder"))?;
    Ok((path, settings))
}

/// The settings, their file, and the folders they resolve to with the environment.
pub(crate) fn settings_and_locations() -> CommandResult<(Option<PathBuf>, Settings, Locations)> {
    let (path, settings) = load_settings()?;
    let locations =
        Locations::resolve_from(&Overrides::default(), |k| std::env::var_os(k), &settings)?;
    Ok((path, settings, locations))
}

fn overview() -> CommandResult<Overview> {
    let (settings_file, settings, locations) = settings_and_locations()?;
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
        store: StoreShown::of(&locations),
        backups: settings.backups.unwrap_or(BackupsSetting::Folder),
    })
}

#[tauri::command(rename_all = "snake_case")]
pub async fn app_overview() -> CommandResult<Overview> {
    off_ui_thread(overview).await
}

/// The folders changed: automatic protection follows them.
fn protection_follows<R: Runtime>(app: &AppHandle<R>) {
    if let Some(protection) = app.try_state::<crate::protection::Protection>() {
        protection.restart(app);
    }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn use_sample_results<R: Runtime>(app: AppHandle<R>) -> CommandResult<Overview> {
    off_ui_thread(move || {
        let data = data_folder()?;
        let results = data.join("sample-results");
        install_samples(&results)?;
        let (path, mut settings) = settings_to_change()?;
        settings.results_dir = Some(results);
        settings.backups_dir = Some(data.join("sample-backups"));
        settings.save(&path)?;
        protection_follows(&app);
        overview()
    })
    .await
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum PickPurpose {
    Results,
    Backups,
    Destination,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn pick_folder<R: Runtime>(
    window: WebviewWindow<R>,
    app: AppHandle<R>,
    purpose: PickPurpose,
) -> CommandResult<Option<PathBuf>> {
    let locations = current_locations()?;
    let (title, start) = match purpose {
        PickPurpose::Results => ("Choose your results folder", locations.results),
        PickPurpose::Backups => ("Choose where backups are kept", locations.backups),
        PickPurpose::Destination => ("Choose where to restore", locations.results),
    };
    let picked = picker::pick_folder(window, title, &absolute(&start)).await?;
    match picked {
        Some(folder) if app.state::<Shell>().grants.grant_folder(&folder) => Ok(Some(folder)),
        Some(folder) => Err(IpcError::not_allowed(folder.display())),
        None => Ok(None),
    }
}

/// The shared store a form names, tidied and checked field by field (a refused value comes back
/// with its field); `None` for the folder on this computer.
fn store_from_form(
    backups: BackupsSetting,
) -> CommandResult<(BackupsSetting, Option<RemoteChoice>)> {
    let backups = tidy_store_setting(backups);
    let choice = check_store_fields(&backups).map_err(IpcError::store_field_refused)?;
    Ok((backups, choice))
}

/// "Test connection": lists, writes, reads back and deletes a probe in the store the form names
/// (saved or not). A failure to connect is the answer, not an error; only a refused field is.
#[tauri::command(rename_all = "snake_case")]
pub async fn test_connection(backups: BackupsSetting) -> CommandResult<ConnectionCheck> {
    off_ui_thread(move || match store_from_form(backups)? {
        (_, Some(choice)) => Ok(results_backup::test_connection(&choice)),
        (_, None) => Err(IpcError::not_allowed("a connection test of a folder")),
    })
    .await
}

/// Saves both folders exactly as the Settings view shows them: each is the one configured now
/// or one picked in the dialog. The backups folder is always written down, so choosing a new
/// results folder never silently moves the backups to a folder nobody chose or saw. `backups`
/// says where backups are kept: that folder, or a shared store (checked as the settings file
/// is); absent, the saved choice stays (the first-launch screens only choose results).
#[tauri::command(rename_all = "snake_case")]
pub async fn save_settings<R: Runtime>(
    app: AppHandle<R>,
    results_dir: PathBuf,
    backups_dir: PathBuf,
    compression_level: u32,
    backups: Option<BackupsSetting>,
) -> CommandResult<Overview> {
    off_ui_thread(move || {
        let shell = app.state::<Shell>();
        let kept_in = match backups {
            Some(backups) => Some(store_from_form(backups)?.0),
            None => None,
        };
        let level = validate_level(compression_level)?;
        let current = current_locations()?;
        let results = access::settings_folder(&shell.grants, &results_dir, &current.results)?;
        let backups = access::settings_folder(&shell.grants, &backups_dir, &current.backups)?;
        check_results_folder(&results)?;
        let (path, mut settings) = settings_to_change()?;
        settings.results_dir = Some(results);
        settings.backups_dir = Some(backups);
        settings.compression_level = Some(level);
        if kept_in.is_some() {
            settings.backups = kept_in;
        }
        settings.save(&path)?;
        protection_follows(&app);
        overview()
    })
    .await
}

//! The one error shape that crosses IPC: `{code, message, hint}`. Core errors keep their stable
//! codes and plain sentences; the shell adds a few codes of its own. The UI only renders these.

use results_backup::quoted;
use results_backup::StoreField;
use serde::Serialize;
use std::fmt::Display;
use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct IpcError {
    pub code: String,
    pub message: String,
    pub hint: String,
    /// The form field a refused value was typed in, so the window shows the error there.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<StoreField>,
}

pub type CommandResult<T> = Result<T, IpcError>;

impl From<results_backup::Error> for IpcError {
    fn from(error: results_backup::Error) -> Self {
        let code = error.code();
        IpcError {
            code: code.to_string(),
            message: error.to_string(),
            hint: app_hint(code).map_or_else(|| error.hint(), str::to_string),
            field: None,
        }
    }
}

/// The core's hints are written for the command line where they name a flag or a subcommand; in
/// the window the next step is a button, or nothing at all when the app recovers by itself.
pub(crate) fn app_hint(code: &str) -> Option<&'static str> {
    Some(match code {
        "results_folder_missing" => {
            "Reconnect the drive that holds it, or choose the results folder again in Settings. \
             The app notices by itself when it is back."
        }
        "unknown_strategy" => "The list of strategies was refreshed; pick the strategy again.",
        "unknown_backup" => {
            "The list of backups was refreshed; pick the backup again, or drop its .tar.gz file on the window."
        }
        "invalid_manifest" => {
            "Check the backup: if its archive is whole, its files can still be restored from it."
        }
        _ => return None,
    })
}

impl IpcError {
    /// Settings the window sent that the settings file's rules refuse: said as a form error
    /// (nothing was saved), not as a broken file.
    pub fn setting_refused(error: results_backup::Error) -> Self {
        match error {
            results_backup::Error::InvalidSettings { detail, .. } => IpcError {
                code: "invalid_settings".into(),
                message: format!("These settings cannot be used: {detail}"),
                hint: "Correct the value named and save again; nothing was saved.".into(),
                field: None,
            },
            other => other.into(),
        }
    }

    /// A value typed in the shared-storage form that the store's rules refuse, shown at its
    /// field (the core never echoes an endpoint carrying a password).
    pub fn store_field_refused(refused: results_backup::StoreFieldError) -> Self {
        IpcError {
            field: Some(refused.field),
            ..IpcError::from(refused.error)
        }
    }

    /// The webview asked for something the analyst never gave it (a path not picked or dropped,
    /// a strategy the scan did not find, a backup the catalog does not list).
    pub fn not_allowed(what: impl Display) -> Self {
        IpcError {
            code: "not_allowed".into(),
            message: format!("The app may not use {}", quoted(&what.to_string())),
            hint: "Choose the folder with the \"Choose…\" button or drop the file on the window; the app only works with what you gave it.".into(),
            field: None,
        }
    }

    /// Two backups to compare that are not kept in one place: a dropped archive on this
    /// computer and a backup of the shared store.
    pub fn not_in_one_place() -> Self {
        IpcError {
            code: "not_in_one_place".into(),
            message: "These two backups are not kept in one place: one is on this computer, the other in shared storage.".into(),
            hint: "Compare a dropped archive with a backup on this computer, or copy the shared backup to this computer first.".into(),
            field: None,
        }
    }

    pub fn not_an_archive(path: &Path) -> Self {
        IpcError {
            code: "not_an_archive".into(),
            message: format!(
                "{} is not a backup archive",
                quoted(&path.display().to_string())
            ),
            hint:
                "Drop a .tar.gz file made by Results Backup (or any .tar.gz of a strategy folder)."
                    .into(),
            field: None,
        }
    }

    pub fn no_such_job(job_id: &str) -> Self {
        IpcError {
            code: "no_such_job".into(),
            message: format!("There is no job \"{job_id}\" waiting or running"),
            hint: "It may have finished already.".into(),
            field: None,
        }
    }

    pub fn dialog_failed(detail: impl Display) -> Self {
        IpcError {
            code: "dialog_failed".into(),
            message: format!("The folder dialog could not be shown: {detail}"),
            hint: "Try again; if it keeps failing, type the folder into the command line's settings file instead.".into(),
            field: None,
        }
    }

    pub fn could_not_open(path: &Path, detail: impl Display) -> Self {
        IpcError {
            code: "could_not_open".into(),
            message: format!(
                "Could not open {} in the file manager: {detail}",
                path.display()
            ),
            hint: "Open the folder yourself; its location is shown above.".into(),
            field: None,
        }
    }

    /// A worker thread died or the app is shutting down: nothing the analyst did.
    pub fn internal(detail: impl Display) -> Self {
        IpcError {
            code: "internal".into(),
            message: format!("Something went wrong inside the app: {detail}"),
            hint: "Try again. If it happens again, restart the app; nothing was changed on disk by this failure.".into(),
            field: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    // The UI matches on this exact shape; a renamed field would break it silently.
    #[test]
    fn core_errors_cross_ipc_as_code_message_hint() {
        let error: IpcError = results_backup::Error::ResultsFolderMissing {
            path: PathBuf::from("/data/results"),
        }
        .into();
        let wire = serde_json::to_value(&error).expect("serializes");
        assert_eq!(
            wire,
            serde_json::json!({
                "code": "results_folder_missing",
                "message": "The results folder /data/results does not exist",
                "hint": error.hint,
            })
        );
        assert!(error.hint.contains("Settings"), "names where to fix it");
    }

    #[test]
    fn hints_in_the_window_never_name_command_line_flags_or_subcommands() {
        let results = std::path::PathBuf::from("/gone/results");
        let errors = [
            results_backup::Error::ResultsFolderMissing {
                path: results.clone(),
            },
            results_backup::Error::UnknownStrategy {
                name: "alpha".into(),
                results: results.clone(),
            },
            results_backup::Error::UnknownBackup {
                name: "alpha_20260101_120000".into(),
                backups: results.clone(),
            },
        ];
        for error in errors {
            let cli_hint = error.hint();
            let shown = IpcError::from(error);
            assert!(
                !shown.hint.contains("--") && !shown.hint.contains('`'),
                "{} shows a command-line hint in the app: {}",
                shown.code,
                shown.hint
            );
            assert_ne!(shown.hint, cli_hint);
        }
    }

    #[test]
    fn shell_errors_have_their_own_stable_codes_and_a_hint() {
        let cases = [
            (IpcError::not_allowed("/etc"), "not_allowed"),
            (
                IpcError::not_an_archive(Path::new("/tmp/notes.txt")),
                "not_an_archive",
            ),
            (IpcError::no_such_job("j1"), "no_such_job"),
            (IpcError::dialog_failed("no display"), "dialog_failed"),
            (IpcError::internal("worker gone"), "internal"),
        ];
        for (error, code) in cases {
            assert_eq!(error.code, code);
            assert!(!error.message.is_empty() && !error.hint.is_empty());
            assert!(!error.message.contains("Error {"), "no debug strings");
        }
    }
}

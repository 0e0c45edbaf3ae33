//! The native folder dialog. WebDriver cannot drive native dialogs, so debug builds carry a test
//! seam: when `RESULTS_BACKUP_E2E_PICKS` names a file, its content is the folder "picked" (empty
//! means the analyst cancelled). Release builds do not contain the seam at all.

use std::path::{Path, PathBuf};

use crate::error::CommandResult;
#[cfg(debug_assertions)]
use crate::error::IpcError;

#[cfg(debug_assertions)]
pub const E2E_PICKS_ENV: &str = "RESULTS_BACKUP_E2E_PICKS";

pub async fn pick_folder<R: tauri::Runtime>(
    window: tauri::WebviewWindow<R>,
    title: &str,
    start: &Path,
) -> CommandResult<Option<PathBuf>> {
    #[cfg(debug_assertions)]
    if let Some(answers) = std::env::var_os(E2E_PICKS_ENV) {
        return scripted_pick(Path::new(&answers));
    }
    let mut dialog = rfd::AsyncFileDialog::new()
        .set_title(title)
        .set_parent(&window);
    if let Some(start) = nearest_existing_folder(start) {
        dialog = dialog.set_directory(start);
    }
    let picked = dialog.pick_folder().await;
    Ok(picked.map(|handle| handle.path().to_path_buf()))
}

/// Where the dialog opens: `start`, or the closest folder above it that exists. A configured
/// folder that was moved or not yet created would otherwise open the dialog on "Recent", far
/// from where the analyst was.
fn nearest_existing_folder(start: &Path) -> Option<&Path> {
    start.ancestors().find(|folder| folder.is_dir())
}

#[cfg(debug_assertions)]
fn scripted_pick(answers: &Path) -> CommandResult<Option<PathBuf>> {
    let text = std::fs::read_to_string(answers).map_err(IpcError::dialog_failed)?;
    let answer = text.trim();
    Ok((!answer.is_empty()).then(|| PathBuf::from(answer)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dialog_opens_on_the_closest_folder_that_still_exists() {
        let dir = tempfile::tempdir().expect("temp dir");
        let results = dir.path().join("results");
        std::fs::create_dir(&results).expect("create");
        assert_eq!(nearest_existing_folder(&results), Some(results.as_path()));
        assert_eq!(
            nearest_existing_folder(&results.join("moved/away")),
            Some(results.as_path())
        );
        let file = results.join("notes.txt");
        std::fs::write(&file, "x").expect("write");
        assert_eq!(nearest_existing_folder(&file), Some(results.as_path()));
        assert_eq!(nearest_existing_folder(Path::new("no/such/relative")), None);
    }

    #[cfg(debug_assertions)]
    #[test]
    fn the_scripted_pick_returns_the_folder_written_or_none_when_empty() {
        let dir = tempfile::tempdir().expect("temp dir");
        let answers = dir.path().join("picks");
        std::fs::write(&answers, "/data/my results\n").expect("write");
        assert_eq!(
            scripted_pick(&answers).expect("answer"),
            Some(PathBuf::from("/data/my results"))
        );
        std::fs::write(&answers, "").expect("write");
        assert_eq!(scripted_pick(&answers).expect("answer"), None);
        assert_eq!(
            scripted_pick(&dir.path().join("absent"))
                .expect_err("missing file")
                .code,
            "dialog_failed"
        );
    }
}

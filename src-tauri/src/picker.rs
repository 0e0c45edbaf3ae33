//! The native folder dialog. WebDriver cannot drive native dialogs, so debug builds carry a test
//! seam: when `RESULTS_BACKUP_E2E_PICKS` names a file, its content is the folder "picked" (empty
//! means the analyst cancelled). Release builds do not contain the seam at all.

use std::path::PathBuf;

use crate::error::CommandResult;
#[cfg(debug_assertions)]
use crate::error::IpcError;
#[cfg(debug_assertions)]
use std::path::Path;

#[cfg(debug_assertions)]
pub const E2E_PICKS_ENV: &str = "RESULTS_BACKUP_E2E_PICKS";

pub async fn pick_folder(
    window: tauri::WebviewWindow,
    title: &str,
    start: Option<PathBuf>,
) -> CommandResult<Option<PathBuf>> {
    #[cfg(debug_assertions)]
    if let Some(answers) = std::env::var_os(E2E_PICKS_ENV) {
        return scripted_pick(Path::new(&answers));
    }
    let mut dialog = rfd::AsyncFileDialog::new()
        .set_title(title)
        .set_parent(&window);
    if let Some(start) = start.filter(|s| s.is_dir()) {
        dialog = dialog.set_directory(start);
    }
    let picked = dialog.pick_folder().await;
    Ok(picked.map(|handle| handle.path().to_path_buf()))
}

#[cfg(debug_assertions)]
fn scripted_pick(answers: &Path) -> CommandResult<Option<PathBuf>> {
    let text = std::fs::read_to_string(answers).map_err(IpcError::dialog_failed)?;
    let answer = text.trim();
    Ok((!answer.is_empty()).then(|| PathBuf::from(answer)))
}

#[cfg(all(test, debug_assertions))]
mod tests {
    use super::*;

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

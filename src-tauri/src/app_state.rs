//! What the app remembers that only the app uses: whether closing the window to the tray has
//! been explained, and whether successes are notified. Kept apart from settings.json, which the command line
//! shares. Read back as untrusted input: a small regular file, or "nothing remembered".

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Mutex;

const MAX_STATE_BYTES: u64 = 64 * 1024;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Remembered {
    #[serde(default)]
    close_explained: bool,
    /// Failures are always notified; successes only when the analyst asks.
    #[serde(default)]
    notify_success: bool,
}

pub struct AppState {
    path: Option<PathBuf>,
    remembered: Mutex<Remembered>,
}

impl AppState {
    /// `<data dir>/results-backup/app-state.json`.
    pub fn load() -> Self {
        let path = dirs::data_dir().map(|d| d.join("results-backup").join("app-state.json"));
        let remembered = path.as_ref().map(|p| read(p)).unwrap_or_default();
        AppState {
            path,
            remembered: Mutex::new(remembered),
        }
    }

    pub fn close_explained(&self) -> bool {
        self.remembered
            .lock()
            .map(|r| r.close_explained)
            .unwrap_or(false)
    }

    pub fn notify_success(&self) -> bool {
        self.remembered
            .lock()
            .map(|r| r.notify_success)
            .unwrap_or(false)
    }

    pub fn set_close_explained(&self) -> results_backup::Result<()> {
        self.change(|r| r.close_explained = true)
    }

    pub fn set_notify_success(&self, on: bool) -> results_backup::Result<()> {
        self.change(|r| r.notify_success = on)
    }

    fn change(&self, edit: impl FnOnce(&mut Remembered)) -> results_backup::Result<()> {
        let snapshot = {
            let Ok(mut remembered) = self.remembered.lock() else {
                return Ok(());
            };
            edit(&mut remembered);
            remembered.clone()
        };
        let Some(path) = &self.path else {
            return Ok(());
        };
        results_backup::ensure_dir(results_backup::parent_of(path))?;
        let json = serde_json::to_vec_pretty(&snapshot).unwrap_or_default();
        results_backup::write_atomically(path, &json)
    }
}

fn read(path: &std::path::Path) -> Remembered {
    // The core's bounded read: a regular file, no link followed, at most MAX_STATE_BYTES.
    match results_backup::read_bounded(path, false, MAX_STATE_BYTES) {
        Ok(Some(bytes)) if bytes.len() as u64 <= MAX_STATE_BYTES => {
            serde_json::from_slice(&bytes).unwrap_or_default()
        }
        _ => Remembered::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_or_oversized_state_file_means_nothing_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let broken = dir.path().join("broken.json");
        std::fs::write(&broken, b"{not json").unwrap();
        assert!(!read(&broken).close_explained);
        let huge = dir.path().join("huge.json");
        std::fs::write(&huge, vec![b' '; MAX_STATE_BYTES as usize + 1]).unwrap();
        assert!(!read(&huge).close_explained);
        let folder = dir.path().join("folder.json");
        std::fs::create_dir(&folder).unwrap();
        assert!(!read(&folder).close_explained);
        let good = dir.path().join("good.json");
        std::fs::write(&good, br#"{"close_explained": true}"#).unwrap();
        assert!(read(&good).close_explained);
    }
}

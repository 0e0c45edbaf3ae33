//! Results Backup desktop shell: maps the webview's commands to the core library, runs long
//! jobs off the UI thread with throttled progress, and remembers exactly what the analyst
//! granted (see `access`).

mod access;
mod app_state;
mod commands;
mod desktop;
mod error;
mod in_use;
#[cfg(test)]
mod ipc_types;
mod job_queue;
mod picker;
mod progress_channel;
mod protection;
mod samples;
mod store;

use results_backup::ARCHIVE_SUFFIX;
use serde::Serialize;
use std::path::{Path, PathBuf};
use tauri::{DragDropEvent, Emitter, Manager, Runtime, WindowEvent};

pub use commands::Shell;
pub use error::IpcError;

/// What the shell tells the UI after a drop, once the archives are granted.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub(crate) struct FilesDropped {
    archives: Vec<PathBuf>,
    others: Vec<PathBuf>,
}

const FILES_DROPPED_EVENT: &str = "files-dropped";

fn looks_like_archive(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    path.is_file() && (name.ends_with(ARCHIVE_SUFFIX) || name.ends_with(".tgz"))
}

/// Grants each dropped archive (exactly that file, as it is now) and tells the UI.
fn on_drop<R: Runtime>(window: &tauri::Window<R>, paths: &[PathBuf]) {
    let shell = window.state::<Shell>();
    let (archives, others): (Vec<PathBuf>, Vec<PathBuf>) = paths
        .iter()
        .cloned()
        .partition(|p| looks_like_archive(p) && shell.grants.grant_file(p));
    let _ = window.emit(FILES_DROPPED_EVENT, FilesDropped { archives, others });
}

/// The whole app on any tauri runtime: the real one for the window, the mock one for the
/// command tests.
pub fn app_builder<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    use commands::{copy, files, inside, jobs, library, protection, retention, settings, window};
    builder
        .plugin(tauri_plugin_opener::init())
        .manage(Shell::new())
        .invoke_handler(tauri::generate_handler![
            settings::app_overview,
            settings::use_sample_results,
            settings::pick_folder,
            settings::save_settings,
            settings::test_connection,
            copy::copy_offer,
            library::scan_strategies,
            library::list_backups,
            library::filter_backups,
            library::backup_details,
            library::restore_preview,
            jobs::run_job,
            jobs::cancel_job,
            library::delete_backup,
            files::show_in_folder,
            files::open_folder,
            window::close_to_tray,
            window::quit_app,
            window::start_at_login,
            window::set_start_at_login,
            protection::listen_live,
            protection::protection_health,
            protection::acknowledge_failure,
            protection::automatic_settings,
            protection::save_automatic,
            protection::set_paused,
            retention::retention_settings,
            retention::preview_retention,
            retention::save_retention,
            retention::apply_retention,
            inside::compare_backups,
            inside::changes_since,
            inside::backup_equity_curve,
            inside::open_backup_file,
        ])
        .on_window_event(|window, event| {
            if let WindowEvent::DragDrop(DragDropEvent::Drop { paths, .. }) = event {
                on_drop(window, paths);
            }
            desktop::on_window_event(window, event);
        })
}

pub fn run() {
    let builder = desktop::with_desktop_plugins(tauri::Builder::default())
        .manage(app_state::AppState::load())
        .manage(protection::Protection::new())
        .setup(|app| {
            commands::inside::forget_opened_files();
            app.state::<protection::Protection>().restart(app.handle());
            Ok(desktop::set_up(app.handle())?)
        });
    let app = match app_builder(builder).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(error) => {
            eprintln!("Results Backup could not start: {error}");
            std::process::exit(1);
        }
    };
    app.run(|app, event| {
        if let tauri::RunEvent::Exit = event {
            // A backup running now is cancelled and cleaned up before the process ends.
            app.state::<protection::Protection>().stop();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_gzip_tarballs_count_as_dropped_archives() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("alpha_20260101_120000.TAR.GZ");
        let tgz = dir.path().join("beta.tgz");
        let notes = dir.path().join("notes.txt");
        for file in [&archive, &tgz, &notes] {
            std::fs::write(file, b"x").unwrap();
        }
        let folder = dir.path().join("strategy.tar.gz");
        std::fs::create_dir(&folder).unwrap();
        assert!(looks_like_archive(&archive));
        assert!(looks_like_archive(&tgz));
        assert!(!looks_like_archive(&notes));
        assert!(!looks_like_archive(&folder), "a folder named like one");
        assert!(!looks_like_archive(&dir.path().join("missing.tar.gz")));
    }
}

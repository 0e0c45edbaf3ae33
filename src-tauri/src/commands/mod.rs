//! The commands the webview may call, by area. Each one resolves what it is asked to touch
//! through `access` (a scanned strategy, a catalogued backup, a picked folder, a dropped file),
//! runs the core off the UI thread, and turns core errors into `{code, message, hint}`.

pub mod copy;
pub mod files;
pub mod inside;
pub mod jobs;
pub mod library;
pub mod protection;
pub mod retention;
pub mod settings;
#[cfg(test)]
mod tests;
pub mod window;

use results_backup::Catalog;
use results_backup::Overrides;
use results_backup::{BackupIdentity, BackupsStore};
use results_backup::{Locations, NoProgress};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::access::Grants;
use crate::error::{CommandResult, IpcError};
use crate::in_use::InUse;
use crate::job_queue::JobQueue;
use crate::progress_channel::PROGRESS_INTERVAL;
use jobs::JobResult;

/// Everything the shell keeps between commands.
pub struct Shell {
    pub grants: Grants,
    pub in_use: InUse,
    pub jobs: JobQueue<JobResult>,
    /// Strategy and timestamp of archives already opened, so a restore preview of a dropped
    /// archive does not read it again.
    identities: Mutex<HashMap<PathBuf, BackupIdentity>>,
}

impl Shell {
    pub fn new() -> Self {
        Shell {
            grants: Grants::default(),
            in_use: InUse::default(),
            jobs: JobQueue::start(PROGRESS_INTERVAL),
            identities: Mutex::new(HashMap::new()),
        }
    }
}

impl Default for Shell {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs blocking core work on tauri's blocking pool so the UI thread never waits on a disk.
async fn off_ui_thread<T: Send + 'static>(
    work: impl FnOnce() -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(IpcError::internal)?
}

fn current_locations() -> CommandResult<Locations> {
    Ok(Locations::resolve(&Overrides::default())?)
}

fn load_catalog(locations: &Locations) -> CommandResult<Catalog> {
    Ok(Catalog::load(&locations.backups, &NoProgress)?)
}

/// The folders now, where the backup the webview named is kept, and what the core takes for it,
/// resolved through `store::resolve` (a name the store lists or a dropped file, nothing else).
fn named_backup<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    backup: &crate::access::BackupRef,
) -> CommandResult<(Locations, BackupsStore, results_backup::Locator)> {
    use tauri::Manager;
    let (locations, store) = crate::store::current_store()?;
    let (backups, wanted) = store.resolve(&app.state::<Shell>().grants, &locations, backup)?;
    Ok((locations, backups, wanted))
}

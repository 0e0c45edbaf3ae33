//! Deleting a backup: its archive, its sidecar manifest and its catalog entry go together, as
//! one step a crash cannot split (a folder: the deletion journal, `store/journal.rs`; an S3
//! store: the catalog entry goes first, `store/remote.rs`). Only backups the store lists (by
//! name, or in a folder by a path into it) can be deleted.

use serde::Serialize;
use std::path::PathBuf;

use crate::error::Result;
use crate::progress::Progress;
use crate::store::backups_store::BackupsStore;
use crate::store::locate::Locator;
use crate::store::settings::Locations;

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct Deleted {
    pub backup_file: String,
    /// The files removed, or the objects (`s3://bucket/prefix/name`).
    pub removed: Vec<PathBuf>,
}

/// Deletes a backup of the backups folder.
pub fn delete(locations: &Locations, wanted: &Locator, progress: &dyn Progress) -> Result<Deleted> {
    delete_in(&BackupsStore::folder(&locations.backups), wanted, progress)
}

/// Deletes a backup of `store`, a folder or an S3 store.
pub fn delete_in(
    store: &BackupsStore,
    wanted: &Locator,
    progress: &dyn Progress,
) -> Result<Deleted> {
    let file = store.catalogued_name(wanted, progress)?;
    let removed = store.remove(std::slice::from_ref(&file), progress)?;
    Ok(Deleted {
        backup_file: file.to_string(),
        removed: removed.into_iter().map(PathBuf::from).collect(),
    })
}

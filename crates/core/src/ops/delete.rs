//! Deleting a backup: its archive, its sidecar manifest and its catalog entry go together, as
//! one step a crash cannot split (the deletion journal, `store/journal.rs`). Only backups in the
//! backups folder can be deleted.

use serde::Serialize;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::store::catalog::Catalog;
use crate::store::locate::{locate, Locator};
use crate::store::settings::Locations;

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct Deleted {
    pub backup_file: String,
    pub removed: Vec<PathBuf>,
}

pub fn delete(locations: &Locations, wanted: &Locator, progress: &dyn Progress) -> Result<Deleted> {
    let located = locate(&locations.backups, wanted, progress)?;
    let Some(entry) = located.catalog_entry.as_ref() else {
        return Err(Error::UnknownBackup {
            name: wanted.shown(),
            backups: locations.backups.clone(),
        });
    };
    let file = entry.backup_file.clone();
    let removed =
        Catalog::remove_backups(&locations.backups, std::slice::from_ref(&file), progress)?;
    Ok(Deleted {
        backup_file: file.to_string(),
        removed,
    })
}

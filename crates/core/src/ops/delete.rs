//! Deleting a backup: its archive, its sidecar manifest and its catalog entry go together, under
//! the catalog lock. Only backups in the backups folder can be deleted.

use serde::Serialize;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::store::catalog::{sidecar_path, Catalog};
use crate::store::locate::{locate, Locator};
use crate::store::settings::Locations;

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct Deleted {
    pub backup_file: String,
    pub removed: Vec<PathBuf>,
}

pub fn delete(locations: &Locations, wanted: &Locator, progress: &dyn Progress) -> Result<Deleted> {
    let located = locate(&locations.backups, wanted, progress)?;
    if located.catalog_entry.is_none() {
        return Err(Error::UnknownBackup {
            name: wanted.shown(),
            backups: locations.backups.clone(),
        });
    }
    let file = located.file_name.clone();
    Catalog::update(&locations.backups, progress, |entries| {
        let mut removed = Vec::new();
        for path in [located.path.clone(), sidecar_path(&located.path)] {
            match std::fs::remove_file(&path) {
                Ok(()) => removed.push(path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("delete", &path, e)),
            }
        }
        entries.retain(|e| e.backup_file != file);
        Ok(Deleted {
            backup_file: file.clone(),
            removed,
        })
    })
}

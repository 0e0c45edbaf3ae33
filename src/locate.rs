//! Turning what a person typed (a catalog file name, with or without `.tar.gz`, or a path) into a
//! backup on disk. Names never carry folders: a name is only looked up in the backups folder.

use std::path::{Path, PathBuf};

use crate::catalog::{parse_backup_stem, sidecar_path, Catalog, CatalogEntry};
use crate::error::{Error, Result};
use crate::manifest::{archive_stem, Manifest, ARCHIVE_SUFFIX};
use crate::progress::Progress;

#[derive(Clone, Debug)]
pub struct LocatedBackup {
    pub path: PathBuf,
    pub file_name: String,
    /// Set when the archive lives in the backups folder and the catalog knows it.
    pub catalog_entry: Option<CatalogEntry>,
    /// The sidecar manifest, when one sits beside the archive and can be read.
    pub sidecar: Option<Manifest>,
}

pub fn locate(backups: &Path, given: &str, progress: &dyn Progress) -> Result<LocatedBackup> {
    let catalog = Catalog::load(backups, progress)?;
    locate_in(&catalog, backups, given)
}

/// [`locate`] against a catalog the caller already loaded (checking thousands of backups
/// should not read the catalog thousands of times).
pub fn locate_in(catalog: &Catalog, backups: &Path, given: &str) -> Result<LocatedBackup> {
    let looks_like_path = given.contains('/') || given.contains('\\');
    if !looks_like_path && !given.is_empty() && given != "." && given != ".." {
        let file_name = if given.ends_with(ARCHIVE_SUFFIX) {
            given.to_string()
        } else {
            format!("{given}{ARCHIVE_SUFFIX}")
        };
        if let Some(entry) = catalog.find(&file_name) {
            return Ok(in_backups_folder(backups, entry.clone()));
        }
        if !Path::new(given).is_file() {
            return Err(Error::UnknownBackup {
                name: given.to_string(),
                backups: backups.to_path_buf(),
            });
        }
    }
    located_by_path(catalog, backups, Path::new(given))
}

fn in_backups_folder(backups: &Path, entry: CatalogEntry) -> LocatedBackup {
    let path = backups.join(&entry.backup_file);
    LocatedBackup {
        sidecar: Manifest::load(&sidecar_path(&path)).ok(),
        file_name: entry.backup_file.clone(),
        catalog_entry: Some(entry),
        path,
    }
}

fn located_by_path(catalog: &Catalog, backups: &Path, path: &Path) -> Result<LocatedBackup> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io("open", path, e))?;
    if meta.is_dir() {
        return Err(Error::CorruptArchive {
            path: path.to_path_buf(),
            detail: "it is a folder, not a .tar.gz backup".into(),
        });
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let same_folder = match (
        std::fs::canonicalize(crate::fsutil::parent_of(path)),
        std::fs::canonicalize(backups),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same_folder {
        if let Some(entry) = catalog.find(&file_name) {
            return Ok(in_backups_folder(backups, entry.clone()));
        }
    }
    Ok(LocatedBackup {
        sidecar: Manifest::load(&sidecar_path(path)).ok(),
        path: path.to_path_buf(),
        file_name,
        catalog_entry: None,
    })
}

/// Which strategy a backup holds and when it was made: what a restore of it is named after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupIdentity {
    pub strategy: String,
    /// `YYYYmmdd_HHMMSS`, or [`UNKNOWN_TIMESTAMP`] for an archive that carries none.
    pub timestamp: String,
}

/// Stands in for the timestamp of an archive made by another tool under a free-form name.
pub const UNKNOWN_TIMESTAMP: &str = "backup";

/// What one read of a backup tells: its manifest, if it has one, and its identity.
#[derive(Clone, Debug)]
pub struct Inspection {
    pub manifest: Option<Manifest>,
    pub identity: BackupIdentity,
}

/// The backup's manifest: the sidecar when present, else the copy embedded in the archive.
pub fn manifest_of(located: &LocatedBackup, cancel: &crate::CancelToken) -> Result<Manifest> {
    inspect(located, cancel)?
        .manifest
        .ok_or_else(|| Error::InvalidManifest {
            path: located.path.clone(),
            detail: "the archive was not made by Results Backup and holds no manifest".into(),
        })
}

/// The identity when the sidecar or the catalog knows it, without opening the archive.
pub fn known_identity(located: &LocatedBackup) -> Option<BackupIdentity> {
    if let Some(manifest) = &located.sidecar {
        return Some(identity_from_manifest(manifest));
    }
    located.catalog_entry.as_ref().map(|entry| BackupIdentity {
        strategy: entry.strategy.clone(),
        timestamp: entry.timestamp.clone(),
    })
}

/// The manifest and identity of a backup, reading the archive only when no sidecar sits beside
/// it. An archive made by another tool has no manifest, which is not an error: it can still be
/// shown and restored, only nothing proves its contents. Its strategy is then the folder it
/// holds (what a restore creates), and its timestamp the one in its name, if any.
pub fn inspect(located: &LocatedBackup, cancel: &crate::CancelToken) -> Result<Inspection> {
    if let Some(sidecar) = &located.sidecar {
        return Ok(Inspection {
            manifest: Some(sidecar.clone()),
            identity: identity_from_manifest(sidecar),
        });
    }
    let (manifest, _, members) = crate::catalog::read_embedded(&located.path, cancel)?;
    let identity = match &manifest {
        Some(manifest) => identity_from_manifest(manifest),
        None => {
            let stem = archive_stem(&located.file_name);
            let strategy = members
                .strategy
                .or_else(|| parse_backup_stem(stem).map(|(strategy, _)| strategy))
                .unwrap_or_else(|| stem.to_string());
            BackupIdentity {
                strategy,
                timestamp: timestamp_in_name(&located.file_name),
            }
        }
    };
    Ok(Inspection { manifest, identity })
}

/// The timestamp a backup's file name carries, or [`UNKNOWN_TIMESTAMP`] for a free-form name.
pub(crate) fn timestamp_in_name(file_name: &str) -> String {
    parse_backup_stem(archive_stem(file_name))
        .map(|(_, timestamp)| timestamp)
        .unwrap_or_else(|| UNKNOWN_TIMESTAMP.into())
}

fn identity_from_manifest(manifest: &Manifest) -> BackupIdentity {
    BackupIdentity {
        strategy: manifest.strategy.clone(),
        timestamp: manifest.timestamp.clone(),
    }
}

//! Turning what a person typed (a catalog file name, with or without `.tar.gz`, or a path) into a
//! backup on disk. Names never carry folders: a name is only looked up in the backups folder.

use std::path::{Path, PathBuf};

use crate::catalog::{sidecar_path, Catalog, CatalogEntry};
use crate::error::{Error, Result};
use crate::manifest::{Manifest, ARCHIVE_SUFFIX};
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

/// The backup's manifest: the sidecar when present, else the copy embedded in the archive.
pub fn manifest_of(located: &LocatedBackup, cancel: &crate::CancelToken) -> Result<Manifest> {
    find_manifest(located, cancel)?.ok_or_else(|| Error::InvalidManifest {
        path: located.path.clone(),
        detail: "the archive was not made by Results Backup and holds no manifest".into(),
    })
}

/// Like [`manifest_of`], but an archive made by another tool is `None`, not an error: it can
/// still be shown and restored, only nothing proves its contents.
pub fn find_manifest(
    located: &LocatedBackup,
    cancel: &crate::CancelToken,
) -> Result<Option<Manifest>> {
    if let Some(sidecar) = &located.sidecar {
        return Ok(Some(sidecar.clone()));
    }
    Ok(crate::catalog::read_embedded(&located.path, cancel)?.0)
}

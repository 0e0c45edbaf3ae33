//! Where backups are kept, behind one interface: a folder on this computer (or a mounted disk)
//! or a bucket and prefix on an S3-compatible server. Both hold the same names and documents;
//! the operations (`ops/`) take a [`BackupsStore`] and never ask which one it is, except where
//! the two differ on purpose (a folder records check results in its catalog; a store's catalog
//! entries are written once).

use std::io::Read;
use std::path::{Path, PathBuf};

use super::catalog::{Catalog, CatalogEntry};
use super::locate::{locate, locate_remote, LocatedBackup, Locator};
use super::names::ArchiveFileName;
use super::remote::RemoteStore;
use super::settings::Locations;
use crate::error::{Error, Result};
use crate::limits::MAX_MANIFEST_BYTES;
use crate::progress::{CancelToken, Progress};
use crate::sys::{open_regular, read_bounded};

pub enum BackupsStore {
    /// A backups folder with its `catalog.json`.
    Folder(PathBuf),
    /// An S3 store (`s3://bucket/prefix`).
    S3(RemoteStore),
}

impl BackupsStore {
    /// The store the command line, environment or settings chose (`locations.remote`), else the
    /// backups folder.
    pub fn open(locations: &Locations) -> Result<BackupsStore> {
        match &locations.remote {
            Some(choice) => RemoteStore::open_choice(choice).map(BackupsStore::S3),
            None => Ok(BackupsStore::Folder(locations.backups.clone())),
        }
    }

    pub fn folder(backups: &Path) -> BackupsStore {
        BackupsStore::Folder(backups.to_path_buf())
    }

    /// The folder, or `s3://bucket/prefix`, for messages.
    pub fn shown(&self) -> PathBuf {
        match self {
            BackupsStore::Folder(folder) => folder.clone(),
            BackupsStore::S3(remote) => PathBuf::from(remote.shown()),
        }
    }

    /// The backups it lists, newest first; `strategy` keeps only that strategy's.
    pub fn list(
        &self,
        strategy: Option<&str>,
        progress: &dyn Progress,
    ) -> Result<Vec<CatalogEntry>> {
        match self {
            BackupsStore::Folder(folder) => Ok(Catalog::load(folder, progress)?.list(strategy)),
            BackupsStore::S3(remote) => remote.list(strategy, progress),
        }
    }

    /// [`BackupsStore::list`] for a decision that deletes: an S3 store reads every catalog
    /// entry object rather than trusting its cache.
    pub fn list_for_removal(&self, progress: &dyn Progress) -> Result<Vec<CatalogEntry>> {
        match self {
            BackupsStore::Folder(_) => self.list(None, progress),
            BackupsStore::S3(remote) => remote.list_from_entries(None, progress),
        }
    }

    /// A backup by name (in a folder, also by path: see [`Locator`]).
    pub fn locate(&self, wanted: &Locator, progress: &dyn Progress) -> Result<LocatedBackup> {
        match self {
            BackupsStore::Folder(folder) => locate(folder, wanted, progress),
            BackupsStore::S3(remote) => locate_remote(remote, wanted),
        }
    }

    /// The catalog's file name of a backup it lists, or `UnknownBackup`. On S3, a backup whose
    /// deletion was interrupted (entry gone, archive or sidecar left) is found too, so that
    /// deleting it again finishes the job.
    pub fn catalogued_name(
        &self,
        wanted: &Locator,
        progress: &dyn Progress,
    ) -> Result<ArchiveFileName> {
        let unknown = || Error::UnknownBackup {
            name: wanted.shown(),
            backups: self.shown(),
        };
        if let (BackupsStore::S3(remote), Locator::Name(name)) = (self, wanted) {
            let file = ArchiveFileName::with_suffix(name).map_err(|_| unknown())?;
            return if remote.holds_any_of(&file)? {
                Ok(file)
            } else {
                Err(unknown())
            };
        }
        let located = self.locate(wanted, progress)?;
        located
            .catalog_entry
            .map(|entry| entry.backup_file)
            .ok_or_else(unknown)
    }

    /// The raw bytes of a backup's archive, streamed (a file opened without following links,
    /// or an object read in bounded requests).
    pub fn open_raw(&self, file: &ArchiveFileName) -> Result<Box<dyn Read + Send>> {
        match self {
            BackupsStore::Folder(folder) => Ok(Box::new(open_regular(&folder.join(file), false)?)),
            BackupsStore::S3(remote) => Ok(Box::new(remote.objects().reader(file.as_str())?)),
        }
    }

    /// A backup's sidecar manifest as stored (bounded), or `None` when it has none.
    pub fn sidecar_bytes(&self, file: &ArchiveFileName) -> Result<Option<Vec<u8>>> {
        let name = file.sidecar_name();
        let bytes = match self {
            BackupsStore::Folder(folder) => {
                read_bounded(&folder.join(&name), false, MAX_MANIFEST_BYTES)?
            }
            BackupsStore::S3(remote) => remote.sidecar_bytes(file)?,
        };
        Ok(bytes)
    }

    /// Removes backups whole (archive, sidecar, catalog entry), crash-safely: a folder through
    /// its deletion journal, a store by deleting the catalog entry first. Returns what went.
    pub fn remove(
        &self,
        files: &[ArchiveFileName],
        progress: &dyn Progress,
    ) -> Result<Vec<String>> {
        match self {
            BackupsStore::Folder(folder) => Ok(Catalog::remove_backups(folder, files, progress)?
                .into_iter()
                .map(|path| path.display().to_string())
                .collect()),
            BackupsStore::S3(remote) => {
                let mut removed = Vec::new();
                for file in files {
                    removed.extend(remote.delete_backup(file, progress)?);
                }
                Ok(removed)
            }
        }
    }

    /// Recreates the catalog: a folder's from its manifests and archives; a store's missing
    /// entries from the sidecars, or with `from_archives` from the embedded manifests.
    pub fn rebuild_catalog(
        &self,
        from_archives: bool,
        progress: &dyn Progress,
        cancel: &CancelToken,
    ) -> Result<Vec<CatalogEntry>> {
        match self {
            // A folder always falls back to the embedded manifests: reading local archives
            // costs no transfer.
            BackupsStore::Folder(folder) => Catalog::rebuild(folder, progress, cancel),
            BackupsStore::S3(remote) => remote.rebuild(from_archives, progress, cancel),
        }
    }
}

//! A backups store in a bucket and prefix of an S3-compatible server: the same names and
//! documents as a backups folder, laid out as objects (`docs/FORMAT.md`, "S3 stores").
//!
//! ```text
//! <prefix>/<archive>.tar.gz                  published with If-None-Match: *
//! <prefix>/<archive>.manifest.json           the sidecar, the same document as on disk
//! <prefix>/catalog.d/<archive>.tar.gz.json   the backup's catalog line, written last
//! ```
//!
//! Two writers never lose a catalog entry: each backup's line is its own object, created once
//! with a conditional write, so there is nothing to read-modify-write. A reader trusts only a
//! complete triple: an entry whose archive exists with the recorded size and whose sidecar
//! exists; anything else is ignored with a warning (an upload interrupted between its steps).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::catalog::{latest_of, sorted_newest_first, CatalogEntry};
use super::manifest::Manifest;
use super::names::{ArchiveFileName, BackupName, Timestamp, MAX_SEQUENCE};
use super::settings::RemoteChoice;
use crate::archive::StrategyName;
use crate::error::{Error, RemoteReason, Result};
use crate::limits::{quoted, MAX_MANIFEST_BYTES};
use crate::progress::{CancelToken, Progress};
use crate::sys::s3::{ObjectStore, Publish, S3Credentials, S3Location};

/// The folder of per-backup catalog entries, relative to the prefix.
pub const CATALOG_ENTRIES_FOLDER: &str = "catalog.d/";
/// Added to the archive's file name to name its catalog entry.
pub const CATALOG_ENTRY_SUFFIX: &str = ".json";
/// A catalog line is a few hundred bytes; metrics are capped well below this.
const MAX_CATALOG_ENTRY_BYTES: u64 = 1024 * 1024;

pub struct RemoteStore {
    /// Shared with the backups located in it, which stream their archive from it.
    objects: Arc<ObjectStore>,
}

impl RemoteStore {
    /// Opens the store with credentials from the AWS chain.
    pub fn open(location: &S3Location) -> Result<RemoteStore> {
        Self::open_with(location, None)
    }

    /// The same, with `credentials` tried before the chain (see [`ObjectStore::open_with`]).
    pub fn open_with(
        location: &S3Location,
        credentials: Option<&S3Credentials>,
    ) -> Result<RemoteStore> {
        Ok(RemoteStore {
            objects: Arc::new(ObjectStore::open_with(location, credentials)?),
        })
    }

    /// Opens the store the command line, environment or settings chose. Keys come from the AWS
    /// chain; a named profile is looked up in the `~/.aws` files.
    pub fn open_choice(choice: &RemoteChoice) -> Result<RemoteStore> {
        match &choice.profile {
            None => Self::open(&choice.location),
            Some(profile) => Err(Error::InvalidStoreAddress {
                text: crate::limits::quoted(profile),
                detail:
                    "AWS profiles named in the settings are not read yet; set AWS_PROFILE instead"
                        .into(),
            }),
        }
    }

    pub fn objects(&self) -> &ObjectStore {
        &self.objects
    }

    pub fn shared_objects(&self) -> Arc<ObjectStore> {
        Arc::clone(&self.objects)
    }

    /// `s3://bucket/prefix`.
    pub fn shown(&self) -> &str {
        self.objects.shown()
    }

    /// The object name of a backup's catalog entry.
    pub fn entry_name(archive: &ArchiveFileName) -> String {
        format!("{CATALOG_ENTRIES_FOLDER}{archive}{CATALOG_ENTRY_SUFFIX}")
    }

    /// The catalog entry published for `archive`, if any; a corrupt one is an error.
    pub fn entry(&self, archive: &ArchiveFileName) -> Result<Option<CatalogEntry>> {
        let name = Self::entry_name(archive);
        if self.objects.size_of(&name)?.is_none() {
            return Ok(None);
        }
        let bytes = self.objects.read_small(&name, MAX_CATALOG_ENTRY_BYTES)?;
        self.parse_entry(&name, archive, &bytes).map(Some)
    }

    fn parse_entry(
        &self,
        object: &str,
        archive: &ArchiveFileName,
        bytes: &[u8],
    ) -> Result<CatalogEntry> {
        let invalid = |detail: String| Error::InvalidManifest {
            path: format!("{}/{object}", self.shown()).into(),
            detail,
        };
        let entry: CatalogEntry =
            serde_json::from_slice(bytes).map_err(|err| invalid(err.to_string()))?;
        // The entry's own name is the key: a line naming another archive is refused, so a
        // planted entry cannot make one backup's proof stand for another.
        if entry.backup_file != *archive {
            return Err(invalid(format!(
                "it describes {}, not {}",
                quoted(entry.backup_file.as_str()),
                quoted(archive.as_str())
            )));
        }
        Ok(entry)
    }

    /// Publishes a backup's catalog entry, once: an entry already there is kept.
    pub fn publish_entry(&self, entry: &CatalogEntry) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(entry).map_err(|err| Error::InvalidManifest {
            path: entry.backup_file.as_str().into(),
            detail: err.to_string(),
        })?;
        self.objects.put_small(
            &Self::entry_name(&entry.backup_file),
            bytes,
            Publish::IfAbsent,
        )
    }

    /// The sidecar manifest of `archive` as stored, or `None` when there is none.
    pub fn sidecar_bytes(&self, archive: &ArchiveFileName) -> Result<Option<Vec<u8>>> {
        let name = archive.sidecar_name();
        if self.objects.size_of(&name)?.is_none() {
            return Ok(None);
        }
        self.objects.read_small(&name, MAX_MANIFEST_BYTES).map(Some)
    }

    /// The sidecar manifest of `archive`, or `None` when there is none or it cannot be read as
    /// one (for change detection, both mean "compare with nothing"); a store that cannot be
    /// reached is an error.
    pub fn sidecar(&self, archive: &ArchiveFileName) -> Result<Option<Manifest>> {
        let shown = format!("{}/{}", self.shown(), archive.sidecar_name());
        Ok(self
            .sidecar_bytes(archive)?
            .and_then(|bytes| Manifest::from_json(&bytes, shown.as_ref()).ok()))
    }

    /// The newest complete backup of `strategy` in the store.
    pub fn latest(&self, strategy: &str, progress: &dyn Progress) -> Result<Option<CatalogEntry>> {
        let entries = self.list(Some(strategy), progress)?;
        Ok(latest_of(&entries, strategy).cloned())
    }

    /// `<strategy>_<timestamp>.tar.gz`, or `_2`, `_3`... the first whose archive, sidecar and
    /// catalog entry are all absent. Only a hint: the archive's conditional completion decides.
    pub fn free_backup_name(
        &self,
        strategy: &StrategyName,
        timestamp: &Timestamp,
    ) -> Result<ArchiveFileName> {
        for n in 1..=MAX_SEQUENCE {
            let name = BackupName::new(strategy.clone(), timestamp.clone(), n).file_name();
            let taken = [
                name.to_string(),
                name.sidecar_name(),
                Self::entry_name(&name),
            ];
            let mut free = true;
            for object in &taken {
                if self.objects.size_of(object)?.is_some() {
                    free = false;
                    break;
                }
            }
            if free {
                return Ok(name);
            }
        }
        Err(Error::AlreadyExists {
            path: format!("{}/{strategy}_{timestamp}", self.shown()).into(),
        })
    }

    /// Publishes a backup's sidecar, then its catalog entry, the last two steps of the publish
    /// protocol (its archive is already there). Each is created once: a sidecar already there
    /// must be byte for byte the same, an entry must record the same SHA-256, else the store
    /// holds another backup under this name and nothing is overwritten.
    pub fn publish_documents(
        &self,
        sidecar: Vec<u8>,
        entry: &CatalogEntry,
        cancel: &CancelToken,
    ) -> Result<()> {
        cancel.check()?;
        self.publish_same(&entry.backup_file.sidecar_name(), sidecar)?;
        cancel.check()?;
        match self.publish_entry(entry) {
            Err(Error::Remote {
                reason: RemoteReason::AlreadyExists,
                ..
            }) => match self.entry(&entry.backup_file)? {
                Some(there) if there.sha256 == entry.sha256 => Ok(()),
                _ => Err(self.different_backup(entry.backup_file.as_str())),
            },
            other => other,
        }
    }

    /// Publishes a small document once; one already there must be byte for byte the same.
    fn publish_same(&self, name: &str, bytes: Vec<u8>) -> Result<()> {
        match self
            .objects
            .put_small(name, bytes.clone(), Publish::IfAbsent)
        {
            Err(Error::Remote {
                reason: RemoteReason::AlreadyExists,
                ..
            }) => {
                let there = self.objects.read_small(name, MAX_MANIFEST_BYTES)?;
                if there == bytes {
                    Ok(())
                } else {
                    Err(self.different_backup(name))
                }
            }
            other => other,
        }
    }

    /// The store holds something else under one of a backup's names.
    pub fn different_backup(&self, name: &str) -> Error {
        Error::VerificationFailed {
            path: format!("{}/{name}", self.shown()).into(),
            detail: "the store holds a different backup under this name; nothing was overwritten"
                .into(),
        }
    }

    /// Every complete backup in the store, newest first. Entries without their archive (of the
    /// recorded size) or sidecar are ignored with a warning: a publish cut short between steps.
    pub fn list(
        &self,
        strategy: Option<&str>,
        progress: &dyn Progress,
    ) -> Result<Vec<CatalogEntry>> {
        let top: HashMap<String, u64> = self
            .objects
            .list("")?
            .into_iter()
            .map(|object| (object.name, object.size))
            .collect();
        let sidecars: HashSet<&str> = top.keys().map(String::as_str).collect();
        let mut entries = Vec::new();
        for object in self.objects.list(CATALOG_ENTRIES_FOLDER)? {
            let Some(archive) = object
                .name
                .strip_suffix(CATALOG_ENTRY_SUFFIX)
                .and_then(|name| ArchiveFileName::new(name).ok())
            else {
                progress.warn(&format!(
                    "Ignored {} in {}: not a catalog entry's name",
                    quoted(&object.name),
                    self.shown()
                ));
                continue;
            };
            // One strategy's backups (for --if-changed) need not cost a request per backup of
            // every other strategy: a backup's name starts with its strategy's. An entry whose
            // name is not one of ours is read and filtered by what it says, as before.
            let other_strategy = archive
                .backup_name()
                .is_some_and(|name| strategy.is_some_and(|wanted| name.strategy != wanted));
            if other_strategy {
                continue;
            }
            let name = format!("{CATALOG_ENTRIES_FOLDER}{}", object.name);
            if object.size > MAX_CATALOG_ENTRY_BYTES {
                progress.warn(&format!("Ignored {}: it is too large", quoted(&name)));
                continue;
            }
            let bytes = self.objects.read_small(&name, MAX_CATALOG_ENTRY_BYTES)?;
            let entry = match self.parse_entry(&name, &archive, &bytes) {
                Ok(entry) => entry,
                Err(err) => {
                    progress.warn(&format!("Ignored {}: {err}", quoted(&name)));
                    continue;
                }
            };
            let archive_complete = top.get(archive.as_str()) == Some(&entry.size);
            if !archive_complete || !sidecars.contains(archive.sidecar_name().as_str()) {
                progress.warn(&format!(
                    "Ignored {} in {}: its archive or manifest is missing or incomplete",
                    quoted(archive.as_str()),
                    self.shown()
                ));
                continue;
            }
            if strategy.is_none_or(|wanted| entry.strategy == wanted) {
                entries.push(entry);
            }
        }
        Ok(sorted_newest_first(entries))
    }
}

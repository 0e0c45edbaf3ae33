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

use super::catalog::{sorted_newest_first, CatalogEntry};
use super::names::ArchiveFileName;
use super::settings::RemoteChoice;
use crate::error::{Error, Result};
use crate::limits::quoted;
use crate::progress::Progress;
use crate::sys::s3::{ObjectStore, Publish, S3Location};

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
    pub fn open(location: &S3Location) -> Result<RemoteStore> {
        Ok(RemoteStore {
            objects: Arc::new(ObjectStore::open(location)?),
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

//! A backups store in a bucket and prefix of an S3-compatible server: the same names and
//! documents as a backups folder, laid out as objects (`docs/FORMAT.md`, "S3 stores").
//!
//! ```text
//! <prefix>/<archive>.tar.gz                  published with If-None-Match: *
//! <prefix>/<archive>.manifest.json           the sidecar, the same document as on disk
//! <prefix>/catalog.d/<archive>.tar.gz.json   the backup's catalog line, written last
//! <prefix>/catalog.json                      a compacted cache of catalog.d (plain put)
//! ```
//!
//! Two writers never lose a catalog entry: each backup's line is its own object, created once
//! with a conditional write, so there is nothing to read-modify-write. A reader trusts only a
//! complete triple: an entry whose archive exists with the recorded size and whose sidecar
//! exists; anything else is ignored with a warning (an upload interrupted between its steps).
//! The cache only saves fetching each entry: a listing of `catalog.d/` decides what exists, and
//! a cache that is missing, stale or corrupt is rebuilt from it.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::catalog::{
    latest_of, parse_document, read_embedded, render_document, sorted_newest_first, CatalogEntry,
    CATALOG_FILE,
};
use super::check_records::{self, CheckRecord, CHECKS_FOLDER};
use super::manifest::{ArchiveInfo, Manifest};
use super::names::{ArchiveFileName, BackupName, Timestamp, MAX_SEQUENCE};
use super::settings::{check_profile, RemoteChoice};
use crate::archive::{ArchiveFile, StrategyName};
use crate::error::{Error, RemoteReason, Result};
use crate::limits::{quoted, MAX_CATALOG_BYTES, MAX_MANIFEST_BYTES};
use crate::progress::{CancelToken, Progress};
use crate::sys::aws_profile::{profile_credentials, profile_files};
use crate::sys::s3::{ObjectStore, Publish, S3Credentials, S3Location};

/// The folder of per-backup catalog entries, relative to the prefix.
pub const CATALOG_ENTRIES_FOLDER: &str = "catalog.d/";
/// Added to the archive's file name to name its catalog entry.
pub const CATALOG_ENTRY_SUFFIX: &str = ".json";
/// A catalog line is a few hundred bytes; metrics are capped well below this.
const MAX_CATALOG_ENTRY_BYTES: u64 = 1024 * 1024;
/// The compacted cache of `catalog.d/`, in the folder catalog's format.
pub const CATALOG_CACHE: &str = CATALOG_FILE;

/// Cloning shares the connection: the clones are the same store.
#[derive(Clone)]
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
    /// chain; a named profile's are read from the AWS shared files (`sys/aws_profile.rs`).
    pub fn open_choice(choice: &RemoteChoice) -> Result<RemoteStore> {
        let (credentials_file, config_file) = profile_files();
        Self::open_choice_with(choice, credentials_file.as_deref(), config_file.as_deref())
    }

    /// [`RemoteStore::open_choice`] with the profile files given (tests must not change the
    /// environment other tests read).
    pub fn open_choice_with(
        choice: &RemoteChoice,
        credentials_file: Option<&Path>,
        config_file: Option<&Path>,
    ) -> Result<RemoteStore> {
        match &choice.profile {
            None => Self::open(&choice.location),
            Some(profile) => {
                // Checked again here: a choice may be built by hand, and the name is a lookup key.
                check_profile(profile)?;
                let credentials = profile_credentials(profile, credentials_file, config_file)?;
                Self::open_with(&choice.location, Some(&credentials))
            }
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
        match self
            .objects
            .read_small_if_present(&name, MAX_CATALOG_ENTRY_BYTES)?
        {
            Some(bytes) => self.parse_entry(&name, archive, &bytes).map(Some),
            None => Ok(None),
        }
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
            serde_json::from_slice(bytes).map_err(|err| invalid(quoted(&err.to_string())))?;
        entry.validate().map_err(invalid)?;
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
        let bytes = entry_bytes(entry).map_err(|err| Error::InvalidManifest {
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
        self.objects
            .read_small_if_present(&archive.sidecar_name(), MAX_MANIFEST_BYTES)
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
        // Only the newest backup's name and sidecar matter here, not when it was checked.
        let entries = self.complete_entries(Some(strategy), CacheUse::Read, progress)?;
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
    ///
    /// One LIST of the prefix and one of `catalog.d/`, plus the cache: only entries the cache
    /// lacks (or holds in another version) are fetched, and the cache is rewritten when what it
    /// should hold changed. The listing of `catalog.d/` decides what exists, never the cache.
    pub fn list(
        &self,
        strategy: Option<&str>,
        progress: &dyn Progress,
    ) -> Result<Vec<CatalogEntry>> {
        self.list_with(strategy, CacheUse::Read, progress)
    }

    /// [`RemoteStore::list`] from the entry objects themselves, the cache only rewritten: for
    /// decisions that delete (`forget`), which must not rest on a document anyone with write
    /// access could have edited without changing its lines' lengths.
    pub fn list_from_entries(
        &self,
        strategy: Option<&str>,
        progress: &dyn Progress,
    ) -> Result<Vec<CatalogEntry>> {
        self.list_with(strategy, CacheUse::Ignore, progress)
    }

    fn list_with(
        &self,
        strategy: Option<&str>,
        cache: CacheUse,
        progress: &dyn Progress,
    ) -> Result<Vec<CatalogEntry>> {
        let mut complete = self.complete_entries(strategy, cache, progress)?;
        self.apply_checks(&mut complete)?;
        Ok(complete)
    }

    /// The complete backups' entries, without their check results (which cost one more LIST);
    /// the cache is rewritten on the way when it is stale.
    fn complete_entries(
        &self,
        strategy: Option<&str>,
        cache: CacheUse,
        progress: &dyn Progress,
    ) -> Result<Vec<CatalogEntry>> {
        let top = self.top_objects()?;
        let catalogued = self.catalogued(cache, progress)?;
        let entries = sorted_newest_first(catalogued.entries);
        if catalogued.cache_stale {
            self.write_cache(&entries, progress);
        }
        let sidecars: HashSet<&str> = top.keys().map(String::as_str).collect();
        let mut complete = Vec::new();
        for entry in entries {
            let archive = &entry.backup_file;
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
                complete.push(entry);
            }
        }
        Ok(complete)
    }

    /// The objects directly under the prefix, by name, with their sizes.
    fn top_objects(&self) -> Result<HashMap<String, u64>> {
        Ok(self
            .objects
            .list("")?
            .into_iter()
            .map(|object| (object.name, object.size))
            .collect())
    }

    /// Every readable entry of `catalog.d/`, taken from the cache where it holds the same
    /// version, and whether the cache should be rewritten.
    fn catalogued(&self, cache: CacheUse, progress: &dyn Progress) -> Result<Catalogued> {
        let mut cached = match cache {
            CacheUse::Read => self.read_cache(progress)?,
            CacheUse::Ignore => None,
        };
        let cache_was_readable = cached.is_some();
        let mut cache_stale = !cache_was_readable;
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
            // Entries are written by `publish_entry` only, so a cached line that serializes to
            // the listed object's length is that object; any other is fetched again (an entry
            // deleted and published anew under the same name, or a cache someone edited).
            let from_cache = cached
                .as_mut()
                .and_then(|cache| cache.remove(archive.as_str()))
                .filter(|entry| {
                    entry_bytes(entry).map(|b| b.len() as u64).ok() == Some(object.size)
                });
            let entry = match from_cache {
                Some(entry) => entry,
                None => {
                    cache_stale = true;
                    let bytes = self.objects.read_small(&name, MAX_CATALOG_ENTRY_BYTES)?;
                    match self.parse_entry(&name, &archive, &bytes) {
                        Ok(entry) => entry,
                        Err(err) => {
                            progress.warn(&format!("Ignored {}: {err}", quoted(&name)));
                            continue;
                        }
                    }
                }
            };
            entries.push(entry);
        }
        // Lines left in the cache name entries the listing no longer has (deleted since).
        if cached.is_some_and(|rest| !rest.is_empty()) {
            cache_stale = true;
        }
        Ok(Catalogued {
            entries,
            cache_stale,
        })
    }

    /// The cache's lines by archive name; `None` when there is none or it cannot be trusted
    /// (said with a warning: it is rebuilt from `catalog.d/`).
    fn read_cache(&self, progress: &dyn Progress) -> Result<Option<HashMap<String, CatalogEntry>>> {
        let unusable = |reason: &str| {
            progress.warn(&format!(
                "The catalog cache {}/{CATALOG_CACHE} was ignored ({reason}); it is rebuilt from catalog.d/.",
                self.shown()
            ));
        };
        let bytes = match self
            .objects
            .read_small_if_present(CATALOG_CACHE, MAX_CATALOG_BYTES)
        {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Ok(None),
            Err(Error::TooLarge { .. }) => {
                unusable("it is too large");
                return Ok(None);
            }
            Err(err) => return Err(err),
        };
        match parse_document(&bytes) {
            // One bad line and the whole cache is rebuilt: fetching every entry once costs
            // less than reasoning about a document someone else wrote.
            Ok(document)
                if !document.ignored.is_empty() || !document.dropped_metrics.is_empty() =>
            {
                unusable("some of its lines cannot be trusted");
                Ok(None)
            }
            Ok(document) => {
                let mut lines = HashMap::new();
                for entry in document.entries {
                    lines.entry(entry.backup_file.to_string()).or_insert(entry);
                }
                Ok(Some(lines))
            }
            Err(reason) => {
                unusable(&reason);
                Ok(None)
            }
        }
    }

    /// Replaces the cache. A failure is only a warning: the cache saves requests, and a reader
    /// whose keys may not write still lists the store.
    fn write_cache(&self, entries: &[CatalogEntry], progress: &dyn Progress) {
        let written = render_document(entries)
            .map_err(|err| err.to_string())
            .and_then(|text| {
                self.objects
                    .put_small(CATALOG_CACHE, text.into_bytes(), Publish::Replace)
                    .map_err(|err| err.to_string())
            });
        if let Err(reason) = written {
            progress.warn(&format!(
                "The catalog cache of {} was not updated ({reason}); listing works without it.",
                self.shown()
            ));
        }
    }

    /// Deletes a backup: its catalog entry first (listings stop trusting it at once), then the
    /// archive, then the sidecar, then the cache is brought up to date. Interrupted after the
    /// first step, what is left is invisible to every listing; running the delete again, or
    /// `catalog rebuild`, finishes or restores it. Returns the objects removed.
    pub fn delete_backup(
        &self,
        archive: &ArchiveFileName,
        progress: &dyn Progress,
    ) -> Result<Vec<String>> {
        let names = [
            Self::entry_name(archive),
            archive.to_string(),
            archive.sidecar_name(),
        ];
        let mut removed = Vec::new();
        for name in names {
            if self.objects.size_of(&name)?.is_some() {
                self.objects.delete(&name)?;
                removed.push(format!("{}/{name}", self.shown()));
            }
        }
        // Its check records go too; left behind they would only be ignored (they predate any
        // later backup of the same name), so a failure is said, not returned.
        if let Err(err) = self.remove_check_records(archive) {
            progress.warn(&format!(
                "The check results of {} in {} were not all removed ({err}); they are ignored.",
                quoted(archive.as_str()),
                self.shown()
            ));
        }
        // The listing drops the deleted line from the cache and rewrites it. The backup is gone
        // whatever happens here, so a failure is said, not returned: the next listing redoes it.
        if let Err(err) = self.complete_entries(None, CacheUse::Read, progress) {
            progress.warn(&format!(
                "The catalog cache of {} was not brought up to date ({err}); the next listing does it.",
                self.shown()
            ));
        }
        Ok(removed)
    }

    /// Records a check of one of the store's backups (see `check_records`), then removes its
    /// older records: the newest is the one listings show.
    pub fn record_check(&self, record: &CheckRecord) -> Result<()> {
        self.objects
            .put_small(&record.object_name(), Vec::new(), Publish::Replace)?;
        for (name, other) in self.records_of(&record.archive)? {
            // Another record of the same millisecond goes too: this one is the latest word.
            let older = other
                .is_some_and(|other| other.checked_at <= record.checked_at && other != *record);
            if older {
                self.objects.delete(&name)?;
            }
        }
        Ok(())
    }

    /// Sets each entry's last check from the store's check records (one listing of
    /// `checks.d/`).
    fn apply_checks(&self, entries: &mut [CatalogEntry]) -> Result<()> {
        let records = self
            .objects
            .list_all(CHECKS_FOLDER)?
            .into_iter()
            .filter_map(|object| CheckRecord::parse(&object.name));
        let newest = check_records::newest_by_archive(records);
        for entry in entries {
            if let Some(record) = newest.get(entry.backup_file.as_str()) {
                check_records::apply(entry, record);
            }
        }
        Ok(())
    }

    /// `entry` with its last check, from its own check records (one listing).
    pub fn with_last_check(&self, mut entry: CatalogEntry) -> Result<CatalogEntry> {
        let records = self.records_of(&entry.backup_file)?.into_iter();
        let newest = check_records::newest_by_archive(records.filter_map(|(_, record)| record));
        if let Some(record) = newest.values().next() {
            check_records::apply(&mut entry, record);
        }
        Ok(entry)
    }

    fn remove_check_records(&self, archive: &ArchiveFileName) -> Result<()> {
        for (name, _) in self.records_of(archive)? {
            self.objects.delete(&name)?;
        }
        Ok(())
    }

    /// The objects in `archive`'s folder of check records (one listing), by object name, each
    /// with the record it stands for when its name parses as one.
    fn records_of(&self, archive: &ArchiveFileName) -> Result<Vec<(String, Option<CheckRecord>)>> {
        let folder = CheckRecord::folder_of(archive);
        Ok(self
            .objects
            .list(&folder)?
            .into_iter()
            .map(|object| {
                let record = CheckRecord::parse(&format!("{archive}/{}", object.name));
                (format!("{folder}{}", object.name), record)
            })
            .collect())
    }

    /// Whether anything of a backup is left (an entry, the archive or the sidecar): a delete
    /// interrupted after its first step can be run again by name.
    pub fn holds_any_of(&self, archive: &ArchiveFileName) -> Result<bool> {
        for name in [
            Self::entry_name(archive),
            archive.to_string(),
            archive.sidecar_name(),
        ] {
            if self.objects.size_of(&name)?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Recreates what listings read: a catalog entry for every archive that lacks one, from its
    /// sidecar (validated as untrusted: it must describe this archive, at the object's size),
    /// or with `from_archives` from the manifest embedded in the archive (streamed; the sidecar
    /// is published again too). Sidecars without their archive (left by an interrupted delete)
    /// are removed; the cache is rewritten from scratch. Returns the complete backups.
    pub fn rebuild(
        &self,
        from_archives: bool,
        progress: &dyn Progress,
        cancel: &CancelToken,
    ) -> Result<Vec<CatalogEntry>> {
        let top = self.top_objects()?;
        let with_entry: HashSet<String> = self
            .objects
            .list(CATALOG_ENTRIES_FOLDER)?
            .into_iter()
            .filter_map(|object| {
                object
                    .name
                    .strip_suffix(CATALOG_ENTRY_SUFFIX)
                    .map(String::from)
            })
            .collect();
        let mut names: Vec<&String> = top.keys().collect();
        names.sort();
        for name in names {
            cancel.check()?;
            if let Some(stem) = name.strip_suffix(super::names::SIDECAR_SUFFIX) {
                let archive = format!("{stem}{}", super::names::ARCHIVE_SUFFIX);
                if !top.contains_key(&archive) && ArchiveFileName::new(archive).is_ok() {
                    progress.warn(&format!(
                        "Removed {} from {}: its archive is gone (a deletion was interrupted).",
                        quoted(name),
                        self.shown()
                    ));
                    self.objects.delete(name)?;
                }
                continue;
            }
            if !name.ends_with(super::names::ARCHIVE_SUFFIX) || with_entry.contains(name) {
                continue;
            }
            let Ok(archive) = ArchiveFileName::new(name.as_str()) else {
                progress.warn(&format!(
                    "Left {} in {} out of the catalog: it is not a backup's name.",
                    quoted(name),
                    self.shown()
                ));
                continue;
            };
            let size = top.get(name).copied().unwrap_or_default();
            match self.describe_object(&archive, size, from_archives, &top, cancel) {
                Ok(entry) => self.publish_or_keep(&entry)?,
                Err(Error::Cancelled) => return Err(Error::Cancelled),
                Err(err) if from_archives => progress.warn(&format!(
                    "Left {} out of the catalog: {err}.",
                    quoted(archive.as_str())
                )),
                Err(err) => progress.warn(&format!(
                    "Left {} out of the catalog: {err}. Run `catalog rebuild --from-archives` to read the manifest inside the archive instead.",
                    quoted(archive.as_str())
                )),
            }
        }
        for entry in &with_entry {
            if !top.contains_key(entry) {
                progress.warn(&format!(
                    "The catalog entry of {} names an archive that is not in {}; it is not listed. Copy the backup again, or delete it.",
                    quoted(entry),
                    self.shown()
                ));
            }
        }
        // The cache is rebuilt from the entries themselves, whatever it held.
        self.objects.delete(CATALOG_CACHE)?;
        self.list(None, progress)
    }

    /// The catalog entry of an archive object without one (see [`RemoteStore::rebuild`]).
    fn describe_object(
        &self,
        archive: &ArchiveFileName,
        size: u64,
        from_archives: bool,
        top: &HashMap<String, u64>,
        cancel: &CancelToken,
    ) -> Result<CatalogEntry> {
        let sidecar_name = archive.sidecar_name();
        let shown = |name: &str| PathBuf::from(format!("{}/{name}", self.shown()));
        let sidecar = match top.get(&sidecar_name) {
            Some(_) => {
                let bytes = self.objects.read_small(&sidecar_name, MAX_MANIFEST_BYTES)?;
                Some(Manifest::from_json(&bytes, &shown(&sidecar_name)))
            }
            None => None,
        };
        let sidecar_error = match sidecar {
            Some(Ok(manifest)) => match &manifest.archive {
                Some(info) if info.file == *archive && info.size == size => {
                    return Ok(CatalogEntry::from_manifest(&manifest, info));
                }
                _ => Error::InvalidManifest {
                    path: shown(&sidecar_name),
                    detail: "it does not describe this archive at its size".into(),
                },
            },
            Some(Err(err)) => err,
            None => Error::ManifestMissing {
                path: shown(archive.as_str()),
            },
        };
        if !from_archives {
            return Err(sidecar_error);
        }
        let reader = self.objects.reader(archive.as_str())?;
        let streamed =
            ArchiveFile::streamed(shown(archive.as_str()), reader.size(), Box::new(reader));
        let scan = read_embedded(streamed, None, cancel)?;
        let Some(mut manifest) = scan.manifest else {
            return Err(Error::ManifestMissing {
                path: shown(archive.as_str()),
            });
        };
        let info = ArchiveInfo {
            file: archive.clone(),
            size: scan.stats.size,
            sha256: scan.stats.sha256,
        };
        manifest.archive = Some(info.clone());
        // A sidecar there that is unusable is replaced: the embedded copy was just proved.
        self.objects
            .put_small(&sidecar_name, manifest.to_json(), Publish::Replace)?;
        Ok(CatalogEntry::from_manifest(&manifest, &info))
    }

    /// Publishes an entry; one published meanwhile by another writer is kept.
    fn publish_or_keep(&self, entry: &CatalogEntry) -> Result<()> {
        match self.publish_entry(entry) {
            Err(Error::Remote {
                reason: RemoteReason::AlreadyExists,
                ..
            }) => Ok(()),
            other => other,
        }
    }
}

/// Whether a listing may take entries from the cache.
#[derive(Clone, Copy)]
enum CacheUse {
    Read,
    Ignore,
}

/// What `catalog.d/` holds, and whether the cache disagrees with it.
struct Catalogued {
    entries: Vec<CatalogEntry>,
    cache_stale: bool,
}

/// An entry's object bytes, exactly as [`RemoteStore::publish_entry`] writes them.
fn entry_bytes(entry: &CatalogEntry) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec_pretty(entry)
}

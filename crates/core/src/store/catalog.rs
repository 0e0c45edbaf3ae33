//! `catalog.json`: one summary line per backup. It is only a cache: it can always be rebuilt from
//! the sidecar manifests, and from the archives' embedded manifests when sidecars are lost. A
//! missing or corrupt catalog is rebuilt with a warning, never a crash, and never loses a backup.
//! It lives on a disk others may write to, so every line is checked where it is read: each names
//! one regular `.tar.gz` file inside the backups folder, by a valid strategy and timestamp, or it
//! is ignored with a warning.

use chrono::{DateTime, FixedOffset, Local};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::journal::{self, Pending};
use super::manifest::{ArchiveInfo, Manifest};
use super::metrics::MetricsSummary;
use super::names::{sidecar_name, ArchiveFileName, Timestamp, ARCHIVE_SUFFIX};
use crate::archive::{
    content_error, read_members, Admitted, ArchiveFile, ArchiveStats, Layout, StrategyName,
};
use crate::error::{Error, Result};
use crate::limits::{allowed_expansion, quoted, quoted_bytes, MAX_CATALOG_BYTES};
use crate::progress::{CancelToken, NoProgress, Progress};
use crate::sys::{self, DirLock, EntryKind};

pub const CATALOG_FILE: &str = "catalog.json";
pub const CATALOG_FORMAT: &str = "results-backup-catalog";
pub const CATALOG_FORMAT_VERSION: u32 = 1;
const LOCK_FILE: &str = ".catalog.lock";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    Ok,
    Damaged,
    Missing,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CatalogEntry {
    pub strategy: StrategyName,
    /// `YYYYmmdd_HHMMSS`, local time, as in the file name.
    pub timestamp: Timestamp,
    /// File name inside the backups folder.
    pub backup_file: ArchiveFileName,
    /// Archive size in bytes.
    pub size: u64,
    pub created: DateTime<FixedOffset>,
    pub sha256: String,
    /// Files in the backup.
    pub files: u64,
    /// Content bytes of those files.
    pub bytes: u64,
    #[serde(default)]
    pub last_checked: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub check_result: Option<CheckResult>,
    /// False for archives made by another tool: nothing proves their content.
    #[serde(default = "yes")]
    pub has_manifest: bool,
    /// The numeric metrics of its `metrics.json`, by canonical key (see `store/metrics.rs`).
    /// Read back, a summary that breaks its bounds is dropped with a warning, the line kept.
    #[serde(
        default,
        skip_serializing_if = "MetricsSummary::is_empty",
        deserialize_with = "metrics_or_nothing"
    )]
    #[ts(as = "Option<MetricsSummary>", optional)]
    pub metrics: MetricsSummary,
}

/// The catalog line's `metrics` when they pass their checks, else none: one hostile field must
/// not cost the analyst the whole line. [`read_document`] says why they were dropped.
fn metrics_or_nothing<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<MetricsSummary, D::Error> {
    let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
    Ok(serde_json::from_str(raw.get()).unwrap_or_default())
}

fn yes() -> bool {
    true
}

impl CatalogEntry {
    pub fn from_manifest(manifest: &Manifest, archive: &ArchiveInfo) -> CatalogEntry {
        CatalogEntry {
            strategy: manifest.strategy.clone(),
            timestamp: manifest.timestamp.clone(),
            backup_file: archive.file.clone(),
            size: archive.size,
            created: manifest.created,
            sha256: archive.sha256.clone(),
            files: manifest.totals.files,
            bytes: manifest.totals.bytes,
            last_checked: None,
            check_result: None,
            has_manifest: true,
            metrics: manifest
                .metrics
                .as_ref()
                .map(|fields| MetricsSummary::from_fields(fields, manifest.strategy.as_str()))
                .unwrap_or_default(),
        }
    }
}

/// The document as read, before each line is checked on its own.
#[derive(Deserialize)]
struct CatalogDocument<'a> {
    format: String,
    format_version: u32,
    #[serde(borrow)]
    backups: Vec<&'a serde_json::value::RawValue>,
}

/// The checked lines of a catalog, and why the others were ignored.
pub(crate) struct Document {
    pub(crate) entries: Vec<CatalogEntry>,
    pub(crate) ignored: Vec<String>,
    /// Lines kept without their metrics, and why.
    pub(crate) dropped_metrics: Vec<String>,
}

/// The catalog's inter-process lock, held until dropped. A backup holds it from publishing its
/// archive until its catalog entry is saved, so no other process ever sees the archive without
/// its sidecar (and mistakes it for one whose manifest was lost).
pub struct CatalogLock {
    _lock: DirLock,
}

/// The catalog as loaded from a backups folder.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub entries: Vec<CatalogEntry>,
}

impl Catalog {
    /// Reads the catalog. Writers replace it atomically, so reading needs no lock. A missing or
    /// unreadable catalog, or archives it does not know yet (a run killed between writing the
    /// archive and the catalog), are repaired under the lock with a warning.
    pub fn load(backups: &Path, progress: &dyn Progress) -> Result<Catalog> {
        if !backups.is_dir() {
            return Ok(Catalog::default());
        }
        let folder = BackupsFolder::list(backups);
        // An interrupted removal is finished (under the lock, by `update`) before anyone reads.
        let interrupted = journal::exists(backups);
        match read_document(backups) {
            Ok(Some(document)) if !interrupted && folder.knows_every_archive(&document.entries) => {
                folder.warn_unusable(backups, progress);
                Ok(Catalog {
                    entries: folder.usable(document, backups, progress),
                })
            }
            Ok(None) if !interrupted && folder.archives.is_empty() => Ok(Catalog::default()),
            _ => Catalog::update(backups, progress, |_| Ok(())).map(|_| {
                let entries = read_document(backups)
                    .ok()
                    .flatten()
                    .map(|document| {
                        BackupsFolder::list(backups).usable(document, backups, progress)
                    })
                    .unwrap_or_default();
                Catalog { entries }
            }),
        }
    }

    /// Takes the catalog's inter-process lock (creating the backups folder if needed), and
    /// first finishes a removal a crash interrupted, so no lock holder ever sees half of one.
    pub fn lock(backups: &Path) -> Result<CatalogLock> {
        Catalog::lock_reporting(backups, &NoProgress)
    }

    /// [`Catalog::lock`], saying on `progress` when an interrupted removal is finished.
    pub fn lock_reporting(backups: &Path, progress: &dyn Progress) -> Result<CatalogLock> {
        sys::ensure_dir(backups)?;
        let lock = CatalogLock {
            _lock: DirLock::acquire(backups, LOCK_FILE)?,
        };
        finish_pending_removal(backups, &lock, progress)?;
        Ok(lock)
    }

    /// Removes backups (archive, sidecar and catalog entry of each) as one step a crash cannot
    /// split: see `store/journal.rs`. Returns the files removed.
    pub fn remove_backups(
        backups: &Path,
        files: &[ArchiveFileName],
        progress: &dyn Progress,
    ) -> Result<Vec<PathBuf>> {
        let lock = Catalog::lock_reporting(backups, progress)?;
        Catalog::remove_locked(backups, &lock, files, progress)
    }

    /// [`Catalog::remove_backups`] for a caller that already holds the lock. The journal is
    /// written first; then the catalog entries, the archives and the sidecars go, in that
    /// order; the journal goes last. Interrupted anywhere, the next lock holder finishes it.
    pub fn remove_locked(
        backups: &Path,
        _lock: &CatalogLock,
        files: &[ArchiveFileName],
        progress: &dyn Progress,
    ) -> Result<Vec<PathBuf>> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        journal::write(backups, files)?;
        interruption_point(RemovalStep::JournalWritten)?;
        carry_out_removal(backups, files, progress)
    }

    /// Applies `change` to the catalog under the inter-process lock and saves it atomically.
    /// A corrupt catalog is rebuilt first; archives it lacks are added.
    pub fn update<T>(
        backups: &Path,
        progress: &dyn Progress,
        change: impl FnOnce(&mut Vec<CatalogEntry>) -> Result<T>,
    ) -> Result<T> {
        let lock = Catalog::lock_reporting(backups, progress)?;
        Catalog::update_locked(backups, &lock, progress, change)
    }

    /// [`Catalog::update`] for a caller that already holds the lock.
    pub fn update_locked<T>(
        backups: &Path,
        _lock: &CatalogLock,
        progress: &dyn Progress,
        change: impl FnOnce(&mut Vec<CatalogEntry>) -> Result<T>,
    ) -> Result<T> {
        let folder = BackupsFolder::list(backups);
        folder.warn_unusable(backups, progress);
        let mut entries = match read_document(backups) {
            Ok(Some(document)) => folder.usable(document, backups, progress),
            Ok(None) => Vec::new(),
            Err(reason) => {
                progress.warn(&format!(
                    "The catalog {} was unreadable ({reason}); it is being rebuilt from the backups themselves.",
                    backups.join(CATALOG_FILE).display()
                ));
                Vec::new()
            }
        };
        let known: HashSet<ArchiveFileName> =
            entries.iter().map(|e| e.backup_file.clone()).collect();
        for file in &folder.archives {
            if !known.contains(file) {
                entries.push(describe_archive(
                    backups,
                    file,
                    progress,
                    &CancelToken::new(),
                ));
            }
        }
        let outcome = change(&mut entries)?;
        save(backups, &entries)?;
        Ok(outcome)
    }

    /// Recreates the catalog from the manifests and archives, keeping known check results.
    pub fn rebuild(
        backups: &Path,
        progress: &dyn Progress,
        cancel: &CancelToken,
    ) -> Result<Vec<CatalogEntry>> {
        let _lock = Catalog::lock_reporting(backups, progress)?;
        let folder = BackupsFolder::list(backups);
        folder.warn_unusable(backups, progress);
        let previous = match read_document(backups) {
            Ok(Some(document)) => folder.usable(document, backups, &crate::NoProgress),
            _ => Vec::new(),
        };
        let mut entries = Vec::new();
        for file in &folder.archives {
            cancel.check()?;
            let mut entry = describe_archive(backups, file, progress, cancel);
            cancel.check()?;
            if let Some(old) = previous
                .iter()
                .find(|e| e.backup_file == *file && e.sha256 == entry.sha256)
            {
                entry.last_checked = old.last_checked;
                entry.check_result = old.check_result;
            }
            entries.push(entry);
        }
        save(backups, &entries)?;
        Ok(sorted_newest_first(entries))
    }

    /// Newest first; `strategy` keeps only that strategy's backups.
    pub fn list(&self, strategy: Option<&str>) -> Vec<CatalogEntry> {
        let chosen = self
            .entries
            .iter()
            .filter(|e| strategy.is_none_or(|s| e.strategy == s))
            .cloned()
            .collect();
        sorted_newest_first(chosen)
    }

    pub fn find(&self, backup_file: &str) -> Option<&CatalogEntry> {
        self.entries.iter().find(|e| e.backup_file == backup_file)
    }

    /// The newest backup of a strategy.
    pub fn latest(&self, strategy: &str) -> Option<&CatalogEntry> {
        latest_of(&self.entries, strategy)
    }
}

/// The newest of `strategy`'s backups among `entries` (by creation time, then name).
pub fn latest_of<'a>(entries: &'a [CatalogEntry], strategy: &str) -> Option<&'a CatalogEntry> {
    entries
        .iter()
        .filter(|e| e.strategy == strategy)
        .max_by(|a, b| {
            a.created
                .cmp(&b.created)
                .then(a.backup_file.cmp(&b.backup_file))
        })
}

/// The steps of a removal, after each of which a crash may come (named for the tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RemovalStep {
    JournalWritten,
    CatalogSaved,
    ArchivesRemoved,
    SidecarsRemoved,
}

#[cfg(test)]
thread_local! {
    /// Test builds only: the step after which the removal on this thread stops, as if the
    /// process died there (the journal stays, nothing is cleaned up).
    pub(crate) static INTERRUPT_AFTER: std::cell::Cell<Option<RemovalStep>> =
        const { std::cell::Cell::new(None) };
}

fn interruption_point(step: RemovalStep) -> Result<()> {
    #[cfg(test)]
    if INTERRUPT_AFTER.with(|at| at.get()) == Some(step) {
        return Err(Error::io(
            "finish removing backups in",
            "(test interruption)",
            std::io::Error::other(format!("interrupted after {step:?}")),
        ));
    }
    let _ = step;
    Ok(())
}

/// Finishes a removal a crash interrupted, if the journal says there was one. Called with the
/// catalog lock held, before the lock holder does anything else.
fn finish_pending_removal(
    backups: &Path,
    _lock: &CatalogLock,
    progress: &dyn Progress,
) -> Result<()> {
    let journal = journal::journal_path(backups);
    match journal::read(backups) {
        Pending::Nothing => Ok(()),
        Pending::Removal { files, skipped } => {
            for reason in skipped {
                progress.warn(&format!(
                    "The deletion journal {} names something that is not a backup, which is left alone: {reason}.",
                    journal.display()
                ));
            }
            if !files.is_empty() {
                progress.warn(&format!(
                    "An earlier deletion of {} backup(s) was interrupted; it is being finished now.",
                    files.len()
                ));
            }
            carry_out_removal(backups, &files, progress).map(|_| ())
        }
        Pending::Unreadable(reason) => {
            progress.warn(&format!(
                "The deletion journal {} cannot be read ({reason}); it was not written by Results Backup and is removed. Nothing was deleted because of it.",
                journal.display()
            ));
            journal::remove(backups)
        }
        Pending::Newer(version) => {
            progress.warn(&format!(
                "The deletion journal {} was written by a newer version of Results Backup (format {version}); update Results Backup to finish that deletion.",
                journal.display()
            ));
            Ok(())
        }
    }
}

/// The steps after the journal: catalog entries, then archives, then sidecars, then the
/// journal. Each is idempotent, so finishing an interrupted removal is running them again.
fn carry_out_removal(
    backups: &Path,
    files: &[ArchiveFileName],
    progress: &dyn Progress,
) -> Result<Vec<PathBuf>> {
    let doomed: HashSet<&str> = files.iter().map(|f| f.as_str()).collect();
    // A catalog that cannot be read is left as it is: the next update rebuilds it from the
    // archives, and these are gone by then.
    if let Ok(Some(document)) = read_document(backups) {
        let mut entries = BackupsFolder::list(backups).usable(document, backups, &NoProgress);
        let before = entries.len();
        entries.retain(|e| !doomed.contains(e.backup_file.as_str()));
        if entries.len() != before {
            save(backups, &entries)?;
        }
    }
    interruption_point(RemovalStep::CatalogSaved)?;
    let mut removed = Vec::new();
    for file in files {
        removed.extend(remove_named_file(backups, file.as_str(), progress)?);
    }
    interruption_point(RemovalStep::ArchivesRemoved)?;
    for file in files {
        removed.extend(remove_named_file(backups, &file.sidecar_name(), progress)?);
    }
    interruption_point(RemovalStep::SidecarsRemoved)?;
    // The removals reach the disk before the journal that would redo them goes.
    sys::atomic::sync_dir(backups)?;
    journal::remove(backups)?;
    Ok(removed)
}

/// Removes `<backups>/<name>` (a validated single component) if it is there. A link is removed
/// itself, never what it points to; a folder under that name is left alone with a warning.
fn remove_named_file(
    backups: &Path,
    name: &str,
    progress: &dyn Progress,
) -> Result<Option<PathBuf>> {
    let path = backups.join(name);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("delete", &path, e)),
        Ok(meta) if meta.is_dir() => {
            progress.warn(&format!(
                "{} is a folder, not a backup file; it is left alone.",
                path.display()
            ));
            return Ok(None);
        }
        Ok(_) => {}
    }
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(Some(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("delete", &path, e)),
    }
}

/// What the backups folder holds, read once: the archives that can be catalogued, and the
/// names that are there but not as regular files (a link or a pipe planted under a catalogued
/// name must not be opened later).
struct BackupsFolder {
    archives: Vec<ArchiveFileName>,
    not_regular: HashSet<String>,
    /// Archives whose names cannot be catalogued (control characters, too long), and why.
    unusable: Vec<String>,
}

impl BackupsFolder {
    fn list(backups: &Path) -> BackupsFolder {
        let mut archives = Vec::new();
        let mut not_regular = HashSet::new();
        let mut unusable = Vec::new();
        for item in std::fs::read_dir(backups).into_iter().flatten().flatten() {
            let Ok(name) = item.file_name().into_string() else {
                continue;
            };
            let regular = item.file_type().map(|t| t.is_file()).unwrap_or(false);
            if !regular {
                not_regular.insert(name);
                continue;
            }
            if !name.ends_with(ARCHIVE_SUFFIX) || name.starts_with('.') {
                continue;
            }
            match ArchiveFileName::new(name) {
                Ok(archive) => archives.push(archive),
                Err(error) => unusable.push(error.to_string()),
            }
        }
        archives.sort();
        BackupsFolder {
            archives,
            not_regular,
            unusable,
        }
    }

    /// Says which archives in the folder are left out of the catalog, and why.
    fn warn_unusable(&self, backups: &Path, progress: &dyn Progress) {
        for reason in &self.unusable {
            progress.warn(&format!(
                "An archive in {} is left out of the catalog: {reason}. Rename it to list it.",
                backups.display()
            ));
        }
    }

    fn knows_every_archive(&self, entries: &[CatalogEntry]) -> bool {
        let known: HashSet<&str> = entries.iter().map(|e| e.backup_file.as_str()).collect();
        self.archives.iter().all(|f| known.contains(f.as_str()))
    }

    /// The document's entries that may be used, with a warning for each one ignored.
    fn usable(
        &self,
        document: Document,
        backups: &Path,
        progress: &dyn Progress,
    ) -> Vec<CatalogEntry> {
        let catalog = backups.join(CATALOG_FILE);
        for reason in &document.ignored {
            progress.warn(&format!(
                "A line of the catalog {} was ignored: {reason}.",
                catalog.display()
            ));
        }
        for warning in &document.dropped_metrics {
            progress.warn(warning);
        }
        let mut seen = HashSet::new();
        let mut usable = Vec::with_capacity(document.entries.len());
        for entry in document.entries {
            if self.not_regular.contains(entry.backup_file.as_str()) {
                progress.warn(&format!(
                    "The catalog names {}, which is not a regular file; it is ignored.",
                    backups.join(&entry.backup_file).display()
                ));
            } else if !seen.insert(entry.backup_file.clone()) {
                progress.warn(&format!(
                    "The catalog {} lists {} twice; the second line is ignored.",
                    catalog.display(),
                    entry.backup_file
                ));
            } else {
                usable.push(entry);
            }
        }
        usable
    }
}

pub(crate) fn sorted_newest_first(mut entries: Vec<CatalogEntry>) -> Vec<CatalogEntry> {
    entries.sort_by(|a, b| {
        b.created
            .cmp(&a.created)
            .then(b.backup_file.cmp(&a.backup_file))
    });
    entries
}

/// `Ok(None)` when there is no catalog file; `Err` with a reason when it cannot be trusted as a
/// whole. Lines that fail their own checks are left out and named in `ignored`.
fn read_document(backups: &Path) -> std::result::Result<Option<Document>, String> {
    let path = backups.join(CATALOG_FILE);
    let file = match sys::open_regular(&path, false) {
        Ok(file) => file,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(None)
        }
        Err(e) => return Err(e.to_string()),
    };
    let mut bytes = Vec::new();
    file.take(MAX_CATALOG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    parse_document(&bytes).map(Some)
}

/// A catalog document's checked lines (the folder's `catalog.json`, or an S3 store's cache of
/// the same format); `Err` with a reason when the document cannot be trusted as a whole.
pub(crate) fn parse_document(bytes: &[u8]) -> std::result::Result<Document, String> {
    if bytes.len() as u64 > MAX_CATALOG_BYTES {
        return Err(format!("it is larger than {MAX_CATALOG_BYTES} bytes"));
    }
    let doc: CatalogDocument = serde_json::from_slice(bytes).map_err(|e| quoted(&e.to_string()))?;
    if doc.format != CATALOG_FORMAT {
        return Err(format!("it is a \"{}\" document", quoted(&doc.format)));
    }
    if doc.format_version > CATALOG_FORMAT_VERSION {
        return Err(format!(
            "format version {} is newer than this app",
            doc.format_version
        ));
    }
    let mut document = Document {
        entries: Vec::with_capacity(doc.backups.len()),
        ignored: Vec::new(),
        dropped_metrics: Vec::new(),
    };
    for line in doc.backups {
        match serde_json::from_str::<CatalogEntry>(line.get())
            .map_err(|e| quoted(&e.to_string()))
            .and_then(|entry| entry.validate().map(|()| entry))
        {
            Ok(entry) => {
                if let Some(reason) = dropped_metrics(line.get(), &entry) {
                    document.dropped_metrics.push(reason);
                }
                document.entries.push(entry)
            }
            Err(reason) => document.ignored.push(reason),
        }
    }
    Ok(document)
}

/// Why a line's metrics were dropped, when they were (read again only for a line that has
/// metrics but came out without any).
fn dropped_metrics(line: &str, entry: &CatalogEntry) -> Option<String> {
    #[derive(Deserialize)]
    struct LineMetrics<'a> {
        #[serde(borrow, default)]
        metrics: Option<&'a serde_json::value::RawValue>,
    }
    if !entry.metrics.is_empty() {
        return None;
    }
    let raw = serde_json::from_str::<LineMetrics>(line).ok()?.metrics?;
    let reason = serde_json::from_str::<MetricsSummary>(raw.get()).err()?;
    Some(format!(
        "The catalog's metrics for {} cannot be trusted ({}); they are left out and the backup is still listed. Run `catalog rebuild` to read them again from its manifest.",
        entry.backup_file,
        quoted(&reason.to_string())
    ))
}

impl CatalogEntry {
    /// What serde cannot check alone (names and timestamps are checked by their types).
    pub(crate) fn validate(&self) -> std::result::Result<(), String> {
        let hex = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !(self.sha256.is_empty() || hex(&self.sha256)) {
            return Err(format!(
                "the checksum of {} is not a SHA-256",
                self.backup_file
            ));
        }
        Ok(())
    }
}

/// One JSON object per line inside the array, so the file diffs and greps like a table.
fn save(backups: &Path, entries: &[CatalogEntry]) -> Result<()> {
    let text = render_document(entries).map_err(|e| {
        Error::io(
            "write",
            backups.join(CATALOG_FILE),
            std::io::Error::other(e),
        )
    })?;
    sys::write_atomically(&backups.join(CATALOG_FILE), text.as_bytes())
}

/// The catalog document for `entries`, newest first (also an S3 store's cache).
pub(crate) fn render_document(entries: &[CatalogEntry]) -> serde_json::Result<String> {
    let entries = sorted_newest_first(entries.to_vec());
    let mut text = format!(
        "{{\"format\": \"{CATALOG_FORMAT}\", \"format_version\": {CATALOG_FORMAT_VERSION}, \"backups\": [\n"
    );
    for (i, entry) in entries.iter().enumerate() {
        let line = serde_json::to_string(entry)?;
        text.push_str("  ");
        text.push_str(&line);
        text.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
    }
    text.push_str("]}\n");
    Ok(text)
}

/// Builds a catalog entry for one archive from the best source available: its sidecar manifest,
/// else its embedded manifest (the sidecar is then written again), else the archive itself.
fn describe_archive(
    backups: &Path,
    file: &ArchiveFileName,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> CatalogEntry {
    let sidecar = backups.join(file.sidecar_name());
    let known = Manifest::load(&sidecar).ok();
    if let Some(manifest) = &known {
        if let Some(archive) = manifest.archive.as_ref().filter(|a| a.file == *file) {
            return CatalogEntry::from_manifest(manifest, archive);
        }
    }
    let path = backups.join(file);
    let scanned = ArchiveFile::open(&path, false, None)
        .and_then(|archive| read_embedded(archive, None, cancel));
    match scanned {
        Ok(MemberScan {
            manifest: Some(mut manifest),
            stats,
            ..
        }) => {
            let archive = ArchiveInfo {
                file: file.clone(),
                size: stats.size,
                sha256: stats.sha256,
            };
            manifest.archive = Some(archive.clone());
            if sys::write_atomically(&sidecar, &manifest.to_json()).is_ok() {
                progress.warn(&format!(
                    "Recreated the lost manifest {} from the archive's embedded copy.",
                    sidecar.display()
                ));
            }
            CatalogEntry::from_manifest(&manifest, &archive)
        }
        Ok(scan) => {
            progress.warn(&format!(
                "{} was made by another tool and has no manifest: nothing can prove its contents.",
                path.display()
            ));
            let mut entry = entry_from_file_name(&path, file, scan.stats.size, scan.stats.sha256);
            if let Some(strategy) = scan.strategy {
                entry.strategy = strategy;
            }
            entry.files = scan.files;
            entry.bytes = scan.bytes;
            entry.has_manifest = false;
            entry
        }
        Err(err) => {
            progress.warn(&format!("{err}. It is listed as damaged."));
            let (sha256, size) = ArchiveFile::open(&path, false, None)
                .and_then(|archive| archive.hash(cancel, |_| {}))
                .unwrap_or_default();
            let mut entry = entry_from_file_name(&path, file, size, sha256);
            entry.check_result = Some(CheckResult::Damaged);
            entry.last_checked = Some(Local::now().fixed_offset());
            entry
        }
    }
}

/// What one read of an archive shows without extracting it.
pub(crate) struct MemberScan {
    /// The embedded manifest, when the archive carries one.
    pub(crate) manifest: Option<Manifest>,
    pub(crate) stats: ArchiveStats,
    /// The strategy folder it holds: the one a restore would create.
    pub(crate) strategy: Option<StrategyName>,
    files: u64,
    bytes: u64,
}

/// Reads an archive through the layout rules (a member they refuse makes it an error) and
/// returns its embedded manifest and what it holds. `sidecar`, when known, bounds what it may
/// inflate to and names the strategy folder it must hold.
pub(crate) fn read_embedded(
    archive: ArchiveFile,
    sidecar: Option<&Manifest>,
    cancel: &CancelToken,
) -> Result<MemberScan> {
    let path = archive.path.clone();
    let limit = allowed_expansion(
        archive.size,
        sidecar.map(|m| (m.totals.bytes, m.entries.len() as u64)),
    );
    let mut layout = Layout::new(sidecar.map(|m| m.strategy.clone()));
    let mut embedded = None;
    let mut files = 0;
    let mut bytes = 0u64;
    let stats = read_members(archive, limit, cancel, None, |header, content| {
        let refused = |reason: String| Error::UnsafeEntry {
            path: path.clone(),
            entry: quoted_bytes(&header.raw_path),
            reason,
        };
        match layout.admit(header).map_err(refused)? {
            Admitted::EmbeddedManifest => {
                let mut json = Vec::new();
                content
                    .take(header.size)
                    .read_to_end(&mut json)
                    .map_err(|e| content_error(&path, e))?;
                embedded = Some(Manifest::from_json(&json, &path)?);
            }
            Admitted::Entry(entry) if entry.kind == EntryKind::File => {
                files += 1;
                bytes = bytes.saturating_add(header.size);
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(MemberScan {
        manifest: embedded,
        stats,
        strategy: layout.strategy().cloned(),
        files,
        bytes,
    })
}

/// Recovers strategy and timestamp from `<strategy>_<YYYYmmdd>_<HHMMSS>[_N].tar.gz`; the file's
/// modification time stands in for the creation time when the name does not carry one.
fn entry_from_file_name(
    path: &Path,
    file: &ArchiveFileName,
    size: u64,
    sha256: String,
) -> CatalogEntry {
    let parsed = file.backup_name();
    let created = parsed
        .as_ref()
        .and_then(|name| name.timestamp.local_time())
        .map(|t| t.fixed_offset())
        .or_else(|| {
            let modified = std::fs::symlink_metadata(path)
                .and_then(|m| m.modified())
                .ok()?;
            Some(DateTime::<Local>::from(modified).fixed_offset())
        })
        .unwrap_or_else(|| Local::now().fixed_offset());
    let (strategy, timestamp) = match parsed {
        Some(name) => (name.strategy, name.timestamp),
        None => (
            file.stem_as_strategy(),
            Timestamp::of(&created.with_timezone(&Local)),
        ),
    };
    CatalogEntry {
        strategy,
        timestamp,
        backup_file: file.clone(),
        size,
        created,
        sha256,
        files: 0,
        bytes: 0,
        last_checked: None,
        check_result: None,
        has_manifest: true,
        metrics: MetricsSummary::default(),
    }
}

/// Path of the sidecar manifest for an archive path.
pub fn sidecar_path(archive: &Path) -> PathBuf {
    let name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    archive.with_file_name(sidecar_name(&name))
}

//! `catalog.json`: one summary line per backup. It is only a cache: it can always be rebuilt from
//! the sidecar manifests, and from the archives' embedded manifests when sidecars are lost. A
//! missing or corrupt catalog is rebuilt with a warning, never a crash, and never loses a backup.

use chrono::{DateTime, FixedOffset, Local, TimeZone};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::archive::read_members;
use crate::entry_path::{classify, MemberPath};
use crate::error::{Error, Result};
use crate::fsutil::{self, DirLock};
use crate::manifest::{self, ArchiveInfo, Manifest, ARCHIVE_SUFFIX};
use crate::progress::{CancelToken, Progress};

pub const CATALOG_FILE: &str = "catalog.json";
pub const CATALOG_FORMAT: &str = "results-backup-catalog";
pub const CATALOG_FORMAT_VERSION: u32 = 1;
const LOCK_FILE: &str = ".catalog.lock";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    Ok,
    Damaged,
    Missing,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogEntry {
    pub strategy: String,
    /// `YYYYmmdd_HHMMSS`, local time, as in the file name.
    pub timestamp: String,
    /// File name inside the backups folder.
    pub backup_file: String,
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
        }
    }
}

#[derive(Serialize, Deserialize)]
struct CatalogDocument {
    format: String,
    format_version: u32,
    backups: Vec<CatalogEntry>,
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
        match read_document(backups) {
            Ok(Some(entries)) if knows_every_archive(backups, &entries) => Ok(Catalog { entries }),
            Ok(None) if archive_files(backups).is_empty() => Ok(Catalog::default()),
            _ => {
                Catalog::update(backups, progress, |_| Ok(())).map(|_| Catalog::load_quiet(backups))
            }
        }
    }

    fn load_quiet(backups: &Path) -> Catalog {
        Catalog {
            entries: read_document(backups).ok().flatten().unwrap_or_default(),
        }
    }

    /// Takes the catalog's inter-process lock (creating the backups folder if needed).
    pub fn lock(backups: &Path) -> Result<CatalogLock> {
        fsutil::ensure_dir(backups)?;
        Ok(CatalogLock {
            _lock: DirLock::acquire(backups, LOCK_FILE)?,
        })
    }

    /// Applies `change` to the catalog under the inter-process lock and saves it atomically.
    /// A corrupt catalog is rebuilt first; archives it lacks are added.
    pub fn update<T>(
        backups: &Path,
        progress: &dyn Progress,
        change: impl FnOnce(&mut Vec<CatalogEntry>) -> Result<T>,
    ) -> Result<T> {
        let lock = Catalog::lock(backups)?;
        Catalog::update_locked(backups, &lock, progress, change)
    }

    /// [`Catalog::update`] for a caller that already holds the lock.
    pub fn update_locked<T>(
        backups: &Path,
        _lock: &CatalogLock,
        progress: &dyn Progress,
        change: impl FnOnce(&mut Vec<CatalogEntry>) -> Result<T>,
    ) -> Result<T> {
        let mut entries = match read_document(backups) {
            Ok(Some(entries)) => entries,
            Ok(None) => Vec::new(),
            Err(reason) => {
                progress.warn(&format!(
                    "The catalog {} was unreadable ({reason}); it is being rebuilt from the backups themselves.",
                    backups.join(CATALOG_FILE).display()
                ));
                Vec::new()
            }
        };
        add_unknown_archives(backups, &mut entries, progress);
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
        fsutil::ensure_dir(backups)?;
        let _lock = DirLock::acquire(backups, LOCK_FILE)?;
        let previous = read_document(backups).ok().flatten().unwrap_or_default();
        let mut entries = Vec::new();
        for file in archive_files(backups) {
            cancel.check()?;
            let mut entry = describe_archive(backups, &file, progress);
            if let Some(old) = previous
                .iter()
                .find(|e| e.backup_file == file && e.sha256 == entry.sha256)
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
        self.entries
            .iter()
            .filter(|e| e.strategy == strategy)
            .max_by(|a, b| {
                a.created
                    .cmp(&b.created)
                    .then(a.backup_file.cmp(&b.backup_file))
            })
    }
}

fn sorted_newest_first(mut entries: Vec<CatalogEntry>) -> Vec<CatalogEntry> {
    entries.sort_by(|a, b| {
        b.created
            .cmp(&a.created)
            .then(b.backup_file.cmp(&a.backup_file))
    });
    entries
}

/// `Ok(None)` when there is no catalog file; `Err` with a reason when it cannot be trusted.
fn read_document(backups: &Path) -> std::result::Result<Option<Vec<CatalogEntry>>, String> {
    let path = backups.join(CATALOG_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let doc: CatalogDocument = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    if doc.format != CATALOG_FORMAT {
        return Err(format!("it is a \"{}\" document", doc.format));
    }
    if doc.format_version > CATALOG_FORMAT_VERSION {
        return Err(format!(
            "format version {} is newer than this app",
            doc.format_version
        ));
    }
    Ok(Some(doc.backups))
}

/// One JSON object per line inside the array, so the file diffs and greps like a table.
fn save(backups: &Path, entries: &[CatalogEntry]) -> Result<()> {
    let entries = sorted_newest_first(entries.to_vec());
    let mut text = format!(
        "{{\"format\": \"{CATALOG_FORMAT}\", \"format_version\": {CATALOG_FORMAT_VERSION}, \"backups\": [\n"
    );
    for (i, entry) in entries.iter().enumerate() {
        let line = serde_json::to_string(entry).map_err(|e| {
            Error::io(
                "write",
                backups.join(CATALOG_FILE),
                std::io::Error::other(e),
            )
        })?;
        text.push_str("  ");
        text.push_str(&line);
        text.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
    }
    text.push_str("]}\n");
    fsutil::write_atomically(&backups.join(CATALOG_FILE), text.as_bytes())
}

/// Archive file names in the backups folder (not hidden, not partial).
pub fn archive_files(backups: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(backups)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(ARCHIVE_SUFFIX) && !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

fn knows_every_archive(backups: &Path, entries: &[CatalogEntry]) -> bool {
    let known: BTreeSet<&str> = entries.iter().map(|e| e.backup_file.as_str()).collect();
    archive_files(backups)
        .iter()
        .all(|f| known.contains(f.as_str()))
}

fn add_unknown_archives(backups: &Path, entries: &mut Vec<CatalogEntry>, progress: &dyn Progress) {
    let known: BTreeSet<String> = entries.iter().map(|e| e.backup_file.clone()).collect();
    for file in archive_files(backups) {
        if !known.contains(&file) {
            entries.push(describe_archive(backups, &file, progress));
        }
    }
}

/// Builds a catalog entry for one archive from the best source available: its sidecar manifest,
/// else its embedded manifest (the sidecar is then written again), else the archive itself.
fn describe_archive(backups: &Path, file: &str, progress: &dyn Progress) -> CatalogEntry {
    let sidecar = backups.join(Manifest::sidecar_name(file));
    if let Ok(manifest) = Manifest::load(&sidecar) {
        if let Some(archive) = manifest.archive.as_ref().filter(|a| a.file == file) {
            return CatalogEntry::from_manifest(&manifest, archive);
        }
    }
    let path = backups.join(file);
    match read_embedded(&path, &CancelToken::new()) {
        Ok((Some(mut manifest), stats, _)) => {
            let archive = ArchiveInfo {
                file: file.to_string(),
                size: stats.size,
                sha256: stats.sha256,
            };
            manifest.archive = Some(archive.clone());
            if fsutil::write_atomically(&sidecar, &manifest.to_json()).is_ok() {
                progress.warn(&format!(
                    "Recreated the lost manifest {} from the archive's embedded copy.",
                    sidecar.display()
                ));
            }
            CatalogEntry::from_manifest(&manifest, &archive)
        }
        Ok((None, stats, counts)) => {
            progress.warn(&format!(
                "{} was made by another tool and has no manifest: nothing can prove its contents.",
                path.display()
            ));
            let mut entry = entry_from_file_name(&path, file, stats.size, stats.sha256);
            if let Some(strategy) = counts.strategy {
                entry.strategy = strategy;
            }
            entry.files = counts.files;
            entry.bytes = counts.bytes;
            entry.has_manifest = false;
            entry
        }
        Err(err) => {
            progress.warn(&format!("{err}. It is listed as damaged."));
            let (sha256, size) = crate::hashing::hash_file(&path, |_| {}).unwrap_or_default();
            let mut entry = entry_from_file_name(&path, file, size, sha256);
            entry.check_result = Some(CheckResult::Damaged);
            entry.last_checked = Some(Local::now().fixed_offset());
            entry
        }
    }
}

/// What reading an archive's members shows without a manifest.
#[derive(Default)]
pub(crate) struct MemberCounts {
    /// The first strategy folder met: the one a restore would create.
    pub(crate) strategy: Option<String>,
    files: u64,
    bytes: u64,
}

pub(crate) fn read_embedded(
    path: &Path,
    cancel: &CancelToken,
) -> Result<(Option<Manifest>, crate::archive::ArchiveStats, MemberCounts)> {
    let mut embedded = None;
    let mut counts = MemberCounts::default();
    let stats = read_members(path, cancel, None, |header, content| {
        match classify(&header.raw_path) {
            Ok(MemberPath::EmbeddedManifest) => {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(content, &mut bytes)
                    .map_err(|e| Error::io("read", path, e))?;
                embedded = Some(Manifest::from_json(&bytes, path)?);
            }
            Ok(MemberPath::Strategy { strategy, .. }) => {
                counts.strategy.get_or_insert(strategy);
                if header.entry_type.is_file() {
                    counts.files += 1;
                    counts.bytes += header.size;
                }
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok((embedded, stats, counts))
}

/// Recovers strategy and timestamp from `<strategy>_<YYYYmmdd>_<HHMMSS>[_N].tar.gz`; the file's
/// modification time stands in for the creation time when the name does not carry one.
fn entry_from_file_name(path: &Path, file: &str, size: u64, sha256: String) -> CatalogEntry {
    let stem = manifest::archive_stem(file);
    let parsed = parse_backup_stem(stem);
    let created = parsed
        .as_ref()
        .and_then(|(_, ts)| chrono::NaiveDateTime::parse_from_str(ts, "%Y%m%d_%H%M%S").ok())
        .and_then(|naive| Local.from_local_datetime(&naive).earliest())
        .map(|t| t.fixed_offset())
        .or_else(|| {
            let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok()?;
            Some(DateTime::<Local>::from(modified).fixed_offset())
        })
        .unwrap_or_else(|| Local::now().fixed_offset());
    let (strategy, timestamp) = parsed.unwrap_or_else(|| {
        (
            stem.to_string(),
            created.format("%Y%m%d_%H%M%S").to_string(),
        )
    });
    CatalogEntry {
        strategy,
        timestamp,
        backup_file: file.to_string(),
        size,
        created,
        sha256,
        files: 0,
        bytes: 0,
        last_checked: None,
        check_result: None,
        has_manifest: true,
    }
}

/// Splits `btc_sma_20240220_143000` or `btc_sma_20240220_143000_2` into strategy and timestamp.
pub fn parse_backup_stem(stem: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = stem.split('_').collect();
    let is_digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    for tail in [0usize, 1] {
        if parts.len() < 3 + tail {
            continue;
        }
        let end = parts.len() - tail;
        if tail == 1 && !parts[end].bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let (date, time) = (parts[end - 2], parts[end - 1]);
        if is_digits(date, 8) && is_digits(time, 6) {
            let strategy = parts[..end - 2].join("_");
            if !strategy.is_empty() {
                return Some((strategy, format!("{date}_{time}")));
            }
        }
    }
    None
}

/// Path of the sidecar manifest for an archive path.
pub fn sidecar_path(archive: &Path) -> PathBuf {
    let name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    archive.with_file_name(Manifest::sidecar_name(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_backup_file_names() {
        assert_eq!(
            parse_backup_stem("btc_sma_cross_20240220_143000"),
            Some(("btc_sma_cross".into(), "20240220_143000".into()))
        );
        assert_eq!(
            parse_backup_stem("btc_20240220_143000_2"),
            Some(("btc".into(), "20240220_143000".into()))
        );
        assert_eq!(parse_backup_stem("notes"), None);
    }
}

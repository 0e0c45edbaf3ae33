//! Finding the strategies in the results folder and telling, for each, whether it is protected by
//! its latest backup (in the backups folder or in an S3 store). "Changed" compares paths, kinds, sizes, times and link targets against that
//! backup's manifest: cheap, no hashing.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::archive::StrategyName;
use crate::error::{Error, Result};
use crate::limits::quoted;
use crate::progress::Progress;
use crate::store::backups_store::BackupsStore;
use crate::store::catalog::{latest_of, Catalog, CatalogEntry};
use crate::store::manifest::Manifest;
use crate::store::settings::{check_results_folder, Locations};
use crate::sys::walk::{walk_strategy, SourceEntry};
use crate::sys::EntryKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum StrategyState {
    NeverBackedUp,
    Changed,
    Protected,
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct StrategyStatus {
    pub name: StrategyName,
    pub path: PathBuf,
    pub files: u64,
    pub bytes: u64,
    /// The newest modification time of anything in the folder.
    pub newest_change: Option<DateTime<FixedOffset>>,
    pub latest_backup: Option<CatalogEntry>,
    pub state: StrategyState,
}

/// Lists every strategy (non-hidden sub-folder of the results folder) with its state.
pub fn scan(locations: &Locations, progress: &dyn Progress) -> Result<Vec<StrategyStatus>> {
    scan_in(
        locations,
        &BackupsStore::folder(&locations.backups),
        progress,
    )
}

/// [`scan`] against the backups of `store`, a folder or an S3 store (`BackupsStore::open` gives
/// the chosen one): what the protection summary is built from.
pub fn scan_in(
    locations: &Locations,
    store: &BackupsStore,
    progress: &dyn Progress,
) -> Result<Vec<StrategyStatus>> {
    match store {
        BackupsStore::Folder(backups) => {
            let catalog = Catalog::load(backups, progress)?;
            statuses(locations, &catalog.list(None), progress, |latest| {
                let sidecar = backups.join(latest.backup_file.sidecar_name());
                Ok(Manifest::load(&sidecar).ok())
            })
        }
        // Each strategy's latest backup in the store, and its sidecar read from there.
        BackupsStore::S3(remote) => {
            let backups = remote.list(None, progress)?;
            statuses(locations, &backups, progress, |latest| {
                remote.sidecar(&latest.backup_file)
            })
        }
    }
}

/// Each strategy's status against `backups`; `manifest_of` reads a backup's sidecar (`None`
/// when it has none or it cannot be read: the strategy then counts as changed).
fn statuses(
    locations: &Locations,
    backups: &[CatalogEntry],
    progress: &dyn Progress,
    manifest_of: impl Fn(&CatalogEntry) -> Result<Option<Manifest>>,
) -> Result<Vec<StrategyStatus>> {
    strategy_names(locations, progress)?
        .into_iter()
        .map(|name| {
            let dir = locations.results.join(&name);
            let entries = walk_strategy(&dir, &name, progress)?;
            let latest = latest_of(backups, &name).cloned();
            let manifest = latest.as_ref().map(&manifest_of).transpose()?.flatten();
            Ok(status_of(name, dir, &entries, latest, manifest.as_ref()))
        })
        .collect()
}

/// The strategy folder names, sorted; the backups folder is left out when it sits inside. A
/// folder whose name could not be a strategy's (control characters, too long) is left out with
/// a warning.
pub fn strategy_names(locations: &Locations, progress: &dyn Progress) -> Result<Vec<StrategyName>> {
    check_results_folder(&locations.results)?;
    let backups = std::fs::canonicalize(&locations.backups).ok();
    let listing = std::fs::read_dir(&locations.results)
        .map_err(|e| Error::io("read", &locations.results, e))?;
    let mut names = Vec::new();
    for item in listing {
        let item = item.map_err(|e| Error::io("read", &locations.results, e))?;
        let Ok(name) = item.file_name().into_string() else {
            continue;
        };
        let is_dir = item.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if name.starts_with('.') || !is_dir {
            continue;
        }
        if backups.is_some() && std::fs::canonicalize(item.path()).ok() == backups {
            continue;
        }
        match StrategyName::new(name) {
            Ok(name) => names.push(name),
            Err(error) => progress.warn(&format!(
                "Skipped the folder \"{}\" in {}: {error}. Rename it to back it up.",
                quoted(&error.value),
                locations.results.display()
            )),
        }
    }
    names.sort();
    Ok(names)
}

/// Validates a strategy name given by a person and returns it with its folder.
pub fn strategy_folder(results: &Path, name: &str) -> Result<(StrategyName, PathBuf)> {
    let name =
        StrategyName::new(name).map_err(|_| Error::InvalidStrategyName { name: quoted(name) })?;
    check_results_folder(results)?;
    let dir = results.join(&name);
    match std::fs::symlink_metadata(&dir) {
        Ok(meta) if meta.is_dir() => Ok((name, dir)),
        Ok(_) => Err(Error::NotAFolder { path: dir }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::UnknownStrategy {
            name: name.to_string(),
            results: results.to_path_buf(),
        }),
        Err(e) => Err(Error::io("read", &dir, e)),
    }
}

fn status_of(
    name: StrategyName,
    path: PathBuf,
    entries: &[SourceEntry],
    latest_backup: Option<CatalogEntry>,
    latest_manifest: Option<&Manifest>,
) -> StrategyStatus {
    let files = entries.iter().filter(|e| e.kind == EntryKind::File).count() as u64;
    let bytes = entries.iter().map(|e| e.size).sum();
    let newest_change = entries
        .iter()
        .map(|e| e.mtime)
        .max()
        .and_then(|t| Utc.timestamp_opt(t, 0).single())
        .map(|t| t.fixed_offset());
    let state = match &latest_backup {
        None => StrategyState::NeverBackedUp,
        Some(_) if changed_since(entries, latest_manifest) => StrategyState::Changed,
        Some(_) => StrategyState::Protected,
    };
    StrategyStatus {
        name,
        path,
        files,
        bytes,
        newest_change,
        latest_backup,
        state,
    }
}

/// What identifies an item for change detection (folder times are left out: they move whenever
/// something inside is added, which the items themselves already show).
type Fingerprint = (EntryKind, u64, i64, Option<String>);

/// True when the folder differs from what the latest backup's manifest recorded, or there is no
/// manifest to compare with (gone, unreadable): the manifest is the only proof of what was saved,
/// from the backups folder or from a store alike.
pub fn changed_since(entries: &[SourceEntry], latest_manifest: Option<&Manifest>) -> bool {
    let Some(manifest) = latest_manifest else {
        return true;
    };
    let now: BTreeMap<&str, Fingerprint> = entries
        .iter()
        .map(|e| {
            (
                e.archive_path.as_str(),
                fingerprint(e.kind, e.size, e.mtime, &e.link_target),
            )
        })
        .collect();
    let then: BTreeMap<&str, Fingerprint> = manifest
        .entries
        .iter()
        .map(|e| {
            (
                e.path.as_str(),
                fingerprint(e.kind, e.size, e.mtime, &e.target),
            )
        })
        .collect();
    now != then
}

fn fingerprint(kind: EntryKind, size: u64, mtime: i64, target: &Option<String>) -> Fingerprint {
    match kind {
        EntryKind::Dir => (kind, 0, 0, None),
        _ => (kind, size, mtime, target.clone()),
    }
}

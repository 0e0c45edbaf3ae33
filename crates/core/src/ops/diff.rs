//! Comparing two backups, or a backup with its strategy folder as it is now: the metrics side by
//! side with their differences, and the files added, removed and changed.
//!
//! Two backups are compared from their sidecar manifests alone: no archive is opened, so a
//! comparison of large backups is instant (a backup without a sidecar gets a plain error asking
//! for `catalog rebuild`). Paths are compared below the strategy folder, so two strategies
//! compare as well as two runs of one. A file is modified when its content differs (SHA-256 or
//! size); a change of time or permissions alone is not a change of results.
//!
//! Against the folder as it is now, sizes and modification times decide, as `scan` does (a file
//! of the same size with another time counts as modified); with `verify`, every file whose size
//! is unchanged is hashed instead, which also catches an edit that kept size and time.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::archive::{ManifestEntry, StrategyName};
use crate::error::{Error, Result};
use crate::progress::{CancelToken, Progress};
use crate::store::backups_store::BackupsStore;
use crate::store::locate::{LocatedBackup, Locator};
use crate::store::manifest::{metrics_summary, Manifest};
use crate::store::metrics::{describe_metric, improved, MetricUnit, MetricsSummary};
use crate::store::names::Timestamp;
use crate::store::settings::Locations;
use crate::sys::hashing::hash_reader;
use crate::sys::walk::walk_strategy;
use crate::sys::{self, EntryKind};

use super::scan::strategy_folder;

/// One side of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DiffSide {
    Backup {
        backup_file: String,
        strategy: StrategyName,
        timestamp: Timestamp,
        created: DateTime<FixedOffset>,
    },
    /// The strategy folder as it is now.
    Current {
        strategy: StrategyName,
        path: PathBuf,
    },
}

/// One metric on both sides.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct MetricChange {
    pub key: String,
    pub label: String,
    pub unit: MetricUnit,
    pub a: Option<f64>,
    pub b: Option<f64>,
    /// `b - a`, when both sides have the metric.
    pub delta: Option<f64>,
    /// Whether `b` is better than `a`; `None` when equal, missing on a side, or neither
    /// direction is better.
    pub better: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    Modified { size_before: u64, size_after: u64 },
    TypeChanged { kind_before: EntryKind },
}

impl Change {
    /// restic's marker: `+` added, `-` removed, `M` modified, `T` type changed.
    pub fn marker(&self) -> char {
        match self {
            Change::Added => '+',
            Change::Removed => '-',
            Change::Modified { .. } => 'M',
            Change::TypeChanged { .. } => 'T',
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FileChange {
    /// Below the strategy folder, `/`-separated.
    pub path: String,
    /// What it is on side `b` (on side `a` when removed).
    pub kind: EntryKind,
    pub change: Change,
}

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct BackupDiff {
    pub a: DiffSide,
    pub b: DiffSide,
    /// Every metric either side has, most important first.
    pub metrics: Vec<MetricChange>,
    /// Sorted by path.
    pub files: Vec<FileChange>,
    /// Entries (files, folders, links) the same on both sides.
    pub unchanged_count: u64,
    /// True when file contents were compared by hash (`a` and `b` backups, or `verify`).
    pub contents_compared: bool,
}

/// What is compared of one entry.
#[derive(Clone, Debug)]
struct Seen {
    kind: EntryKind,
    size: u64,
    mtime: i64,
    sha256: Option<String>,
    target: Option<String>,
}

/// The path below the strategy folder (`btc/a/b` -> `a/b`); `None` for the folder itself.
fn inside(path: &str) -> Option<&str> {
    path.split_once('/').map(|(_, rest)| rest)
}

fn from_manifest(entries: &[ManifestEntry]) -> BTreeMap<&str, Seen> {
    entries
        .iter()
        .filter_map(|e| {
            Some((
                inside(&e.path)?,
                Seen {
                    kind: e.kind,
                    size: e.size,
                    mtime: e.mtime,
                    sha256: e.sha256.clone(),
                    target: e.target.clone(),
                },
            ))
        })
        .collect()
}

/// Compares two manifests (pure).
pub fn diff(a: &Manifest, b: &Manifest) -> BackupDiff {
    let sides = (side_of_manifest(a, None), side_of_manifest(b, None));
    let compared = compare(
        sides,
        &summary_of(a),
        &summary_of(b),
        &from_manifest(&a.entries),
        &from_manifest(&b.entries),
        |_, before, after| Ok::<_, std::convert::Infallible>(before.sha256 != after.sha256),
    );
    match compared {
        Ok(mut report) => {
            report.contents_compared = true;
            report
        }
        Err(never) => match never {},
    }
}

/// Compares two backups, each named like in every command, from their sidecar manifests.
pub fn diff_backups(
    locations: &Locations,
    a: &Locator,
    b: &Locator,
    progress: &dyn Progress,
) -> Result<BackupDiff> {
    diff_backups_in(&BackupsStore::folder(&locations.backups), a, b, progress)
}

/// [`diff_backups`] for two backups of `store`, a folder or an S3 store (only the sidecars are
/// read: nothing is downloaded but two small documents).
pub fn diff_backups_in(
    store: &BackupsStore,
    a: &Locator,
    b: &Locator,
    progress: &dyn Progress,
) -> Result<BackupDiff> {
    let (a_located, a_manifest) = sidecar_of(store, a, progress)?;
    let (b_located, b_manifest) = sidecar_of(store, b, progress)?;
    let mut report = diff(&a_manifest, &b_manifest);
    report.a = side_of_manifest(&a_manifest, Some(&a_located));
    report.b = side_of_manifest(&b_manifest, Some(&b_located));
    Ok(report)
}

/// Compares a backup with its strategy folder as it is now (see the module).
pub fn diff_current(
    locations: &Locations,
    backup: &Locator,
    verify: bool,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<BackupDiff> {
    let store = BackupsStore::folder(&locations.backups);
    diff_current_in(locations, &store, backup, verify, progress, cancel)
}

/// [`diff_current`] for a backup of `store` (a folder or an S3 store) against its strategy
/// folder in `locations.results`.
pub fn diff_current_in(
    locations: &Locations,
    store: &BackupsStore,
    backup: &Locator,
    verify: bool,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<BackupDiff> {
    let (located, manifest) = sidecar_of(store, backup, progress)?;
    let (strategy, dir) = strategy_folder(&locations.results, manifest.strategy.as_str())?;
    let walked = walk_strategy(&dir, strategy.as_str(), progress)?;
    cancel.check()?;
    let now: BTreeMap<&str, Seen> = walked
        .iter()
        .filter_map(|e| {
            Some((
                inside(&e.archive_path)?,
                Seen {
                    kind: e.kind,
                    size: e.size,
                    mtime: e.mtime,
                    sha256: None,
                    target: e.link_target.clone(),
                },
            ))
        })
        .collect();
    let absolute: BTreeMap<&str, &PathBuf> = walked
        .iter()
        .filter_map(|e| Some((inside(&e.archive_path)?, &e.absolute)))
        .collect();
    let current_metrics = metrics_summary(&dir)
        .map(|fields| MetricsSummary::from_fields(&fields, strategy.as_str()))
        .unwrap_or_default();
    let sides = (
        side_of_manifest(&manifest, Some(&located)),
        DiffSide::Current {
            strategy: strategy.clone(),
            path: dir.clone(),
        },
    );
    let mut report = compare(
        sides,
        &summary_of(&manifest),
        &current_metrics,
        &from_manifest(&manifest.entries),
        &now,
        |path, before, after| {
            cancel.check()?;
            if !verify {
                return Ok(before.mtime != after.mtime);
            }
            let Some(file) = absolute.get(path) else {
                return Ok(true);
            };
            let opened = sys::open_regular(file, false)?;
            let (sha256, size) = hash_reader(opened, file, cancel, |_| {})?;
            // A file that grew or shrank while read is modified all the same.
            Ok(size != before.size || before.sha256.as_deref() != Some(sha256.as_str()))
        },
    )?;
    report.contents_compared = verify;
    Ok(report)
}

fn sidecar_of(
    store: &BackupsStore,
    wanted: &Locator,
    progress: &dyn Progress,
) -> Result<(LocatedBackup, Manifest)> {
    let located = store.locate(wanted, progress)?;
    if let Some(problem) = &located.sidecar_problem {
        return Err(problem.to_error());
    }
    match located.sidecar.clone() {
        Some(manifest) => Ok((located, manifest)),
        None => Err(Error::ManifestMissing {
            path: located.path.clone(),
        }),
    }
}

fn summary_of(manifest: &Manifest) -> MetricsSummary {
    manifest
        .metrics
        .as_ref()
        .map(|fields| MetricsSummary::from_fields(fields, manifest.strategy.as_str()))
        .unwrap_or_default()
}

fn side_of_manifest(manifest: &Manifest, located: Option<&LocatedBackup>) -> DiffSide {
    let backup_file = located
        .map(|l| l.file_name.clone())
        .or_else(|| manifest.archive.as_ref().map(|a| a.file.to_string()))
        .unwrap_or_default();
    DiffSide::Backup {
        backup_file,
        strategy: manifest.strategy.clone(),
        timestamp: manifest.timestamp.clone(),
        created: manifest.created,
    }
}

/// The metrics either side has, most important first, and the entries on either side.
/// `content_differs` tells, for two files of the same size, whether their contents differ.
fn compare<E>(
    (a, b): (DiffSide, DiffSide),
    a_metrics: &MetricsSummary,
    b_metrics: &MetricsSummary,
    before: &BTreeMap<&str, Seen>,
    after: &BTreeMap<&str, Seen>,
    mut content_differs: impl FnMut(&str, &Seen, &Seen) -> std::result::Result<bool, E>,
) -> std::result::Result<BackupDiff, E> {
    let metrics = metric_changes(a_metrics, b_metrics);
    let mut files = Vec::new();
    let mut unchanged_count = 0;
    let paths: BTreeSet<&str> = before.keys().chain(after.keys()).copied().collect();
    for path in paths {
        let change = match (before.get(path), after.get(path)) {
            (Some(old), None) => Some((old.kind, Change::Removed)),
            (None, Some(new)) => Some((new.kind, Change::Added)),
            (Some(old), Some(new)) if old.kind != new.kind => Some((
                new.kind,
                Change::TypeChanged {
                    kind_before: old.kind,
                },
            )),
            (Some(old), Some(new)) => {
                let modified = match new.kind {
                    EntryKind::Dir => false,
                    EntryKind::Symlink => old.target != new.target,
                    EntryKind::File => old.size != new.size || content_differs(path, old, new)?,
                };
                modified.then_some((
                    new.kind,
                    Change::Modified {
                        size_before: old.size,
                        size_after: new.size,
                    },
                ))
            }
            (None, None) => None,
        };
        match change {
            Some((kind, change)) => files.push(FileChange {
                path: path.to_string(),
                kind,
                change,
            }),
            None => unchanged_count += 1,
        }
    }
    Ok(BackupDiff {
        a,
        b,
        metrics,
        files,
        unchanged_count,
        contents_compared: false,
    })
}

fn metric_changes(a: &MetricsSummary, b: &MetricsSummary) -> Vec<MetricChange> {
    let mut keys: Vec<&str> = a.keys_by_importance();
    for key in b.keys_by_importance() {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.sort_by_key(|key| (describe_metric(key).rank, *key));
    keys.into_iter()
        .map(|key| {
            let info = describe_metric(key);
            let (before, after) = (a.get(key), b.get(key));
            let both = before.zip(after);
            MetricChange {
                key: info.key,
                label: info.label,
                unit: info.unit,
                a: before,
                b: after,
                delta: both.map(|(x, y)| y - x),
                better: both.and_then(|(x, y)| improved(info.better, x, y)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A valid manifest of `strategy` with `files` (path below the folder, size, checksum
    /// letter) and `metrics`.
    fn manifest(
        strategy: &str,
        files: &[(&str, u64, char)],
        metrics: serde_json::Value,
    ) -> Manifest {
        let mut entries =
            vec![json!({"path": strategy, "kind": "dir", "size": 0, "mode": 493, "mtime": 0})];
        let mut dirs = 1;
        let mut folders = BTreeSet::new();
        for (path, _, _) in files {
            if let Some((folder, _)) = path.rsplit_once('/') {
                folders.insert(folder.to_string());
            }
        }
        for folder in &folders {
            dirs += 1;
            entries.push(json!({"path": format!("{strategy}/{folder}"), "kind": "dir", "size": 0, "mode": 493, "mtime": 0}));
        }
        for (path, size, letter) in files {
            entries.push(
                json!({"path": format!("{strategy}/{path}"), "kind": "file", "size": size,
                "mode": 420, "mtime": 5, "sha256": letter.to_string().repeat(64)}),
            );
        }
        let bytes: u64 = files.iter().map(|f| f.1).sum();
        let doc = json!({
            "format": "results-backup-manifest", "format_version": 1, "app_version": "0.1.0",
            "strategy": strategy, "timestamp": "20240101_100000",
            "created": "2024-01-01T10:00:00+00:00", "source": "/r",
            "totals": {"files": files.len(), "dirs": dirs, "symlinks": 0, "bytes": bytes},
            "metrics": metrics, "entries": entries,
        });
        Manifest::from_json(
            &serde_json::to_vec(&doc).unwrap(),
            std::path::Path::new("t"),
        )
        .unwrap()
    }

    #[test]
    fn files_added_removed_and_modified_are_found_from_the_manifests() {
        let a = manifest(
            "btc",
            &[
                ("keep.csv", 10, 'a'),
                ("gone.csv", 5, 'b'),
                ("edit.csv", 7, 'c'),
                ("same_size.csv", 3, 'd'),
            ],
            json!({}),
        );
        let b = manifest(
            "btc",
            &[
                ("keep.csv", 10, 'a'),
                ("new/one.csv", 4, 'e'),
                ("edit.csv", 9, 'f'),
                ("same_size.csv", 3, 'e'),
            ],
            json!({}),
        );
        let report = diff(&a, &b);
        let changes: Vec<(String, char)> = report
            .files
            .iter()
            .map(|f| (f.path.clone(), f.change.marker()))
            .collect();
        assert_eq!(
            changes,
            [
                ("edit.csv".to_string(), 'M'),
                ("gone.csv".to_string(), '-'),
                ("new".to_string(), '+'),
                ("new/one.csv".to_string(), '+'),
                ("same_size.csv".to_string(), 'M'),
            ]
        );
        assert_eq!(
            report.files[0].change,
            Change::Modified {
                size_before: 7,
                size_after: 9
            }
        );
        assert_eq!(report.unchanged_count, 1);
        assert!(report.contents_compared);
    }

    #[test]
    fn two_strategies_compare_below_their_folders_and_kinds_can_change() {
        let a = manifest("alpha", &[("x.csv", 1, 'a'), ("report", 1, 'b')], json!({}));
        let b = manifest(
            "beta",
            &[("x.csv", 1, 'a'), ("report/page.html", 1, 'b')],
            json!({}),
        );
        let report = diff(&a, &b);
        assert_eq!(report.unchanged_count, 1);
        assert_eq!(report.files[0].path, "report");
        assert_eq!(report.files[0].kind, EntryKind::Dir);
        assert_eq!(
            report.files[0].change,
            Change::TypeChanged {
                kind_before: EntryKind::File
            }
        );
        assert_eq!(report.files[0].change.marker(), 'T');
        assert_eq!(report.files[1].change, Change::Added);
    }

    #[test]
    fn metrics_are_side_by_side_in_importance_order_with_deltas_and_direction() {
        let a = manifest(
            "btc",
            &[],
            json!({"sharpe": 1.8, "max_drawdown": -0.2, "trades": 400,
            "lookback": 60, "strategy": "btc", "volatility": 0.1}),
        );
        let b = manifest(
            "btc",
            &[],
            json!({"Sharpe Ratio": 1.2, "max_drawdown_pct": -12.5,
            "trades": 412, "total_return": 0.3, "volatility": 0.12}),
        );
        let report = diff(&a, &b);
        let keys: Vec<&str> = report.metrics.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "total_return",
                "sharpe",
                "max_drawdown",
                "trades",
                "volatility",
                "lookback"
            ]
        );
        let by = |key: &str| report.metrics.iter().find(|m| m.key == key).unwrap();
        assert_eq!(by("total_return").a, None);
        assert_eq!(by("total_return").delta, None);
        assert!((by("sharpe").delta.unwrap() + 0.6).abs() < 1e-9);
        assert_eq!(by("sharpe").better, Some(false));
        assert_eq!(by("sharpe").label, "Sharpe ratio");
        assert!((by("max_drawdown").delta.unwrap() - 7.5).abs() < 1e-9);
        assert_eq!(by("max_drawdown").better, Some(true));
        assert_eq!(by("trades").better, None);
        assert_eq!(by("volatility").better, Some(false));
        assert_eq!(by("lookback").b, None);
    }
}

//! Forgetting old backups by a retention policy (restic's `forget`): the catalog's backups are
//! grouped per strategy, each group is judged by its policy (`store/retention.rs`), and what no
//! rule keeps is deleted, all in one crash-safe removal (`store/journal.rs`). The newest backup
//! of a strategy and every backup a running job uses are always kept. A dry run decides the
//! same and deletes nothing.

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde::Serialize;
use std::collections::BTreeMap;

use crate::archive::StrategyName;
use crate::error::{Error, Result};
use crate::ops::protect::AfterBackup;
use crate::progress::{CancelToken, NoProgress, Progress};
use crate::store::backups_store::BackupsStore;
use crate::store::catalog::CatalogEntry;
use crate::store::names::{ArchiveFileName, Timestamp};
use crate::store::retention::{apply_policy, RetentionPolicies, RetentionPolicy};
use crate::store::settings::Locations;

/// Why a backup a policy would remove is kept anyway.
pub const IN_USE_REASON: &str = "in use";

/// What to forget.
#[derive(Clone, Debug)]
pub struct ForgetRequest<'a> {
    /// Only this strategy's backups; every strategy in the catalog when `None`.
    pub strategy: Option<StrategyName>,
    /// The policies: `RetentionPolicies::for_all(policy)` for one given now (the command
    /// line's `--keep-*` flags), else the settings' `retention`.
    pub policies: RetentionPolicies,
    /// Decide and report, delete nothing.
    pub dry_run: bool,
    /// Backups running jobs are using (catalog file names): never removed.
    pub in_use: &'a [ArchiveFileName],
}

/// One backup in a forget report.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct ForgetItem {
    pub backup_file: ArchiveFileName,
    pub timestamp: Timestamp,
    pub created: DateTime<FixedOffset>,
    /// Archive size in bytes.
    pub size: u64,
    /// Kept: the rules that keep it ("daily 2026-11-28", "last 2", "in use"). Removed: why no
    /// rule keeps it ("daily: 2026-11-28 has a newer backup", "last: 3 kept").
    pub reasons: Vec<String>,
}

/// What the policy decided for one strategy, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct StrategyForget {
    pub strategy: StrategyName,
    pub policy: RetentionPolicy,
    pub kept: Vec<ForgetItem>,
    pub removed: Vec<ForgetItem>,
    /// Bytes of the removed archives (to be freed, in a dry run).
    pub bytes_freed: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct ForgetReport {
    pub dry_run: bool,
    /// Strategies with a policy, by name.
    pub strategies: Vec<StrategyForget>,
    /// Strategies with backups but no policy: left alone.
    pub without_policy: Vec<StrategyName>,
    pub kept: u64,
    pub removed: u64,
    pub bytes_freed: u64,
}

/// Applies the policies to the catalog's backups and, unless it is a dry run, deletes what they
/// do not keep. `now` is the local wall-clock time (restic ignores backups dated after it when
/// anchoring `keep_within`); the caller injects it so tests need no real clock.
pub fn forget(
    locations: &Locations,
    request: &ForgetRequest<'_>,
    now: NaiveDateTime,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<ForgetReport> {
    let store = BackupsStore::folder(&locations.backups);
    forget_in(&store, request, now, progress, cancel)
}

/// [`forget`] for the backups of `store`, a folder or an S3 store: the same decisions, and the
/// same crash-safe removal of each backup (`BackupsStore::remove`).
pub fn forget_in(
    store: &BackupsStore,
    request: &ForgetRequest<'_>,
    now: NaiveDateTime,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<ForgetReport> {
    if request.policies.has_no_policy() {
        return Err(Error::NoPolicy);
    }
    request.policies.validate()?;
    let mut groups: BTreeMap<StrategyName, Vec<CatalogEntry>> = BTreeMap::new();
    for entry in store.list_for_removal(progress)? {
        if request
            .strategy
            .as_ref()
            .is_none_or(|s| *s == entry.strategy)
        {
            groups
                .entry(entry.strategy.clone())
                .or_default()
                .push(entry);
        }
    }
    let mut report = ForgetReport {
        dry_run: request.dry_run,
        strategies: Vec::new(),
        without_policy: Vec::new(),
        kept: 0,
        removed: 0,
        bytes_freed: 0,
    };
    for (strategy, entries) in groups {
        cancel.check()?;
        let Some(policy) = request.policies.for_strategy(&strategy) else {
            report.without_policy.push(strategy);
            continue;
        };
        let judged = judge(strategy, entries, policy, request.in_use, now);
        report.kept += judged.kept.len() as u64;
        report.removed += judged.removed.len() as u64;
        report.bytes_freed = report.bytes_freed.saturating_add(judged.bytes_freed);
        report.strategies.push(judged);
    }
    if !request.dry_run {
        let doomed: Vec<ArchiveFileName> = report
            .strategies
            .iter()
            .flat_map(|s| s.removed.iter().map(|item| item.backup_file.clone()))
            .collect();
        // Past this point the removal runs to its end (or, interrupted, is finished by the
        // next run): stopping halfway would be the one thing worse than either.
        cancel.check()?;
        store.remove(&doomed, progress)?;
    }
    Ok(report)
}

/// One strategy's backups, kept or removed by `policy`, in-use ones kept whatever it says.
fn judge(
    strategy: StrategyName,
    entries: Vec<CatalogEntry>,
    policy: &RetentionPolicy,
    in_use: &[ArchiveFileName],
    now: NaiveDateTime,
) -> StrategyForget {
    let timestamps: Vec<Timestamp> = entries.iter().map(|e| e.timestamp.clone()).collect();
    let mut judged = StrategyForget {
        strategy,
        policy: policy.clone(),
        kept: Vec::new(),
        removed: Vec::new(),
        bytes_freed: 0,
    };
    for decision in apply_policy(&timestamps, policy, now) {
        let entry = &entries[decision.index];
        let mut item = ForgetItem {
            backup_file: entry.backup_file.clone(),
            timestamp: entry.timestamp.clone(),
            created: entry.created,
            size: entry.size,
            reasons: decision.reasons,
        };
        let used = in_use.contains(&entry.backup_file);
        if decision.keep {
            if used {
                item.reasons.push(IN_USE_REASON.into());
            }
            judged.kept.push(item);
        } else if used {
            item.reasons = vec![IN_USE_REASON.into()];
            judged.kept.push(item);
        } else {
            judged.bytes_freed = judged.bytes_freed.saturating_add(item.size);
            judged.removed.push(item);
        }
    }
    judged
}

/// The hook automatic protection runs after each backup it made, when the settings ask for it
/// (`retention.apply_after_automatic`): that strategy's backups are forgotten by its policy, in
/// the store the backup went to (the backups folder or an S3 store). The
/// CLI's `watch` and the app share it; `in_use` names the backups running jobs use at that
/// moment (the app's checks and restores). `None` when there is nothing to apply.
pub fn forget_after_automatic(
    policies: RetentionPolicies,
    in_use: Box<dyn Fn() -> Vec<ArchiveFileName> + Send>,
) -> Option<AfterBackup> {
    if !policies.apply_after_automatic || policies.has_no_policy() {
        return None;
    }
    Some(Box::new(move |store, outcome| {
        let in_use = in_use();
        let request = ForgetRequest {
            strategy: Some(outcome.strategy.clone()),
            policies: policies.clone(),
            dry_run: false,
            in_use: &in_use,
        };
        let now = chrono::Local::now().naive_local();
        forget_in(store, &request, now, &NoProgress, &CancelToken::new()).map(|_| ())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::backup::{back_up, BackupOptions};
    use crate::progress::NoProgress;
    use crate::store::catalog::Catalog;
    use crate::store::catalog::{RemovalStep, INTERRUPT_AFTER};
    use crate::store::journal::JOURNAL_FILE;
    use std::path::Path;

    /// A results folder with one small strategy, backed up `count` times (same second: `_2`...).
    fn backed_up(count: usize) -> (tempfile::TempDir, Locations, Vec<ArchiveFileName>) {
        let temp = tempfile::tempdir().expect("temp dir");
        let results = temp.path().join("results");
        std::fs::create_dir_all(results.join("btc")).expect("strategy folder");
        std::fs::write(results.join("btc/trades.csv"), b"date,price\n1,2\n").expect("file");
        let locations = Locations::new(&results, temp.path().join("backups"));
        let options = BackupOptions {
            level: 1,
            if_changed: false,
        };
        let files = (0..count)
            .map(|_| {
                back_up(
                    &locations,
                    "btc",
                    &options,
                    &NoProgress,
                    &CancelToken::new(),
                )
                .expect("backup")
                .backup
                .expect("entry")
                .backup_file
            })
            .collect();
        (temp, locations, files)
    }

    fn whole(backups: &Path, file: &ArchiveFileName, catalog: &Catalog) -> bool {
        backups.join(file).is_file()
            && backups.join(file.sidecar_name()).is_file()
            && catalog.find(file).is_some()
    }

    fn gone(backups: &Path, file: &ArchiveFileName, catalog: &Catalog) -> bool {
        !backups.join(file).exists()
            && !backups.join(file.sidecar_name()).exists()
            && catalog.find(file).is_none()
    }

    #[test]
    fn a_removal_interrupted_at_any_step_is_finished_by_the_next_reader() {
        for step in [
            RemovalStep::JournalWritten,
            RemovalStep::CatalogSaved,
            RemovalStep::ArchivesRemoved,
            RemovalStep::SidecarsRemoved,
        ] {
            let (_temp, locations, files) = backed_up(3);
            let backups = &locations.backups;
            let doomed = &files[..2];
            INTERRUPT_AFTER.with(|at| at.set(Some(step)));
            let outcome = Catalog::remove_backups(backups, doomed, &NoProgress);
            INTERRUPT_AFTER.with(|at| at.set(None));
            assert!(outcome.is_err(), "{step:?}: the interruption happened");
            assert!(
                backups.join(JOURNAL_FILE).is_file(),
                "{step:?}: journal left"
            );
            // Any reader (here: loading the catalog) finishes the removal first.
            let catalog = Catalog::load(backups, &NoProgress).expect("load");
            for file in doomed {
                assert!(gone(backups, file, &catalog), "{step:?}: {file} gone");
            }
            assert!(
                whole(backups, &files[2], &catalog),
                "{step:?}: the rest whole"
            );
            assert!(
                !backups.join(JOURNAL_FILE).exists(),
                "{step:?}: journal gone"
            );
        }
    }

    #[test]
    fn an_interrupted_removal_is_finished_before_the_next_backup_takes_the_lock() {
        let (_temp, locations, files) = backed_up(2);
        INTERRUPT_AFTER.with(|at| at.set(Some(RemovalStep::CatalogSaved)));
        let _ = Catalog::remove_backups(&locations.backups, &files[..1], &NoProgress);
        INTERRUPT_AFTER.with(|at| at.set(None));
        let options = BackupOptions {
            level: 1,
            if_changed: false,
        };
        let new = back_up(
            &locations,
            "btc",
            &options,
            &NoProgress,
            &CancelToken::new(),
        )
        .expect("backup")
        .backup
        .expect("entry")
        .backup_file;
        // The removal was finished first, so the new backup (made in the same second) may take
        // the freed name, and is whole; so is the one the removal did not name.
        assert!(!locations.backups.join(JOURNAL_FILE).exists());
        let catalog = Catalog::load(&locations.backups, &NoProgress).expect("load");
        assert_eq!(catalog.entries.len(), 2);
        assert!(whole(&locations.backups, &new, &catalog));
        assert!(whole(&locations.backups, &files[1], &catalog));
    }

    #[test]
    fn forget_keeps_the_newest_and_what_is_in_use_and_a_dry_run_deletes_nothing() {
        let (_temp, locations, files) = backed_up(4);
        let now = chrono::Local::now().naive_local() + chrono::TimeDelta::days(1);
        let policy = RetentionPolicy {
            keep_last: Some(1),
            ..Default::default()
        };
        // Same second: `_4` is the newest, `_1` (no suffix) the oldest.
        let in_use = [files[0].clone()];
        let mut request = ForgetRequest {
            strategy: None,
            policies: RetentionPolicies::for_all(policy),
            dry_run: true,
            in_use: &in_use,
        };
        let before = Catalog::load(&locations.backups, &NoProgress).expect("load");
        let preview =
            forget(&locations, &request, now, &NoProgress, &CancelToken::new()).expect("dry run");
        assert_eq!((preview.kept, preview.removed), (2, 2));
        let after = Catalog::load(&locations.backups, &NoProgress).expect("load");
        assert_eq!(before.entries.len(), after.entries.len());
        for file in &files {
            assert!(
                whole(&locations.backups, file, &after),
                "dry run kept {file}"
            );
        }
        request.dry_run = false;
        let done =
            forget(&locations, &request, now, &NoProgress, &CancelToken::new()).expect("forget");
        assert_eq!(
            done,
            ForgetReport {
                dry_run: false,
                ..preview
            }
        );
        let strategy = &done.strategies[0];
        assert_eq!(strategy.kept[0].backup_file, files[3]);
        assert_eq!(strategy.kept[0].reasons, ["last 1"]);
        assert_eq!(strategy.kept[1].backup_file, files[0]);
        assert_eq!(strategy.kept[1].reasons, [IN_USE_REASON]);
        let catalog = Catalog::load(&locations.backups, &NoProgress).expect("load");
        assert!(whole(&locations.backups, &files[0], &catalog));
        assert!(whole(&locations.backups, &files[3], &catalog));
        assert!(gone(&locations.backups, &files[1], &catalog));
        assert!(gone(&locations.backups, &files[2], &catalog));
    }

    #[test]
    fn forget_without_any_policy_is_refused() {
        let (_temp, locations, _files) = backed_up(1);
        let request = ForgetRequest {
            strategy: None,
            policies: RetentionPolicies::default(),
            dry_run: false,
            in_use: &[],
        };
        let now = chrono::Local::now().naive_local();
        let error = forget(&locations, &request, now, &NoProgress, &CancelToken::new())
            .expect_err("no policy");
        assert_eq!(error.code(), "no_policy");
        let empty = ForgetRequest {
            policies: RetentionPolicies::for_all(RetentionPolicy {
                keep_daily: Some(0),
                ..Default::default()
            }),
            ..request
        };
        let error =
            forget(&locations, &empty, now, &NoProgress, &CancelToken::new()).expect_err("zero");
        assert_eq!(error.code(), "invalid_policy");
    }
}

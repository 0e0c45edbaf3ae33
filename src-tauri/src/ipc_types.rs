//! The TypeScript types of the IPC contract, generated from the Rust types that cross it (ts-rs),
//! so the UI can never drift from the shell. `ui/src/ipc-types.ts` is checked in; the test below
//! fails when it is stale, and rewrites it when `UPDATE_IPC_TYPES=1` is set.

use ts_rs::{Config, TS};

use crate::access::BackupRef;
use crate::commands::copy::{CopyFailure, CopyOffer, CopySummary};
use crate::commands::jobs::{CheckFailure, CopiedHere, CopiedToShared, JobRequest, JobResult};
use crate::commands::library::{BackupDetails, BackupList, FilterResult, ShownMetric};
use crate::commands::protection::AutomaticView;
use crate::commands::settings::{Overview, PickPurpose};
use crate::error::IpcError;
use crate::progress_channel::JobEvent;
use crate::protection::LiveUpdate;
use crate::store::StoreShown;
use crate::FilesDropped;
use results_backup::Deleted;
use results_backup::Operation;
use results_backup::{ArchiveInfo, EntryKind, Manifest, ManifestEntry, Totals};
use results_backup::{AutomaticPolicy, AutomaticSettings, Schedule, Weekday};
use results_backup::{BackupDiff, Change, DiffSide, FileChange, MetricChange};
use results_backup::{BackupOutcome, BackupStatus};
use results_backup::{BackupsSetting, ConnectionCheck, ConnectionProblem, StoreField};
use results_backup::{CatalogEntry, CheckResult};
use results_backup::{CheckReport, Problem, Proof};
use results_backup::{Direction, KnownMetric, MetricInfo, MetricUnit, MetricValue};
use results_backup::{EquityCurve, EquityPoint};
use results_backup::{ErrorReport, Failure, HealthSummary, StrategyHealth};
use results_backup::{ForgetItem, ForgetReport, StrategyForget};
use results_backup::{OnConflict, RestoreOutcome, RestorePreview};
use results_backup::{ProtectionEvent, Trigger, WatchMode};
use results_backup::{RetentionPolicies, RetentionPolicy};
use results_backup::{StrategyState, StrategyStatus};

/// Where the generated file lives, relative to this crate.
const GENERATED: &str = "../ui/src/ipc-types.ts";

/// One `export type` per type, in this order; JSON numbers are `number` in TypeScript.
pub fn generate() -> String {
    let cfg = Config::new().with_large_int("number");
    let declarations = [
        StoreField::decl(&cfg),
        IpcError::decl(&cfg),
        MetricUnit::decl(&cfg),
        Direction::decl(&cfg),
        MetricValue::decl(&cfg),
        KnownMetric::decl(&cfg),
        MetricInfo::decl(&cfg),
        StoreShown::decl(&cfg),
        BackupsSetting::decl(&cfg),
        Overview::decl(&cfg),
        ConnectionProblem::decl(&cfg),
        ConnectionCheck::decl(&cfg),
        CopyOffer::decl(&cfg),
        CopyFailure::decl(&cfg),
        CopySummary::decl(&cfg),
        PickPurpose::decl(&cfg),
        CheckResult::decl(&cfg),
        CatalogEntry::decl(&cfg),
        StrategyState::decl(&cfg),
        StrategyStatus::decl(&cfg),
        BackupList::decl(&cfg),
        BackupRef::decl(&cfg),
        EntryKind::decl(&cfg),
        ManifestEntry::decl(&cfg),
        Totals::decl(&cfg),
        ArchiveInfo::decl(&cfg),
        Manifest::decl(&cfg),
        Proof::decl(&cfg),
        ShownMetric::decl(&cfg),
        FilterResult::decl(&cfg),
        BackupDetails::decl(&cfg),
        RestorePreview::decl(&cfg),
        OnConflict::decl(&cfg),
        JobRequest::decl(&cfg),
        Operation::decl(&cfg),
        JobEvent::decl(&cfg),
        Problem::decl(&cfg),
        CheckReport::decl(&cfg),
        BackupStatus::decl(&cfg),
        BackupOutcome::decl(&cfg),
        RestoreOutcome::decl(&cfg),
        CheckFailure::decl(&cfg),
        CopiedHere::decl(&cfg),
        CopiedToShared::decl(&cfg),
        JobResult::decl(&cfg),
        Deleted::decl(&cfg),
        FilesDropped::decl(&cfg),
        Weekday::decl(&cfg),
        Schedule::decl(&cfg),
        AutomaticPolicy::decl(&cfg),
        AutomaticSettings::decl(&cfg),
        AutomaticView::decl(&cfg),
        ErrorReport::decl(&cfg),
        Failure::decl(&cfg),
        StrategyHealth::decl(&cfg),
        HealthSummary::decl(&cfg),
        WatchMode::decl(&cfg),
        Trigger::decl(&cfg),
        ProtectionEvent::decl(&cfg),
        LiveUpdate::decl(&cfg),
        RetentionPolicy::decl(&cfg),
        RetentionPolicies::decl(&cfg),
        ForgetItem::decl(&cfg),
        StrategyForget::decl(&cfg),
        ForgetReport::decl(&cfg),
        EquityPoint::decl(&cfg),
        EquityCurve::decl(&cfg),
        DiffSide::decl(&cfg),
        Change::decl(&cfg),
        FileChange::decl(&cfg),
        MetricChange::decl(&cfg),
        BackupDiff::decl(&cfg),
    ];
    let mut text = String::from(
        "// Generated from the Rust types by `cargo test -p results-backup-app ipc_types`\n\
         // (run it with UPDATE_IPC_TYPES=1 to rewrite this file). Do not edit by hand.\n",
    );
    // A transparent map in Rust: declared by hand, as ts-rs declares only named shapes.
    text.push_str("\nexport type MetricsSummary = Record<string, MetricValue>;\n");
    for declaration in declarations {
        text.push('\n');
        text.push_str("export ");
        text.push_str(declaration.trim_end());
        if !text.ends_with(';') {
            text.push(';');
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipc_types_in_the_ui_are_generated_from_the_rust_types() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GENERATED);
        let wanted = generate();
        if std::env::var_os("UPDATE_IPC_TYPES").is_some() {
            std::fs::write(&path, &wanted).expect("write the generated types");
            return;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == wanted,
            "{} is stale: run `UPDATE_IPC_TYPES=1 cargo test -p results-backup-app ipc_types` and commit it",
            path.display()
        );
    }
}

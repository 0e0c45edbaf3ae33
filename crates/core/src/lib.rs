//! Results Backup core: finds strategy result folders, packs each into a verified `.tar.gz`,
//! keeps a catalog, checks backups byte for byte and restores them safely.
//!
//! The core knows nothing about terminals or windows: long operations take a [`Progress`] sink
//! and a [`CancelToken`], and every failure is one [`Error`] with a stable code, a
//! plain-language message and a hint.
//!
//! Inside, four layers, each depending only on those below it (`scripts/test` checks it):
//! `ops` (scan, back up, check, restore, delete, forget, diff, automatic protection) -> `store` (names,
//! manifest, catalog, metrics and filters, locating a backup, settings, automatic policies, retention, the deletion
//! journal) -> `archive` (tar, gzip blocks, the member rules) -> `sys` (files, hashing, watching,
//! background threads). `error`, `progress` and `limits` are shared by all. The modules are
//! private; this file is the one public API.

mod archive;
mod error;
mod limits;
mod ops;
mod progress;
mod store;
mod sys;

pub use error::{human_bytes, Error, RemoteReason, Result};
pub use limits::quoted;
pub use progress::{CancelToken, NoProgress, Operation, Progress, ProgressUpdate};

pub use archive::{ManifestEntry, StrategyName, EMBEDDED_MANIFEST_PATH};
pub use sys::{
    ensure_dir, parent_of, read_bounded, write_atomically, EntryKind, FileIdentity, NameError,
};

pub use sys::aws_profile::{CONFIG_FILE_ENV, CREDENTIALS_FILE_ENV};
pub use sys::s3::{
    ListedObject, ObjectReader, ObjectStore, ObjectWriter, Publish, S3Credentials, S3Location,
    DEFAULT_REGION, PARTS_IN_FLIGHT, PART_BYTES,
};
pub use sys::watch::{WatchMode, WatchOptions, WATCH_ENV};

pub use store::automatic::{
    parse_time_of_day, AutomaticPolicy, AutomaticSettings, Schedule, ScheduleState, Weekday,
    DEFAULT_QUIET_SECONDS, QUIET_SECONDS_RANGE, STATE_FILE,
};
pub use store::backups_store::BackupsStore;
pub use store::catalog::{Catalog, CatalogEntry, CheckResult, CATALOG_FILE};
pub use store::equity::{
    equity_file, parse_equity_csv, EquityCurve, EquityPoint, MAX_CURVE_POINTS,
};
pub use store::journal::JOURNAL_FILE;
pub use store::locate::{
    inspect, known_identity, locate, locate_in, locate_remote, manifest_of, BackupIdentity,
    Inspection, LocatedBackup, Locator, Proof,
};
pub use store::manifest::{ArchiveInfo, Manifest, Totals};
pub use store::metrics::{
    describe_metric, format_metric, format_metric_delta, known_metrics, metric_key, recognise,
    stored_in_percent, Direction, KnownMetric, MetricInfo, MetricUnit, MetricValue, MetricsSummary,
    MAX_METRIC_NAME_CHARS, MAX_SUMMARY_METRICS,
};
pub use store::names::{
    copy_folder_name, ArchiveFileName, BackupName, Timestamp, ARCHIVE_SUFFIX, SIDECAR_SUFFIX,
};
pub use store::query::{select_backups, Comparison, MetricFilter, MetricSort, MAX_QUERY_CHARS};
pub use store::remote::{RemoteStore, CATALOG_CACHE, CATALOG_ENTRIES_FOLDER, CATALOG_ENTRY_SUFFIX};
pub use store::retention::{
    apply_policy, KeepWithin, RetentionDecision, RetentionPolicies, RetentionPolicy, MAX_KEEP,
};
pub use store::settings::{
    check_profile, check_results_folder, check_store_fields, default_backups_beside,
    tidy_store_setting, validate_level, BackupsSetting, Locations, Overrides, RemoteChoice,
    Settings, StoreField, StoreFieldError, BACKUPS_ENV, DEFAULT_LEVEL, ENDPOINT_ENVS, REGION_ENVS,
    RESULTS_ENV, SETTINGS_ENV,
};

pub use ops::backup::{
    back_up, back_up_each_in, back_up_in, back_up_in_handing_over, back_up_into_store,
    BackupOptions, BackupOutcome, BackupStatus,
};
pub use ops::check::{check, check_all, check_all_in, check_in, check_many, CheckReport, Problem};
pub use ops::connection::{test_connection, ConnectionCheck, ConnectionProblem};
pub use ops::copy::{copy_between, CopyOutcome, CopyStatus};
pub use ops::delete::{delete, delete_in, Deleted};
pub use ops::diff::{
    diff, diff_backups, diff_backups_in, diff_current, diff_current_in, BackupDiff, Change,
    DiffSide, FileChange, MetricChange,
};
pub use ops::equity::{equity_curve, equity_curve_in, MAX_CURVE_FILE_BYTES};
pub use ops::forget::{
    forget, forget_after_automatic, forget_in, ForgetItem, ForgetReport, ForgetRequest,
    StrategyForget, IN_USE_REASON,
};
pub use ops::protect::health::{ago, health, Failure, HealthSummary, StrategyHealth};
pub use ops::protect::schedule::{due, next_slot, previous_slot, Due};
pub use ops::protect::{
    spawn_protector, AfterBackup, Clock, ErrorReport, ProtectionEvent, Protector, ProtectorOptions,
    ProtectorThread, SystemClock, Trigger,
};
pub use ops::restore::{
    extract_file, extract_file_in, preview, restore, restore_in, ExtractedFile, OnConflict,
    RestoreOptions, RestoreOutcome, RestorePreview,
};
pub use ops::scan::{scan, scan_in, strategy_names, StrategyState, StrategyStatus};

/// The on-disk format's readers and rules themselves, for the fuzzers and the property tests
/// (nothing else should need them).
pub mod format {
    pub use crate::archive::layout::{
        check_link_target, classify, Admitted, AdmittedEntry, Layout, MemberPath,
    };
    pub use crate::archive::tar_read::{MemberHeader, MemberKind, TarError, TarReader};
    pub use crate::limits::*;
}

/// The version written into every manifest, so a backup says which app made it.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

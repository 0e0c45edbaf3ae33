// Generated from the Rust types by `cargo test -p results-backup-app ipc_types`
// (run it with UPDATE_IPC_TYPES=1 to rewrite this file). Do not edit by hand.

export type MetricsSummary = Record<string, MetricValue>;

export type StoreField = "bucket" | "prefix" | "endpoint" | "region" | "profile";

export type IpcError = { code: string, message: string, hint: string, 
/**
 * The form field a refused value was typed in, so the window shows the error there.
 */
field?: StoreField, };

export type MetricUnit = "percent" | "ratio" | "count" | "currency" | "number";

export type Direction = "higher" | "lower" | "closer_to_zero" | "neither";

export type MetricValue = { 
/**
 * The name as written in `metrics.json` (`Sharpe Ratio`).
 */
name: string, 
/**
 * The number, percent metrics in percent (see the module's unit rule).
 */
value: number, };

export type KnownMetric = { 
/**
 * The canonical key the catalog and filters use (`sharpe`).
 */
key: string, 
/**
 * How it is shown ("Sharpe ratio").
 */
label: string, 
/**
 * Spellings recognised, compared without case, spaces or punctuation (`Sharpe Ratio`,
 * `sharpe-ratio`); a percent marker is dropped before comparing (see the module).
 */
aliases: Array<string>, unit: MetricUnit, better: Direction, 
/**
 * 1 is shown first: return, Sharpe, drawdown and trades lead.
 */
rank: number, };

export type MetricInfo = { key: string, label: string, unit: MetricUnit, better: Direction, 
/**
 * The known metric's rank; unknown metrics come after every known one.
 */
rank: number, };

export type StoreShown = { "kind": "folder" } | { "kind": "shared", 
/**
 * `s3://bucket/prefix`.
 */
address: string, };

export type BackupsSetting = { "kind": "folder" } | { "kind": "s3", bucket: string, prefix?: string, endpoint?: string | null, region?: string | null, profile?: string | null, };

export type Overview = { configured: boolean, results_dir: string, backups_dir: string, compression_level: number, results_exists: boolean, settings_file: string | null, environment_overrides: Array<string>, sample_results: string, version: string, 
/**
 * Where backups are kept now (the environment may choose a store the settings do not).
 */
store: StoreShown, 
/**
 * Where the settings file says backups are kept, for the form.
 */
backups: BackupsSetting, };

export type ConnectionProblem = "unreachable" | "no_such_bucket" | "no_keys" | "wrong_credentials" | "cannot_write" | "cannot_delete" | "misconfigured" | "unexpected";

export type ConnectionCheck = { "outcome": "connected", 
/**
 * `s3://bucket/prefix`.
 */
store: string, message: string, 
/**
 * Archives found directly in the prefix (`.tar.gz` objects).
 */
archives: number, } | { "outcome": "failed", store: string, problem: ConnectionProblem, message: string, hint: string, };

export type CopyOffer = { 
/**
 * `s3://bucket/prefix`; empty when backups are kept on this computer (nothing to offer).
 */
store: string, missing: number, bytes: number, };

export type CopyFailure = { backup_file: string, error: IpcError, };

export type CopySummary = { store: string, 
/**
 * Uploaded now, each verified by its SHA-256.
 */
copied: Array<string>, 
/**
 * Already in the store with the same SHA-256.
 */
already_there: number, failures: Array<CopyFailure>, };

export type PickPurpose = "results" | "backups" | "destination";

export type CheckResult = "ok" | "damaged" | "missing";

export type CatalogEntry = { strategy: string, 
/**
 * `YYYYmmdd_HHMMSS`, local time, as in the file name.
 */
timestamp: string, 
/**
 * File name inside the backups folder.
 */
backup_file: string, 
/**
 * Archive size in bytes.
 */
size: number, created: string, sha256: string, 
/**
 * Files in the backup.
 */
files: number, 
/**
 * Content bytes of those files.
 */
bytes: number, last_checked: string | null, check_result: CheckResult | null, 
/**
 * False for archives made by another tool: nothing proves their content.
 */
has_manifest: boolean, 
/**
 * The numeric metrics of its `metrics.json`, by canonical key (see `store/metrics.rs`).
 * Read back, a summary that breaks its bounds is dropped with a warning, the line kept.
 */
metrics?: MetricsSummary, };

export type StrategyState = "never_backed_up" | "changed" | "protected";

export type StrategyStatus = { name: string, path: string, files: number, bytes: number, 
/**
 * The newest modification time of anything in the folder.
 */
newest_change: string | null, latest_backup: CatalogEntry | null, state: StrategyState, };

export type BackupList = { backups_dir: string, 
/**
 * Where these backups are kept: the folder above, or a shared store.
 */
store: StoreShown, backups: Array<CatalogEntry>, warnings: Array<string>, 
/**
 * Every metric some listed backup has, most important first: the columns and filters.
 */
metrics: Array<MetricInfo>, };

export type BackupRef = { "catalog": string } | { "dropped": string };

export type EntryKind = "dir" | "file" | "symlink";

export type ManifestEntry = { 
/**
 * Path inside the archive, `/`-separated, starting with the strategy folder.
 */
path: string, kind: EntryKind, 
/**
 * Bytes of content (0 for folders and links).
 */
size: number, 
/**
 * Permission bits, e.g. 0o644 (stored as a number).
 */
mode: number, 
/**
 * Seconds since 1970-01-01 UTC.
 */
mtime: number, sha256?: string, 
/**
 * Where a symbolic link points, exactly as stored.
 */
target?: string, };

export type Totals = { files: number, dirs: number, symlinks: number, 
/**
 * Content bytes of all files.
 */
bytes: number, };

export type ArchiveInfo = { file: string, size: number, sha256: string, };

export type Manifest = { format: string, format_version: number, app_version: string, strategy: string, 
/**
 * `YYYYmmdd_HHMMSS` in local time, as in the backup's file name.
 */
timestamp: string, created: string, 
/**
 * The folder that was backed up.
 */
source: string, totals: Totals, metrics?: Record<string, number | string | boolean>, entries: Array<ManifestEntry>, archive?: ArchiveInfo, };

export type Proof = "manifest" | "embedded_manifest" | "none";

export type ShownMetric = { key: string, label: string, 
/**
 * The name as the strategy's metrics file wrote it.
 */
name: string, value: number, text: string, };

export type FilterResult = { matching: Array<string>, };

export type BackupDetails = { backup: BackupRef, backup_file: string, 
/**
 * On this computer, or `s3://bucket/prefix/<file>` in a shared store.
 */
path: string, 
/**
 * Kept in a shared store: there is no folder to show; it can be copied to this computer.
 */
shared: boolean, folder: string, size: number, in_catalog: boolean, entry: CatalogEntry | null, manifest: Manifest | null, proof: Proof, 
/**
 * The manifest's metrics by importance, formatted (`2.00`, `145,519.40`, `-12.5 %`).
 */
metrics: Array<ShownMetric>, };

export type RestorePreview = { strategy: string, destination: string, 
/**
 * The folder the strategy would be restored as.
 */
target: string, 
/**
 * When true the analyst chooses: a copy beside it, or replacing it (after a safety backup).
 */
target_exists: boolean, 
/**
 * Where "restore as a copy" would put it.
 */
copy_target: string, };

export type OnConflict = "copy" | "replace" | "fail";

export type JobRequest = { "kind": "backup", strategy: string, } | { "kind": "check", backup: BackupRef, } | { "kind": "check_all" } | { "kind": "copy_to_shared" } | { "kind": "copy_to_this_computer", backup_file: string, } | { "kind": "copy_dropped_to_shared", dropped: string, } | { "kind": "restore", backup: BackupRef, destination: string | null, on_conflict: OnConflict, 
/**
 * Files and folders inside the strategy folder to restore; empty: everything.
 */
only?: Array<string>, };

export type Operation = "backup" | "check" | "restore" | "rebuild";

export type JobEvent = { "event": "queued", position: number, } | { "event": "started" } | { "event": "progress", operation: Operation, item: string, bytes_done: number, bytes_total: number, files_done: number, files_total: number, elapsed_ms: number, } | { "event": "warning", message: string, };

export type Problem = { 
/**
 * The archive member concerned, when the problem is about one.
 */
path: string | null, issue: string, };

export type CheckReport = { backup_file: string, path: string, ok: boolean, result: CheckResult, quick: boolean, proof: Proof, files_checked: number, checked_at: string, problems: Array<Problem>, };

export type BackupStatus = "created" | "unchanged";

export type BackupOutcome = { strategy: string, status: BackupStatus, 
/**
 * The new backup's catalog entry, or for `Unchanged` the latest existing one.
 */
backup: CatalogEntry | null, path: string | null, };

export type RestoreOutcome = { backup_file: string, strategy: string, restored_to: string, proof: Proof, files: number, bytes: number, 
/**
 * True when an existing folder was replaced (after `safety_backup` was made of it).
 */
replaced: boolean, safety_backup: CatalogEntry | null, warnings: Array<string>, };

export type CheckFailure = { backup_file: string, error: IpcError, };

export type CopiedHere = { backup_file: string, 
/**
 * The folder already had it, with the same SHA-256: nothing was downloaded.
 */
already_there: boolean, 
/**
 * The backups folder on this computer, where it is now.
 */
folder: string, };

export type CopiedToShared = { backup_file: string, 
/**
 * The store already had it, with the same SHA-256: nothing was uploaded.
 */
already_there: boolean, 
/**
 * `s3://bucket/prefix`.
 */
store: string, };

export type JobResult = { "kind": "backup", outcome: BackupOutcome, } | { "kind": "check", report: CheckReport, } | { "kind": "check_all", reports: Array<CheckReport>, failures: Array<CheckFailure>, } | { "kind": "restore", outcome: RestoreOutcome, } | { "kind": "copy_to_shared", summary: CopySummary, } | { "kind": "copy_to_this_computer", copied: CopiedHere, } | { "kind": "copy_dropped_to_shared", copied: CopiedToShared, };

export type Deleted = { backup_file: string, 
/**
 * The files removed, or the objects (`s3://bucket/prefix/name`).
 */
removed: Array<string>, };

export type FilesDropped = { archives: Array<string>, others: Array<string>, };

export type Weekday = "monday" | "tuesday" | "wednesday" | "thursday" | "friday" | "saturday" | "sunday";

export type Schedule = { "every": "hour", minute: number, } | { "every": "day", at: string, } | { "every": "week", on: Weekday, at: string, };

export type AutomaticPolicy = { 
/**
 * Back up when the strategy's files change, once they have been quiet for `quiet_seconds`.
 */
on_change: boolean, quiet_seconds: number, schedule?: Schedule, };

export type AutomaticSettings = { all?: AutomaticPolicy, strategies?: Record<string, AutomaticPolicy>, paused?: boolean, };

export type AutomaticView = { automatic: AutomaticSettings, notify_success: boolean, };

export type ErrorReport = { code: string, message: string, hint: string, };

export type Failure = { at: string, error: ErrorReport, };

export type StrategyHealth = { strategy: string, 
/**
 * A policy applies and automatic backups are not paused.
 */
automatic: boolean, last_backup?: string, state: StrategyState, 
/**
 * Changes that no backup covers, older than the policy allows (or any, without a policy).
 */
overdue: boolean, last_failure?: Failure, };

export type HealthSummary = { strategies: Array<StrategyHealth>, 
/**
 * Every strategy automatic, none overdue, none failing.
 */
all_well: boolean, 
/**
 * "All 12 strategies protected, last backup 5 minutes ago", or what is not.
 */
sentence: string, };

export type WatchMode = "native" | "polling";

export type Trigger = "change" | "schedule" | "retry";

export type ProtectionEvent = { "event": "watching", results: string, mode: WatchMode, reason?: string, } | { "event": "strategy_changed", strategy: string, } | { "event": "backup_started", strategy: string, trigger: Trigger, } | { "event": "backup_finished", strategy: string, trigger: Trigger, status: BackupStatus, backup?: CatalogEntry, } | { "event": "backup_failed", strategy: string, trigger: Trigger, error: ErrorReport, retry_in_seconds: number, } | { "event": "after_backup_failed", strategy: string, error: ErrorReport, } | { "event": "results_folder_missing", results: string, } | { "event": "results_folder_back", results: string, } | { "event": "warning", message: string, };

export type LiveUpdate = { "kind": "engine", event: ProtectionEvent, } | { "kind": "backed_up_now", created: number, unchanged: number, failed: number, };

export type RetentionPolicy = { keep_last?: number | null, keep_hourly?: number | null, keep_daily?: number | null, keep_weekly?: number | null, keep_monthly?: number | null, keep_yearly?: number | null, 
/**
 * restic's duration syntax, `1y2m3d4h`.
 */
keep_within?: string | null, };

export type RetentionPolicies = { 
/**
 * For every strategy without its own policy.
 */
all?: RetentionPolicy | null, 
/**
 * Per strategy (keys are strategy names); replaces `all` for that strategy.
 */
strategies?: { [key in string]: RetentionPolicy }, 
/**
 * Forget by these policies after each automatic backup.
 */
apply_after_automatic?: boolean, };

export type ForgetItem = { backup_file: string, timestamp: string, created: string, 
/**
 * Archive size in bytes.
 */
size: number, 
/**
 * Kept: the rules that keep it ("daily 2026-11-28", "last 2", "in use"). Removed: why no
 * rule keeps it ("daily: 2026-11-28 has a newer backup", "last: 3 kept").
 */
reasons: Array<string>, };

export type StrategyForget = { strategy: string, policy: RetentionPolicy, kept: Array<ForgetItem>, removed: Array<ForgetItem>, 
/**
 * Bytes of the removed archives (to be freed, in a dry run).
 */
bytes_freed: number, };

export type ForgetReport = { dry_run: boolean, 
/**
 * Strategies with a policy, by name.
 */
strategies: Array<StrategyForget>, 
/**
 * Strategies with backups but no policy: left alone.
 */
without_policy: Array<string>, kept: number, removed: number, bytes_freed: number, };

export type EquityPoint = { 
/**
 * The row's time as written (a date or a timestamp), or its row number.
 */
label: string, value: number, };

export type EquityCurve = { 
/**
 * The member it was read from, relative to the strategy folder.
 */
file: string, column: string, 
/**
 * In file order, thinned to at most [`MAX_CURVE_POINTS`].
 */
points: Array<EquityPoint>, 
/**
 * Rows with a value before thinning.
 */
rows: number, };

export type DiffSide = { "kind": "backup", backup_file: string, strategy: string, timestamp: string, created: string, } | { "kind": "current", strategy: string, path: string, };

export type Change = { "type": "added" } | { "type": "removed" } | { "type": "modified", size_before: number, size_after: number, } | { "type": "type_changed", kind_before: EntryKind, };

export type FileChange = { 
/**
 * Below the strategy folder, `/`-separated.
 */
path: string, 
/**
 * What it is on side `b` (on side `a` when removed).
 */
kind: EntryKind, change: Change, };

export type MetricChange = { key: string, label: string, unit: MetricUnit, a: number | null, b: number | null, 
/**
 * `b - a`, when both sides have the metric.
 */
delta: number | null, 
/**
 * Whether `b` is better than `a`; `None` when equal, missing on a side, or neither
 * direction is better.
 */
better: boolean | null, };

export type BackupDiff = { a: DiffSide, b: DiffSide, 
/**
 * Every metric either side has, most important first.
 */
metrics: Array<MetricChange>, 
/**
 * Sorted by path.
 */
files: Array<FileChange>, 
/**
 * Entries (files, folders, links) the same on both sides.
 */
unchanged_count: number, 
/**
 * True when file contents were compared by hash (`a` and `b` backups, or `verify`).
 */
contents_compared: boolean, };

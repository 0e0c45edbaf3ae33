// The IPC contract of docs/APP.md, as TypeScript types. Keep in step with that document.

export type IpcError = { code: string; message: string; hint: string };

export type Overview = {
  configured: boolean;
  results_dir: string;
  backups_dir: string;
  compression_level: number;
  results_exists: boolean;
  settings_file: string | null;
  environment_overrides: string[];
  sample_results: string;
  version: string;
};

export type CheckResult = "ok" | "damaged" | "missing";

export type CatalogEntry = {
  strategy: string;
  timestamp: string; // YYYYmmdd_HHMMSS
  backup_file: string;
  size: number;
  created: string; // RFC 3339
  sha256: string;
  files: number;
  bytes: number;
  last_checked: string | null;
  check_result: CheckResult | null;
  has_manifest: boolean;
};

export type StrategyState = "never_backed_up" | "changed" | "protected";

export type StrategyStatus = {
  name: string;
  path: string;
  files: number;
  bytes: number;
  newest_change: string | null;
  latest_backup: CatalogEntry | null;
  state: StrategyState;
};

export type BackupList = { backups_dir: string; backups: CatalogEntry[]; warnings: string[] };

export type BackupRef = { catalog: string } | { dropped: string };

export type ManifestEntry = {
  path: string;
  kind: "dir" | "file" | "symlink";
  size: number;
  mode: number;
  mtime: number; // unix seconds
  sha256?: string;
  target?: string;
};

export type Manifest = {
  format_version: number;
  app_version: string;
  strategy: string;
  timestamp: string;
  created: string;
  source: string;
  totals: { files: number; dirs: number; symlinks: number; bytes: number };
  metrics?: Record<string, number | string | boolean>;
  entries: ManifestEntry[];
  archive?: { file: string; size: number; sha256: string };
};

export type Proof = "manifest" | "embedded_manifest" | "none";

export type BackupDetails = {
  backup: BackupRef;
  backup_file: string;
  path: string;
  folder: string;
  size: number;
  in_catalog: boolean;
  entry: CatalogEntry | null;
  manifest: Manifest | null;
  proof: Proof;
};

export type RestorePreview = {
  strategy: string;
  destination: string;
  target: string;
  target_exists: boolean;
  copy_target: string;
  destination_is_results: boolean;
};

export type OnConflict = "copy" | "replace" | "fail";

export type JobRequest =
  | { kind: "backup"; strategy: string }
  | { kind: "check"; backup: BackupRef }
  | { kind: "check_all" }
  | { kind: "restore"; backup: BackupRef; destination: string | null; on_conflict: OnConflict };

export type ProgressEvent = {
  event: "progress";
  operation: "backup" | "check" | "restore" | "rebuild";
  item: string;
  bytes_done: number;
  bytes_total: number;
  files_done: number;
  files_total: number;
  elapsed_ms: number;
};

export type JobEvent =
  | { event: "queued"; position: number }
  | { event: "started" }
  | ProgressEvent
  | { event: "warning"; message: string };

export type Problem = { path: string | null; issue: string };

export type CheckReport = {
  backup_file: string;
  path: string;
  ok: boolean;
  result: CheckResult;
  quick: boolean;
  proof: Proof;
  files_checked: number;
  checked_at: string;
  problems: Problem[];
};

export type BackupOutcome = {
  strategy: string;
  status: "created" | "unchanged";
  backup: CatalogEntry | null;
  path: string | null;
};

export type RestoreOutcome = {
  backup_file: string;
  strategy: string;
  restored_to: string;
  proof: Proof;
  files: number;
  bytes: number;
  replaced: boolean;
  safety_backup: CatalogEntry | null;
  warnings: string[];
};

export type JobResult =
  | { kind: "backup"; outcome: BackupOutcome }
  | { kind: "check"; report: CheckReport }
  | { kind: "check_all"; reports: CheckReport[]; failures: CheckFailure[] }
  | { kind: "restore"; outcome: RestoreOutcome };

/** A backup "Check all" could not check at all (its archive unreadable, say). */
export type CheckFailure = { backup_file: string; error: IpcError };

export type Deleted = { backup_file: string; removed: string[] };

export type FilesDropped = { archives: string[]; others: string[] };

export type FolderPurpose = "results" | "backups" | "destination";

export type DragState = "enter" | "over" | "leave" | "drop";

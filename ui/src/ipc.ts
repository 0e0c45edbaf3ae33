// Every call to the Tauri shell goes through this module, so tests can replace it wholesale.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import type {
  AutomaticSettings,
  AutomaticView,
  BackupDiff,
  EquityCurve,
  FilterResult,
  ForgetReport,
  RetentionPolicies,
  HealthSummary,
  LiveUpdate,
  BackupDetails,
  BackupList,
  BackupRef,
  BackupsSetting,
  ConnectionCheck,
  CopyOffer,
  Deleted,
  DragState,
  FilesDropped,
  FolderPurpose,
  JobEvent,
  JobRequest,
  JobResult,
  Overview,
  RestorePreview,
  StrategyStatus,
} from "./types";

export type Unlisten = () => void;

export const ipc = {
  appOverview: (): Promise<Overview> => invoke("app_overview"),
  useSampleResults: (): Promise<Overview> => invoke("use_sample_results"),
  pickFolder: (purpose: FolderPurpose): Promise<string | null> => invoke("pick_folder", { purpose }),
  /** `backups` absent keeps where backups are kept as saved (the first-launch screens). */
  saveSettings: (
    results_dir: string,
    backups_dir: string,
    compression_level: number,
    backups?: BackupsSetting,
  ): Promise<Overview> => invoke("save_settings", { results_dir, backups_dir, compression_level, backups: backups ?? null }),
  testConnection: (backups: BackupsSetting): Promise<ConnectionCheck> => invoke("test_connection", { backups }),
  copyOffer: (): Promise<CopyOffer> => invoke("copy_offer"),
  scanStrategies: (): Promise<StrategyStatus[]> => invoke("scan_strategies"),
  listBackups: (): Promise<BackupList> => invoke("list_backups"),
  filterBackups: (expression: string): Promise<FilterResult> => invoke("filter_backups", { expression }),
  backupDetails: (backup: BackupRef): Promise<BackupDetails> => invoke("backup_details", { backup }),
  restorePreview: (backup: BackupRef, destination: string | null): Promise<RestorePreview> =>
    invoke("restore_preview", { backup, destination }),
  runJob: (job_id: string, job: JobRequest, onEvent: (event: JobEvent) => void): Promise<JobResult> => {
    const on_event = new Channel<JobEvent>();
    on_event.onmessage = onEvent;
    return invoke("run_job", { job_id, job, on_event });
  },
  cancelJob: (job_id: string): Promise<null> => invoke("cancel_job", { job_id }),
  deleteBackup: (backup_file: string): Promise<Deleted> => invoke("delete_backup", { backup_file }),
  showInFolder: (path: string): Promise<null> => invoke("show_in_folder", { path }),
  openFolder: (path: string): Promise<null> => invoke("open_folder", { path }),
  closeToTray: (): Promise<null> => invoke("close_to_tray"),
  quitApp: (): Promise<null> => invoke("quit_app"),
  startAtLogin: (): Promise<boolean> => invoke("start_at_login"),
  setStartAtLogin: (enabled: boolean): Promise<boolean> => invoke("set_start_at_login", { enabled }),

  /** Live updates from automatic protection (the watcher and the engine), for as long as the window lives. */
  listenLive: (onUpdate: (update: LiveUpdate) => void): Promise<null> => {
    const on_update = new Channel<LiveUpdate>();
    on_update.onmessage = onUpdate;
    return invoke("listen_live", { on_update });
  },
  protectionHealth: (): Promise<HealthSummary> => invoke("protection_health"),
  acknowledgeFailure: (strategy: string): Promise<null> => invoke("acknowledge_failure", { strategy }),
  automaticSettings: (): Promise<AutomaticView> => invoke("automatic_settings"),
  saveAutomatic: (automatic: AutomaticSettings, notify_success: boolean): Promise<AutomaticView> =>
    invoke("save_automatic", { automatic, notify_success }),
  setPaused: (paused: boolean): Promise<boolean> => invoke("set_paused", { paused }),
  retentionSettings: (): Promise<RetentionPolicies> => invoke("retention_settings"),
  previewRetention: (policies: RetentionPolicies): Promise<ForgetReport> => invoke("preview_retention", { policies }),
  saveRetention: (policies: RetentionPolicies): Promise<RetentionPolicies> => invoke("save_retention", { policies }),
  applyRetention: (policies: RetentionPolicies): Promise<ForgetReport> => invoke("apply_retention", { policies }),
  compareBackups: (a: BackupRef, b: BackupRef): Promise<BackupDiff> => invoke("compare_backups", { a, b }),
  changesSince: (backup: BackupRef, verify: boolean): Promise<BackupDiff> => invoke("changes_since", { backup, verify }),
  equityCurve: (backup: BackupRef): Promise<EquityCurve | null> => invoke("backup_equity_curve", { backup }),
  openBackupFile: (backup: BackupRef, member: string): Promise<string> => invoke("open_backup_file", { backup, member }),

  /** The analyst closed the window for the first time while automatic backups are on. */
  onFirstClose: (handler: () => void): Promise<Unlisten> => listen("first-close", () => handler()),

  /** The shell emits `files-dropped` after it has granted the dropped paths. */
  onFilesDropped: (handler: (dropped: FilesDropped) => void): Promise<Unlisten> =>
    listen<FilesDropped>("files-dropped", (event) => handler(event.payload)),

  /** Hover state only (for the drop highlight); what was dropped arrives via onFilesDropped. */
  onDragState: (handler: (state: DragState) => void): Promise<Unlisten> =>
    getCurrentWebview().onDragDropEvent((event) => handler(event.payload.type)),
};

export type Ipc = typeof ipc;

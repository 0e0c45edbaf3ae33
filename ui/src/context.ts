// What a view may use of the app: the narrow ViewContext that app.ts (the composition root) builds
// and hands to every view. Views import this module, never app.ts, so each one can be mounted in a
// test with a fake context (test/fake-context.ts). Only what views use today is here.
import type { UserError } from "./errors";
import type { Ipc } from "./ipc";
import type { Job } from "./jobs";
import type { BackupDetails, BackupList, BackupRef, HealthSummary, JobRequest, Overview, StrategyStatus } from "./types";

/** Every screen of the main window. */
export type ViewName = "welcome" | "strategies" | "backups" | "settings";

/** The screens the navigation offers (everything but the first-launch welcome). */
export type PageName = Exclude<ViewName, "welcome">;

/** The data the views show; null until it has been loaded. */
export type DataState = {
  overview: Overview | null;
  strategies: StrategyStatus[] | null;
  strategiesError: UserError | null;
  backups: BackupList | null;
  backupsError: UserError | null;
  /** Automatic protection of every strategy, with the one-line summary. */
  health: HealthSummary | null;
  /** Set while the results folder is watched by polling (the system's watch limit was reached). */
  watchNote: string | null;
};

/** The whole state of the window: the data plus what only the shell uses (current view, banner). */
export type AppState = DataState & {
  view: ViewName;
  banner: { error: UserError; view: ViewName } | null;
};

/** Reading the app's data. The shell calls a view's `update()` whenever it changed. */
export interface Store {
  /** The current data; read it again on every `update()`. */
  readonly state: Readonly<DataState>;
  /** Reloads strategies and backups (concurrent calls share one reload). */
  refresh(): Promise<void>;
}

/** The job list (a `JobStore` in the app): run, follow, cancel and dismiss jobs. */
export interface Jobs {
  list(): readonly Job[];
  get(id: string): Job | undefined;
  /** Starts a job; `done` resolves with the finished job (never rejects). */
  start(request: JobRequest): { id: string; done: Promise<Job> };
  cancel(id: string): Promise<void>;
  dismiss(id: string): void;
  /** Called after every change of any job; returns the unsubscribe function. */
  subscribe(listener: (jobs: readonly Job[], changed: Job) => void): () => void;
}

/** Messages outside a view's own area. */
export interface Notify {
  /** The error banner at the top of the current view (and a toast while a dialog is open). */
  showError(err: unknown, title?: string): void;
  toast(message: string, timeoutMs?: number): void;
}

/** Opening the dialogs that views lead to. */
export interface Navigate {
  openDetails(ref: BackupRef): void;
  /** `only`: files and folders inside the strategy folder to restore (a partial restore). */
  openRestore(details: BackupDetails, returnFocus?: HTMLElement | null, only?: string[]): void;
}

/** The shell calls views make themselves (jobs, scans and drops go through the app). */
export type ViewIpc = Pick<
  Ipc,
  | "appOverview"
  | "useSampleResults"
  | "pickFolder"
  | "saveSettings"
  | "testConnection"
  | "copyOffer"
  | "backupDetails"
  | "restorePreview"
  | "deleteBackup"
  | "showInFolder"
  | "openFolder"
  | "startAtLogin"
  | "setStartAtLogin"
  | "acknowledgeFailure"
  | "automaticSettings"
  | "saveAutomatic"
  | "setPaused"
  | "retentionSettings"
  | "previewRetention"
  | "saveRetention"
  | "applyRetention"
  | "filterBackups"
  | "compareBackups"
  | "changesSince"
  | "equityCurve"
  | "openBackupFile"
>;

export interface ViewContext {
  readonly store: Store;
  readonly jobs: Jobs;
  readonly notify: Notify;
  readonly navigate: Navigate;
  readonly ipc: ViewIpc;
  /**
   * After settings were saved (first launch or Settings): takes the new overview, forgets what
   * depended on the old folders, shows `then` (default: strategies) and reloads.
   */
  configured(overview: Overview, then?: PageName): void;
}

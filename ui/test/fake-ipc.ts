// A fake shell for view tests: every command is a vi.fn with sensible defaults.
import { vi } from "vitest";
import type { Ipc } from "../src/ipc";
import type {
  AutomaticSettings,
  BackupDiff,
  BackupRef,
  EquityCurve,
  ForgetReport,
  HealthSummary,
  RetentionPolicies,
  LiveUpdate,
  BackupDetails,
  BackupList,
  BackupsSetting,
  CatalogEntry,
  ConnectionCheck,
  CopyOffer,
  FilesDropped,
  JobEvent,
  JobRequest,
  JobResult,
  Overview,
  StoreShown,
  StrategyStatus,
} from "../src/types";

export const overview = (over: Partial<Overview> = {}): Overview => ({
  configured: true,
  results_dir: "/home/ana/results",
  backups_dir: "/home/ana/backups",
  compression_level: 6,
  results_exists: true,
  settings_file: "/home/ana/.config/results-backup/settings.json",
  environment_overrides: [],
  sample_results: "/home/ana/.local/share/results-backup/sample-results",
  version: "0.1.0",
  store: { kind: "folder" },
  backups: { kind: "folder" },
  ...over,
});

/** Where the shell says backups are kept after saving `backups`. */
export function storeShown(backups: BackupsSetting): StoreShown {
  if (backups.kind === "folder") return { kind: "folder" };
  const prefix = backups.prefix ? `/${backups.prefix}` : "";
  return {
    kind: "shared",
    address: `s3://${backups.bucket}${prefix}`,
  };
}

export const catalogEntry = (strategy: string, timestamp: string, over: Partial<CatalogEntry> = {}): CatalogEntry => ({
  strategy,
  timestamp,
  backup_file: `${strategy}_${timestamp}.tar.gz`,
  size: 21_700_000,
  created: "2026-11-26T09:15:02+01:00",
  sha256: "ab".repeat(32),
  files: 214,
  bytes: 84_200_000,
  last_checked: null,
  check_result: null,
  has_manifest: true,
  ...over,
});

export const strategy = (name: string, state: StrategyStatus["state"], latest: CatalogEntry | null = null): StrategyStatus => ({
  name,
  path: `/home/ana/results/${name}`,
  files: 10,
  bytes: 1_000_000,
  newest_change: "2026-11-25T10:00:00Z",
  latest_backup: latest,
  state,
});

export type RunningJob = {
  id: string;
  job: JobRequest;
  onEvent: (e: JobEvent) => void;
  resolve: (r: JobResult) => void;
  reject: (e: unknown) => void;
};

export function fakeIpc(opts: { overview?: Overview; strategies?: StrategyStatus[]; backups?: CatalogEntry[] } = {}) {
  const running: RunningJob[] = [];
  let dropped: ((d: FilesDropped) => void) | null = null;
  let firstClose: (() => void) | null = null;
  let live: ((u: LiveUpdate) => void) | null = null;
  let automatic: AutomaticSettings = { strategies: {}, paused: false };
  let notifySuccess = false;
  let retention: RetentionPolicies = { strategies: {}, apply_after_automatic: false };
  const forgetReport = (dry_run: boolean): ForgetReport => ({
    dry_run,
    strategies: [],
    without_policy: [],
    kept: (opts.backups ?? []).length,
    removed: 0,
    bytes_freed: 0,
  });
  const health = (): HealthSummary => ({
    strategies: (opts.strategies ?? []).map((s) => ({
      strategy: s.name,
      automatic: false,
      state: s.state,
      overdue: s.state !== "protected",
    })),
    all_well: false,
    sentence: "No automatic backups are set up.",
  });
  let loginItem = false;
  const list = (): BackupList => ({ backups_dir: "/home/ana/backups", store: { kind: "folder" }, backups: opts.backups ?? [], warnings: [], metrics: [] });
  const details = (file: string): BackupDetails => {
    const entry = (opts.backups ?? []).find((b) => b.backup_file === file) ?? null;
    return {
      backup: { catalog: file },
      backup_file: file,
      path: `/home/ana/backups/${file}`,
      folder: "/home/ana/backups",
      size: 21_700_000,
      in_catalog: entry !== null,
      shared: false,
      entry,
      proof: "manifest",
      metrics: [
        { key: "total_return", label: "Total return", name: "total_return", value: 18, text: "18.0 %" },
        { key: "sharpe", label: "Sharpe ratio", name: "sharpe", value: 1.4234, text: "1.42" },
      ],
      manifest: {
        format: "results-backup-manifest",
        format_version: 1,
        app_version: "0.1.0",
        strategy: entry?.strategy ?? "btc",
        timestamp: entry?.timestamp ?? "20261126_091502",
        created: "2026-11-26T09:15:02+01:00",
        source: "/home/ana/results/btc",
        totals: { files: 2, dirs: 1, symlinks: 0, bytes: 120 },
        metrics: { sharpe: 1.4234, total_return: 0.18 },
        entries: [
          { path: "btc", kind: "dir", size: 0, mode: 493, mtime: 1_700_000_000 },
          { path: "btc/trades.csv", kind: "file", size: 100, mode: 420, mtime: 1_700_000_000, sha256: "c".repeat(64) },
          { path: "btc/metrics.json", kind: "file", size: 20, mode: 420, mtime: 1_700_000_000, sha256: "d".repeat(64) },
        ],
      },
    };
  };
  const ipc = {
    appOverview: vi.fn(async () => opts.overview ?? overview()),
    useSampleResults: vi.fn(async () => overview({ results_dir: "/samples" })),
    pickFolder: vi.fn(async (): Promise<string | null> => null),
    saveSettings: vi.fn(async (results_dir: string, backups_dir: string, compression_level: number, backups?: BackupsSetting) =>
      overview({
        results_dir,
        backups_dir,
        compression_level,
        ...(backups ? { backups, store: storeShown(backups) } : {}),
      }),
    ),
    testConnection: vi.fn(async (backups: BackupsSetting): Promise<ConnectionCheck> => {
      const shown = storeShown(backups);
      const store = shown.kind === "shared" ? shown.address : "";
      return { outcome: "connected", store, message: `Connected: can read and write in ${store}`, archives: 0 };
    }),
    copyOffer: vi.fn(async (): Promise<CopyOffer> => ({ store: "", missing: 0, bytes: 0 })),
    scanStrategies: vi.fn(async () => opts.strategies ?? []),
    listBackups: vi.fn(async () => list()),
    filterBackups: vi.fn(async (_expression: string) => ({ matching: [] as string[] })),
    backupDetails: vi.fn(async (ref: { catalog: string } | { dropped: string }) =>
      details("catalog" in ref ? ref.catalog : ref.dropped.split("/").pop() ?? ""),
    ),
    restorePreview: vi.fn(async () => ({
      strategy: "btc",
      destination: "/home/ana/results",
      target: "/home/ana/results/btc",
      target_exists: true,
      copy_target: "/home/ana/results/btc_restored_20261126_091502",
    })),
    runJob: vi.fn(
      (id: string, job: JobRequest, onEvent: (e: JobEvent) => void) =>
        new Promise<JobResult>((resolve, reject) => {
          // Like the shell: a job is queued, and says so, as soon as it arrives.
          onEvent({ event: "queued", position: running.length });
          running.push({ id, job, onEvent, resolve, reject });
        }),
    ),
    cancelJob: vi.fn(async (_job_id: string) => null),
    deleteBackup: vi.fn(async (backup_file: string) => ({ backup_file, removed: [backup_file] })),
    showInFolder: vi.fn(async () => null),
    openFolder: vi.fn(async () => null),
    onFilesDropped: vi.fn(async (handler: (d: FilesDropped) => void) => {
      dropped = handler;
      return () => undefined;
    }),
    onDragState: vi.fn(async () => () => undefined),
    closeToTray: vi.fn(async () => null),
    quitApp: vi.fn(async () => null),
    startAtLogin: vi.fn(async () => loginItem),
    setStartAtLogin: vi.fn(async (enabled: boolean) => {
      loginItem = enabled;
      return loginItem;
    }),
    onFirstClose: vi.fn(async (handler: () => void) => {
      firstClose = handler;
      return () => undefined;
    }),
    listenLive: vi.fn(async (handler: (u: LiveUpdate) => void) => {
      live = handler;
      return null;
    }),
    protectionHealth: vi.fn(async () => health()),
    acknowledgeFailure: vi.fn(async (_strategy: string) => null),
    automaticSettings: vi.fn(async () => ({ automatic, notify_success: notifySuccess })),
    saveAutomatic: vi.fn(async (next: AutomaticSettings, notify_success: boolean) => {
      automatic = next;
      notifySuccess = notify_success;
      return { automatic, notify_success: notifySuccess };
    }),
    retentionSettings: vi.fn(async () => retention),
    previewRetention: vi.fn(async (_p: RetentionPolicies) => forgetReport(true)),
    saveRetention: vi.fn(async (p: RetentionPolicies) => {
      retention = p;
      return retention;
    }),
    applyRetention: vi.fn(async (_p: RetentionPolicies) => forgetReport(false)),
    compareBackups: vi.fn(
      async (_a: BackupRef, _b: BackupRef): Promise<BackupDiff> => ({
        a: { kind: "backup", backup_file: "btc_20261120_080000.tar.gz", strategy: "btc", timestamp: "20261120_080000", created: "2026-11-20T08:00:00+01:00" },
        b: { kind: "backup", backup_file: "btc_20261126_091502.tar.gz", strategy: "btc", timestamp: "20261126_091502", created: "2026-11-26T09:15:02+01:00" },
        metrics: [
          { key: "total_return", label: "Total return", unit: "percent", a: 12, b: 18, delta: 6, better: true },
          { key: "max_drawdown", label: "Max drawdown", unit: "percent", a: -8, b: -12.5, delta: -4.5, better: false },
        ],
        files: [
          { path: "new.csv", kind: "file", change: { type: "added" } },
          { path: "old.log", kind: "file", change: { type: "removed" } },
          { path: "trades.csv", kind: "file", change: { type: "modified", size_before: 100, size_after: 140 } },
        ],
        unchanged_count: 4,
        contents_compared: true,
      }),
    ),
    changesSince: vi.fn(
      async (_b: BackupRef, verify: boolean): Promise<BackupDiff> => ({
        a: { kind: "backup", backup_file: "btc_20261126_091502.tar.gz", strategy: "btc", timestamp: "20261126_091502", created: "2026-11-26T09:15:02+01:00" },
        b: { kind: "current", strategy: "btc", path: "/home/ana/results/btc" },
        metrics: [],
        files: [{ path: "trades.csv", kind: "file", change: { type: "modified", size_before: 100, size_after: 100 } }],
        unchanged_count: 6,
        contents_compared: verify,
      }),
    ),
    equityCurve: vi.fn(
      async (_b: BackupRef): Promise<EquityCurve | null> => ({
        file: "equity_curve.csv",
        column: "equity",
        rows: 3,
        points: [
          { label: "2021-01-04", value: 100000 },
          { label: "2021-01-05", value: 95000 },
          { label: "2021-01-06", value: 112000 },
        ],
      }),
    ),
    openBackupFile: vi.fn(async (_b: BackupRef, member: string) => `/home/ana/.cache/results-backup/opened/x/${member.split("/").pop()}`),
    setPaused: vi.fn(async (paused: boolean) => {
      automatic = { ...automatic, paused };
      return paused;
    }),
  } satisfies Ipc;
  return {
    ipc,
    running,
    drop: (d: FilesDropped) => dropped?.(d),
    closeWindow: () => firstClose?.(),
    live: (u: LiveUpdate) => live?.(u),
  };
}

/** Lets pending promises and timers of the app settle. */
export async function settle(ms = 0): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, ms));
}

export const byTestId = <T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T | null =>
  root.querySelector<T>(`[data-testid="${id}"]`);

export const allByTestId = <T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T[] => [
  ...root.querySelectorAll<T>(`[data-testid="${id}"]`),
];

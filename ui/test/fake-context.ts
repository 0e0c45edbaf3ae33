// A fake ViewContext for mounting one view alone: plain state you can change, a real JobStore
// running on the fake shell (spied on), and vi.fn for every message, navigation and shell call.
import { vi } from "vitest";
import type { DataState, ViewContext, ViewIpc } from "../src/context";
import { JobStore } from "../src/jobs";
import type { CatalogEntry, Overview, StrategyStatus } from "../src/types";
import { fakeIpc, overview } from "./fake-ipc";

export type FakeContextOptions = {
  overview?: Overview | null;
  strategies?: StrategyStatus[] | null;
  backups?: CatalogEntry[] | null;
};

export function fakeContext(opts: FakeContextOptions = {}) {
  const fake = fakeIpc({
    ...(opts.overview ? { overview: opts.overview } : {}),
    ...(opts.strategies ? { strategies: opts.strategies } : {}),
    ...(opts.backups ? { backups: opts.backups } : {}),
  });
  const state: DataState = {
    overview: opts.overview === undefined ? overview() : opts.overview,
    strategies: opts.strategies ?? null,
    strategiesError: null,
    backups: opts.backups
      ? { backups_dir: "/home/ana/backups", store: { kind: "folder" }, backups: opts.backups, warnings: [], metrics: [] }
      : null,
    backupsError: null,
    health: null,
    watchNote: null,
  };
  // Finished jobs stay in the list (no sweep timer left behind by a test).
  const jobs = new JobStore(
    (id, request, onEvent) => fake.ipc.runJob(id, request, onEvent),
    (id) => fake.ipc.cancelJob(id),
    { dismissDoneAfterMs: 0, now: () => Date.now() },
  );
  for (const method of ["start", "cancel", "dismiss", "subscribe"] as const) vi.spyOn(jobs, method);
  // Only the calls a view may make: anything else on ctx.ipc is undefined, as in the app.
  const ipc = {
    appOverview: fake.ipc.appOverview,
    useSampleResults: fake.ipc.useSampleResults,
    pickFolder: fake.ipc.pickFolder,
    saveSettings: fake.ipc.saveSettings,
    testConnection: fake.ipc.testConnection,
    copyOffer: fake.ipc.copyOffer,
    backupDetails: fake.ipc.backupDetails,
    restorePreview: fake.ipc.restorePreview,
    deleteBackup: fake.ipc.deleteBackup,
    showInFolder: fake.ipc.showInFolder,
    openFolder: fake.ipc.openFolder,
    startAtLogin: fake.ipc.startAtLogin,
    setStartAtLogin: fake.ipc.setStartAtLogin,
    acknowledgeFailure: fake.ipc.acknowledgeFailure,
    automaticSettings: fake.ipc.automaticSettings,
    saveAutomatic: fake.ipc.saveAutomatic,
    setPaused: fake.ipc.setPaused,
    retentionSettings: fake.ipc.retentionSettings,
    previewRetention: fake.ipc.previewRetention,
    saveRetention: fake.ipc.saveRetention,
    applyRetention: fake.ipc.applyRetention,
    filterBackups: fake.ipc.filterBackups,
    compareBackups: fake.ipc.compareBackups,
    changesSince: fake.ipc.changesSince,
    equityCurve: fake.ipc.equityCurve,
    openBackupFile: fake.ipc.openBackupFile,
  } satisfies ViewIpc;
  const ctx = {
    store: { state, refresh: vi.fn(async () => undefined) },
    jobs,
    notify: { showError: vi.fn((_err: unknown, _title?: string) => undefined), toast: vi.fn((_message: string, _timeoutMs?: number) => undefined) },
    navigate: { openDetails: vi.fn(), openRestore: vi.fn() },
    ipc,
    configured: vi.fn(),
  } satisfies ViewContext;
  /** `ipc`: what views may call; `shell`: the whole fake shell (jobs run and cancel on it). */
  return { ctx, state, ipc, shell: fake.ipc, jobs, running: fake.running };
}

/** Puts a view's element in the document (as the shell would) and returns it. */
export function mountView<T extends { el: HTMLElement; update(): void }>(view: T): T {
  const root = document.createElement("div");
  root.id = "app";
  root.appendChild(view.el);
  document.body.appendChild(root);
  view.update();
  return view;
}

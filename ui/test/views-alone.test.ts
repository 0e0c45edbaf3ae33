// @vitest-environment jsdom
// Each view mounted alone with a fake ViewContext: no App, no shell.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { closeAllDialogs } from "../src/dialog";
import type { BackupDetails } from "../src/types";
import { BackupsView } from "../src/views/backups";
import { openDetails } from "../src/views/details";
import { JobPanel } from "../src/views/jobpanel";
import { openRestore } from "../src/views/restore";
import { SettingsView } from "../src/views/settings";
import { StrategiesView } from "../src/views/strategies";
import { WelcomeView } from "../src/views/welcome";
import { fakeContext, mountView } from "./fake-context";
import { allByTestId, byTestId, catalogEntry, overview, settle, strategy } from "./fake-ipc";

const click = (el: Element | null | undefined) => {
  expect(el).toBeTruthy();
  (el as HTMLElement).click();
};
const buttonNamed = (text: string, root: ParentNode = document) =>
  [...root.querySelectorAll("button")].find((b) => b.textContent === text) ?? null;

beforeEach(() => {
  document.body.replaceChildren();
});
afterEach(() => {
  closeAllDialogs();
});

describe("WelcomeView alone", () => {
  it("offers the samples and hands the new overview to the shell", async () => {
    const { ctx, ipc } = fakeContext({ overview: overview({ configured: false, sample_results: "/home/ana/samples" }) });
    mountView(new WelcomeView(ctx));
    expect(byTestId("welcome")?.textContent).toContain("Keep your strategy results safe");
    expect(byTestId("welcome-sample")?.title).toBe("Copies sample strategies to /home/ana/samples");
    click(byTestId("welcome-sample"));
    await settle();
    expect(ipc.useSampleResults).toHaveBeenCalledOnce();
    expect(ctx.configured).toHaveBeenCalledWith(overview({ results_dir: "/samples" }));
    expect(ctx.notify.toast).toHaveBeenCalledWith("Sample results are ready. Try “Back up all”.");
  });

  it("asks the shell for the overview when the store has none, then saves the chosen folder", async () => {
    const { ctx, ipc } = fakeContext({ overview: null });
    ipc.appOverview.mockResolvedValueOnce(overview({ backups_dir: "/b", compression_level: 3 }));
    ipc.pickFolder.mockResolvedValueOnce("/data/results");
    mountView(new WelcomeView(ctx));
    click(byTestId("welcome-pick"));
    await settle();
    expect(ipc.pickFolder).toHaveBeenCalledWith("results");
    expect(ipc.saveSettings).toHaveBeenCalledWith("/data/results", "/b", 3);
    expect(ctx.configured).toHaveBeenCalledWith(overview({ results_dir: "/data/results", backups_dir: "/b", compression_level: 3 }));
    expect(byTestId<HTMLButtonElement>("welcome-pick")?.disabled).toBe(false);
  });
});

describe("StrategiesView alone", () => {
  it("renders the store's strategies and backs up the selected one through jobs.start", async () => {
    const { ctx, state, running } = fakeContext({
      strategies: [strategy("a", "protected"), strategy("b", "changed"), strategy("c", "never_backed_up")],
    });
    const view = mountView(new StrategiesView(ctx));
    expect(view.el.textContent).toContain("In /home/ana/results");
    expect(allByTestId("strategy-row").map((r) => [r.dataset.strategy, r.dataset.state])).toEqual([
      ["a", "protected"],
      ["b", "changed"],
      ["c", "never_backed_up"],
    ]);
    expect(view.el.textContent).toContain("2 strategies need a backup");

    click(allByTestId("strategy-select")[1]);
    expect(view.el.textContent).toContain("1 selected");
    click(byTestId("backup-selected"));
    expect(ctx.jobs.start).toHaveBeenCalledOnce();
    expect(ctx.jobs.start).toHaveBeenCalledWith({ kind: "backup", strategy: "b" });
    expect(ctx.notify.toast).toHaveBeenCalledWith("Backing up b.");
    expect(running.map((r) => r.job)).toEqual([{ kind: "backup", strategy: "b" }]);
    const rowB = () => allByTestId("strategy-row").find((r) => r.dataset.strategy === "b");
    expect(rowB()?.textContent).toContain("Waiting to back up");
    running[0]!.onEvent({ event: "started" });
    view.update();
    expect(rowB()?.textContent).toContain("Backing up…");

    // a new scan in the store shows on the next update; a vanished strategy is no longer selected
    state.strategies = [strategy("a", "protected")];
    view.update();
    expect(allByTestId("strategy-row")).toHaveLength(1);
    expect(view.el.textContent).toContain("Everything is protected");
  });

  it("backs up all, waits for a first scan, and retries a failed one through the store", () => {
    const { ctx, state } = fakeContext({ strategies: null });
    const view = mountView(new StrategiesView(ctx));
    expect(view.el.textContent).toContain("Looking for strategies…");
    state.strategiesError = { code: "io", message: "Could not read the folder", hint: "" };
    view.update();
    click(buttonNamed("Try again"));
    expect(ctx.store.refresh).toHaveBeenCalledOnce();
    state.strategiesError = null;
    state.strategies = [strategy("x", "changed"), strategy("y", "changed")];
    view.update();
    click(byTestId("backup-all"));
    expect(vi.mocked(ctx.jobs.start).mock.calls).toEqual([
      [{ kind: "backup", strategy: "x" }],
      [{ kind: "backup", strategy: "y" }],
    ]);
    expect(ctx.notify.toast).toHaveBeenCalledWith("Backing up 2 strategies, one after another.");
  });

  it("offers another results folder when it is missing, saving it with the current settings", async () => {
    const { ctx, state, ipc } = fakeContext({ overview: overview({ backups_dir: "/b", compression_level: 4 }) });
    state.strategiesError = { code: "results_folder_missing", message: "The results folder /gone does not exist", hint: "" };
    mountView(new StrategiesView(ctx));
    ipc.pickFolder.mockResolvedValueOnce("/new/results");
    click(buttonNamed("Choose another folder…"));
    await settle();
    expect(ipc.pickFolder).toHaveBeenCalledWith("results");
    expect(ipc.saveSettings).toHaveBeenCalledWith("/new/results", "/b", 4);
    expect(ctx.configured).toHaveBeenCalledWith(overview({ results_dir: "/new/results", backups_dir: "/b", compression_level: 4 }));

    ipc.pickFolder.mockRejectedValueOnce({ code: "dialog_failed", message: "No folder picker", hint: "" });
    click(buttonNamed("Choose another folder…"));
    await settle();
    expect(ctx.notify.showError).toHaveBeenCalledWith({ code: "dialog_failed", message: "No folder picker", hint: "" });
  });
});

describe("BackupsView alone", () => {
  const entries = [
    catalogEntry("btc", "20261126_091502", { check_result: "ok" }),
    catalogEntry("eth", "20261125_080000"),
    catalogEntry("btc", "20261120_070000", { check_result: "damaged" }),
  ];

  it("lists the store's backups, filters by strategy and search, and opens details", async () => {
    const { ctx } = fakeContext({ backups: entries });
    const view = mountView(new BackupsView(ctx));
    expect(view.el.textContent).toContain("In /home/ana/backups");
    expect(view.el.textContent).toContain("3 backups, newest first");
    expect(allByTestId("backup-row").map((r) => [r.dataset.backupFile, r.dataset.check])).toEqual([
      ["btc_20261126_091502.tar.gz", "ok"],
      ["eth_20261125_080000.tar.gz", "unchecked"],
      ["btc_20261120_070000.tar.gz", "damaged"],
    ]);
    const select = byTestId<HTMLSelectElement>("strategy-filter")!;
    expect([...select.options].map((o) => o.value)).toEqual(["", "btc", "eth"]);
    select.value = "btc";
    select.dispatchEvent(new Event("change"));
    expect(allByTestId("backup-row").map((r) => r.dataset.backupFile)).toEqual([
      "btc_20261126_091502.tar.gz",
      "btc_20261120_070000.tar.gz",
    ]);
    expect(view.el.textContent).toContain("Showing 2 of 3 backups");

    const search = byTestId<HTMLInputElement>("backup-search")!;
    search.value = "nothing-like-this";
    search.dispatchEvent(new Event("input"));
    await settle(30);
    expect(allByTestId("backup-row")).toHaveLength(0);
    expect(view.el.textContent).toContain("No backups match your search.");
    click(buttonNamed("Show all backups"));
    expect(allByTestId("backup-row")).toHaveLength(3);

    click(allByTestId("backup-row")[1]);
    expect(ctx.navigate.openDetails).toHaveBeenCalledWith({ catalog: "eth_20261125_080000.tar.gz" });
  });

  it("starts Check all once, and retries a failed catalog read through the store", () => {
    const { ctx, state } = fakeContext({ backups: entries });
    const view = mountView(new BackupsView(ctx));
    const checkAll = byTestId<HTMLButtonElement>("check-all")!;
    expect(checkAll.disabled).toBe(false);
    click(checkAll);
    expect(ctx.jobs.start).toHaveBeenCalledWith({ kind: "check_all" });
    expect(checkAll.disabled).toBe(true);
    expect(checkAll.title).toBe("Already checking every backup");

    state.backups = null;
    state.backupsError = { code: "catalog_unreadable", message: "The catalog could not be read", hint: "" };
    view.update();
    expect(byTestId("error-banner")?.dataset.code).toBe("catalog_unreadable");
    click(buttonNamed("Try again", view.el));
    expect(ctx.store.refresh).toHaveBeenCalledOnce();
  });
});

describe("details alone", () => {
  const entry = catalogEntry("btc", "20261126_091502");

  it("shows the summary, metrics and files; Check runs a job; Restore asks the context", async () => {
    const { ctx, ipc, running } = fakeContext({ backups: [entry] });
    openDetails(ctx, { catalog: entry.backup_file });
    await settle();
    expect(ipc.backupDetails).toHaveBeenCalledWith({ catalog: entry.backup_file });
    const details = byTestId("details")!;
    expect(details.querySelector(".dialog-title")?.textContent).toBe("btc — 26 Nov 2026, 09:15");
    const metrics = byTestId("metrics")!;
    expect(metrics.textContent).toContain("Sharpe");
    expect(metrics.textContent).toContain("1.42");
    expect([...byTestId("file-tree")!.querySelectorAll('[role="treeitem"]')].map((i) => i.getAttribute("data-path"))).toEqual([
      "btc",
      "btc/metrics.json",
      "btc/trades.csv",
    ]);

    click(byTestId("details-show-in-folder"));
    expect(ipc.showInFolder).toHaveBeenCalledWith(`/home/ana/backups/${entry.backup_file}`);

    click(byTestId("details-check"));
    expect(ctx.jobs.start).toHaveBeenCalledWith({ kind: "check", backup: { catalog: entry.backup_file } });
    expect(byTestId("check-result")?.dataset.result).toBe("checking");
    running[0]!.resolve({
      kind: "check",
      report: {
        backup_file: entry.backup_file,
        path: "/x",
        ok: true,
        result: "ok",
        quick: false,
        proof: "manifest",
        files_checked: 2,
        checked_at: new Date().toISOString(),
        problems: [],
      },
    });
    await settle();
    expect(byTestId("check-result")?.dataset.result).toBe("ok");
    expect(byTestId("check-result")?.textContent).toContain("2 files verified");

    const restore = byTestId("details-restore")!;
    click(restore);
    expect(ctx.navigate.openRestore).toHaveBeenCalledOnce();
    const [shown, returnFocus] = ctx.navigate.openRestore.mock.calls[0] as [BackupDetails, HTMLElement];
    expect(shown.backup).toEqual({ catalog: entry.backup_file });
    expect(returnFocus).toBe(restore);
  });

  it("deletes after asking, then closes, tells and refreshes the store", async () => {
    const { ctx, ipc } = fakeContext({ backups: [entry] });
    openDetails(ctx, { catalog: entry.backup_file });
    await settle();
    click(byTestId("details-delete"));
    click(byTestId("confirm-yes"));
    await settle();
    expect(ipc.deleteBackup).toHaveBeenCalledWith(entry.backup_file);
    expect(byTestId("details")).toBeNull();
    expect(ctx.notify.toast).toHaveBeenCalledWith(`Deleted ${entry.backup_file}. ${entry.strategy} has no backup now.`);
    expect(ctx.store.refresh).toHaveBeenCalledOnce();
  });

  it("warns only when the backup is the strategy's last one", async () => {
    const older = catalogEntry(entry.strategy, "20261120_080000");
    const { ctx } = fakeContext({ backups: [entry, older] });
    openDetails(ctx, { catalog: entry.backup_file });
    await settle();
    click(byTestId("details-delete"));
    expect(byTestId("confirm-only-backup")).toBeNull();
    expect(byTestId("confirm-yes")?.textContent).toBe("Delete");
    click(byTestId("confirm-yes"));
    await settle();
    expect(ctx.notify.toast).toHaveBeenCalledWith(`Deleted ${entry.backup_file}.`);
  });

  it("says so when a backup cannot be opened", async () => {
    const { ctx, ipc } = fakeContext();
    ipc.backupDetails.mockRejectedValueOnce({ code: "not_an_archive", message: "x.tar.gz is not a backup", hint: "" });
    openDetails(ctx, { dropped: "/tmp/x.tar.gz" });
    await settle();
    expect(byTestId("details")?.textContent).toContain("This backup could not be opened");
    expect(byTestId("error-banner")?.dataset.code).toBe("not_an_archive");
  });
});

describe("restore dialog alone", () => {
  const entry = catalogEntry("btc", "20261126_091502");

  it("shows the destination and the choice, runs the restore as a job and cancels it", async () => {
    const { ctx, ipc, running } = fakeContext({ backups: [entry] });
    const details = await ipc.backupDetails({ catalog: entry.backup_file });
    openRestore(ctx, details);
    await settle();
    expect(ipc.restorePreview).toHaveBeenCalledWith({ catalog: entry.backup_file }, null);
    const dialog = byTestId("restore-dialog")!;
    expect(dialog.querySelector(".dialog-title")?.textContent).toBe("Restore btc");
    expect(byTestId("restore-destination")?.textContent).toBe("/home/ana/results");
    expect(dialog.textContent).toContain("This is your results folder.");
    expect(dialog.textContent).toContain("/home/ana/results/btc already exists");
    expect(byTestId<HTMLInputElement>("restore-copy")?.checked).toBe(true);

    click(byTestId("restore-confirm"));
    expect(ctx.jobs.start).toHaveBeenCalledWith({
      kind: "restore",
      backup: { catalog: entry.backup_file },
      destination: null,
      on_conflict: "copy",
    });
    expect(dialog.textContent).toContain("Restoring to /home/ana/results/btc_restored_20261126_091502…");
    click(byTestId("restore-cancel"));
    await settle();
    expect(ctx.jobs.cancel).toHaveBeenCalledWith(running[0]!.id);
    running[0]!.reject({ code: "cancelled", message: "Cancelled", hint: "" });
    await settle();
    expect(dialog.textContent).toContain("The restore was cancelled. Nothing was changed.");
  });

  it("falls back to the store's results folder when the preview fails", async () => {
    const { ctx, ipc } = fakeContext({ overview: overview({ results_dir: "/srv/results" }), backups: [entry] });
    const details = await ipc.backupDetails({ catalog: entry.backup_file });
    ipc.restorePreview.mockRejectedValueOnce({ code: "not_found", message: "The destination is gone", hint: "" });
    openRestore(ctx, details);
    await settle();
    expect(byTestId("restore-destination")?.textContent).toBe("/srv/results");
    expect(byTestId("error-banner")?.textContent).toContain("The destination is gone");
    expect(byTestId<HTMLButtonElement>("restore-confirm")?.disabled).toBe(true);
  });
});

describe("SettingsView alone", () => {
  it("shows the store's settings and saves the shown folders and level", async () => {
    const { ctx, ipc } = fakeContext({ overview: overview({ environment_overrides: ["RESULTS_BACKUP_LEVEL"] }) });
    const view = mountView(new SettingsView(ctx));
    expect(byTestId<HTMLInputElement>("settings-results")?.value).toBe("/home/ana/results");
    expect(byTestId<HTMLInputElement>("settings-backups")?.value).toBe("/home/ana/backups");
    expect(byTestId<HTMLInputElement>("settings-level")?.value).toBe("6");
    expect(view.el.textContent).toContain("Level 6 — balanced (recommended)");
    expect(view.el.textContent).toContain("RESULTS_BACKUP_LEVEL (the compression level)");
    expect(view.el.textContent).toContain("Results Backup 0.1.0");

    ipc.pickFolder.mockResolvedValueOnce("/mnt/usb/backups");
    click(byTestId("settings-pick-backups"));
    await settle();
    expect(ipc.pickFolder).toHaveBeenCalledWith("backups");
    expect(byTestId<HTMLInputElement>("settings-backups")?.value).toBe("/mnt/usb/backups");
    expect(view.el.textContent).toContain("Not saved yet");
    click(byTestId("settings-save"));
    await settle();
    expect(ipc.saveSettings).toHaveBeenCalledWith("/home/ana/results", "/mnt/usb/backups", 6, { kind: "folder" });
    const saved = overview({ backups_dir: "/mnt/usb/backups" });
    expect(ctx.configured).toHaveBeenCalledWith(saved, "backups");
    expect(ctx.notify.toast).toHaveBeenCalledWith("Saved. Showing the backups in /mnt/usb/backups.");
  });

  it("stays on Settings after saving the same folders, and shows a failed save in the form", async () => {
    const { ctx, ipc } = fakeContext();
    const view = mountView(new SettingsView(ctx));
    const level = byTestId<HTMLInputElement>("settings-level")!;
    level.value = "9";
    level.dispatchEvent(new Event("input"));
    click(byTestId("settings-save"));
    await settle();
    expect(ipc.saveSettings).toHaveBeenCalledWith("/home/ana/results", "/home/ana/backups", 9, { kind: "folder" });
    expect(ctx.configured).toHaveBeenCalledWith(overview({ compression_level: 9 }), "settings");
    expect(ctx.notify.toast).toHaveBeenCalledWith("Settings saved.");

    ipc.saveSettings.mockRejectedValueOnce({ code: "permission_denied", message: "Cannot write the settings file", hint: "" });
    click(byTestId("settings-save"));
    await settle();
    expect(ctx.configured).toHaveBeenCalledOnce();
    expect(view.el.querySelector('[data-testid="error-banner"]')?.textContent).toContain("Cannot write the settings file");
    expect(byTestId<HTMLButtonElement>("settings-save")?.disabled).toBe(false);
  });
});

describe("JobPanel alone", () => {
  it("shows a running job with its progress, cancels it, and dismisses it when finished", async () => {
    const { ctx, shell, running } = fakeContext();
    const panel = new JobPanel(ctx);
    const layout = document.createElement("div");
    layout.appendChild(panel.el);
    document.body.appendChild(layout);
    panel.update(ctx.jobs.list());
    expect(panel.el.hidden).toBe(true);

    const { id } = ctx.jobs.start({ kind: "backup", strategy: "btc" });
    panel.update(ctx.jobs.list());
    expect(panel.el.hidden).toBe(false);
    expect(layout.classList.contains("with-jobs")).toBe(true);
    running[0]!.onEvent({ event: "started" });
    running[0]!.onEvent({
      event: "progress",
      operation: "backup",
      item: "x",
      bytes_done: 250_000,
      bytes_total: 1_000_000,
      files_done: 1,
      files_total: 4,
      elapsed_ms: 1000,
    });
    panel.update(ctx.jobs.list());
    const job = byTestId("job")!;
    expect(job.dataset.jobId).toBe(id);
    expect(job.dataset.state).toBe("running");
    expect(job.textContent).toContain("Back up btc");
    expect(job.textContent).toContain("Working");
    expect(byTestId("job-progress", job)?.textContent).toContain("25% · 250 KB of 1.0 MB · 1 of 4 files");
    expect(panel.el.textContent).toContain("1 to go");

    click(byTestId("job-cancel", job));
    await settle();
    expect(ctx.jobs.cancel).toHaveBeenCalledWith(id);
    expect(shell.cancelJob).toHaveBeenCalledWith(id);
    running[0]!.reject({ code: "cancelled", message: "Cancelled", hint: "" });
    await settle();
    panel.update(ctx.jobs.list());
    expect(job.dataset.state).toBe("cancelled");
    expect(panel.el.textContent).toContain("All finished");
    click(byTestId("job-dismiss", job));
    expect(ctx.jobs.dismiss).toHaveBeenCalledWith(id);
    panel.update(ctx.jobs.list());
    expect(byTestId("job")).toBeNull();
    expect(panel.el.hidden).toBe(true);
  });
});

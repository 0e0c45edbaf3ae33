// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { App } from "../src/app";
import { closeAllDialogs } from "../src/dialog";
import { allByTestId, byTestId, catalogEntry, fakeIpc, overview, settle, strategy } from "./fake-ipc";

function mount(fake: ReturnType<typeof fakeIpc>): App {
  const root = document.createElement("div");
  root.id = "app";
  document.body.appendChild(root);
  return new App(root, fake.ipc);
}

const click = (el: Element | null) => {
  expect(el).not.toBeNull();
  (el as HTMLElement).click();
};

beforeEach(() => {
  document.body.replaceChildren();
});
afterEach(() => {
  closeAllDialogs();
});

describe("first launch", () => {
  it("offers the welcome screen, then sample results lead to the strategies", async () => {
    const fake = fakeIpc({
      overview: overview({ configured: false }),
      strategies: [strategy("btc_sma_cross", "never_backed_up"), strategy("eth_breakout", "protected")],
    });
    const app = mount(fake);
    await app.start();
    expect(byTestId("welcome")).not.toBeNull();
    expect(byTestId("nav-strategies")?.closest("nav")?.hidden).toBe(true);
    click(byTestId("welcome-sample"));
    await settle();
    expect(fake.ipc.useSampleResults).toHaveBeenCalledOnce();
    expect(byTestId("welcome")).toBeNull();
    const rows = allByTestId("strategy-row");
    expect(rows.map((r) => [r.dataset.strategy, r.dataset.state])).toEqual([
      ["btc_sma_cross", "never_backed_up"],
      ["eth_breakout", "protected"],
    ]);
    expect(rows[0]?.textContent).toContain("No backup");
    expect(rows[1]?.textContent).toContain("Protected");
    expect(byTestId("toast")?.textContent).toContain("Sample results are ready");
  });

  it("picking a folder saves it with the current backups folder, and a cancelled pick does nothing", async () => {
    const fake = fakeIpc({ overview: overview({ configured: false, backups_dir: "backups" }) });
    const app = mount(fake);
    await app.start();
    click(byTestId("welcome-pick"));
    await settle();
    expect(fake.ipc.saveSettings).not.toHaveBeenCalled();
    expect(byTestId("welcome")).not.toBeNull();
    fake.ipc.pickFolder.mockResolvedValueOnce("/data/results");
    click(byTestId("welcome-pick"));
    await settle();
    expect(fake.ipc.saveSettings).toHaveBeenCalledWith("/data/results", "backups", 6);
    expect(byTestId("welcome")).toBeNull();
  });

  it("shows a failure inside the welcome screen in plain words", async () => {
    const fake = fakeIpc({ overview: overview({ configured: false }) });
    fake.ipc.useSampleResults.mockRejectedValueOnce({ code: "permission_denied", message: "Cannot write the samples", hint: "Check your home folder." });
    const app = mount(fake);
    await app.start();
    click(byTestId("welcome-sample"));
    await settle();
    const banner = byTestId("error-banner");
    expect(banner?.dataset.code).toBe("permission_denied");
    expect(banner?.textContent).toContain("Cannot write the samples");
    expect(byTestId("error-hint")?.textContent).toBe("Check your home folder.");
  });
});

describe("strategies and jobs", () => {
  it("backs up every strategy as its own job with progress, queueing and results", async () => {
    const fake = fakeIpc({ strategies: [strategy("a", "changed"), strategy("b", "never_backed_up"), strategy("c", "protected")] });
    const app = mount(fake);
    await app.start();
    await settle();
    click(byTestId("backup-all"));
    await settle();
    expect(fake.ipc.runJob).toHaveBeenCalledTimes(3);
    expect(fake.running.map((r) => r.job)).toEqual([
      { kind: "backup", strategy: "a" },
      { kind: "backup", strategy: "b" },
      { kind: "backup", strategy: "c" },
    ]);
    expect(new Set(fake.running.map((r) => r.id)).size).toBe(3);
    expect(byTestId("job-list")?.hidden).toBe(false);
    const [a, b, c] = fake.running;
    a!.onEvent({ event: "started" });
    b!.onEvent({ event: "queued", position: 1 });
    c!.onEvent({ event: "queued", position: 2 });
    a!.onEvent({
      event: "progress",
      operation: "backup",
      item: "x",
      bytes_done: 500_000,
      bytes_total: 1_000_000,
      files_done: 5,
      files_total: 10,
      elapsed_ms: 1000,
    });
    const jobs = allByTestId("job");
    expect(jobs.map((j) => j.dataset.state)).toEqual(["running", "queued", "queued"]);
    expect(byTestId("job-progress", jobs[0])?.textContent).toContain("50% · 500 KB of 1.0 MB · 5 of 10 files");
    expect(jobs[2]?.textContent).toContain("Waiting — 2 ahead");
    expect(byTestId("job-cancel", jobs[0])?.textContent).toBe("Cancel");

    a!.resolve({ kind: "backup", outcome: { strategy: "a", status: "created", backup: catalogEntry("a", "20261126_091502"), path: "/x" } });
    b!.reject({ code: "disk_full", message: "The backups disk is full", hint: "Free some space and try again." });
    await settle();
    expect(allByTestId("job").map((j) => j.dataset.state)).toEqual(["done", "failed", "queued"]);
    expect(allByTestId("job")[2]?.textContent).toContain("Waiting — next");
    const banner = byTestId("error-banner");
    expect(banner?.dataset.code).toBe("disk_full");
    expect(banner?.textContent).toContain("The backups disk is full");
    expect(allByTestId("job")[1]?.textContent).toContain("Free some space");

    click(byTestId("job-cancel", allByTestId("job")[2]));
    await settle();
    expect(fake.ipc.cancelJob).toHaveBeenCalledWith(c!.id);
    c!.reject({ code: "cancelled", message: "Cancelled", hint: "" });
    await settle(300);
    expect(allByTestId("job")[2]?.dataset.state).toBe("cancelled");
    // finishing jobs refreshes strategies and backups
    expect(fake.ipc.scanStrategies.mock.calls.length).toBeGreaterThan(1);
    expect(fake.ipc.listBackups.mock.calls.length).toBeGreaterThan(1);
  });

  it("backs up only the selected strategies; select all toggles every row", async () => {
    const fake = fakeIpc({ strategies: [strategy("a", "changed"), strategy("b", "changed")] });
    const app = mount(fake);
    await app.start();
    await settle();
    expect(byTestId<HTMLButtonElement>("backup-selected")?.disabled).toBe(true);
    click(allByTestId("strategy-select")[1] ?? null);
    click(byTestId("backup-selected"));
    expect(fake.running.map((r) => r.job)).toEqual([{ kind: "backup", strategy: "b" }]);
    click(byTestId("select-all"));
    expect(allByTestId<HTMLInputElement>("strategy-select").every((c) => c.checked)).toBe(true);
  });

  it("a missing results folder explains itself and offers another folder", async () => {
    const fake = fakeIpc();
    fake.ipc.scanStrategies.mockRejectedValue({
      code: "results_folder_missing",
      message: "The results folder /gone does not exist",
      hint: "Choose the folder that holds your strategies.",
    });
    const app = mount(fake);
    await app.start();
    await settle();
    const banner = byTestId("error-banner");
    expect(banner?.dataset.code).toBe("results_folder_missing");
    const button = [...(banner?.querySelectorAll("button") ?? [])].find((b) => b.textContent === "Choose another folder…");
    fake.ipc.pickFolder.mockResolvedValueOnce("/new/results");
    fake.ipc.scanStrategies.mockResolvedValue([strategy("z", "never_backed_up")]);
    click(button ?? null);
    await settle();
    expect(fake.ipc.pickFolder).toHaveBeenCalledWith("results");
    expect(fake.ipc.saveSettings).toHaveBeenCalledWith("/new/results", "/home/ana/backups", 6);
    expect(allByTestId("strategy-row")).toHaveLength(1);
  });
});

describe("the results folder goes away during backups", () => {
  it("shows one banner, cancels the backups that cannot succeed, and lists no failed cards", async () => {
    const fake = fakeIpc({ strategies: ["a", "b", "c", "d"].map((n) => strategy(n, "changed")) });
    const app = mount(fake);
    await app.start();
    await settle();
    click(byTestId("backup-all"));
    await settle();
    expect(fake.running).toHaveLength(4);
    const gone = {
      code: "results_folder_missing",
      message: "The results folder /home/ana/results does not exist",
      hint: "Reconnect the drive that holds it, or choose the results folder again in Settings.",
    };
    fake.ipc.scanStrategies.mockRejectedValue(gone);
    fake.running[0]!.onEvent({ event: "started" });
    fake.running[0]!.reject(gone);
    await settle();
    for (const other of fake.running.slice(1)) {
      expect(fake.ipc.cancelJob).toHaveBeenCalledWith(other.id);
      other.reject({ code: "cancelled", message: "Cancelled", hint: "" });
    }
    await settle(50);
    const banners = allByTestId("error-banner");
    expect(banners).toHaveLength(1);
    expect(banners[0]?.dataset.code).toBe("results_folder_missing");
    expect(banners[0]?.textContent).toContain("Reconnect the drive");
    expect(banners[0]?.textContent).not.toContain("--results");
    expect(allByTestId("job").filter((j) => j.dataset.state === "failed")).toHaveLength(0);
    expect(byTestId("backup-all")).toBeNull();
  });
});

describe("backups, details and delete", () => {
  const many = Array.from({ length: 5000 }, (_, i) =>
    catalogEntry(i % 2 ? "btc_sma_cross" : "eth_breakout", `2026${String((i % 12) + 1).padStart(2, "0")}01_${String(i % 24).padStart(2, "0")}${String(i % 60).padStart(2, "0")}00`, {
      backup_file: `backup_${i}.tar.gz`,
      check_result: i === 0 ? "damaged" : null,
    }),
  );

  it("keeps only a screenful of 5,000 backups in the DOM, and filters", async () => {
    const fake = fakeIpc({ backups: many });
    const app = mount(fake);
    await app.start();
    click(byTestId("nav-backups"));
    await settle();
    const rows = allByTestId("backup-row");
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(40);
    expect(rows[0]?.dataset.backupFile).toBe("backup_0.tar.gz");
    expect(rows[0]?.dataset.check).toBe("damaged");
    expect(rows[1]?.dataset.check).toBe("unchecked");
    expect(rows[0]?.getAttribute("aria-setsize")).toBe("5000");
    const select = byTestId<HTMLSelectElement>("strategy-filter")!;
    expect([...select.options].map((o) => o.value)).toEqual(["", "btc_sma_cross", "eth_breakout"]);
    select.value = "btc_sma_cross";
    select.dispatchEvent(new Event("change"));
    expect(allByTestId("backup-row").every((r) => r.textContent?.includes("btc_sma_cross"))).toBe(true);
    const search = byTestId<HTMLInputElement>("backup-search")!;
    search.value = "backup_4999";
    search.dispatchEvent(new Event("input"));
    await settle(100);
    expect(allByTestId("backup-row").map((r) => r.dataset.backupFile)).toEqual(["backup_4999.tar.gz"]);
    search.value = "nothing-like-this";
    search.dispatchEvent(new Event("input"));
    await settle(100);
    expect(allByTestId("backup-row")).toHaveLength(0);
    expect(document.body.textContent).toContain("No backups match");
  });

  it("opens details with Enter, shows files, metrics and proof; Delete asks and names the backup", async () => {
    const entry = catalogEntry("btc_sma_cross", "20261126_091502");
    const fake = fakeIpc({ backups: [entry] });
    const app = mount(fake);
    await app.start();
    click(byTestId("nav-backups"));
    await settle();
    const row = byTestId("backup-row")!;
    row.focus();
    row.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await settle();
    expect(fake.ipc.backupDetails).toHaveBeenCalledWith({ catalog: entry.backup_file });
    const details = byTestId("details")!;
    expect(details.getAttribute("role")).toBe("dialog");
    expect(details.querySelector(".dialog-title")?.textContent).toBe("btc_sma_cross — 26 Nov 2026, 09:15");
    expect(byTestId("metrics")?.textContent).toContain("Sharpe");
    expect(byTestId("metrics")?.textContent).toContain("1.42");
    const tree = byTestId("file-tree")!;
    expect(tree.getAttribute("role")).toBe("tree");
    const items = [...tree.querySelectorAll('[role="treeitem"]')];
    expect(items[0]?.getAttribute("aria-expanded")).toBe("true");
    expect(items.map((i) => i.getAttribute("data-path"))).toEqual(["btc", "btc/metrics.json", "btc/trades.csv"]);
    expect(tree.querySelector(".tree-hash")?.getAttribute("title")).toBe(`SHA-256: ${"d".repeat(64)}`);
    expect(byTestId("check-result")?.dataset.result).toBe("unchecked");
    expect(document.getElementById("app")?.inert).toBe(true);

    click(byTestId("details-delete"));
    const confirm = byTestId("confirm-dialog")!;
    expect(confirm.textContent).toContain("btc_sma_cross_20261126_091502.tar.gz");
    expect(confirm.textContent).toContain("Strategy: btc_sma_cross");
    expect(confirm.textContent).toContain("26 Nov 2026, 09:15");
    expect(byTestId("confirm-only-backup")?.textContent).toContain("This is the only backup of btc_sma_cross.");
    expect(byTestId("confirm-yes")?.textContent).toBe("Delete the only backup");
    expect(document.activeElement).toBe(byTestId("confirm-no"));
    click(byTestId("confirm-no"));
    await settle();
    expect(fake.ipc.deleteBackup).not.toHaveBeenCalled();
    expect(byTestId("confirm-dialog")).toBeNull();
    expect(document.activeElement).toBe(byTestId("details-delete"));

    click(byTestId("details-delete"));
    click(byTestId("confirm-yes"));
    await settle();
    expect(fake.ipc.deleteBackup).toHaveBeenCalledWith("btc_sma_cross_20261126_091502.tar.gz");
    expect(byTestId("details")).toBeNull();
    expect(byTestId("toast")?.textContent).toContain("Deleted");
    expect(document.getElementById("app")?.inert).toBe(false);
  });

  it("checks a backup from its details and shows the result", async () => {
    const entry = catalogEntry("btc", "20261126_091502");
    const earlier = catalogEntry("btc", "20261120_080000");
    const fake = fakeIpc({ backups: [entry, earlier], strategies: [strategy("btc", "protected", entry)] });
    const app = mount(fake);
    await app.start();
    await settle();
    app.openDetails({ catalog: entry.backup_file });
    await settle();
    click(byTestId("details-check"));
    expect(byTestId("check-result")?.dataset.result).toBe("checking");
    const job = fake.running[0]!;
    expect(job.job).toEqual({ kind: "check", backup: { catalog: entry.backup_file } });
    job.resolve({
      kind: "check",
      report: {
        backup_file: entry.backup_file,
        path: "/x",
        ok: false,
        result: "damaged",
        quick: false,
        proof: "manifest",
        files_checked: 2,
        checked_at: new Date().toISOString(),
        problems: [
          { path: "btc/trades.csv", issue: "has changed: its content no longer matches the fingerprint (SHA-256) recorded when it was backed up" },
          { path: null, issue: "the archive is damaged between bytes 0 and 412,331: that block no longer decompresses (its checksum fails)" },
        ],
      },
    });
    await settle();
    const result = byTestId("check-result")!;
    expect(result.dataset.result).toBe("damaged");
    expect(result.textContent).toContain("Damaged");
    expect(result.textContent).toContain("Do not rely on this backup: 2 problems found");
    // One verdict at the top: nothing green says otherwise.
    expect(byTestId("details")?.querySelector(".verdict")).toBe(result);
    expect(byTestId("proof")?.textContent).not.toContain("✓");
    expect(allByTestId("problems")[0]?.textContent).toContain(
      "btc/trades.csv has changed: its content no longer matches the fingerprint (SHA-256) recorded when it was backed up.",
    );
    expect(allByTestId("problems")[0]?.textContent).toContain("The archive is damaged between bytes 0 and 412,331");
    const steps = byTestId("next-steps")!;
    expect(steps.textContent).toContain("back it up again now");
    expect(steps.textContent).toContain("restore the earlier backup from 20 Nov 2026, 08:00");
    click(byTestId("next-back-up"));
    expect(fake.running.at(-1)?.job).toEqual({ kind: "backup", strategy: "btc" });
    // The job card says the check found damage, not a green "Done".
    const card = allByTestId("job").find((j) => j.dataset.found === "damage");
    expect(card?.textContent).toContain("Found damage");
  });

  it("Escape closes the details and gives focus back", async () => {
    const fake = fakeIpc({ backups: [catalogEntry("btc", "20261126_091502")] });
    const app = mount(fake);
    await app.start();
    click(byTestId("nav-backups"));
    await settle();
    const row = byTestId("backup-row")!;
    row.focus();
    row.click();
    await settle();
    byTestId("details")!.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(byTestId("details")).toBeNull();
    expect(document.activeElement).toBe(row);
  });
});

describe("restore", () => {
  it("explains the choice, restores as a copy, and offers to open the folder", async () => {
    const entry = catalogEntry("btc", "20261126_091502");
    const fake = fakeIpc({ backups: [entry] });
    const app = mount(fake);
    await app.start();
    app.openDetails({ catalog: entry.backup_file });
    await settle();
    click(byTestId("details-restore"));
    await settle();
    expect(fake.ipc.restorePreview).toHaveBeenCalledWith({ catalog: entry.backup_file }, null);
    const dialog = byTestId("restore-dialog")!;
    expect(byTestId("restore-destination")?.textContent).toBe("/home/ana/results");
    expect(dialog.textContent).toContain("/home/ana/results/btc already exists");
    expect(byTestId("restore-copy")?.closest(".choice")?.textContent).toContain(
      "Restore as a copy beside it (/home/ana/results/btc_restored_20261126_091502)",
    );
    expect(byTestId("restore-replace")?.closest(".choice")?.textContent).toContain("the current folder is backed up first");
    expect(byTestId<HTMLInputElement>("restore-copy")?.checked).toBe(true);

    fake.ipc.pickFolder.mockResolvedValueOnce("/home/ana/review");
    fake.ipc.restorePreview.mockResolvedValueOnce({
      strategy: "btc",
      destination: "/home/ana/review",
      target: "/home/ana/review/btc",
      target_exists: false,
      copy_target: "/home/ana/review/btc_restored",
    });
    click(byTestId("restore-pick-destination"));
    await settle();
    expect(fake.ipc.pickFolder).toHaveBeenCalledWith("destination");
    expect(byTestId("restore-destination")?.textContent).toBe("/home/ana/review");
    expect(byTestId("restore-dialog")?.textContent).toContain("It will be restored to /home/ana/review/btc.");
    expect(byTestId("restore-copy")).toBeNull();

    click(byTestId("restore-confirm"));
    const job = fake.running[0]!;
    expect(job.job).toEqual({
      kind: "restore",
      backup: { catalog: entry.backup_file },
      destination: "/home/ana/review",
      on_conflict: "fail",
    });
    job.resolve({
      kind: "restore",
      outcome: {
        backup_file: entry.backup_file,
        strategy: "btc",
        restored_to: "/home/ana/review/btc",
        proof: "manifest",
        files: 2,
        bytes: 120,
        replaced: false,
        safety_backup: null,
        warnings: [],
      },
    });
    await settle();
    expect(byTestId("restore-result")?.textContent).toContain("/home/ana/review/btc");
    click(byTestId("restore-open-folder"));
    expect(fake.ipc.openFolder).toHaveBeenCalledWith("/home/ana/review/btc");
  });

  it("mentions the safety backup after replacing", async () => {
    const entry = catalogEntry("btc", "20261126_091502");
    const fake = fakeIpc({ backups: [entry] });
    const app = mount(fake);
    await app.start();
    app.openDetails({ catalog: entry.backup_file });
    await settle();
    click(byTestId("details-restore"));
    await settle();
    const replace = byTestId<HTMLInputElement>("restore-replace")!;
    replace.checked = true;
    replace.dispatchEvent(new Event("change"));
    click(byTestId("restore-confirm"));
    const job = fake.running[0]!;
    expect(job.job).toMatchObject({ kind: "restore", destination: null, on_conflict: "replace" });
    job.resolve({
      kind: "restore",
      outcome: {
        backup_file: entry.backup_file,
        strategy: "btc",
        restored_to: "/home/ana/results/btc",
        proof: "manifest",
        files: 2,
        bytes: 120,
        replaced: true,
        safety_backup: catalogEntry("btc", "20261126_100000"),
        warnings: [],
      },
    });
    await settle();
    expect(byTestId("restore-result")?.textContent).toContain("backed up first, as btc_20261126_100000.tar.gz");
  });
});

describe("drag and drop", () => {
  it("explains kindly what a non-archive is and opens dropped archives without Delete", async () => {
    const fake = fakeIpc();
    const app = mount(fake);
    await app.start();
    await settle();
    fake.drop({ archives: [], others: ["/home/ana/notes.txt"] });
    const banner = byTestId("error-banner");
    expect(banner?.dataset.code).toBe("not_an_archive");
    expect(banner?.textContent).toContain("notes.txt is not a backup.");
    expect(banner?.textContent).toContain("Drop a .tar.gz archive");

    fake.ipc.backupDetails.mockImplementationOnce(async (ref) => ({
      ...(await fakeIpc().ipc.backupDetails({ catalog: "mail.tar.gz" })),
      backup: ref,
      in_catalog: false,
      entry: null,
      proof: "embedded_manifest" as const,
    }));
    fake.drop({ archives: ["/home/ana/Downloads/mail.tar.gz"], others: [] });
    await settle();
    expect(fake.ipc.backupDetails).toHaveBeenCalledWith({ dropped: "/home/ana/Downloads/mail.tar.gz" });
    expect(byTestId("details")).not.toBeNull();
    expect(byTestId("details-delete")).toBeNull();
    expect(byTestId("details-check")).not.toBeNull();
    expect(byTestId("details-restore")).not.toBeNull();
    expect(byTestId("details")?.textContent).toContain("Provable from inside the archive");
    expect(byTestId("drop-overlay")?.hidden).toBe(true);
  });
});

describe("settings", () => {
  it("shows where settings live, the environment overrides, and saves a new backups folder", async () => {
    const fake = fakeIpc({ overview: overview({ environment_overrides: ["RESULTS_BACKUP_RESULTS"] }) });
    const app = mount(fake);
    await app.start();
    click(byTestId("nav-settings"));
    expect(byTestId<HTMLInputElement>("settings-results")?.value).toBe("/home/ana/results");
    expect(byTestId<HTMLInputElement>("settings-level")?.value).toBe("6");
    expect(document.body.textContent).toContain("shared with the command line");
    expect(document.body.textContent).toContain("/home/ana/.config/results-backup/settings.json");
    expect(document.body.textContent).toContain("RESULTS_BACKUP_RESULTS");
    fake.ipc.pickFolder.mockResolvedValueOnce("/mnt/usb/backups");
    click(byTestId("settings-pick-backups"));
    await settle();
    expect(byTestId<HTMLInputElement>("settings-backups")?.value).toBe("/mnt/usb/backups");
    const level = byTestId<HTMLInputElement>("settings-level")!;
    level.value = "9";
    level.dispatchEvent(new Event("input"));
    expect(document.body.textContent).toContain("Level 9 — smallest files, slowest");
    click(byTestId("settings-save"));
    await settle();
    expect(fake.ipc.saveSettings).toHaveBeenCalledWith("/home/ana/results", "/mnt/usb/backups", 9, { kind: "folder" });
    // the new backups folder's catalog is shown
    expect(byTestId("nav-backups")?.getAttribute("aria-current")).toBe("page");
    expect(fake.ipc.listBackups.mock.calls.length).toBeGreaterThan(1);
  });
});

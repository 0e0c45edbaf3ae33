// @vitest-environment jsdom
// Looking inside a backup from its details: the equity curve, compare and diff, opening one file,
// and choosing files for a partial restore.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeAllDialogs } from "../src/dialog";
import { openDetails } from "../src/views/details";
import { openRestore } from "../src/views/restore";
import { fakeContext } from "./fake-context";
import { allByTestId, byTestId, catalogEntry, settle, strategy } from "./fake-ipc";

const click = (el: Element | null | undefined) => {
  expect(el).toBeTruthy();
  (el as HTMLElement).click();
};

beforeEach(() => document.body.replaceChildren());
afterEach(() => closeAllDialogs());

const entry = catalogEntry("btc", "20261126_091502");
const older = catalogEntry("btc", "20261120_080000");

describe("inside a backup", () => {
  it("draws the equity curve read from the backup, and shows metrics by importance, formatted", async () => {
    const { ctx, ipc } = fakeContext({ backups: [entry, older] });
    openDetails(ctx, { catalog: entry.backup_file });
    await settle();
    expect(ipc.equityCurve).toHaveBeenCalledWith({ catalog: entry.backup_file });
    expect(byTestId("equity-chart")?.dataset.points).toBe("3");
    expect(byTestId("equity-chart")?.getAttribute("aria-label")).toContain("+12.0 %");
    const rows = [...(byTestId("metrics")?.querySelectorAll("tr") ?? [])].map((r) => r.textContent);
    expect(rows).toEqual(["Total return18.0 %", "Sharpe ratio1.42"]);
  });

  it("says plainly when there is no curve", async () => {
    const { ctx, ipc } = fakeContext({ backups: [entry] });
    ipc.equityCurve.mockResolvedValueOnce(null);
    openDetails(ctx, { catalog: entry.backup_file });
    await settle();
    expect(byTestId("equity-curve")?.textContent).toContain("This backup has no equity curve file");
  });

  it("compares with an earlier backup: metrics side by side and files with markers", async () => {
    const { ctx, ipc } = fakeContext({ backups: [entry, older] });
    openDetails(ctx, { catalog: entry.backup_file });
    await settle();
    const select = byTestId<HTMLSelectElement>("compare-with")!;
    expect(select.value).toBe(older.backup_file);
    click(byTestId("compare"));
    await settle();
    expect(ipc.compareBackups).toHaveBeenCalledWith({ catalog: older.backup_file }, { catalog: entry.backup_file });
    const dialog = byTestId("compare-dialog")!;
    expect(byTestId("diff-summary", dialog)?.textContent).toBe("1 file added, 1 file removed, 1 file changed; 4 entries the same.");
    const ret = dialog.querySelector('[data-metric="total_return"]')!;
    expect(ret.textContent).toContain("+6.0 % (better)");
    expect(dialog.querySelector('[data-metric="max_drawdown"] [data-better="false"]')?.textContent).toContain("-4.5 % (worse)");
    const files = [...dialog.querySelectorAll("[data-testid=diff-files] li")].map((li) => li.textContent);
    expect(files).toEqual(["+new.csv added", "-old.log removed", "Mtrades.csv changed (100 bytes → 140 bytes)"]);
  });

  it("shows what changed since the backup, and compares contents when asked", async () => {
    const { ctx, ipc } = fakeContext({ backups: [entry], strategies: [strategy("btc", "changed", entry)] });
    openDetails(ctx, { catalog: entry.backup_file });
    await settle();
    click(byTestId("changes-since"));
    await settle();
    expect(ipc.changesSince).toHaveBeenLastCalledWith({ catalog: entry.backup_file }, false);
    expect(byTestId("changes-dialog")?.textContent).toContain("btc as it is now");
    click(byTestId("changes-verify"));
    await settle();
    expect(ipc.changesSince).toHaveBeenLastCalledWith({ catalog: entry.backup_file }, true);
    expect(byTestId("changes-dialog")?.textContent).toContain("compared by their fingerprints");
  });

  it("opens one file without restoring, and restores only the chosen items", async () => {
    const { ctx, ipc, running } = fakeContext({ backups: [entry] });
    const restored: string[][] = [];
    ctx.navigate.openRestore.mockImplementation((details, focus, only) => {
      restored.push(only ?? []);
      openRestore(ctx, details, focus, only);
    });
    openDetails(ctx, { catalog: entry.backup_file });
    await settle();
    const openButtons = allByTestId("tree-open");
    expect(openButtons.length).toBe(2);
    click(openButtons[0]);
    await settle();
    expect(ipc.openBackupFile).toHaveBeenCalledWith({ catalog: entry.backup_file }, "metrics.json");
    expect(ctx.notify.toast).toHaveBeenCalledWith("Opened metrics.json, taken from the backup and checked against it.");

    const boxes = allByTestId<HTMLInputElement>("tree-select");
    boxes[1]!.checked = true;
    boxes[1]!.dispatchEvent(new Event("change"));
    expect(byTestId("selection-bar")?.textContent).toContain("1 item chosen");
    click(byTestId("restore-selected"));
    await settle();
    expect(restored).toEqual([["trades.csv"]]);
    expect(byTestId("restore-only")?.textContent).toContain("trades.csv");
    click(byTestId("restore-copy"));
    click(byTestId("restore-confirm"));
    await settle();
    expect(running.at(-1)?.job).toEqual({
      kind: "restore",
      backup: { catalog: entry.backup_file },
      destination: null,
      on_conflict: "copy",
      only: ["trades.csv"],
    });
  });
});

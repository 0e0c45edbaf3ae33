// @vitest-environment jsdom
// Finding the run: the Backups view's metric columns, sorting and metric filters.
import { beforeEach, describe, expect, it } from "vitest";
import { isMetricExpression } from "../src/filter";
import { BackupsView } from "../src/views/backups";
import type { CatalogEntry, MetricInfo } from "../src/types";
import { fakeContext, mountView } from "./fake-context";
import { allByTestId, byTestId, catalogEntry, settle } from "./fake-ipc";

const sharpe: MetricInfo = { key: "sharpe", label: "Sharpe ratio", unit: "ratio", better: "higher", rank: 2 };
const drawdown: MetricInfo = { key: "max_drawdown", label: "Max drawdown", unit: "percent", better: "closer_to_zero", rank: 3 };

const run = (ts: string, metrics: Record<string, number>): CatalogEntry =>
  catalogEntry("btc", ts, {
    metrics: Object.fromEntries(Object.entries(metrics).map(([k, value]) => [k, { name: k, value }])),
  });

beforeEach(() => document.body.replaceChildren());

describe("finding a run by its metrics", () => {
  it("shows key metrics, sorts by a column either way and filters by a range", () => {
    const backups = [
      run("20261104_090000", { sharpe: 1.1, max_drawdown: -8 }),
      run("20261103_090000", { sharpe: 1.9, max_drawdown: -22 }),
      run("20261102_090000", { max_drawdown: -3 }),
      run("20261101_090000", { sharpe: 1.6, max_drawdown: -12.5 }),
    ];
    const { ctx, state } = fakeContext({ backups });
    state.backups = { backups_dir: "/b", store: { kind: "folder" }, backups, warnings: [], metrics: [sharpe, drawdown] };
    mountView(new BackupsView(ctx)).update();
    // Rows are placed by their index (a virtual list moves them, it does not reorder the DOM).
    const order = () =>
      allByTestId("backup-row")
        .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
        .map((r) => r.dataset.backupFile?.slice(4, 12));
    expect(order()).toEqual(["20261104", "20261103", "20261102", "20261101"]);
    const firstRow = allByTestId("backup-row").find((r) => r.dataset.index === "0")!;
    expect(firstRow.querySelector('[data-metric="max_drawdown"]')?.textContent).toContain("-8.0 %");
    expect(firstRow.querySelector('[data-metric="sharpe"]')?.textContent).toContain("1.10");

    const sortBy = (key: string) => document.querySelector<HTMLButtonElement>(`[data-testid="sort-by"][data-key="${key}"]`)!;
    sortBy("sharpe").click();
    expect(order()).toEqual(["20261103", "20261101", "20261104", "20261102"]);
    expect(sortBy("sharpe").getAttribute("aria-sort")).toBe("descending");
    sortBy("sharpe").click();
    expect(order()).toEqual(["20261104", "20261101", "20261103", "20261102"]);
    expect(sortBy("sharpe").getAttribute("aria-sort")).toBe("ascending");

    const metric = byTestId<HTMLSelectElement>("range-metric")!;
    metric.value = "sharpe";
    byTestId<HTMLInputElement>("range-min")!.value = "1.5";
    byTestId("range-add")!.click();
    expect(order()).toEqual(["20261101", "20261103"]);
    expect(byTestId("range-chip")?.textContent).toContain("Sharpe ratio at least 1.50");
    const metric2 = byTestId<HTMLSelectElement>("range-metric")!;
    metric2.value = "max_drawdown";
    byTestId<HTMLInputElement>("range-min")!.value = "-20";
    byTestId("range-add")!.click();
    expect(order()).toEqual(["20261101"]);
    expect(allByTestId("range-chip")).toHaveLength(2);
    (allByTestId("range-chip")[0]!.querySelector("button") as HTMLButtonElement).click();
    // Only "drawdown at least -20 %" is left, still sorted by Sharpe lowest first (missing last).
    expect(order()).toEqual(["20261104", "20261101", "20261102"]);
  });
});

describe("a metric expression in the search box", () => {
  it("tells expressions from words", () => {
    expect(isMetricExpression("sharpe >= 1.5 and max_drawdown > -20")).toBe(true);
    expect(isMetricExpression("sharpe => 1.5")).toBe(true);
    expect(isMetricExpression("btc 2026-11")).toBe(false);
  });

  it("is read by the core and filters the list; a mistake is shown under the box", async () => {
    const backups = [run("20261104_090000", { sharpe: 1.1 }), run("20261103_090000", { sharpe: 1.9 })];
    const { ctx, state, ipc } = fakeContext({ backups });
    state.backups = { backups_dir: "/b", store: { kind: "folder" }, backups, warnings: [], metrics: [sharpe] };
    mountView(new BackupsView(ctx)).update();
    ipc.filterBackups.mockResolvedValueOnce({ matching: [backups[1]!.backup_file] });
    const search = byTestId<HTMLInputElement>("backup-search")!;
    search.value = "sharpe >= 1.5";
    search.dispatchEvent(new Event("input"));
    await settle(100);
    expect(ipc.filterBackups).toHaveBeenCalledWith("sharpe >= 1.5");
    expect(allByTestId("backup-row").map((r) => r.dataset.backupFile)).toEqual([backups[1]!.backup_file]);

    ipc.filterBackups.mockRejectedValueOnce({
      code: "invalid_query",
      message: 'The filter "sharpe => 1.5" cannot be read: unknown operator `=>` at column 8; use >=',
      hint: "Write comparisons like `sharpe >= 1.5`.",
    });
    search.value = "sharpe => 1.5";
    search.dispatchEvent(new Event("input"));
    await settle(100);
    expect(byTestId("expression-error")?.textContent).toContain("at column 8; use >=");
    expect(allByTestId("backup-row")).toHaveLength(0);

    search.value = "";
    search.dispatchEvent(new Event("input"));
    await settle(100);
    expect(byTestId("expression-error")?.textContent).toBe("");
    expect(allByTestId("backup-row")).toHaveLength(2);
  });
});

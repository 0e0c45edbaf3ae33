import { describe, expect, it } from "vitest";
import { describeRange, filterByRanges, formatMetric, metricColumns, sortBackups } from "../src/metrics";
import type { CatalogEntry, MetricInfo } from "../src/types";
import { catalogEntry } from "./fake-ipc";

const withMetrics = (ts: string, metrics: Record<string, number>): CatalogEntry =>
  catalogEntry("btc", ts, {
    metrics: Object.fromEntries(Object.entries(metrics).map(([k, value]) => [k, { name: k, value }])),
  });

describe("metrics in the backups list", () => {
  it("formats like an analyst expects", () => {
    expect(formatMetric(2, "ratio")).toBe("2.00");
    expect(formatMetric(145519.4, "currency")).toBe("145,519.40");
    expect(formatMetric(-12.5, "percent")).toBe("-12.5 %");
    expect(formatMetric(1204, "count")).toBe("1,204");
  });

  it("sorts by a metric either way with missing values last, ties newest first", () => {
    const a = withMetrics("20261101_090000", { sharpe: 1.2 });
    const b = withMetrics("20261102_090000", { sharpe: 2.1 });
    const c = withMetrics("20261103_090000", {});
    const d = withMetrics("20261104_090000", { sharpe: 1.2 });
    const names = (list: CatalogEntry[]) => list.map((x) => x.timestamp.slice(6, 8));
    expect(names(sortBackups([a, b, c, d], { key: "sharpe", descending: true }))).toEqual(["02", "04", "01", "03"]);
    expect(names(sortBackups([a, b, c, d], { key: "sharpe", descending: false }))).toEqual(["04", "01", "02", "03"]);
    expect(names(sortBackups([a, b, c, d], { key: "created", descending: true }))).toEqual(["04", "03", "02", "01"]);
  });

  it("filters by ranges; a backup without the metric never matches", () => {
    const list = [
      withMetrics("20261101_090000", { sharpe: 1.2, max_drawdown: -25 }),
      withMetrics("20261102_090000", { sharpe: 1.8, max_drawdown: -12 }),
      withMetrics("20261103_090000", { max_drawdown: -5 }),
    ];
    expect(filterByRanges(list, [{ key: "sharpe", min: 1.5, max: null }])).toHaveLength(1);
    expect(filterByRanges(list, [{ key: "max_drawdown", min: -20, max: null }])).toHaveLength(2);
    expect(filterByRanges(list, [{ key: "sharpe", min: 1, max: null }, { key: "max_drawdown", min: -20, max: -10 }])).toHaveLength(1);
    expect(filterByRanges(list, [{ key: "sharpe", min: null, max: null }])).toHaveLength(3);
  });

  it("says a range in words and picks the most important columns", () => {
    const sharpe: MetricInfo = { key: "sharpe", label: "Sharpe ratio", unit: "ratio", better: "higher", rank: 2 };
    const dd: MetricInfo = { key: "max_drawdown", label: "Max drawdown", unit: "percent", better: "closer_to_zero", rank: 3 };
    expect(describeRange({ key: "sharpe", min: 1.5, max: null }, sharpe)).toBe("Sharpe ratio at least 1.50");
    expect(describeRange({ key: "max_drawdown", min: -20, max: -5 }, dd)).toBe("Max drawdown between -20.0 % and -5.0 %");
    expect(metricColumns([sharpe, dd], 1)).toEqual([sharpe]);
  });

  it("sorts and filters 50,000 backups in one pass each", () => {
    const many = Array.from({ length: 50_000 }, (_, i) =>
      withMetrics(`2026${String(1 + (i % 12)).padStart(2, "0")}01_${String(i % 240000).padStart(6, "0")}`, i % 7 ? { sharpe: (i * 7919) % 300 / 100 } : {}),
    );
    const sorted = sortBackups(many, { key: "sharpe", descending: true });
    const filtered = filterByRanges(sorted, [{ key: "sharpe", min: 1.5, max: null }]);
    expect(sorted).toHaveLength(50_000);
    expect(metricValueOf(sorted[0])).toBeGreaterThanOrEqual(metricValueOf(sorted[1]));
    expect(filtered.every((b) => (b.metrics?.sharpe?.value ?? 0) >= 1.5)).toBe(true);
  });
});

function metricValueOf(b: CatalogEntry | undefined): number {
  return b?.metrics?.sharpe?.value ?? -Infinity;
}

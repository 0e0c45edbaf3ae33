// Metrics in the Backups view: formatting as the core does, sorting with missing values last,
// and range filters ("Sharpe at least 1.5"). Percent metrics arrive in percent already.
import { backupDate } from "./format";
import type { CatalogEntry, MetricInfo, MetricUnit } from "./types";

function grouped(value: number, decimals: number): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** `2.00`, `145,519.40`, `-12.5 %`, `1,204`: the core's `format_metric`, for the list. */
export function formatMetric(value: number, unit: MetricUnit): string {
  switch (unit) {
    case "percent":
      return `${grouped(value, 1)} %`;
    case "ratio":
      return value.toFixed(2);
    case "count":
      return grouped(value, 0);
    case "currency":
      return grouped(value, 2);
    default:
      return String(value);
  }
}

export const metricValue = (entry: CatalogEntry, key: string): number | undefined => entry.metrics?.[key]?.value;

export type SortKey = { key: "created" | string; descending: boolean };

/** Newest first by default; by a metric, highest or lowest first, backups without it last either way. */
export function sortBackups(backups: readonly CatalogEntry[], sort: SortKey): CatalogEntry[] {
  const time = (b: CatalogEntry) => backupDate(b)?.getTime() ?? 0;
  const sorted = backups.slice();
  if (sort.key === "created") {
    sorted.sort((a, b) => (sort.descending ? time(b) - time(a) : time(a) - time(b)));
    return sorted;
  }
  sorted.sort((a, b) => {
    const x = metricValue(a, sort.key);
    const y = metricValue(b, sort.key);
    if (x === undefined && y === undefined) return time(b) - time(a);
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    if (x !== y) return sort.descending ? y - x : x - y;
    return time(b) - time(a);
  });
  return sorted;
}

export type MetricRange = { key: string; min: number | null; max: number | null };

/** Backups whose metrics fall inside every range; a backup without the metric does not. */
export function filterByRanges(backups: readonly CatalogEntry[], ranges: readonly MetricRange[]): CatalogEntry[] {
  const active = ranges.filter((r) => r.min !== null || r.max !== null);
  if (active.length === 0) return backups.slice();
  return backups.filter((b) =>
    active.every((r) => {
      const v = metricValue(b, r.key);
      if (v === undefined) return false;
      return (r.min === null || v >= r.min) && (r.max === null || v <= r.max);
    }),
  );
}

/** "Sharpe ratio at least 1.50", "Max drawdown between -20.0 % and -5.0 %". */
export function describeRange(range: MetricRange, info: MetricInfo | undefined): string {
  const label = info?.label ?? range.key;
  const unit = info?.unit ?? "number";
  if (range.min !== null && range.max !== null) return `${label} between ${formatMetric(range.min, unit)} and ${formatMetric(range.max, unit)}`;
  if (range.min !== null) return `${label} at least ${formatMetric(range.min, unit)}`;
  if (range.max !== null) return `${label} at most ${formatMetric(range.max, unit)}`;
  return label;
}

/** The columns the list shows: the most important metrics present, at most `max`. */
export function metricColumns(present: readonly MetricInfo[], max = 4): MetricInfo[] {
  return present.slice(0, max);
}

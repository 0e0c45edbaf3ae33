// Filtering and searching the catalog (the backups view).
import { backupDate, formatDateTime, formatIsoLocal } from "./format";
import type { CatalogEntry, CheckResult } from "./types";

export type BackupFilter = { strategy: string | null; query: string };

export function checkLabel(result: CheckResult | null): string {
  switch (result) {
    case "ok":
      return "OK";
    case "damaged":
      return "Damaged";
    case "missing":
      return "Missing";
    default:
      return "Not checked yet";
  }
}

const haystacks = new WeakMap<CatalogEntry, string>();

/** Everything a search may match in one backup: strategy, file name, dates in several spellings, check. */
export function searchText(entry: CatalogEntry): string {
  let text = haystacks.get(entry);
  if (text === undefined) {
    const date = backupDate(entry);
    text = [
      entry.strategy,
      entry.backup_file,
      entry.timestamp,
      date ? formatIsoLocal(date) : "",
      date ? formatDateTime(date) : "",
      checkLabel(entry.check_result),
    ]
      .join("\n")
      .toLowerCase();
    haystacks.set(entry, text);
  }
  return text;
}

/** Backups of the chosen strategy whose text contains every word of the query (any order). */
export function filterBackups(backups: readonly CatalogEntry[], filter: BackupFilter): CatalogEntry[] {
  const words = filter.query.toLowerCase().split(/\s+/).filter(Boolean);
  const strategy = filter.strategy || null;
  if (!strategy && words.length === 0) return backups.slice();
  return backups.filter((entry) => {
    if (strategy !== null && entry.strategy !== strategy) return false;
    if (words.length === 0) return true;
    const text = searchText(entry);
    return words.every((word) => text.includes(word));
  });
}

/** The strategies that have backups, sorted, for the filter menu. */
export function strategiesOf(backups: readonly CatalogEntry[]): string[] {
  return [...new Set(backups.map((b) => b.strategy))].sort((a, b) => a.localeCompare(b));
}

/** Whether a search is a metric expression (`sharpe >= 1.5`) rather than words to find. */
export function isMetricExpression(query: string): boolean {
  return /(>=|<=|!=|==|=>|=<|[<>=])/.test(query);
}

import { describe, expect, it } from "vitest";
import { isCancelled, toUserError } from "../src/errors";
import { checkLabel, filterBackups, searchText, strategiesOf } from "../src/filter";
import { buildTree, visibleNodes } from "../src/tree";
import { computeWindow, scrollTopFor } from "../src/virtual";
import type { CatalogEntry, ManifestEntry } from "../src/types";

export function entry(strategy: string, timestamp: string, extra: Partial<CatalogEntry> = {}): CatalogEntry {
  return {
    strategy,
    timestamp,
    backup_file: `${strategy}_${timestamp}.tar.gz`,
    size: 1000,
    created: "2026-11-26T09:15:02+01:00",
    sha256: "f".repeat(64),
    files: 3,
    bytes: 5000,
    last_checked: null,
    check_result: null,
    has_manifest: true,
    ...extra,
  };
}

describe("toUserError", () => {
  it("passes an IpcError through", () => {
    const e = { code: "corrupt_archive", message: "x.tar.gz is damaged", hint: "Restore another backup." };
    expect(toUserError(e)).toEqual(e);
  });
  it("fills a missing code or hint", () => {
    expect(toUserError({ message: "Disk full" })).toEqual({ code: "unknown", message: "Disk full", hint: "" });
  });
  it("reads the command line's { error: {...} } shape and JSON text", () => {
    expect(toUserError({ error: { code: "not_found", message: "gone", hint: "h" } }).code).toBe("not_found");
    expect(toUserError('{"code":"not_allowed","message":"no","hint":"pick it"}')).toEqual({
      code: "not_allowed",
      message: "no",
      hint: "pick it",
    });
  });
  it("copes with strings, Errors and junk without showing raw objects", () => {
    expect(toUserError("Command foo not found").message).toBe("Command foo not found");
    expect(toUserError(new Error("network down")).message).toBe("network down");
    for (const junk of [undefined, null, 42, {}, { foo: 1 }, [], "", "   ", new Error(""), { message: "" }, { message: 7 }]) {
      const e = toUserError(junk);
      expect(e.message).toBe("Something went wrong.");
      expect(e.hint).not.toBe("");
      expect(e.message).not.toContain("[object");
    }
    expect(toUserError("{not json").message).toBe("{not json");
  });
  it("recognises cancellation", () => {
    expect(isCancelled({ code: "cancelled", message: "Cancelled", hint: "" })).toBe(true);
    expect(isCancelled("cancelled")).toBe(false);
  });
});

describe("filterBackups", () => {
  const list = [
    entry("btc_sma_cross", "20261126_091502", { check_result: "damaged" }),
    entry("eth_breakout", "20261125_170211"),
    entry("btc_sma_cross", "20261120_080000", { check_result: "ok" }),
    entry("sol_mean_revert", "20250101_000000"),
  ];
  it("keeps everything (in order) with no filter", () => {
    const out = filterBackups(list, { strategy: null, query: "" });
    expect(out).toEqual(list);
    expect(out).not.toBe(list);
  });
  it("filters by strategy exactly", () => {
    expect(filterBackups(list, { strategy: "btc_sma_cross", query: "" }).map((b) => b.timestamp)).toEqual([
      "20261126_091502",
      "20261120_080000",
    ]);
    expect(filterBackups(list, { strategy: "btc", query: "" })).toEqual([]);
  });
  it("searches strategy, file name and dates, case-insensitively, every word", () => {
    expect(filterBackups(list, { strategy: null, query: "ETH" })).toHaveLength(1);
    expect(filterBackups(list, { strategy: null, query: "2026-11-2" })).toHaveLength(3);
    expect(filterBackups(list, { strategy: null, query: "20250101" })).toHaveLength(1);
    expect(filterBackups(list, { strategy: null, query: "nov 2026 btc" })).toHaveLength(2);
    expect(filterBackups(list, { strategy: null, query: "  BTC   09:15 " })).toHaveLength(1);
    expect(filterBackups(list, { strategy: null, query: ".tar.gz" })).toHaveLength(4);
    expect(filterBackups(list, { strategy: null, query: "damaged" })).toHaveLength(1);
    expect(filterBackups(list, { strategy: "eth_breakout", query: "btc" })).toEqual([]);
  });
  it("is fast enough for 5,000 backups", () => {
    const many = Array.from({ length: 5000 }, (_, i) =>
      entry(`strategy_${i % 40}`, `2026${String((i % 12) + 1).padStart(2, "0")}${String((i % 28) + 1).padStart(2, "0")}_120000`),
    );
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) filterBackups(many, { strategy: null, query: `strategy_${i} 2026` });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(filterBackups(many, { strategy: "strategy_3", query: "" })).toHaveLength(125);
  });
  it("lists strategies once, sorted", () => {
    expect(strategiesOf(list)).toEqual(["btc_sma_cross", "eth_breakout", "sol_mean_revert"]);
    expect(strategiesOf([])).toEqual([]);
  });
  it("labels check results", () => {
    expect(checkLabel("ok")).toBe("OK");
    expect(checkLabel("damaged")).toBe("Damaged");
    expect(checkLabel("missing")).toBe("Missing");
    expect(checkLabel(null)).toBe("Not checked yet");
    expect(searchText(list[1] as CatalogEntry)).toContain("not checked yet");
  });
});

describe("buildTree", () => {
  const e = (path: string, kind: ManifestEntry["kind"], size = 0, extra: Partial<ManifestEntry> = {}): ManifestEntry => ({
    path,
    kind,
    size,
    mode: 420,
    mtime: 1_700_000_000,
    ...extra,
  });
  it("nests entries under the strategy folder with folder totals", () => {
    const roots = buildTree([
      e("btc", "dir"),
      e("btc/trades.csv", "file", 100, { sha256: "a".repeat(64) }),
      e("btc/runs", "dir"),
      e("btc/runs/run10/equity.csv", "file", 5),
      e("btc/runs/run2/equity.csv", "file", 7),
      e("btc/latest", "symlink", 0, { target: "runs/run10" }),
      e("btc/metrics.json", "file", 20),
    ]);
    expect(roots).toHaveLength(1);
    const btc = roots[0]!;
    expect(btc.name).toBe("btc");
    expect(btc.size).toBe(132);
    expect(btc.files).toBe(5);
    // folders first, then natural name order
    expect(btc.children.map((c) => c.name)).toEqual(["runs", "latest", "metrics.json", "trades.csv"]);
    const runs = btc.children[0]!;
    expect(runs.children.map((c) => c.name)).toEqual(["run2", "run10"]);
    expect(runs.size).toBe(12);
    expect(btc.children[1]!.target).toBe("runs/run10");
    expect(btc.children[3]!.sha256).toBe("a".repeat(64));
  });
  it("creates missing parent folders and copes with any order", () => {
    const roots = buildTree([e("s/a/b/c.txt", "file", 3), e("s/a", "dir", 0, { mtime: 5 })]);
    const a = roots[0]!.children[0]!;
    expect(a.path).toBe("s/a");
    expect(a.mtime).toBe(5);
    expect(a.children[0]!.path).toBe("s/a/b");
    expect(a.children[0]!.mtime).toBeNull();
    expect(a.size).toBe(3);
  });
  it("ignores empty paths, duplicate slashes and dot segments; later duplicates win", () => {
    const roots = buildTree([e("", "dir"), e("s//x.txt", "file", 1), e("./s/x.txt", "file", 2), e("s/./y", "file", 4)]);
    expect(roots).toHaveLength(1);
    expect(roots[0]!.children.map((c) => [c.name, c.size])).toEqual([
      ["x.txt", 2],
      ["y", 4],
    ]);
  });
  it("returns nothing for no entries and handles an empty folder", () => {
    expect(buildTree([])).toEqual([]);
    const [root] = buildTree([e("empty", "dir")]);
    expect(root!.files).toBe(0);
    expect(root!.size).toBe(0);
  });
  it("lists visible nodes according to what is expanded", () => {
    const roots = buildTree([e("s/a/1", "file"), e("s/b", "file")]);
    expect(visibleNodes(roots, new Set()).map((n) => n.path)).toEqual(["s"]);
    expect(visibleNodes(roots, new Set(["s"])).map((n) => n.path)).toEqual(["s", "s/a", "s/b"]);
    expect(visibleNodes(roots, new Set(["s", "s/a"])).map((n) => n.path)).toEqual(["s", "s/a", "s/a/1", "s/b"]);
  });
});

describe("computeWindow", () => {
  it("renders only the rows on screen plus overscan", () => {
    const w = computeWindow({ scrollTop: 0, viewportHeight: 720, rowHeight: 72, count: 5000, overscan: 4 });
    expect(w).toEqual({ start: 0, end: 14, offset: 0, total: 360_000 });
    const mid = computeWindow({ scrollTop: 72_000, viewportHeight: 720, rowHeight: 72, count: 5000, overscan: 4 });
    expect(mid.start).toBe(996);
    expect(mid.end).toBe(1014);
    expect(mid.offset).toBe(996 * 72);
    expect(mid.end - mid.start).toBeLessThan(30);
  });
  it("handles a partial row at the bottom and the end of the list", () => {
    const w = computeWindow({ scrollTop: 36, viewportHeight: 100, rowHeight: 72, count: 10, overscan: 0 });
    expect([w.start, w.end]).toEqual([0, 2]);
    const end = computeWindow({ scrollTop: 1e9, viewportHeight: 720, rowHeight: 72, count: 5000, overscan: 2 });
    expect(end.end).toBe(5000);
    expect(end.start).toBe(5000 - 10 - 2);
  });
  it("copes with empty lists, short lists, zero heights and negative scroll", () => {
    expect(computeWindow({ scrollTop: 0, viewportHeight: 500, rowHeight: 72, count: 0 })).toEqual({
      start: 0,
      end: 0,
      offset: 0,
      total: 0,
    });
    expect(computeWindow({ scrollTop: -50, viewportHeight: 500, rowHeight: 72, count: 3, overscan: 4 })).toMatchObject({
      start: 0,
      end: 3,
    });
    const zero = computeWindow({ scrollTop: 0, viewportHeight: 0, rowHeight: 72, count: 100, overscan: 0 });
    expect(zero.end - zero.start).toBe(1);
    const bad = computeWindow({ scrollTop: Number.NaN, viewportHeight: 100, rowHeight: 0, count: 10, overscan: 0 });
    expect(bad.start).toBe(0);
    expect(bad.total).toBe(10);
  });
  it("doubles the rows per screen when zoomed to 200% (row height doubles)", () => {
    const normal = computeWindow({ scrollTop: 0, viewportHeight: 720, rowHeight: 72, count: 5000, overscan: 0 });
    const zoomed = computeWindow({ scrollTop: 0, viewportHeight: 720, rowHeight: 144, count: 5000, overscan: 0 });
    expect(normal.end).toBe(10);
    expect(zoomed.end).toBe(5);
    expect(zoomed.total).toBe(720_000);
  });
  it("scrolls the least to show a row", () => {
    expect(scrollTopFor(0, 500, 300, 50)).toBe(0);
    expect(scrollTopFor(12, 500, 300, 50)).toBe(500);
    expect(scrollTopFor(20, 500, 300, 50)).toBe(750);
    expect(scrollTopFor(5, 500, 300, 50)).toBe(250);
  });
});

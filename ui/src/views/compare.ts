// Compare and diff: two backups side by side (metrics with their differences, files added,
// removed and changed, from the manifests alone), or a backup against its strategy folder now.
import type { ViewContext } from "../context";
import { openDialog } from "../dialog";
import { h } from "../dom";
import { toUserError } from "../errors";
import { backupDate, formatBytes, formatDateTime, plural } from "../format";
import { formatMetric } from "../metrics";
import type { BackupDiff, BackupRef, Change, DiffSide, MetricChange } from "../types";
import { errorBanner, notice, spinner } from "../widgets";

/** restic's markers, for people who also read the command line: + added, - removed, M changed, T type changed. */
export function marker(change: Change): string {
  switch (change.type) {
    case "added":
      return "+";
    case "removed":
      return "-";
    case "modified":
      return "M";
    default:
      return "T";
  }
}

export function changeWords(change: Change): string {
  switch (change.type) {
    case "added":
      return "added";
    case "removed":
      return "removed";
    case "modified":
      return change.size_before === change.size_after
        ? "changed"
        : `changed (${formatBytes(change.size_before)} → ${formatBytes(change.size_after)})`;
    default:
      return `was a ${change.kind_before}, now something else`;
  }
}

export function sideName(side: DiffSide): string {
  if (side.kind === "current") return `${side.strategy} as it is now`;
  const when = backupDate(side);
  return `${side.strategy}, ${when ? formatDateTime(when) : side.timestamp}`;
}

/** The archive's name (to the second, with its sequence), or the folder as it is now. */
function sideFile(side: DiffSide): string {
  return side.kind === "backup" ? side.backup_file : `${side.strategy} as it is now`;
}

function deltaText(m: MetricChange): string {
  if (m.delta === null) return "";
  const text = formatMetric(m.delta, m.unit);
  return m.delta > 0 ? `+${text}` : text;
}

export function diffView(diff: BackupDiff): HTMLElement {
  const counts = { added: 0, removed: 0, modified: 0, type_changed: 0 };
  for (const f of diff.files) counts[f.change.type] += 1;
  const summary =
    diff.files.length === 0
      ? `No file differs (${plural(diff.unchanged_count, "entry", "entries")} the same).`
      : `${plural(counts.added, "file")} added, ${plural(counts.removed, "file")} removed, ${plural(counts.modified + counts.type_changed, "file")} changed; ${plural(diff.unchanged_count, "entry", "entries")} the same.`;
  const metrics = diff.metrics.length
    ? h(
        "table",
        { class: "metrics compare-metrics", "data-testid": "compare-metrics" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Metric"), h("th", { scope: "col" }, sideName(diff.a)), h("th", { scope: "col" }, sideName(diff.b)), h("th", { scope: "col" }, "Difference"))),
        h(
          "tbody",
          {},
          diff.metrics.map((m) =>
            h(
              "tr",
              { "data-metric": m.key },
              h("th", { scope: "row" }, m.label),
              h("td", {}, m.a === null ? "–" : formatMetric(m.a, m.unit)),
              h("td", {}, m.b === null ? "–" : formatMetric(m.b, m.unit)),
              h(
                "td",
                { class: m.better === null ? "" : m.better ? "better" : "worse", "data-better": m.better === null ? "" : String(m.better) },
                deltaText(m),
                m.better === null ? "" : m.better ? " (better)" : " (worse)",
              ),
            ),
          ),
        ),
      )
    : null;
  return h(
    "div",
    { class: "compare", "data-testid": "diff" },
    h("p", { "data-testid": "diff-summary" }, h("strong", {}, summary)),
    diff.contents_compared ? null : h("p", { class: "muted small" }, "Compared by size and time; “Compare contents” also reads the files of equal size."),
    metrics,
    diff.files.length
      ? h(
          "ul",
          { class: "diff-files plain-list", "data-testid": "diff-files" },
          diff.files.slice(0, 2000).map((f) =>
            h(
              "li",
              { "data-change": f.change.type, "data-path": f.path },
              h("code", { class: `diff-marker diff-${f.change.type}`, "aria-hidden": "true" }, marker(f.change)),
              h("span", { class: "path" }, f.path),
              h("span", { class: "muted small" }, ` ${changeWords(f.change)}`),
            ),
          ),
          diff.files.length > 2000 ? h("li", { class: "muted small" }, `…and ${diff.files.length - 2000} more`) : null,
        )
      : null,
  );
}

/** Two backups compared, from their manifests. */
export function openCompare(ctx: ViewContext, a: BackupRef, b: BackupRef, returnFocus: HTMLElement | null = null): void {
  const body = h("div", {}, spinner("Comparing…"));
  openDialog({ title: "Compare backups", testid: "compare-dialog", wide: true, content: [body], returnFocus });
  ctx.ipc
    .compareBackups(a, b)
    .then((diff) =>
      body.replaceChildren(
        h("p", { class: "muted" }, `From ${sideFile(diff.a)} to ${sideFile(diff.b)}.`),
        diffView(diff),
      ),
    )
    .catch((err: unknown) => body.replaceChildren(errorBanner(toUserError(err))));
}

/** A backup against its strategy folder as it is now. */
export function openChangesSince(ctx: ViewContext, backup: BackupRef, returnFocus: HTMLElement | null = null): void {
  const body = h("div", {});
  openDialog({ title: "What changed since this backup", testid: "changes-dialog", wide: true, content: [body], returnFocus });
  const load = (verify: boolean) => {
    body.replaceChildren(spinner(verify ? "Reading the files of equal size…" : "Looking at the folder…"));
    ctx.ipc
      .changesSince(backup, verify)
      .then((diff) =>
        body.replaceChildren(
          h("p", { class: "muted" }, `From ${sideName(diff.a)} to ${sideName(diff.b)}.`),
          diffView(diff),
          diff.contents_compared
            ? notice("Files of equal size were read and compared by their fingerprints.")
            : h(
                "button",
                { type: "button", class: "btn", "data-testid": "changes-verify", onclick: () => load(true) },
                "Compare contents",
              ),
        ),
      )
      .catch((err: unknown) => body.replaceChildren(errorBanner(toUserError(err))));
  };
  load(false);
}

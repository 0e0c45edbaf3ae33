// Backups: the catalog as a fast virtual list with a strategy filter and search.
import type { ViewContext } from "../context";
import { h, keepFocus } from "../dom";
import { toUserError } from "../errors";
import { filterBackups, isMetricExpression, strategiesOf } from "../filter";
import { describeRange, filterByRanges, formatMetric, metricColumns, metricValue, sortBackups, type MetricRange, type SortKey } from "../metrics";
import { backupDate, formatBytes, formatCount, formatDateTime, formatRelative, middleEllipsis, plural } from "../format";
import { isActive } from "../jobs";
import type { CatalogEntry, MetricInfo } from "../types";
import { VirtualList } from "../vlist";
import { checkBadge, errorBanner, notice, spinner } from "../widgets";

export const ROW_REM = 4.5;

export class BackupsView {
  readonly el: HTMLElement;
  private readonly list: VirtualList<CatalogEntry>;
  private readonly filterSelect: HTMLSelectElement;
  private readonly search: HTMLInputElement;
  private readonly count: HTMLElement;
  private readonly headerInfo: HTMLElement;
  private readonly messages: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly checkAll: HTMLButtonElement;
  private strategy = "";
  private query = "";
  private sort: SortKey = { key: "created", descending: true };
  private ranges: MetricRange[] = [];
  /** The backups a metric expression in the search box keeps, read by the core; null: no expression. */
  private expressionMatches: Set<string> | null = null;
  private readonly expressionError: HTMLElement;
  private columns: MetricInfo[] = [];
  private readonly sortBar: HTMLElement;
  private readonly rangeBar: HTMLElement;
  private lastSource: readonly CatalogEntry[] | null = null;
  private searchTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly ctx: ViewContext) {
    this.list = new VirtualList<CatalogEntry>({
      label: "Backups, newest first",
      rowRem: ROW_REM,
      key: (b) => b.backup_file,
      render: (b) => backupRow(b, this.columns),
      activate: (b) => ctx.navigate.openDetails({ catalog: b.backup_file }),
    });
    this.filterSelect = h("select", {
      id: "strategy-filter",
      "data-testid": "strategy-filter",
      onchange: () => {
        this.strategy = this.filterSelect.value;
        this.apply(true);
      },
    });
    this.search = h("input", {
      id: "backup-search",
      type: "search",
      "data-testid": "backup-search",
      placeholder: "Strategy, file name, date — or sharpe >= 1.5 and max_drawdown > -20",
      autocomplete: "off",
      spellcheck: "false",
      oninput: () => {
        if (this.searchTimer) clearTimeout(this.searchTimer);
        this.searchTimer = setTimeout(() => void this.searchFor(this.search.value), 80);
      },
      onkeydown: (e: KeyboardEvent) => {
        if (e.key === "Escape" && this.search.value) {
          e.stopPropagation();
          this.search.value = "";
          void this.searchFor("");
        }
      },
    });
    this.count = h("p", { class: "muted small list-count", "aria-live": "polite" });
    this.expressionError = h("div", { class: "expression-error", "data-testid": "expression-error", "aria-live": "polite" });
    this.checkAll = h(
      "button",
      { type: "button", class: "btn", "data-testid": "check-all", onclick: () => this.runCheckAll() },
      "Check all",
    );
    this.headerInfo = h("p", { class: "muted path-line" });
    this.sortBar = h("div", { class: "sort-bar", role: "group", "aria-label": "Sort the backups", "data-testid": "sort-bar" });
    this.rangeBar = h("div", { class: "range-bar", "data-testid": "metric-filters" });
    this.messages = h("div", {});
    this.empty = h("div", {});
    this.el = h(
      "section",
      { class: "page page-backups", "aria-labelledby": "backups-title" },
      h(
        "div",
        { class: "page-header" },
        h("div", {}, h("h1", { id: "backups-title" }, "Backups"), this.headerInfo),
        h("div", { class: "toolbar-actions" }, this.checkAll),
      ),
      this.messages,
      h(
        "div",
        { class: "toolbar filters", role: "search" },
        h("div", { class: "field" }, h("label", { for: "strategy-filter" }, "Strategy"), this.filterSelect),
        h("div", { class: "field field-grow" }, h("label", { for: "backup-search" }, "Search"), this.search, this.expressionError),
      ),
      this.rangeBar,
      this.sortBar,
      this.count,
      this.empty,
      this.list.el,
    );
  }

  update(): void {
    const { backups, backupsError } = this.ctx.store.state;
    const store = backups?.store ?? this.ctx.store.state.overview?.store;
    const dir =
      store?.kind === "shared" ? store.address : (backups?.backups_dir ?? this.ctx.store.state.overview?.backups_dir ?? "");
    const where = store?.kind === "shared" ? "In shared storage: " : "In ";
    this.headerInfo.replaceChildren(dir ? h("span", {}, where, h("span", { class: "path", title: dir }, dir)) : "");
    const messages: HTMLElement[] = [];
    if (backupsError) {
      messages.push(errorBanner(backupsError, { actions: [h("button", { type: "button", class: "btn", onclick: () => void this.ctx.store.refresh() }, "Try again")] }));
    }
    for (const warning of backups?.warnings ?? []) messages.push(notice(warning, "warning"));
    keepFocus(this.messages, () => this.messages.replaceChildren(...messages));
    const checking = this.ctx.jobs.list().some((j) => isActive(j) && j.request.kind === "check_all");
    this.checkAll.disabled = checking || !backups || backups.backups.length === 0;
    this.checkAll.title = checking ? "Already checking every backup" : "";
    this.apply(false);
  }

  private apply(resetScroll: boolean): void {
    const backups = this.ctx.store.state.backups;
    if (!backups) {
      this.count.textContent = "";
      this.empty.replaceChildren(this.ctx.store.state.backupsError ? "" : spinner("Reading the catalog…"));
      this.list.el.hidden = true;
      this.list.setItems([]);
      return;
    }
    const all = backups.backups;
    if (all !== this.lastSource) {
      this.lastSource = all;
      this.fillStrategies(all);
    }
    this.columns = metricColumns(backups.metrics ?? []);
    this.renderSortBar();
    this.renderRangeBar(backups.metrics ?? []);
    const byWords = this.expressionMatches
      ? filterBackups(all, { strategy: this.strategy || null, query: "" }).filter((b) => this.expressionMatches?.has(b.backup_file))
      : filterBackups(all, { strategy: this.strategy || null, query: this.query });
    const matching = filterByRanges(byWords, this.ranges);
    // The catalog already lists newest first: sort only when the analyst asked for another order.
    const newestFirst = this.sort.key === "created" && this.sort.descending;
    const shown = newestFirst ? matching : sortBackups(matching, this.sort);
    this.count.textContent =
      shown.length === all.length ? `${plural(all.length, "backup")}, newest first` : `Showing ${formatCount(shown.length)} of ${plural(all.length, "backup")}`;
    if (all.length === 0) {
      this.empty.replaceChildren(
        notice("No backups yet. Go to Strategies and choose “Back up all” to make the first ones."),
      );
    } else if (shown.length === 0) {
      this.empty.replaceChildren(
        notice([
          h("p", {}, "No backups match your search."),
          h("button", { type: "button", class: "btn btn-small", onclick: () => this.clearFilters() }, "Show all backups"),
        ]),
      );
    } else {
      this.empty.replaceChildren();
    }
    this.list.el.hidden = shown.length === 0;
    this.list.setItems(shown);
    if (resetScroll) this.list.reset();
  }

  /**
   * Words search the names and dates; a metric expression (`sharpe >= 1.5 and trades > 100`) is
   * read by the core, the same parser as `list --where`, and a mistake is shown where it is.
   */
  private async searchFor(text: string): Promise<void> {
    this.query = text;
    this.expressionError.replaceChildren();
    if (!isMetricExpression(text)) {
      this.expressionMatches = null;
      this.apply(true);
      return;
    }
    try {
      const result = await this.ctx.ipc.filterBackups(text);
      if (this.query !== text) return;
      this.expressionMatches = new Set(result.matching);
    } catch (err) {
      if (this.query !== text) return;
      const e = toUserError(err);
      this.expressionMatches = new Set();
      this.expressionError.replaceChildren(h("p", { class: "small bad-text" }, e.message), h("p", { class: "small muted" }, e.hint));
    }
    this.apply(true);
  }

  /** Sortable columns: when it was made, and each key metric (highest or lowest first; missing last). */
  private renderSortBar(): void {
    const button = (key: string, label: string) => {
      const active = this.sort.key === key;
      const direction = active ? (this.sort.descending ? "descending" : "ascending") : "none";
      return h(
        "button",
        {
          type: "button",
          class: `sort-button${active ? " active" : ""}`,
          "data-testid": "sort-by",
          "data-key": key,
          "aria-sort": direction,
          "aria-pressed": String(active),
          title: active ? "Click to reverse" : `Sort by ${label.toLowerCase()}`,
          onclick: () => {
            this.sort = active ? { key, descending: !this.sort.descending } : { key, descending: true };
            this.apply(true);
          },
        },
        label,
        active ? (this.sort.descending ? " ↓" : " ↑") : "",
      );
    };
    keepFocus(this.sortBar, () =>
      this.sortBar.replaceChildren(
        h("span", { class: "muted small" }, "Sort by"),
        button("created", "Made"),
        ...this.columns.map((m) => button(m.key, m.label)),
      ),
    );
  }

  /** "Sharpe at least 1.5": a metric, a lower and an upper bound; every filter must hold. */
  private renderRangeBar(present: readonly MetricInfo[]): void {
    if (present.length === 0) {
      this.rangeBar.replaceChildren();
      return;
    }
    const metric = h(
      "select",
      { "data-testid": "range-metric", "aria-label": "Metric to filter by" },
      present.map((m) => h("option", { value: m.key }, m.label)),
    );
    const min = h("input", { type: "number", step: "any", placeholder: "at least", "data-testid": "range-min", "aria-label": "At least" });
    const max = h("input", { type: "number", step: "any", placeholder: "at most", "data-testid": "range-max", "aria-label": "At most" });
    const add = h(
      "button",
      {
        type: "button",
        class: "btn btn-small",
        "data-testid": "range-add",
        onclick: () => {
          const low = min.value.trim() === "" ? null : Number(min.value);
          const high = max.value.trim() === "" ? null : Number(max.value);
          if ((low === null && high === null) || Number.isNaN(low) || Number.isNaN(high)) return;
          this.ranges = [...this.ranges.filter((r) => r.key !== metric.value), { key: metric.value, min: low, max: high }];
          this.apply(true);
        },
      },
      "Filter",
    );
    const info = new Map(present.map((m) => [m.key, m]));
    const chips = this.ranges.map((r) =>
      h(
        "span",
        { class: "chip", "data-testid": "range-chip", "data-key": r.key },
        describeRange(r, info.get(r.key)),
        h(
          "button",
          {
            type: "button",
            class: "icon-button",
            "aria-label": `Remove the filter ${describeRange(r, info.get(r.key))}`,
            onclick: () => {
              this.ranges = this.ranges.filter((x) => x !== r);
              this.apply(true);
            },
          },
          "✕",
        ),
      ),
    );
    keepFocus(this.rangeBar, () =>
      this.rangeBar.replaceChildren(
        h("div", { class: "field-row range-row-inputs" }, h("span", { class: "muted small" }, "Metrics"), metric, min, max, add),
        chips.length ? h("div", { class: "chips" }, chips) : "",
      ),
    );
  }

  private fillStrategies(all: readonly CatalogEntry[]): void {
    const names = strategiesOf(all);
    if (this.strategy && !names.includes(this.strategy)) names.unshift(this.strategy);
    this.filterSelect.replaceChildren(
      h("option", { value: "" }, "All strategies"),
      ...names.map((n) => h("option", { value: n }, n)),
    );
    this.filterSelect.value = this.strategy;
  }

  private clearFilters(): void {
    this.strategy = "";
    this.query = "";
    this.ranges = [];
    this.expressionMatches = null;
    this.expressionError.replaceChildren();
    this.search.value = "";
    this.filterSelect.value = "";
    this.apply(true);
    this.search.focus();
  }

  private runCheckAll(): void {
    this.ctx.jobs.start({ kind: "check_all" });
    this.update();
  }
}

export function backupRow(b: CatalogEntry, columns: readonly MetricInfo[] = []): HTMLElement {
  const date = backupDate(b);
  return h(
    "div",
    {
      class: "backup-row",
      "data-testid": "backup-row",
      "data-backup-file": b.backup_file,
      "data-check": b.check_result ?? "unchecked",
      title: `Open ${b.backup_file}`,
    },
    h(
      "div",
      { class: "backup-main" },
      h("span", { class: "backup-strategy" }, b.strategy),
      h("span", { class: "backup-file muted small", title: b.backup_file }, middleEllipsis(b.backup_file, 60)),
    ),
    h(
      "div",
      { class: "backup-when" },
      h("span", {}, date ? formatDateTime(date) : b.timestamp),
      h("span", { class: "muted small" }, date ? formatRelative(date) : ""),
    ),
    h(
      "div",
      { class: "backup-size" },
      h("span", {}, formatBytes(b.size)),
      h("span", { class: "muted small" }, plural(b.files, "file")),
    ),
    columns.length
      ? h(
          "div",
          { class: "backup-metrics" },
          columns.map((m) => {
            const v = metricValue(b, m.key);
            return h(
              "span",
              { class: "backup-metric", "data-metric": m.key, title: m.label },
              h("span", { class: "muted small" }, m.label),
              h("span", { class: v === undefined ? "muted" : "" }, v === undefined ? "–" : formatMetric(v, m.unit)),
            );
          }),
        )
      : null,
    h("div", { class: "backup-check" }, checkBadge(b.check_result)),
  );
}

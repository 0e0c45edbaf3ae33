// Strategies: each strategy folder with its state, and backing them up.
import type { ViewContext } from "../context";
import { h, keepFocus } from "../dom";
import { formatBytes, formatDateTime, formatRelative, middleEllipsis, plural, backupDate } from "../format";
import { isActive } from "../jobs";
import type { Failure, StrategyStatus } from "../types";
import { errorBanner, notice, spinner, stateBadge } from "../widgets";

export class StrategiesView {
  readonly el: HTMLElement;
  private readonly selected = new Set<string>();

  constructor(private readonly ctx: ViewContext) {
    this.el = h("section", { class: "page", "aria-labelledby": "strategies-title" });
  }

  update(): void {
    keepFocus(this.el, () => this.render());
  }

  private render(): void {
    const { overview, strategies, strategiesError, health, watchNote } = this.ctx.store.state;
    const names = new Set((strategies ?? []).map((s) => s.name));
    for (const name of [...this.selected]) if (!names.has(name)) this.selected.delete(name);

    const header = h(
      "div",
      { class: "page-header" },
      h(
        "div",
        {},
        h("h1", { id: "strategies-title" }, "Strategies"),
        overview
          ? h("p", { class: "muted path-line" }, "In ", h("span", { class: "path", title: overview.results_dir }, overview.results_dir))
          : null,
      ),
    );

    const body: (HTMLElement | null)[] = [];
    if (health && !strategiesError) {
      body.push(
        h(
          "p",
          {
            class: `protection-summary ${health.all_well ? "summary-well" : "summary-attention"}`,
            "data-testid": "protection-summary",
            "data-all-well": String(health.all_well),
            role: "status",
          },
          h("span", { class: "summary-mark", "aria-hidden": "true" }, health.all_well ? "✓" : "!"),
          health.sentence,
        ),
      );
    }
    if (watchNote && !strategiesError) body.push(notice(watchNote));
    if (strategiesError) {
      const actions =
        strategiesError.code === "results_folder_missing" || strategiesError.code === "not_found" || strategiesError.code === "not_a_folder"
          ? [
              h(
                "button",
                { type: "button", class: "btn btn-primary", "data-key": "pick-results", onclick: () => void this.pickResults() },
                "Choose another folder…",
              ),
            ]
          : [h("button", { type: "button", class: "btn", "data-key": "retry", onclick: () => void this.ctx.store.refresh() }, "Try again")];
      body.push(errorBanner(strategiesError, { actions }));
    } else if (strategies === null) {
      body.push(spinner("Looking for strategies…"));
    } else if (strategies.length === 0) {
      body.push(
        notice(
          "There are no strategy folders here yet. Each sub-folder of your results folder is a strategy; " +
            "they appear here as soon as they exist.",
        ),
      );
    } else {
      body.push(this.toolbar(strategies), this.list(strategies));
    }
    this.el.replaceChildren(header, ...body.filter((x): x is HTMLElement => x !== null));
  }

  private toolbar(strategies: StrategyStatus[]): HTMLElement {
    const all = strategies.length > 0 && strategies.every((s) => this.selected.has(s.name));
    const some = this.selected.size > 0 && !all;
    const selectAll = h("input", {
      type: "checkbox",
      id: "select-all",
      "data-testid": "select-all",
      "data-key": "select-all",
      checked: all,
      indeterminate: some,
      onchange: (e: Event) => {
        const on = (e.target as HTMLInputElement).checked;
        this.selected.clear();
        if (on) for (const s of strategies) this.selected.add(s.name);
        this.update();
      },
    });
    const needs = strategies.filter((s) => s.state !== "protected").length;
    return h(
      "div",
      { class: "toolbar" },
      h("label", { class: "check-label", for: "select-all" }, selectAll, "Select all"),
      h(
        "span",
        { class: "muted toolbar-count", "aria-live": "polite" },
        this.selected.size ? `${this.selected.size} selected` : needs ? `${plural(needs, "strategy", "strategies")} ${needs === 1 ? "needs" : "need"} a backup` : "Everything is protected",
      ),
      h(
        "div",
        { class: "toolbar-actions" },
        h(
          "button",
          {
            type: "button",
            class: "btn",
            "data-testid": "backup-selected",
            "data-key": "backup-selected",
            disabled: this.selected.size === 0,
            onclick: () => this.backUp(strategies.filter((s) => this.selected.has(s.name))),
          },
          "Back up selected",
        ),
        h(
          "button",
          {
            type: "button",
            class: "btn btn-primary",
            "data-testid": "backup-all",
            "data-key": "backup-all",
            onclick: () => this.backUp(strategies),
          },
          "Back up all",
        ),
      ),
    );
  }

  private list(strategies: StrategyStatus[]): HTMLElement {
    const healthOf = new Map((this.ctx.store.state.health?.strategies ?? []).map((s) => [s.strategy, s]));
    // What each strategy's pending backup is doing: running now, or waiting its turn.
    const busy = new Map(
      this.ctx.jobs
        .list()
        .filter((j) => isActive(j) && j.request.kind === "backup")
        .map((j) => [j.request.kind === "backup" ? j.request.strategy : "", j.state === "running" ? "Backing up…" : "Waiting to back up"]),
    );
    return h(
      "ul",
      { class: "strategy-list", "aria-label": "Strategies" },
      strategies.map((s) => {
        const id = `strategy-${cssId(s.name)}`;
        const latest = s.latest_backup;
        const when = latest ? backupDate(latest) : null;
        return h(
          "li",
          {
            class: `strategy-row${this.selected.has(s.name) ? " selected" : ""}`,
            "data-testid": "strategy-row",
            "data-strategy": s.name,
            "data-state": s.state,
          },
          h("input", {
            type: "checkbox",
            "data-testid": "strategy-select",
            "data-key": `select:${s.name}`,
            "aria-labelledby": id,
            checked: this.selected.has(s.name),
            onchange: (e: Event) => {
              if ((e.target as HTMLInputElement).checked) this.selected.add(s.name);
              else this.selected.delete(s.name);
              this.update();
            },
          }),
          h(
            "div",
            { class: "strategy-main" },
            h("span", { class: "strategy-name", id, title: s.name }, middleEllipsis(s.name, 56)),
            h(
              "span",
              { class: "muted small" },
              `${plural(s.files, "file")} · ${formatBytes(s.bytes)}`,
              s.newest_change ? h("span", { class: "nowrap" }, ` · last changed ${formatRelative(s.newest_change)}`) : "",
            ),
          ),
          h("div", { class: "strategy-state" }, stateBadge(s.state), busy.has(s.name) ? h("span", { class: "muted small" }, busy.get(s.name) ?? "") : null),
          h(
            "div",
            { class: "strategy-last" },
            h("span", { class: "muted small" }, "Last backup"),
            when
              ? h("span", { title: formatDateTime(when) }, formatRelative(when))
              : h("span", {}, "never"),
            automaticBadge(healthOf.get(s.name)?.automatic ?? false),
          ),
          this.failure(s.name, healthOf.get(s.name)?.last_failure ?? null),
        );
      }),
    );
  }

  /** A failed automatic backup stays on its row until the analyst has seen it. */
  private failure(strategy: string, failure: Failure | null): HTMLElement | null {
    if (!failure) return null;
    return h(
      "div",
      { class: "strategy-failure", "data-testid": "strategy-failure", role: "alert" },
      h("strong", {}, `Automatic backup failed ${formatRelative(failure.at)}: `),
      failure.error.message,
      " ",
      h("span", { class: "muted" }, failure.error.hint),
      h(
        "button",
        {
          type: "button",
          class: "btn btn-small",
          "data-testid": "failure-seen",
          "data-key": `seen:${strategy}`,
          onclick: () => void this.seen(strategy),
        },
        "Got it",
      ),
    );
  }

  private async seen(strategy: string): Promise<void> {
    try {
      await this.ctx.ipc.acknowledgeFailure(strategy);
      await this.ctx.store.refresh();
    } catch (err) {
      this.ctx.notify.showError(err);
    }
  }

  private backUp(strategies: StrategyStatus[]): void {
    if (strategies.length === 0) return;
    for (const s of strategies) this.ctx.jobs.start({ kind: "backup", strategy: s.name });
    this.selected.clear();
    this.ctx.notify.toast(
      strategies.length === 1
        ? `Backing up ${strategies[0]?.name}.`
        : `Backing up ${strategies.length} strategies, one after another.`,
    );
    this.update();
  }

  private async pickResults(): Promise<void> {
    const o = this.ctx.store.state.overview;
    try {
      const folder = await this.ctx.ipc.pickFolder("results");
      if (folder === null || !o) return;
      const overview = await this.ctx.ipc.saveSettings(folder, o.backups_dir, o.compression_level);
      this.ctx.configured(overview);
    } catch (err) {
      this.ctx.notify.showError(err);
    }
  }
}

function automaticBadge(on: boolean): HTMLElement {
  return h(
    "span",
    { class: `auto-badge ${on ? "auto-on" : "auto-off"}`, "data-testid": "automatic-badge", "data-on": String(on) },
    on ? "Automatic" : "Manual only",
  );
}

function cssId(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
}

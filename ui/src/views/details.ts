// A backup's details: the check verdict, summary, metrics, equity curve, compare, file tree (open
// a file, choose files to restore); Check, Restore, Delete.
import type { ViewContext } from "../context";
import { confirm, openDialog, type DialogHandle } from "../dialog";
import { attrEscape, h, icon, replaceChildren } from "../dom";
import { toUserError } from "../errors";
import {
  backupDate,
  formatBytes,
  formatDateTime,
  formatRelative,
  middleEllipsis,
  percent,
  plural,
  shortHash,
  toDate,
} from "../format";
import { describeJob, isActive, refName, type Job } from "../jobs";
import { buildTree, visibleNodes, type TreeNode } from "../tree";
import { equityChart } from "../chart";
import type { BackupDetails, BackupRef, CheckReport, CheckResult, JobRequest, Manifest, ShownMetric } from "../types";
import { openChangesSince, openCompare } from "./compare";
import { checkBadge, errorBanner, notice, progressBar, proofText, setProgress, spinner } from "../widgets";
import { copiedHereText, copiedToSharedText } from "../store-form";

export function openDetails(ctx: ViewContext, ref: BackupRef): void {
  const dialog = openDialog({ title: refName(ref), testid: "details", wide: true, content: [spinner("Reading the backup…")] });
  ctx.ipc.backupDetails(ref).then(
    (details) => {
      if (dialog.isOpen()) new DetailsPanel(ctx, dialog, details);
    },
    (err: unknown) => {
      if (!dialog.isOpen()) return;
      dialog.body.replaceChildren(
        errorBanner(toUserError(err), { title: "This backup could not be opened" }),
        h("div", { class: "dialog-actions" }, h("button", { type: "button", class: "btn", onclick: () => dialog.close() }, "Close")),
      );
      dialog.body.querySelector<HTMLElement>("button")?.focus();
    },
  );
}

class DetailsPanel {
  private readonly checkArea: HTMLElement;
  private readonly checkButton: HTMLButtonElement;
  private readonly errors: HTMLElement;
  private checkJob: string | null = null;
  private unsubscribe: (() => void) | null = null;
  private lastReport: CheckReport | null = null;
  private readonly curveArea: HTMLElement;
  /** The outcome of "Copy to this computer". */
  private readonly copyArea: HTMLElement;
  /** Files and folders chosen in the tree for a partial restore (paths below the strategy folder). */
  private readonly chosen = new Set<string>();
  private selectionBar: HTMLElement | null = null;

  constructor(
    private readonly ctx: ViewContext,
    private readonly dialog: DialogHandle,
    private readonly details: BackupDetails,
  ) {
    const d = details;
    const strategy = d.entry?.strategy ?? d.manifest?.strategy ?? refName(d.backup);
    const date = d.entry ? backupDate(d.entry) : d.manifest ? backupDate(d.manifest) : null;
    dialog.setTitle(date ? `${strategy} — ${formatDateTime(date)}` : strategy);

    this.errors = h("div", {});
    this.checkArea = h("div", { class: "check-area" });
    this.curveArea = h("section", { class: "details-section", "aria-labelledby": "curve-title", "data-testid": "equity-curve" });
    this.copyArea = h("div", {});
    void this.loadCurve();
    this.checkButton = h(
      "button",
      { type: "button", class: "btn", "data-testid": "details-check", onclick: () => this.check() },
      "Check",
    );
    const restoreButton = h(
      "button",
      {
        type: "button",
        class: "btn btn-primary",
        "data-testid": "details-restore",
        onclick: (e: Event) => ctx.navigate.openRestore(d, e.currentTarget as HTMLElement),
      },
      "Restore",
    );
    // A backup in shared storage can be pulled onto this computer (for a trip, or to keep a
    // copy); an archive dropped on the window can be pushed into shared storage, when chosen.
    const copyButton = d.shared && d.in_catalog
      ? h(
          "button",
          { type: "button", class: "btn", "data-testid": "details-copy-here", onclick: (e: Event) => void this.copyHere(e.currentTarget as HTMLButtonElement) },
          "Copy to this computer",
        )
      : "dropped" in d.backup && ctx.store.state.overview?.store.kind === "shared"
        ? h(
            "button",
            {
              type: "button",
              class: "btn",
              "data-testid": "details-copy-to-shared",
              onclick: (e: Event) => void this.copyToShared(d.backup, e.currentTarget as HTMLButtonElement),
            },
            "Copy to shared storage",
          )
        : null;
    const deleteButton = d.in_catalog
      ? h(
          "button",
          { type: "button", class: "btn btn-danger-quiet", "data-testid": "details-delete", onclick: (e: Event) => void this.delete(e.currentTarget as HTMLElement) },
          "Delete",
        )
      : null;

    const proof = proofText(d.proof);
    dialog.body.replaceChildren(
      this.errors,
      this.checkArea,
      h(
        "div",
        { class: "details-actions" },
        this.checkButton,
        restoreButton,
        copyButton,
        h("span", { class: "spacer" }),
        deleteButton,
      ),
      this.copyArea,
      this.summary(d, strategy, date),
      // What a check can prove is background, not a verdict: no tick that could contradict one.
      h("section", { class: "details-section", "aria-labelledby": "proof-title" },
        h("h3", { id: "proof-title" }, "What a check can prove"),
        h("p", { class: "proof", "data-testid": "proof", "data-proof": d.proof }, h("strong", {}, proof.title), ". ", proof.text),
      ),
      metricsSection(d.metrics),
      this.curveArea,
      this.compareSection(d, strategy),
      this.treeSection(d.manifest, strategy),
    );
    this.renderCheck();
    this.unsubscribe = ctx.jobs.subscribe((jobs, changed) => {
      if (!dialog.isOpen()) {
        this.unsubscribe?.();
        return;
      }
      if (changed.id === this.checkJob) this.onCheckJob(changed, jobs);
    });
  }

  /** The equity curve drawn from the backup itself (one file read, not the whole archive). */
  private async loadCurve(): Promise<void> {
    const title = h("h3", { id: "curve-title" }, "Equity curve");
    this.curveArea.replaceChildren(title, spinner("Reading the equity curve from the backup…"));
    try {
      const curve = await this.ctx.ipc.equityCurve(this.details.backup);
      if (!curve) {
        this.curveArea.replaceChildren(title, h("p", { class: "muted small" }, "This backup has no equity curve file (equity_curve.csv or the like)."));
        return;
      }
      this.curveArea.replaceChildren(
        title,
        equityChart(curve),
        h("p", { class: "muted small" }, `From ${curve.file}, column “${curve.column}”, ${plural(curve.rows, "row")}.`),
      );
    } catch (err) {
      const e = toUserError(err);
      this.curveArea.replaceChildren(title, h("p", { class: "muted small", "data-testid": "equity-curve-problem" }, `${e.message}. ${e.hint}`));
    }
  }

  /** Compare with another backup, or with the strategy folder as it is now. */
  private compareSection(d: BackupDetails, strategy: string): HTMLElement {
    const catalog = this.ctx.store.state.backups?.backups ?? [];
    const others = catalog.filter((b) => b.backup_file !== d.backup_file);
    // The same strategy first (newest first), then the others.
    others.sort((a, b) => Number(b.strategy === strategy) - Number(a.strategy === strategy));
    const select = h(
      "select",
      { "data-testid": "compare-with", "aria-label": "Backup to compare with" },
      others.slice(0, 500).map((b) => {
        const when = backupDate(b);
        return h("option", { value: b.backup_file }, `${b.strategy} — ${when ? formatDateTime(when) : b.timestamp}`);
      }),
    );
    const compare = h(
      "button",
      {
        type: "button",
        class: "btn",
        "data-testid": "compare",
        disabled: others.length === 0 || !d.in_catalog,
        onclick: (e: Event) => {
          if (!select.value) return;
          // Older first reads as "from … to …".
          const other = others.find((b) => b.backup_file === select.value);
          // The catalog lists newest first: the one further down is the older.
          const order = (file: string) => catalog.findIndex((b) => b.backup_file === file);
          const otherFirst = other !== undefined && order(other.backup_file) > order(d.backup_file);
          const a = { catalog: otherFirst ? select.value : d.backup_file };
          const b = { catalog: otherFirst ? d.backup_file : select.value };
          openCompare(this.ctx, a, b, e.currentTarget as HTMLElement);
        },
      },
      "Compare",
    );
    const current = (this.ctx.store.state.strategies ?? []).some((s) => s.name === strategy);
    const changes = h(
      "button",
      {
        type: "button",
        class: "btn",
        "data-testid": "changes-since",
        disabled: !current || !d.in_catalog,
        title: current ? "" : "The strategy folder is not in the results folder",
        onclick: (e: Event) => openChangesSince(this.ctx, d.backup, e.currentTarget as HTMLElement),
      },
      "What changed since this backup",
    );
    return h(
      "section",
      { class: "details-section", "aria-labelledby": "compare-title" },
      h("h3", { id: "compare-title" }, "Compare"),
      h("div", { class: "field-row" }, others.length ? select : h("span", { class: "muted small" }, "No other backup to compare with."), compare, changes),
    );
  }

  private treeSection(manifest: Manifest | null, strategy: string): HTMLElement {
    const section = h(
      "section",
      { class: "details-section", "aria-labelledby": "files-title" },
      h("h3", { id: "files-title" }, "Files"),
    );
    if (!manifest) {
      section.appendChild(
        h("p", { class: "muted small", "data-testid": "file-tree" }, "The list of files is not available for this archive (it has no manifest)."),
      );
      return section;
    }
    const t = manifest.totals;
    const prefix = `${manifest.strategy}/`;
    const inner = (path: string) => (path.startsWith(prefix) ? path.slice(prefix.length) : path);
    this.selectionBar = h("div", { class: "selection-bar", "data-testid": "selection-bar" });
    section.append(
      h(
        "p",
        { class: "muted small" },
        `${plural(t.files, "file")}, ${plural(t.dirs, "folder")}${t.symlinks ? `, ${plural(t.symlinks, "link")}` : ""}, ${formatBytes(t.bytes)}. ` +
          "Tick files or folders to restore only those; Open shows a file without restoring anything.",
      ),
      this.selectionBar,
      new FileTree(buildTree(manifest.entries), {
        isChosen: (path) => this.chosen.has(inner(path)),
        choose: (path, on) => {
          if (on) this.chosen.add(inner(path));
          else this.chosen.delete(inner(path));
          this.renderSelection(strategy);
        },
        open: (path) => void this.openFile(inner(path)),
      }).el,
    );
    this.renderSelection(strategy);
    return section;
  }

  private renderSelection(strategy: string): void {
    if (!this.selectionBar) return;
    const n = this.chosen.size;
    this.selectionBar.replaceChildren(
      h("span", { class: "muted small", "aria-live": "polite" }, n ? `${plural(n, "item")} chosen` : "Nothing chosen: Restore puts back the whole folder."),
      n
        ? h(
            "button",
            {
              type: "button",
              class: "btn btn-primary btn-small",
              "data-testid": "restore-selected",
              onclick: (e: Event) => this.ctx.navigate.openRestore(this.details, e.currentTarget as HTMLElement, [...this.chosen].sort()),
            },
            `Restore ${n === 1 ? "it" : `these ${n}`} from ${strategy}…`,
          )
        : "",
      n
        ? h("button", { type: "button", class: "btn btn-small", onclick: () => { this.chosen.clear(); this.renderSelection(strategy); this.dialog.body.querySelectorAll<HTMLInputElement>(".tree-select").forEach((c) => (c.checked = false)); } }, "Clear")
        : "",
    );
  }

  /** Copies this backup of the shared store into the backups folder on this computer, as a job. */
  private async copyHere(button: HTMLButtonElement): Promise<void> {
    await this.copy(button, "Copying to this computer and checking it…", { kind: "copy_to_this_computer", backup_file: this.details.backup_file });
  }

  /** Copies this dropped archive into the shared store, as a job (the window reads the list
   * again when any job ends, so it then shows there). */
  private async copyToShared(backup: BackupRef, button: HTMLButtonElement): Promise<void> {
    if (!("dropped" in backup)) return;
    await this.copy(button, "Copying to shared storage and checking it…", { kind: "copy_dropped_to_shared", dropped: backup.dropped });
  }

  /** Runs a copy job, showing its outcome under the actions. */
  private async copy(button: HTMLButtonElement, working: string, request: JobRequest): Promise<void> {
    button.disabled = true;
    this.copyArea.replaceChildren(spinner(working));
    const { done } = this.ctx.jobs.start(request);
    const job = await done;
    button.disabled = false;
    if (!this.dialog.isOpen()) return;
    if (job.result?.kind === "copy_to_this_computer") {
      this.copyArea.replaceChildren(notice([h("p", { "data-testid": "copy-here-result" }, copiedHereText(job.result.copied))]));
    } else if (job.result?.kind === "copy_dropped_to_shared") {
      this.copyArea.replaceChildren(notice([h("p", { "data-testid": "copy-to-shared-result" }, copiedToSharedText(job.result.copied))]));
    } else if (job.error) {
      this.copyArea.replaceChildren(errorBanner(job.error, { onDismiss: () => this.copyArea.replaceChildren() }));
    } else {
      this.copyArea.replaceChildren();
    }
  }

  private async openFile(member: string): Promise<void> {
    try {
      await this.ctx.ipc.openBackupFile(this.details.backup, member);
      this.ctx.notify.toast(`Opened ${member}, taken from the backup and checked against it.`);
    } catch (err) {
      this.showError(err);
    }
  }

  private summary(d: BackupDetails, strategy: string, date: Date | null): HTMLElement {
    const files = d.entry?.files ?? d.manifest?.totals.files;
    const bytes = d.entry?.bytes ?? d.manifest?.totals.bytes;
    const rows: [string, Node | string][] = [
      ["Strategy", strategy],
      ["Made", date ? `${formatDateTime(date)} (${formatRelative(date)})` : "unknown"],
      ["Contents", files !== undefined && bytes !== undefined ? `${plural(files, "file")}, ${formatBytes(bytes)}` : "unknown"],
      ["Archive", `${d.backup_file}, ${formatBytes(d.size)}`],
      [
        d.shared ? "Shared storage" : "Location",
        h(
          "span",
          { class: "location" },
          h("span", { class: "path", title: d.path }, d.path),
          // A backup in shared storage has no folder on this computer to show.
          d.shared
            ? ""
            : h(
                "button",
                {
                  type: "button",
                  class: "btn btn-small",
                  "data-testid": "details-show-in-folder",
                  onclick: () => void this.ctx.ipc.showInFolder(d.path).catch((err: unknown) => this.showError(err)),
                },
                "Show in folder",
              ),
        ),
      ],
    ];
    if (!d.in_catalog) rows.push(["Catalog", "Opened from outside the backups folder (not in the catalog)"]);
    return h(
      "dl",
      { class: "summary" },
      rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
    );
  }

  private showError(err: unknown): void {
    this.errors.replaceChildren(errorBanner(toUserError(err), { onDismiss: () => this.errors.replaceChildren() }));
  }

  private renderCheck(job?: Job, jobs?: readonly Job[]): void {
    const report = this.lastReport;
    const entry = this.details.entry;
    let result: CheckResult | "unchecked" | "checking" = report?.result ?? entry?.check_result ?? "unchecked";
    const parts: (HTMLElement | string)[] = [];
    if (job && isActive(job)) {
      result = "checking";
      const p = job.progress;
      const bar = progressBar(null, "Check progress");
      setProgress(bar, job.state === "running" && p ? percent(p.bytes_done, p.bytes_total) : null);
      parts.push(h("span", { class: "badge badge-neutral" }, icon("↻"), "Checking…"), bar, h("span", { class: "small muted" }, describeJob(job, jobs ?? [])));
    } else if (report) {
      parts.push(checkBadge(report.result), h("span", { class: "small" }, checkSentence(report)));
    } else if (entry?.check_result) {
      const when = toDate(entry.last_checked);
      parts.push(checkBadge(entry.check_result), h("span", { class: "small muted" }, when ? `Last checked ${formatRelative(when)}` : "Checked before"));
    } else {
      parts.push(checkBadge(null), h("span", { class: "small muted" }, "Choose Check to prove every file is intact."));
    }
    const problems = report?.problems ?? [];
    const damaged = result === "damaged" || result === "missing";
    replaceChildren(
      this.checkArea,
      h(
        "div",
        { class: `verdict verdict-${result}`, "data-testid": "check-result", "data-result": result, role: "status" },
        parts,
      ),
      problems.length
        ? h(
            "ul",
            { class: "problems", "data-testid": "problems" },
            problems.slice(0, 200).map((p) => h("li", {}, plainProblem(p))),
            problems.length > 200 ? h("li", {}, `…and ${problems.length - 200} more`) : null,
          )
        : null,
      damaged ? this.nextSteps() : null,
    );
    this.checkButton.disabled = result === "checking";
  }

  /** After damage: what the analyst can do now, with the backup or strategy it concerns. */
  private nextSteps(): HTMLElement {
    const d = this.details;
    const strategy = d.entry?.strategy ?? d.manifest?.strategy ?? null;
    const made = d.entry ? backupDate(d.entry) : null;
    const earlier = (this.ctx.store.state.backups?.backups ?? [])
      .filter((b) => b.strategy === strategy && b.backup_file !== d.backup_file && b.check_result !== "damaged")
      .filter((b) => {
        const when = backupDate(b);
        return made === null || (when !== null && when.getTime() < made.getTime());
      })
      .sort((a, b) => (backupDate(b)?.getTime() ?? 0) - (backupDate(a)?.getTime() ?? 0))[0];
    const current = (this.ctx.store.state.strategies ?? []).find((s) => s.name === strategy);
    const steps: HTMLElement[] = [];
    if (current) {
      steps.push(
        h(
          "li",
          {},
          current.state === "protected"
            ? `${current.name}'s files on disk are the same as in this backup and are fine: back it up again now to have a healthy copy.`
            : `${current.name}'s current files are still on disk: back them up again now.`,
          " ",
          h(
            "button",
            {
              type: "button",
              class: "btn btn-small btn-primary",
              "data-testid": "next-back-up",
              onclick: () => {
                this.ctx.jobs.start({ kind: "backup", strategy: current.name });
                this.ctx.notify.toast(`Backing up ${current.name}.`);
              },
            },
            "Back up again now",
          ),
        ),
      );
    }
    if (earlier) {
      const when = backupDate(earlier);
      steps.push(
        h(
          "li",
          {},
          `To get the older files back, restore the earlier backup from ${when ? formatDateTime(when) : earlier.backup_file}.`,
          " ",
          h(
            "button",
            {
              type: "button",
              class: "btn btn-small",
              "data-testid": "next-earlier",
              onclick: () => {
                this.dialog.close();
                this.ctx.navigate.openDetails({ catalog: earlier.backup_file });
              },
            },
            "Open that backup",
          ),
        ),
      );
    }
    if (steps.length === 0) {
      steps.push(h("li", {}, "There is no other backup of this strategy and its folder is gone: keep this archive, a partial restore may still save some files."));
    }
    return h("div", { class: "next-steps", "data-testid": "next-steps" }, h("h4", {}, "What you can do"), h("ul", {}, steps));
  }

  private check(): void {
    this.errors.replaceChildren();
    const { id } = this.ctx.jobs.start({ kind: "check", backup: this.details.backup });
    this.checkJob = id;
    const job = this.ctx.jobs.get(id);
    this.renderCheck(job, this.ctx.jobs.list());
  }

  private onCheckJob(job: Job, jobs: readonly Job[]): void {
    if (job.state === "done" && job.result?.kind === "check") {
      this.lastReport = job.result.report;
      this.checkJob = null;
    } else if (job.state === "failed") {
      this.checkJob = null;
      if (job.error) this.showError(job.error);
    } else if (job.state === "cancelled") {
      this.checkJob = null;
    }
    this.renderCheck(isActive(job) ? job : undefined, jobs);
  }

  private async delete(button: HTMLElement): Promise<void> {
    const d = this.details;
    const entry = d.entry;
    const date = entry ? backupDate(entry) : null;
    const strategy = entry?.strategy ?? d.manifest?.strategy ?? "";
    // The catalog as the window has it: is this the strategy's last backup?
    const others = (this.ctx.store.state.backups?.backups ?? []).filter(
      (b) => b.strategy === strategy && b.backup_file !== d.backup_file,
    );
    const onlyOne = d.in_catalog && strategy !== "" && others.length === 0;
    const yes = await confirm({
      title: "Delete this backup?",
      message: [
        h("p", {}, "This permanently deletes the backup ", h("strong", { class: "path" }, d.backup_file), ":"),
        h(
          "ul",
          { class: "confirm-facts" },
          h("li", {}, "Strategy: ", h("strong", {}, strategy)),
          h("li", {}, "Made: ", h("strong", {}, date ? formatDateTime(date) : "unknown date")),
          h("li", {}, "Size: ", h("strong", {}, formatBytes(d.size))),
        ),
        onlyOne
          ? h(
              "p",
              { class: "confirm-warning", "data-testid": "confirm-only-backup" },
              h("strong", {}, `This is the only backup of ${strategy}.`),
              " After deleting it, nothing protects its results until you back it up again.",
            )
          : null,
        h(
          "p",
          {},
          onlyOne
            ? "Your strategy folder is not touched. This cannot be undone."
            : "Your strategy folder and other backups are not touched. This cannot be undone.",
        ),
      ],
      yes: onlyOne ? "Delete the only backup" : "Delete",
      no: "Keep it",
      danger: true,
      returnFocus: button,
    });
    if (!yes) return;
    try {
      await this.ctx.ipc.deleteBackup(d.backup_file);
      this.dialog.close();
      this.ctx.notify.toast(
        onlyOne ? `Deleted ${d.backup_file}. ${strategy} has no backup now.` : `Deleted ${d.backup_file}.`,
      );
      void this.ctx.store.refresh();
    } catch (err) {
      this.showError(err);
    }
  }
}

/** A problem as a sentence: the file first when there is one (as it is named), else capitalised; a full stop. */
export function plainProblem(p: { path?: string | null; issue: string }): string {
  const sentence = p.path ? `${p.path} ${p.issue}` : p.issue.charAt(0).toUpperCase() + p.issue.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

function checkSentence(report: CheckReport): string {
  const when = toDate(report.checked_at);
  const at = when ? ` (${formatRelative(when)})` : "";
  switch (report.result) {
    case "ok":
      return `${plural(report.files_checked, "file")} verified: nothing has changed${at}.`;
    case "missing":
      return `The archive file is missing from the backups folder${at}.`;
    default:
      return `Do not rely on this backup: ${plural(report.problems.length, "problem")} found${at}.`;
  }
}

function metricsSection(metrics: ShownMetric[]): HTMLElement {
  return h(
    "section",
    { class: "details-section", "data-testid": "metrics", "aria-labelledby": "metrics-title" },
    h("h3", { id: "metrics-title" }, "Metrics"),
    metrics.length
      ? h(
          "table",
          { class: "metrics" },
          h("caption", { class: "visually-hidden" }, "Metrics summary from the strategy's metrics file"),
          h(
            "tbody",
            {},
            metrics.map((m) =>
              h("tr", { "data-metric": m.key }, h("th", { scope: "row", title: m.name }, m.label), h("td", {}, m.text)),
            ),
          ),
        )
      : h("p", { class: "muted small" }, "No metrics summary: the strategy folder had no metrics file when it was backed up."),
  );
}

/** A keyboard-navigable tree (role=tree) that renders folders only when they are opened. */
export type TreeActions = {
  isChosen: (path: string) => boolean;
  choose: (path: string, on: boolean) => void;
  open: (path: string) => void;
};

export class FileTree {
  readonly el: HTMLElement;
  private readonly expanded = new Set<string>();
  private focusPath: string | null = null;

  constructor(
    private readonly roots: TreeNode[],
    private readonly actions: TreeActions | null = null,
  ) {
    for (const root of roots) if (root.kind === "dir") this.expanded.add(root.path);
    this.focusPath = roots[0]?.path ?? null;
    this.el = h("ul", { class: "tree", role: "tree", "aria-label": "Files in this backup", "data-testid": "file-tree" });
    this.el.addEventListener("keydown", (e) => this.onKey(e));
    this.el.addEventListener("click", (e) => {
      // Ticking a box or opening a file is not a click on the folder row.
      if ((e.target as HTMLElement).closest(".tree-select, .tree-open")) return;
      const item = (e.target as HTMLElement).closest<HTMLElement>("[role=treeitem]");
      if (!item) return;
      const path = item.dataset.path ?? "";
      this.focusPath = path;
      if (item.getAttribute("aria-expanded") !== null && (e.target as HTMLElement).closest(".tree-row")) this.toggle(path);
      else this.render(path);
    });
    this.render(null);
  }

  private render(focus: string | null): void {
    this.el.replaceChildren(...this.roots.map((n) => this.item(n, 1)));
    if (focus !== null) this.el.querySelector<HTMLElement>(`[data-path="${attrEscape(focus)}"]`)?.focus();
  }

  private item(node: TreeNode, level: number): HTMLElement {
    const isDir = node.kind === "dir";
    const open = isDir && this.expanded.has(node.path);
    const when = node.mtime !== null ? new Date(node.mtime * 1000) : null;
    const meta: (HTMLElement | string)[] = [];
    if (isDir) meta.push(h("span", { class: "tree-size" }, `${plural(node.files, "file")} · ${formatBytes(node.size)}`));
    else if (node.kind === "symlink") meta.push(h("span", { class: "tree-size" }, `link to ${node.target ?? "?"}`));
    else meta.push(h("span", { class: "tree-size" }, formatBytes(node.size)));
    if (when) meta.push(h("span", { class: "tree-date", title: `Modified ${formatDateTime(when)}` }, formatDateTime(when)));
    if (node.sha256) {
      meta.push(
        h("code", { class: "tree-hash", title: `SHA-256: ${node.sha256}`, "aria-label": `SHA-256 ${node.sha256}` }, shortHash(node.sha256)),
      );
    }
    const li = h(
      "li",
      {
        role: "treeitem",
        "data-path": node.path,
        "aria-level": String(level),
        "aria-expanded": isDir ? String(open) : null,
        // The name plus a short summary (the element's own text would include every child).
        "aria-label": isDir
          ? `${node.name}, folder, ${plural(node.files, "file")}, ${formatBytes(node.size)}`
          : node.kind === "symlink"
            ? `${node.name}, link to ${node.target ?? "unknown"}`
            : `${node.name}, ${formatBytes(node.size)}`,
        tabindex: node.path === this.focusPath ? "0" : "-1",
      },
      h(
        "div",
        { class: "tree-row" },
        h("span", { class: "tree-toggle", "aria-hidden": "true" }, isDir ? (open ? "▾" : "▸") : ""),
        this.actions && level > 1 && node.kind !== "symlink"
          ? h("input", {
              type: "checkbox",
              class: "tree-select",
              "data-testid": "tree-select",
              "aria-label": `Choose ${node.name} to restore`,
              tabindex: "-1",
              checked: this.actions.isChosen(node.path),
              onchange: (e: Event) => this.actions?.choose(node.path, (e.target as HTMLInputElement).checked),
            })
          : "",
        h("span", { class: "tree-icon", "aria-hidden": "true" }, isDir ? "📁" : node.kind === "symlink" ? "↪" : "📄"),
        h("span", { class: "tree-name", title: node.name }, middleEllipsis(node.name, 60)),
        h("span", { class: "tree-meta muted small" }, meta),
        this.actions && node.kind === "file"
          ? h(
              "button",
              {
                type: "button",
                class: "btn btn-small tree-open",
                "data-testid": "tree-open",
                tabindex: "-1",
                "aria-label": `Open ${node.name}`,
                onclick: () => this.actions?.open(node.path),
              },
              "Open",
            )
          : "",
      ),
    );
    if (open) {
      const group = h("ul", { role: "group" });
      const shown = node.children.slice(0, 2000);
      for (const child of shown) group.appendChild(this.item(child, level + 1));
      if (node.children.length > shown.length) {
        group.appendChild(h("li", { role: "none", class: "muted small" }, `…and ${node.children.length - shown.length} more`));
      }
      li.appendChild(group);
    }
    return li;
  }

  private toggle(path: string): void {
    if (this.expanded.has(path)) this.expanded.delete(path);
    else this.expanded.add(path);
    this.focusPath = path;
    this.render(path);
  }

  private onKey(e: KeyboardEvent): void {
    const item = (e.target as HTMLElement).closest<HTMLElement>("[role=treeitem]");
    if (!item) return;
    const path = item.dataset.path ?? "";
    const order = visibleNodes(this.roots, this.expanded);
    const index = order.findIndex((n) => n.path === path);
    const node = order[index];
    if (!node) return;
    const go = (target: TreeNode | undefined) => {
      if (!target) return;
      this.focusPath = target.path;
      this.render(target.path);
    };
    const isDir = node.kind === "dir";
    switch (e.key) {
      case "ArrowDown":
        go(order[index + 1]);
        break;
      case "ArrowUp":
        go(order[index - 1]);
        break;
      case "Home":
        go(order[0]);
        break;
      case "End":
        go(order[order.length - 1]);
        break;
      case "ArrowRight":
        if (isDir && !this.expanded.has(node.path)) this.toggle(node.path);
        else if (isDir) go(node.children[0]);
        break;
      case "ArrowLeft": {
        if (isDir && this.expanded.has(node.path)) this.toggle(node.path);
        else {
          const parentPath = node.path.includes("/") ? node.path.slice(0, node.path.lastIndexOf("/")) : null;
          go(order.find((n) => n.path === parentPath));
        }
        break;
      }
      case "Enter":
      case " ":
        if (isDir) this.toggle(node.path);
        break;
      default:
        return;
    }
    e.preventDefault();
  }
}

// The job list: every job with what it is, progress, speed, time left, Cancel / Dismiss.
import type { ViewContext } from "../context";
import { h, icon } from "../dom";
import { describeJob, isActive, type Job } from "../jobs";
import { middleEllipsis, percent } from "../format";
import { progressBar, setProgress } from "../widgets";

const STATE_WORDS: Record<Job["state"], { text: string; glyph: string }> = {
  queued: { text: "Waiting", glyph: "…" },
  running: { text: "Working", glyph: "↻" },
  done: { text: "Done", glyph: "✓" },
  failed: { text: "Failed", glyph: "✕" },
  cancelled: { text: "Cancelled", glyph: "–" },
};

/** A finished check or check-all that found a damaged or missing backup. */
export function foundDamage(job: Job): boolean {
  if (job.state !== "done" || !job.result) return false;
  if (job.result.kind === "check") return job.result.report.result !== "ok";
  if (job.result.kind === "check_all") return job.result.reports.some((r) => r.result !== "ok");
  return false;
}

type JobRow = {
  el: HTMLElement;
  status: HTMLElement;
  state: HTMLElement;
  bar: HTMLElement;
  button: HTMLButtonElement;
  warnings: HTMLElement;
  hint: HTMLElement;
};

export class JobPanel {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly clearButton: HTMLButtonElement;
  private rows = new Map<string, JobRow>();

  constructor(private readonly ctx: ViewContext) {
    this.list = h("ul", { class: "job-items", "aria-label": "Jobs" });
    this.summary = h("span", { class: "muted small" });
    this.clearButton = h(
      "button",
      { type: "button", class: "btn btn-small btn-quiet", onclick: () => this.clearFinished() },
      "Clear finished",
    );
    this.el = h(
      "aside",
      { class: "job-panel", "data-testid": "job-list", "aria-labelledby": "jobs-title", hidden: true },
      h("div", { class: "job-panel-header" }, h("h2", { id: "jobs-title" }, "Jobs"), this.summary, this.clearButton),
      this.list,
    );
  }

  update(jobs: readonly Job[]): void {
    this.el.hidden = jobs.length === 0;
    this.el.parentElement?.classList.toggle("with-jobs", jobs.length > 0);
    const active = jobs.filter(isActive).length;
    const finished = jobs.length - active;
    this.summary.textContent = active ? `${active} to go` : "All finished";
    this.clearButton.hidden = finished === 0;
    const seen = new Set<string>();
    for (const job of jobs) {
      seen.add(job.id);
      let row = this.rows.get(job.id);
      if (!row) {
        row = this.createRow(job);
        this.rows.set(job.id, row);
        this.list.appendChild(row.el);
      }
      this.fill(row, job, jobs);
    }
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) {
        const hadFocus = row.el.contains(document.activeElement);
        row.el.remove();
        this.rows.delete(id);
        if (hadFocus) (this.list.querySelector<HTMLElement>("button") ?? (document.getElementById("main") as HTMLElement | null))?.focus();
      }
    }
  }

  private createRow(job: Job): JobRow {
    const state = h("span", { class: "job-state" });
    const status = h("p", { class: "job-status small" });
    const bar = progressBar(null, job.label);
    const button = h("button", { type: "button", class: "btn btn-small" });
    const warnings = h("ul", { class: "job-warnings small" });
    const hint = h("p", { class: "job-hint small muted" });
    const el = h(
      "li",
      { class: "job", "data-testid": "job", "data-job-id": job.id },
      h("div", { class: "job-top" }, h("span", { class: "job-label", title: job.label }, middleEllipsis(job.label, 40)), state),
      h("div", { class: "job-progress", "data-testid": "job-progress" }, bar, status),
      hint,
      warnings,
      h("div", { class: "job-actions" }, button),
    );
    button.addEventListener("click", () => {
      const current = this.ctx.jobs.get(job.id);
      if (!current) return;
      if (isActive(current)) void this.ctx.jobs.cancel(job.id);
      else this.ctx.jobs.dismiss(job.id);
    });
    return { el, status, state, bar, button, warnings, hint };
  }

  private fill(row: JobRow, job: Job, jobs: readonly Job[]): void {
    row.el.dataset.state = job.state;
    // A check that ran to the end but found damage is not a green "Done".
    const damage = foundDamage(job);
    row.el.dataset.found = damage ? "damage" : "";
    const words = damage ? { text: "Found damage", glyph: "!" } : STATE_WORDS[job.state];
    row.state.className = `job-state job-state-${damage ? "damage" : job.state}`;
    row.state.replaceChildren(icon(words.glyph), words.text);
    row.status.textContent = describeJob(job, jobs);
    const p = job.progress;
    const value =
      job.state === "done" ? 100 : job.state === "running" && p ? percent(p.bytes_done, p.bytes_total) : job.state === "queued" || job.state === "running" ? null : 0;
    setProgress(row.bar, value);
    row.bar.hidden = job.state === "failed" || job.state === "cancelled";
    row.hint.textContent = job.state === "failed" && job.error?.hint ? job.error.hint : "";
    row.hint.hidden = !row.hint.textContent;
    if (row.warnings.childElementCount !== job.warnings.length) {
      row.warnings.replaceChildren(...job.warnings.map((w) => h("li", {}, w)));
    }
    const active = isActive(job);
    const wasCancel = row.button.dataset.testid === "job-cancel";
    if (active !== wasCancel || !row.button.textContent) {
      const hadFocus = document.activeElement === row.button;
      row.button.textContent = active ? "Cancel" : "Dismiss";
      row.button.dataset.testid = active ? "job-cancel" : "job-dismiss";
      row.button.setAttribute("aria-label", `${active ? "Cancel" : "Dismiss"}: ${job.label}`);
      if (hadFocus) row.button.focus();
    }
    row.button.disabled = active && job.cancelRequested;
  }

  private clearFinished(): void {
    for (const job of this.ctx.jobs.list()) if (!isActive(job)) this.ctx.jobs.dismiss(job.id);
  }
}

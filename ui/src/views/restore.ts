// Restore: say exactly what will happen, let the analyst choose, then run and report.
import type { ViewContext } from "../context";
import { openDialog } from "../dialog";
import { h, icon, uniqueId, type Children } from "../dom";
import { toUserError } from "../errors";
import { formatBytes, formatDateTime, percent, plural } from "../format";
import { describeJob, isActive, refName, type Job } from "../jobs";
import type { BackupDetails, OnConflict, RestoreOutcome, RestorePreview } from "../types";
import { errorBanner, progressBar, setProgress, spinner } from "../widgets";

export function openRestore(ctx: ViewContext, details: BackupDetails, returnFocus: HTMLElement | null = null, only: string[] = []): void {
  new RestoreDialog(ctx, details, returnFocus, only);
}

class RestoreDialog {
  private readonly dialog;
  private readonly content: HTMLElement;
  private readonly errors: HTMLElement;
  private destination: string | null = null;
  private preview: RestorePreview | null = null;
  private choice: OnConflict = "copy";
  private jobId: string | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly ctx: ViewContext,
    private readonly details: BackupDetails,
    returnFocus: HTMLElement | null,
    /** Files and folders inside the strategy folder (a partial restore); empty: everything. */
    private readonly only: string[] = [],
  ) {
    this.errors = h("div", {});
    this.content = h("div", { class: "restore-content" });
    const strategy = details.entry?.strategy ?? details.manifest?.strategy ?? refName(details.backup);
    this.dialog = openDialog({
      title: only.length ? `Restore ${plural(only.length, "item")} of ${strategy}` : `Restore ${strategy}`,
      testid: "restore-dialog",
      content: [this.errors, this.content],
      returnFocus,
      onClose: () => this.unsubscribe?.(),
    });
    void this.loadPreview();
  }

  private fail(err: unknown): void {
    this.errors.replaceChildren(errorBanner(toUserError(err), { onDismiss: () => this.errors.replaceChildren() }));
    this.errors.querySelector<HTMLElement>("button")?.focus();
  }

  private async loadPreview(): Promise<void> {
    this.content.replaceChildren(spinner("Looking at the destination…"));
    try {
      this.preview = await this.ctx.ipc.restorePreview(this.details.backup, this.destination);
      if (!this.dialog.isOpen()) return;
      this.choice = "copy";
      this.renderPreview();
    } catch (err) {
      if (!this.dialog.isOpen()) return;
      this.fail(err);
      this.renderPreview();
    }
  }

  private async chooseDestination(): Promise<void> {
    try {
      const folder = await this.ctx.ipc.pickFolder("destination");
      if (folder === null || !this.dialog.isOpen()) return;
      this.errors.replaceChildren();
      this.destination = folder;
      await this.loadPreview();
      this.dialog.el.querySelector<HTMLElement>('[data-testid="restore-pick-destination"]')?.focus();
    } catch (err) {
      this.fail(err);
    }
  }

  private renderPreview(): void {
    const p = this.preview;
    const destination = p?.destination ?? this.destination ?? this.ctx.store.state.overview?.results_dir ?? "";
    const results = this.ctx.store.state.overview?.results_dir;
    const isResults = p ? p.destination === results : this.destination === null;
    const pick = h(
      "button",
      { type: "button", class: "btn btn-small", "data-testid": "restore-pick-destination", onclick: () => void this.chooseDestination() },
      "Choose another folder…",
    );
    const where = h(
      "div",
      { class: "field" },
      h("span", { class: "field-label" }, "Restore into"),
      h(
        "div",
        { class: "field-row" },
        h("output", { class: "path destination", "data-testid": "restore-destination", title: destination }, destination),
        pick,
      ),
      isResults ? h("p", { class: "muted small" }, "This is your results folder.") : null,
    );

    const plan: HTMLElement[] = [];
    if (p && !p.target_exists) {
      this.choice = "fail";
      plan.push(
        h("p", { class: "plan" }, icon("→"), "It will be restored to ", h("span", { class: "path" }, p.target), "."),
      );
    } else if (p) {
      const name = uniqueId("conflict");
      const radio = (value: OnConflict, testid: string, label: Children, help: string) => {
        const id = uniqueId("choice");
        const helpId = `${id}-help`;
        return h(
          "div",
          { class: "choice" },
          h("input", {
            type: "radio",
            id,
            name,
            value,
            "data-testid": testid,
            "aria-describedby": helpId,
            checked: this.choice === value,
            onchange: () => {
              this.choice = value;
            },
          }),
          h("label", { for: id }, label),
          h("p", { id: helpId, class: "muted small" }, help),
        );
      };
      plan.push(
        h("fieldset", { class: "choices" },
          h("legend", {}, h("span", { class: "path" }, p.target), " already exists. What should happen?"),
          radio(
            "copy",
            "restore-copy",
            ["Restore as a copy beside it (", h("span", { class: "path" }, p.copy_target), ")"],
            this.only.length ? "The copy holds only the chosen items. Nothing existing is changed." : "Nothing existing is changed.",
          ),
          radio(
            "replace",
            "restore-replace",
            this.only.length ? "Put the chosen items back in it — the current folder is backed up first" : "Replace it — the current folder is backed up first",
            this.only.length
              ? "Only the chosen files and folders are replaced by their backed-up versions; everything else stays as it is."
              : "The folder as it is now is backed up, then replaced by this backup's contents.",
          ),
        ),
      );
    }
    const confirmButton = h(
      "button",
      {
        type: "button",
        class: "btn btn-primary",
        "data-testid": "restore-confirm",
        disabled: !p,
        onclick: () => this.run(),
      },
      "Restore",
    );
    const size = this.details.entry?.bytes ?? this.details.manifest?.totals.bytes;
    const files = this.details.entry?.files ?? this.details.manifest?.totals.files;
    this.content.replaceChildren(
      h(
        "p",
        {},
        `From the backup ${this.details.backup_file}`,
        this.only.length === 0 && files !== undefined && size !== undefined ? ` (${plural(files, "file")}, ${formatBytes(size)})` : "",
        ". Every file is checked against the backup before anything is put in place.",
      ),
      this.only.length
        ? h(
            "div",
            { class: "restore-only", "data-testid": "restore-only" },
            h("p", {}, `Only ${this.only.length === 1 ? "this item" : `these ${this.only.length} items`}:`),
            h("ul", { class: "plain-list" }, this.only.slice(0, 20).map((path) => h("li", { class: "path" }, path))),
            this.only.length > 20 ? h("p", { class: "muted small" }, `…and ${this.only.length - 20} more`) : null,
          )
        : "",
      where,
      ...plan,
      h(
        "div",
        { class: "dialog-actions" },
        h("button", { type: "button", class: "btn", onclick: () => this.dialog.close() }, "Cancel"),
        confirmButton,
      ),
    );
  }

  private run(): void {
    const p = this.preview;
    if (!p) return;
    this.errors.replaceChildren();
    const on_conflict: OnConflict = p.target_exists ? this.choice : "fail";
    const { id } = this.ctx.jobs.start({
      kind: "restore",
      backup: this.details.backup,
      destination: this.destination,
      on_conflict,
      ...(this.only.length ? { only: this.only } : {}),
    });
    this.jobId = id;
    const status = h("p", { class: "small muted", "aria-live": "polite" });
    const bar = progressBar(null, "Restore progress");
    const cancel = h(
      "button",
      { type: "button", class: "btn", "data-testid": "restore-cancel", onclick: () => void this.ctx.jobs.cancel(id) },
      "Cancel",
    );
    const hide = h("button", { type: "button", class: "btn btn-quiet", onclick: () => this.dialog.close() }, "Hide");
    this.content.replaceChildren(
      h("p", {}, "Restoring to ", h("span", { class: "path" }, on_conflict === "copy" ? p.copy_target : p.target), "…"),
      bar,
      status,
      h("p", { class: "muted small" }, "You can hide this window; the restore carries on and shows in the job list."),
      h("div", { class: "dialog-actions" }, hide, cancel),
    );
    cancel.focus();
    const show = (job: Job, jobs: readonly Job[]) => {
      status.textContent = describeJob(job, jobs);
      const pr = job.progress;
      setProgress(bar, job.state === "running" && pr ? percent(pr.bytes_done, pr.bytes_total) : isActive(job) ? null : 100);
      cancel.disabled = job.cancelRequested;
    };
    const first = this.ctx.jobs.get(id);
    if (first) show(first, this.ctx.jobs.list());
    this.unsubscribe = this.ctx.jobs.subscribe((jobs, job) => {
      if (job.id !== this.jobId || !this.dialog.isOpen()) return;
      if (isActive(job)) show(job, jobs);
      else this.finished(job);
    });
  }

  private finished(job: Job): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (job.state === "done" && job.result?.kind === "restore") {
      this.showResult(job.result.outcome);
    } else if (job.state === "cancelled") {
      this.content.replaceChildren(
        h("p", {}, "The restore was cancelled. Nothing was changed."),
        h("div", { class: "dialog-actions" }, h("button", { type: "button", class: "btn", onclick: () => this.dialog.close() }, "Close")),
      );
      this.content.querySelector<HTMLElement>("button")?.focus();
    } else {
      this.fail(job.error ?? new Error("The restore did not finish."));
      this.renderPreview();
    }
  }

  private showResult(o: RestoreOutcome): void {
    const open = h(
      "button",
      {
        type: "button",
        class: "btn btn-primary",
        "data-testid": "restore-open-folder",
        onclick: () => void this.ctx.ipc.openFolder(o.restored_to).catch((err: unknown) => this.fail(err)),
      },
      "Open folder",
    );
    const safety = o.safety_backup;
    this.content.replaceChildren(
      h(
        "div",
        { class: "restore-result", "data-testid": "restore-result", role: "status" },
        h("p", { class: "result-title" }, icon("✓"), h("strong", {}, `Restored ${o.strategy}`)),
        h("p", {}, "Your files are in ", h("span", { class: "path" }, o.restored_to), "."),
        h(
          "p",
          { class: "muted small" },
          `${plural(o.files, "file")}, ${formatBytes(o.bytes)}${o.proof === "none" ? "; this archive had no manifest, so files could not be compared with one." : ", every file verified against the backup."}`,
        ),
        o.replaced && safety
          ? h(
              "p",
              {},
              "The folder that was there before was backed up first, as ",
              h("span", { class: "path" }, safety.backup_file),
              ` (${formatDateTime(safety.created)}). You can restore it from Backups at any time.`,
            )
          : o.replaced
            ? h("p", {}, "The folder that was there before has been replaced.")
            : null,
        o.warnings.length ? h("ul", { class: "job-warnings small" }, o.warnings.map((w) => h("li", {}, w))) : null,
      ),
      h(
        "div",
        { class: "dialog-actions" },
        h("button", { type: "button", class: "btn", onclick: () => this.dialog.close() }, "Close"),
        open,
      ),
    );
    open.focus();
  }
}

// Settings › Keeping backups: a retention policy for every strategy in plain words (presets or
// custom restic-style rules), a preview of exactly what it would delete and the space it frees,
// and applying it. Shared with `results-backup forget`; per-strategy rules in the file are kept.
import type { ViewContext } from "../context";
import { h } from "../dom";
import { toUserError } from "../errors";
import { backupDate, formatBytes, formatDateTime, plural } from "../format";
import type { ForgetReport, RetentionPolicies, RetentionPolicy } from "../types";
import { errorBanner, notice } from "../widgets";

export type Preset = "everything" | "smart" | "last" | "custom";

export const SMART: RetentionPolicy = { keep_hourly: 24, keep_daily: 7, keep_weekly: 4, keep_monthly: 12 };
const COUNTS = ["keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly"] as const;
type CountKey = (typeof COUNTS)[number];
const COUNT_WORDS: Record<CountKey, string> = {
  keep_last: "the last",
  keep_hourly: "hourly backups for",
  keep_daily: "daily backups for",
  keep_weekly: "weekly backups for",
  keep_monthly: "monthly backups for",
  keep_yearly: "yearly backups for",
};
const COUNT_UNITS: Record<CountKey, string> = {
  keep_last: "backups",
  keep_hourly: "hours",
  keep_daily: "days",
  keep_weekly: "weeks",
  keep_monthly: "months",
  keep_yearly: "years",
};

const PERIOD_WORDS: Record<CountKey, string> = {
  keep_last: "",
  keep_hourly: "hourly",
  keep_daily: "daily",
  keep_weekly: "weekly",
  keep_monthly: "monthly",
  keep_yearly: "yearly",
};

/** Which preset a saved policy is, so the form shows it the way it was chosen. */
export function presetOf(policy: RetentionPolicy | null | undefined): Preset {
  if (!policy) return "everything";
  const set = Object.entries(policy).filter(([, v]) => v !== null && v !== undefined);
  if (set.length === 1 && set[0]?.[0] === "keep_last") return "last";
  const smart = Object.entries(SMART);
  if (set.length === smart.length && smart.every(([k, v]) => (policy as Record<string, unknown>)[k] === v)) return "smart";
  return "custom";
}

/** A policy in one sentence, as the preview's heading says it. */
export function describePolicy(policy: RetentionPolicy): string {
  const parts: string[] = [];
  for (const key of COUNTS) {
    const n = policy[key];
    if (n) parts.push(key === "keep_last" ? `the last ${n}` : `${n} ${PERIOD_WORDS[key]}`);
  }
  if (policy.keep_within) parts.push(`everything within ${policy.keep_within} of the newest`);
  return parts.length ? `Keeps ${parts.join(", ")}` : "Keeps everything";
}

export class RetentionSection {
  readonly el: HTMLElement;
  private readonly presets: Record<Preset, HTMLInputElement>;
  private readonly lastN: HTMLInputElement;
  private readonly custom: Record<CountKey, HTMLInputElement>;
  private readonly within: HTMLInputElement;
  private readonly customBox: HTMLElement;
  private readonly afterAutomatic: HTMLInputElement;
  private readonly preview: HTMLElement;
  private readonly feedback: HTMLElement;
  private loaded: RetentionPolicies | null = null;

  constructor(private readonly ctx: ViewContext) {
    const radio = (value: Preset) =>
      h("input", { type: "radio", name: "retention-preset", id: `retention-${value}`, value, "data-testid": `retention-${value}`, onchange: () => this.showFields() });
    this.presets = { everything: radio("everything"), smart: radio("smart"), last: radio("last"), custom: radio("custom") };
    this.lastN = h("input", { type: "number", min: "1", value: "10", "data-testid": "retention-last-n", "aria-label": "How many backups to keep" });
    this.custom = Object.fromEntries(
      COUNTS.map((k) => [k, h("input", { type: "number", min: "1", "data-testid": `retention-${k}`, "aria-label": `${COUNT_WORDS[k]} (${COUNT_UNITS[k]})` })]),
    ) as Record<CountKey, HTMLInputElement>;
    this.within = h("input", { type: "text", placeholder: "e.g. 30d", "data-testid": "retention-keep_within", "aria-label": "Keep everything within" });
    this.customBox = h(
      "div",
      { class: "retention-custom" },
      COUNTS.map((k) => h("div", { class: "field-row" }, h("span", {}, `Keep ${COUNT_WORDS[k]}`), this.custom[k], h("span", {}, COUNT_UNITS[k]))),
      h("div", { class: "field-row" }, h("span", {}, "Keep everything within"), this.within, h("span", { class: "muted small" }, "of the newest backup (1y2m3d4h)")),
    );
    this.afterAutomatic = h("input", { type: "checkbox", id: "retention-after-automatic", "data-testid": "retention-after-automatic" });
    this.preview = h("div", { "data-testid": "retention-preview-area" });
    this.feedback = h("div", {});
    const option = (value: Preset, label: string, extra?: HTMLElement) =>
      h("div", { class: "check-row" }, this.presets[value], h("label", { for: `retention-${value}` }, label), extra ?? null);
    this.el = h(
      "form",
      {
        class: "settings-form retention-form",
        "aria-labelledby": "retention-title",
        "data-testid": "retention-settings",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.save();
        },
      },
      h("h2", { id: "retention-title" }, "Keeping backups"),
      h(
        "p",
        { class: "muted small" },
        "Old backups are deleted by these rules, for every strategy. A strategy's newest backup is never deleted, " +
          "nor one that is being checked or restored.",
      ),
      option("everything", "Keep everything"),
      option("smart", "Smart: 24 hourly, 7 daily, 4 weekly and 12 monthly backups"),
      option("last", "Keep the last", h("span", { class: "field-row" }, this.lastN, "backups of each strategy")),
      option("custom", "Custom rules"),
      this.customBox,
      h("div", { class: "check-row" }, this.afterAutomatic, h("label", { for: "retention-after-automatic" }, "Apply after each automatic backup")),
      this.feedback,
      h(
        "div",
        { class: "form-actions" },
        h("button", { type: "button", class: "btn", "data-testid": "retention-preview", onclick: () => void this.showPreview() }, "Preview…"),
        h("button", { type: "submit", class: "btn btn-primary", "data-testid": "retention-save" }, "Save rules"),
      ),
      this.preview,
    );
    this.presets.everything.checked = true;
    this.showFields();
    void this.load();
  }

  private showFields(): void {
    this.customBox.hidden = !this.presets.custom.checked;
    this.lastN.disabled = !this.presets.last.checked;
    this.preview.replaceChildren();
  }

  private async load(): Promise<void> {
    try {
      const policies = await this.ctx.ipc.retentionSettings();
      this.loaded = policies;
      const policy = policies.all ?? null;
      const preset = presetOf(policy);
      this.presets[preset].checked = true;
      if (preset === "last" && policy?.keep_last) this.lastN.value = String(policy.keep_last);
      if (preset === "custom" && policy) {
        for (const k of COUNTS) this.custom[k].value = policy[k] ? String(policy[k]) : "";
        this.within.value = policy.keep_within ?? "";
      }
      this.afterAutomatic.checked = policies.apply_after_automatic ?? false;
      this.showFields();
    } catch (err) {
      this.feedback.replaceChildren(errorBanner(toUserError(err)));
    }
  }

  /** The policies the form describes (the file's per-strategy rules kept as they are). */
  private policies(): RetentionPolicies {
    let all: RetentionPolicy | null = null;
    if (this.presets.smart.checked) all = { ...SMART };
    else if (this.presets.last.checked) all = { keep_last: Number(this.lastN.value) };
    else if (this.presets.custom.checked) {
      all = {};
      for (const k of COUNTS) if (this.custom[k].value.trim() !== "") all[k] = Number(this.custom[k].value);
      if (this.within.value.trim() !== "") all.keep_within = this.within.value.trim();
    }
    return {
      ...(all ? { all } : {}),
      strategies: this.loaded?.strategies ?? {},
      apply_after_automatic: this.afterAutomatic.checked,
    };
  }

  private fail(err: unknown): void {
    this.feedback.replaceChildren(errorBanner(toUserError(err), { onDismiss: () => this.feedback.replaceChildren() }));
  }

  private async save(): Promise<void> {
    this.feedback.replaceChildren();
    try {
      this.loaded = await this.ctx.ipc.saveRetention(this.policies());
      this.ctx.notify.toast(this.loaded.all ? "Saved. Old backups are deleted by these rules." : "Saved. Every backup is kept.");
    } catch (err) {
      this.fail(err);
    }
  }

  private async showPreview(): Promise<void> {
    this.feedback.replaceChildren();
    this.preview.replaceChildren();
    const policies = this.policies();
    if (!policies.all && Object.keys(policies.strategies ?? {}).length === 0) {
      this.preview.replaceChildren(notice("With “Keep everything”, no backup is ever deleted."));
      return;
    }
    try {
      const report = await this.ctx.ipc.previewRetention(policies);
      this.preview.replaceChildren(this.renderPreview(report, policies));
    } catch (err) {
      this.fail(err);
    }
  }

  private renderPreview(report: ForgetReport, policies: RetentionPolicies): HTMLElement {
    const doomed = report.strategies.filter((s) => s.removed.length > 0);
    const summary =
      report.removed === 0
        ? `Nothing would be deleted: all ${plural(Number(report.kept), "backup")} are kept.`
        : `${plural(Number(report.removed), "backup")} would be deleted, freeing ${formatBytes(Number(report.bytes_freed))}; ` +
          `${plural(Number(report.kept), "backup")} are kept.`;
    const apply = h(
      "button",
      {
        type: "button",
        class: "btn btn-danger",
        "data-testid": "retention-apply",
        onclick: () => void this.apply(policies, apply),
      },
      `Delete ${plural(Number(report.removed), "backup")} now`,
    );
    return h(
      "section",
      { class: "retention-preview", "data-testid": "retention-preview-result", "aria-live": "polite" },
      h("p", { "data-testid": "retention-summary" }, h("strong", {}, summary)),
      doomed.map((s) =>
        h(
          "div",
          { class: "retention-strategy", "data-testid": "retention-strategy", "data-strategy": s.strategy },
          h("h3", {}, `${s.strategy} — ${describePolicy(s.policy)}`),
          h(
            "ul",
            { class: "retention-list" },
            s.removed.map((item) =>
              h(
                "li",
                { "data-testid": "retention-removed", "data-file": item.backup_file },
                h("span", {}, formatDateTime(backupDate(item))),
                h("span", { class: "muted" }, formatBytes(Number(item.size))),
                h("span", { class: "muted small" }, item.reasons.join("; ")),
              ),
            ),
          ),
        ),
      ),
      report.without_policy.length
        ? h("p", { class: "muted small" }, `No rule applies to ${report.without_policy.join(", ")}: kept as they are.`)
        : null,
      report.removed > 0 ? h("div", { class: "form-actions" }, apply) : null,
    );
  }

  private async apply(policies: RetentionPolicies, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const report = await this.ctx.ipc.applyRetention(policies);
      this.preview.replaceChildren(
        notice(`Deleted ${plural(Number(report.removed), "backup")} and freed ${formatBytes(Number(report.bytes_freed))}.`),
      );
      this.ctx.notify.toast(`Deleted ${plural(Number(report.removed), "old backup")}.`);
      await this.ctx.store.refresh();
    } catch (err) {
      button.disabled = false;
      this.fail(err);
    }
  }
}

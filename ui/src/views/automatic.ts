// Settings › Automatic backups: the policy for every strategy (on change after a quiet period,
// and/or a schedule), pause, and success notifications. Saved in the settings file the command
// line's `watch` reads too; per-strategy rules written there are kept as they are.
import type { ViewContext } from "../context";
import { h } from "../dom";
import { toUserError } from "../errors";
import type { AutomaticPolicy, AutomaticSettings, Schedule, Weekday } from "../types";
import { errorBanner } from "../widgets";

const WEEKDAYS: Weekday[] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
type Every = "none" | "hour" | "day" | "week";

/** The quiet period in the unit an analyst reads best. */
export function quietParts(seconds: number): { amount: number; unit: "seconds" | "minutes" } {
  return seconds % 60 === 0 ? { amount: seconds / 60, unit: "minutes" } : { amount: seconds, unit: "seconds" };
}

/** The policy the form describes; null when it would never start a backup. */
export function policyFrom(form: {
  onChange: boolean;
  quietAmount: number;
  quietUnit: "seconds" | "minutes";
  every: Every;
  at: string;
  on: Weekday;
  minute: number;
}): AutomaticPolicy | null {
  const quiet_seconds = Math.round(form.quietAmount * (form.quietUnit === "minutes" ? 60 : 1));
  let schedule: Schedule | undefined;
  if (form.every === "hour") schedule = { every: "hour", minute: form.minute };
  else if (form.every === "day") schedule = { every: "day", at: form.at };
  else if (form.every === "week") schedule = { every: "week", on: form.on, at: form.at };
  if (!form.onChange && !schedule) return null;
  return schedule ? { on_change: form.onChange, quiet_seconds, schedule } : { on_change: form.onChange, quiet_seconds };
}

/** A policy in a few words, for a strategy's own rule. */
export function describeAutomatic(policy: AutomaticPolicy): string {
  const parts: string[] = [];
  if (policy.on_change) {
    const quiet = quietParts(policy.quiet_seconds);
    parts.push(`on change after ${quiet.amount} ${quiet.amount === 1 ? quiet.unit.slice(0, -1) : quiet.unit} quiet`);
  }
  const s = policy.schedule;
  if (s?.every === "hour") parts.push(`every hour at :${String(s.minute).padStart(2, "0")}`);
  if (s?.every === "day") parts.push(`every day at ${s.at}`);
  if (s?.every === "week") parts.push(`every ${s.on[0]?.toUpperCase()}${s.on.slice(1)} at ${s.at}`);
  return parts.join(", ") || "never";
}

export class AutomaticSection {
  readonly el: HTMLElement;
  private readonly onChange: HTMLInputElement;
  private readonly quietAmount: HTMLInputElement;
  private readonly quietUnit: HTMLSelectElement;
  private readonly every: HTMLSelectElement;
  private readonly at: HTMLInputElement;
  private readonly on: HTMLSelectElement;
  private readonly minute: HTMLInputElement;
  private readonly paused: HTMLInputElement;
  private readonly notifySuccess: HTMLInputElement;
  private readonly feedback: HTMLElement;
  private readonly save: HTMLButtonElement;
  private readonly dayRow: HTMLElement;
  private readonly hourRow: HTMLElement;
  private readonly exceptions: HTMLElement;
  /** Says automatic backups are off while backups are kept in shared storage. */
  private loaded: AutomaticSettings | null = null;
  /** Per strategy: "all" (the policy above), "manual" (never automatically) or "own" (its own rule from the file). */
  private readonly choices = new Map<string, "all" | "manual" | "own">();

  constructor(private readonly ctx: ViewContext) {
    this.onChange = h("input", { type: "checkbox", id: "auto-on-change", "data-testid": "auto-on-change" });
    this.quietAmount = h("input", { type: "number", id: "auto-quiet", min: "1", step: "1", value: "1", "data-testid": "auto-quiet" });
    this.quietUnit = h(
      "select",
      { "data-testid": "auto-quiet-unit", "aria-label": "Unit of the quiet period" },
      h("option", { value: "minutes" }, "minutes"),
      h("option", { value: "seconds" }, "seconds"),
    );
    this.every = h(
      "select",
      { id: "auto-every", "data-testid": "auto-every", onchange: () => this.showScheduleFields() },
      h("option", { value: "none" }, "No schedule"),
      h("option", { value: "hour" }, "Every hour"),
      h("option", { value: "day" }, "Every day"),
      h("option", { value: "week" }, "Every week"),
    );
    this.at = h("input", { type: "time", id: "auto-at", value: "18:00", "data-testid": "auto-at" });
    this.on = h(
      "select",
      { id: "auto-on", "data-testid": "auto-weekday", "aria-label": "Day of the week" },
      WEEKDAYS.map((d) => h("option", { value: d }, d[0]?.toUpperCase() + d.slice(1))),
    );
    this.minute = h("input", { type: "number", id: "auto-minute", min: "0", max: "59", value: "0", "data-testid": "auto-minute" });
    this.paused = h("input", { type: "checkbox", id: "auto-paused", "data-testid": "auto-paused" });
    this.notifySuccess = h("input", { type: "checkbox", id: "auto-notify-success", "data-testid": "auto-notify-success" });
    this.feedback = h("div", {});
    this.save = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "auto-save" }, "Save automatic backups");
    this.dayRow = h("div", { class: "field-row" }, this.on, h("label", { for: "auto-at" }, "at"), this.at);
    this.hourRow = h("div", { class: "field-row" }, h("label", { for: "auto-minute" }, "at minute"), this.minute);
    this.exceptions = h("div", { class: "automatic-exceptions", "data-testid": "auto-exceptions" });
    this.el = h(
      "form",
      {
        class: "settings-form automatic-form",
        "aria-labelledby": "automatic-title",
        "data-testid": "automatic-settings",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.submit();
        },
      },
      h("h2", { id: "automatic-title" }, "Automatic backups"),
      h(
        "p",
        { class: "muted small" },
        "For every strategy. Results Backup keeps doing this while its window is closed (from the system tray), and " +
          "skips a backup when nothing changed.",
      ),
      h(
        "fieldset",
        {},
        h("div", { class: "check-row" }, this.onChange, h("label", { for: "auto-on-change" }, "Back up a strategy when its results change")),
        h(
          "div",
          { class: "field-row" },
          h("label", { for: "auto-quiet" }, "once its folder has been quiet for"),
          this.quietAmount,
          this.quietUnit,
        ),
        h("p", { class: "muted small" }, "A backtest that writes for ten minutes gives one backup when it is done, not fifty."),
      ),
      h(
        "fieldset",
        {},
        h("div", { class: "field-row" }, h("label", { for: "auto-every" }, "And on a schedule"), this.every),
        this.hourRow,
        this.dayRow,
        h("p", { class: "muted small" }, "A run missed while the computer slept or the app was closed happens once, when it is back."),
      ),
      this.exceptions,
      h("div", { class: "check-row" }, this.paused, h("label", { for: "auto-paused" }, "Pause automatic backups")),
      h(
        "div",
        { class: "check-row" },
        this.notifySuccess,
        h("label", { for: "auto-notify-success" }, "Also notify me when automatic backups succeed (failures are always notified)"),
      ),
      this.feedback,
      h("div", { class: "form-actions" }, this.save),
    );
    this.showScheduleFields();
    void this.load();
  }

  /** One line per strategy: follow the policy above, never back up automatically, or keep its own rule from the file. */
  update(): void {
    const names = new Set((this.ctx.store.state.strategies ?? []).map((s) => s.name));
    for (const name of this.choices.keys()) names.add(name);
    if (names.size === 0) {
      this.exceptions.replaceChildren();
      return;
    }
    const rows = [...names].sort().map((name) => {
      const choice = this.choices.get(name) ?? "all";
      const own = this.loaded?.strategies?.[name];
      const select = h(
        "select",
        {
          "data-testid": "auto-strategy-choice",
          "data-strategy": name,
          "aria-label": `Automatic backups of ${name}`,
          onchange: (e: Event) => {
            const value = (e.target as HTMLSelectElement).value as "all" | "manual" | "own";
            if (value === "all") this.choices.delete(name);
            else this.choices.set(name, value);
          },
        },
        h("option", { value: "all", selected: choice === "all" }, "As above"),
        h("option", { value: "manual", selected: choice === "manual" }, "Only when I back up"),
        own && (own.on_change || own.schedule)
          ? h("option", { value: "own", selected: choice === "own" }, `Its own rule: ${describeAutomatic(own)}`)
          : null,
      );
      return h("li", { class: "field-row" }, h("span", { class: "strategy-name" }, name), select);
    });
    this.exceptions.replaceChildren(
      h("h3", {}, "For each strategy"),
      h("ul", { class: "plain-list" }, rows),
    );
  }

  private showScheduleFields(): void {
    const every = this.every.value as Every;
    this.hourRow.hidden = every !== "hour";
    this.dayRow.hidden = every !== "day" && every !== "week";
    this.on.hidden = every !== "week";
  }

  private async load(): Promise<void> {
    try {
      const view = await this.ctx.ipc.automaticSettings();
      this.loaded = view.automatic;
      const policy = view.automatic.all ?? { on_change: false, quiet_seconds: 60 };
      this.onChange.checked = policy.on_change;
      const quiet = quietParts(policy.quiet_seconds);
      this.quietAmount.value = String(quiet.amount);
      this.quietUnit.value = quiet.unit;
      const schedule = policy.schedule;
      this.every.value = schedule?.every ?? "none";
      if (schedule?.every === "hour") this.minute.value = String(schedule.minute);
      if (schedule?.every === "day" || schedule?.every === "week") this.at.value = schedule.at;
      if (schedule?.every === "week") this.on.value = schedule.on;
      this.paused.checked = view.automatic.paused ?? false;
      this.notifySuccess.checked = view.notify_success;
      this.showScheduleFields();
      this.choices.clear();
      for (const [name, policy] of Object.entries(view.automatic.strategies ?? {})) {
        this.choices.set(name, policy.on_change || policy.schedule ? "own" : "manual");
      }
      this.update();
    } catch (err) {
      this.feedback.replaceChildren(errorBanner(toUserError(err)));
    }
  }

  private async submit(): Promise<void> {
    this.save.disabled = true;
    this.feedback.replaceChildren();
    try {
      const all = policyFrom({
        onChange: this.onChange.checked,
        quietAmount: Number(this.quietAmount.value),
        quietUnit: this.quietUnit.value as "seconds" | "minutes",
        every: this.every.value as Every,
        at: this.at.value,
        on: this.on.value as Weekday,
        minute: Number(this.minute.value),
      });
      const strategies: Record<string, AutomaticPolicy> = {};
      for (const [name, choice] of this.choices) {
        const own = this.loaded?.strategies?.[name];
        if (choice === "manual") strategies[name] = { on_change: false, quiet_seconds: own?.quiet_seconds ?? 60 };
        else if (choice === "own" && own) strategies[name] = own;
      }
      const automatic: AutomaticSettings = {
        strategies,
        paused: this.paused.checked,
        ...(all ? { all } : {}),
      };
      const saved = await this.ctx.ipc.saveAutomatic(automatic, this.notifySuccess.checked);
      this.loaded = saved.automatic;
      this.ctx.notify.toast(
        saved.automatic.paused
          ? "Saved. Automatic backups are paused."
          : all
            ? "Saved. Automatic backups are on."
            : "Saved. Automatic backups are off.",
      );
      await this.ctx.store.refresh();
    } catch (err) {
      this.feedback.replaceChildren(errorBanner(toUserError(err), { onDismiss: () => this.feedback.replaceChildren() }));
    } finally {
      this.save.disabled = false;
    }
  }
}

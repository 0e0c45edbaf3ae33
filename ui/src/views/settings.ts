// Settings: where results and backups live, and how hard to compress. Shared with the command line.
import type { ViewContext } from "../context";
import { h } from "../dom";
import { toUserError } from "../errors";
import type { FolderPurpose } from "../types";
import { errorBanner, notice } from "../widgets";
import { AutomaticSection } from "./automatic";
import { RetentionSection } from "./retention";

export function levelWords(level: number): string {
  if (level <= 2) return "fastest, larger files";
  if (level <= 4) return "faster";
  if (level <= 6) return level === 6 ? "balanced (recommended)" : "balanced";
  if (level <= 8) return "smaller files, slower";
  return "smallest files, slowest";
}

const ENV_NAMES: Record<string, string> = {
  RESULTS_BACKUP_RESULTS: "the results folder",
  RESULTS_BACKUP_BACKUPS: "the backups folder",
  RESULTS_BACKUP_SETTINGS: "the settings file",
  RESULTS_BACKUP_LEVEL: "the compression level",
};

export class SettingsView {
  readonly el: HTMLElement;
  private readonly results: HTMLInputElement;
  private readonly backups: HTMLInputElement;
  private readonly level: HTMLInputElement;
  private readonly levelText: HTMLElement;
  private readonly save: HTMLButtonElement;
  private readonly feedback: HTMLElement;
  private readonly shared: HTMLElement;
  private readonly loginItem: HTMLInputElement;
  private readonly automatic: AutomaticSection;
  private readonly loginFeedback: HTMLElement;
  private dirty = false;

  constructor(private readonly ctx: ViewContext) {
    this.results = h("input", {
      id: "settings-results",
      type: "text",
      readonly: true,
      "data-testid": "settings-results",
      "aria-describedby": "settings-results-help",
    });
    this.backups = h("input", {
      id: "settings-backups",
      type: "text",
      readonly: true,
      "data-testid": "settings-backups",
      "aria-describedby": "settings-backups-help",
    });
    this.level = h("input", {
      id: "settings-level",
      type: "range",
      min: "1",
      max: "9",
      step: "1",
      "data-testid": "settings-level",
      "aria-describedby": "settings-level-words",
      oninput: () => {
        this.dirty = true;
        this.showLevel();
      },
    });
    this.levelText = h("p", { id: "settings-level-words", class: "level-words", "aria-live": "polite" });
    this.save = h(
      "button",
      { type: "submit", class: "btn btn-primary", "data-testid": "settings-save" },
      "Save",
    );
    this.feedback = h("div", {});
    this.shared = h("div", {});
    this.loginItem = h("input", {
      type: "checkbox",
      id: "settings-start-at-login",
      "data-testid": "settings-start-at-login",
      "aria-describedby": "settings-start-at-login-help",
      disabled: true,
      onchange: () => void this.changeLoginItem(),
    });
    this.loginFeedback = h("div", {});
    this.automatic = new AutomaticSection(ctx);
    void this.showLoginItem();
    const picker = (purpose: FolderPurpose, testid: string, input: HTMLInputElement, what: string) =>
      h(
        "button",
        {
          type: "button",
          class: "btn",
          "data-testid": testid,
          "aria-label": `Choose the ${what} folder`,
          onclick: () => void this.pick(purpose, input),
        },
        "Choose…",
      );
    const form = h(
      "form",
      {
        class: "settings-form",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.submit();
        },
      },
      h(
        "div",
        { class: "field" },
        h("label", { for: "settings-results" }, "Results folder"),
        h("div", { class: "field-row" }, this.results, picker("results", "settings-pick-results", this.results, "results")),
        h("p", { id: "settings-results-help", class: "muted small" }, "The folder whose sub-folders are your strategies."),
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: "settings-backups" }, "Backups folder"),
        h("div", { class: "field-row" }, this.backups, picker("backups", "settings-pick-backups", this.backups, "backups")),
        h(
          "p",
          { id: "settings-backups-help", class: "muted small" },
          "Where the archives and their catalog are kept. Another disk is safest.",
        ),
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: "settings-level" }, "Compression"),
        h(
          "div",
          { class: "range-row" },
          h("span", { class: "muted small", "aria-hidden": "true" }, "Faster"),
          this.level,
          h("span", { class: "muted small", "aria-hidden": "true" }, "Smaller"),
        ),
        this.levelText,
      ),
      this.feedback,
      h("div", { class: "form-actions" }, this.save),
    );
    this.el = h(
      "section",
      { class: "page page-narrow", "aria-labelledby": "settings-title" },
      h("div", { class: "page-header" }, h("h1", { id: "settings-title" }, "Settings")),
      form,
      this.automatic.el,
      new RetentionSection(ctx).el,
      h(
        "div",
        { class: "settings-form settings-login" },
        h("h2", {}, "On this computer"),
        h("div", { class: "check-row" }, this.loginItem, h("label", { for: "settings-start-at-login" }, "Start at login")),
        h(
          "p",
          { id: "settings-start-at-login-help", class: "muted small" },
          "Results Backup starts hidden when you log in, so automatic backups run even before you open it. " +
            "It applies at once.",
        ),
        this.loginFeedback,
      ),
      this.shared,
    );
  }

  private async showLoginItem(): Promise<void> {
    try {
      this.loginItem.checked = await this.ctx.ipc.startAtLogin();
      this.loginItem.disabled = false;
    } catch (err) {
      this.loginFeedback.replaceChildren(errorBanner(toUserError(err)));
    }
  }

  private async changeLoginItem(): Promise<void> {
    const wanted = this.loginItem.checked;
    this.loginItem.disabled = true;
    this.loginFeedback.replaceChildren();
    try {
      this.loginItem.checked = await this.ctx.ipc.setStartAtLogin(wanted);
      this.ctx.notify.toast(this.loginItem.checked ? "Results Backup will start when you log in." : "Results Backup will not start at login.");
    } catch (err) {
      this.loginItem.checked = !wanted;
      this.loginFeedback.replaceChildren(errorBanner(toUserError(err)));
    } finally {
      this.loginItem.disabled = false;
    }
  }

  update(): void {
    this.automatic.update();
    const o = this.ctx.store.state.overview;
    if (!o) return;
    if (!this.dirty) {
      this.results.value = o.results_dir;
      this.backups.value = o.backups_dir;
      this.level.value = String(o.compression_level);
    }
    this.showLevel();
    const parts: HTMLElement[] = [
      h(
        "p",
        {},
        "These settings are shared with the command line (",
        h("code", {}, "results-backup"),
        o.settings_file ? "), saved in " : "); there is no settings file yet.",
        o.settings_file ? h("span", { class: "path" }, o.settings_file) : null,
      ),
    ];
    if (o.environment_overrides.length > 0) {
      const list = o.environment_overrides.map((name) => `${name} (${ENV_NAMES[name] ?? "a setting"})`).join(", ");
      parts.push(
        h(
          "p",
          {},
          `The environment sets ${list}. It wins over what you save here, so the app keeps using it ` +
            "until that variable is removed.",
        ),
      );
    }
    parts.push(h("p", { class: "muted small" }, `Results Backup ${o.version}`));
    this.shared.replaceChildren(notice(parts));
  }

  private showLevel(): void {
    const level = Number(this.level.value) || 6;
    this.level.setAttribute("aria-valuetext", `Level ${level}: ${levelWords(level)}`);
    this.levelText.textContent = `Level ${level} — ${levelWords(level)}`;
  }

  private async pick(purpose: FolderPurpose, input: HTMLInputElement): Promise<void> {
    try {
      const folder = await this.ctx.ipc.pickFolder(purpose);
      if (folder === null) return;
      input.value = folder;
      this.dirty = true;
      this.feedback.replaceChildren(notice("Not saved yet — choose Save to use this folder."));
    } catch (err) {
      this.fail(err);
    }
  }

  private async submit(): Promise<void> {
    this.save.disabled = true;
    this.feedback.replaceChildren();
    const before = this.ctx.store.state.overview;
    try {
      const overview = await this.ctx.ipc.saveSettings(this.results.value, this.backups.value, Number(this.level.value));
      this.dirty = false;
      const movedBackups = before !== null && before.backups_dir !== overview.backups_dir;
      this.ctx.configured(overview, movedBackups ? "backups" : "settings");
      this.ctx.notify.toast(movedBackups ? `Saved. Showing the backups in ${overview.backups_dir}.` : "Settings saved.");
    } catch (err) {
      this.fail(err);
    } finally {
      this.save.disabled = false;
    }
  }

  private fail(err: unknown): void {
    this.feedback.replaceChildren(errorBanner(toUserError(err), { onDismiss: () => this.feedback.replaceChildren() }));
  }
}

// Settings: where results and backups live, and how hard to compress. Shared with the command line.
import type { ViewContext } from "../context";
import { h } from "../dom";
import { toUserError } from "../errors";
import type { FolderPurpose } from "../types";
import { errorBanner, notice } from "../widgets";
import type { StoreField } from "../types";
import {
  connectionLine,
  copyOfferText,
  copySummaryText,
  fieldOf,
  fieldsOf,
  settingOf,
  STORE_FIELDS,
  type StoreFields,
  type StoreKind,
} from "../store-form";
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
  private readonly kindFolder: HTMLInputElement;
  private readonly kindShared: HTMLInputElement;
  private readonly folderPart: HTMLElement;
  private readonly sharedPart: HTMLElement;
  private readonly storeInputs: Record<StoreField, HTMLInputElement>;
  private readonly storeErrors: Record<StoreField, HTMLElement>;
  private readonly testButton: HTMLButtonElement;
  private readonly connection: HTMLElement;
  private readonly copyArea: HTMLElement;
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
    const kindRadio = (kind: StoreKind) =>
      h("input", {
        type: "radio",
        name: "settings-store-kind",
        id: `settings-store-${kind}`,
        value: kind,
        "data-testid": `settings-store-${kind}`,
        onchange: () => {
          this.dirty = true;
          this.showKind();
        },
      });
    this.kindFolder = kindRadio("folder");
    this.kindShared = kindRadio("s3");
    const labels: Record<StoreField, [string, string, string]> = {
      endpoint: ["Endpoint", "https://s3.example.com", "Leave empty for Amazon S3."],
      bucket: ["Bucket", "team-results", ""],
      prefix: ["Folder in the bucket", "quant/backups", "Optional: backups go under this folder."],
      region: ["Region", "eu-west-1", "Optional: leave empty unless IT gave you one."],
      profile: ["AWS profile", "", "Optional: leave empty to use your default keys."],
    };
    this.storeInputs = {} as Record<StoreField, HTMLInputElement>;
    this.storeErrors = {} as Record<StoreField, HTMLElement>;
    const storeFields = STORE_FIELDS.map((field) => {
      const [label, placeholder, help] = labels[field];
      const id = `settings-store-${field}`;
      const input = h("input", {
        id,
        type: "text",
        spellcheck: "false",
        autocomplete: "off",
        placeholder,
        "data-testid": id,
        "aria-describedby": `${id}-help ${id}-error`,
        oninput: () => {
          this.dirty = true;
          this.clearStoreError(field);
          this.connection.replaceChildren();
        },
      });
      const error = h("p", { id: `${id}-error`, class: "field-error", "data-testid": `${id}-error`, "aria-live": "polite" });
      this.storeInputs[field] = input;
      this.storeErrors[field] = error;
      return h(
        "div",
        { class: "store-field" },
        h("label", { for: id }, label),
        input,
        help ? h("p", { id: `${id}-help`, class: "muted small" }, help) : null,
        error,
      );
    });
    this.testButton = h(
      "button",
      { type: "button", class: "btn", "data-testid": "settings-test-connection", onclick: () => void this.testConnection() },
      "Test connection",
    );
    this.connection = h("div", { class: "connection-result", "data-testid": "connection-result", "aria-live": "polite" });
    this.copyArea = h("div", {});
    this.folderPart = h(
      "div",
      { class: "store-part" },
      h("label", { for: "settings-backups" }, "Backups folder"),
      h("div", { class: "field-row" }, this.backups, picker("backups", "settings-pick-backups", this.backups, "backups")),
      h(
        "p",
        { id: "settings-backups-help", class: "muted small" },
        "Where the archives and their catalog are kept. Another disk is safest.",
      ),
    );
    this.sharedPart = h(
      "div",
      { class: "store-part" },
      h("div", { class: "store-grid" }, ...storeFields),
      h(
        "p",
        { class: "store-keys muted small", "data-testid": "settings-store-keys" },
        "Keys are not stored here: they come from the AWS environment or profile files on this computer. " +
          "Ask IT for the endpoint, the bucket and a key pair.",
      ),
      h("div", { class: "test-row" }, this.testButton, this.connection),
    );
    void this.showLoginItem();
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
        "fieldset",
        { class: "field store-choice" },
        h("legend", {}, "Where backups are kept"),
        h("div", { class: "check-row" }, this.kindFolder, h("label", { for: "settings-store-folder" }, "On this computer")),
        this.folderPart,
        h("div", { class: "check-row" }, this.kindShared, h("label", { for: "settings-store-s3" }, "In shared storage (S3)")),
        this.sharedPart,
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
      this.copyArea,
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
      const fields = fieldsOf(o.backups);
      for (const field of STORE_FIELDS) this.storeInputs[field].value = fields[field];
      this.kindFolder.checked = o.backups.kind === "folder";
      this.kindShared.checked = o.backups.kind === "s3";
    }
    this.showKind();
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
    for (const field of STORE_FIELDS) this.clearStoreError(field);
    const before = this.ctx.store.state.overview;
    try {
      const overview = await this.ctx.ipc.saveSettings(
        this.results.value,
        this.backups.value,
        Number(this.level.value),
        this.storeSetting(),
      );
      this.dirty = false;
      const shared = overview.store.kind === "shared" ? overview.store.address : null;
      const movedBackups = before !== null && before.backups_dir !== overview.backups_dir && shared === null;
      // Switching to shared storage stays here: the offer to copy this computer's backups follows.
      this.ctx.configured(overview, movedBackups ? "backups" : "settings");
      this.ctx.notify.toast(
        shared !== null
          ? `Saved. Backups are now kept in shared storage: ${shared}.`
          : movedBackups
            ? `Saved. Showing the backups in ${overview.backups_dir}.`
            : "Settings saved.",
      );
      if (shared !== null) await this.offerCopy();
      else this.copyArea.replaceChildren();
    } catch (err) {
      this.showStoreError(err, this.feedback);
    } finally {
      this.save.disabled = false;
    }
  }

  private kind(): StoreKind {
    return this.kindShared.checked ? "s3" : "folder";
  }

  private showKind(): void {
    const shared = this.kind() === "s3";
    this.sharedPart.hidden = !shared;
    this.folderPart.hidden = shared;
  }

  private storeSetting() {
    const fields = {} as StoreFields;
    for (const field of STORE_FIELDS) fields[field] = this.storeInputs[field].value;
    return settingOf(this.kind(), fields);
  }

  private clearStoreError(field: StoreField): void {
    this.storeErrors[field].textContent = "";
    this.storeInputs[field].removeAttribute("aria-invalid");
  }

  /** A refused value is shown under its field; anything else in the form's banner. */
  private showStoreError(err: unknown, where: HTMLElement): void {
    const error = toUserError(err);
    const field = fieldOf(error);
    if (field === null) {
      where.replaceChildren(errorBanner(error, { onDismiss: () => where.replaceChildren() }));
      return;
    }
    this.storeErrors[field].textContent = error.message;
    this.storeInputs[field].setAttribute("aria-invalid", "true");
    this.storeInputs[field].focus();
  }

  private async testConnection(): Promise<void> {
    for (const field of STORE_FIELDS) this.clearStoreError(field);
    this.testButton.disabled = true;
    this.connection.replaceChildren(h("span", { class: "muted" }, "Testing the connection…"));
    try {
      const line = connectionLine(await this.ctx.ipc.testConnection(this.storeSetting()));
      const parts: HTMLElement[] = [
        h(
          "p",
          { class: line.ok ? "connection-ok" : "connection-failed", "data-testid": "connection-message", "data-ok": String(line.ok) },
          h("span", { class: "connection-mark", "aria-hidden": "true" }, line.ok ? "✓" : "!"),
          line.text,
        ),
      ];
      if (line.hint) parts.push(h("p", { class: "muted small", "data-testid": "connection-hint" }, line.hint));
      this.connection.replaceChildren(...parts);
    } catch (err) {
      this.connection.replaceChildren();
      this.showStoreError(err, this.connection);
    } finally {
      this.testButton.disabled = false;
    }
  }

  /** After switching to shared storage: backups on this computer the store lacks can go there. */
  private async offerCopy(): Promise<void> {
    this.copyArea.replaceChildren();
    try {
      const offer = await this.ctx.ipc.copyOffer();
      const text = copyOfferText(offer);
      if (text === null) return;
      const start = h(
        "button",
        {
          type: "button",
          class: "btn btn-primary",
          "data-testid": "copy-to-shared",
          onclick: () => {
            start.disabled = true;
            void this.copy();
          },
        },
        text,
      );
      this.copyArea.replaceChildren(
        notice([
          h("p", {}, `Your backups on this computer are not in ${offer.store} yet. Copy them so everything is in one place; each copy is verified.`),
          h("div", { class: "form-actions" }, start),
        ]),
      );
    } catch (err) {
      this.fail(err);
    }
  }

  private async copy(): Promise<void> {
    const { done } = this.ctx.jobs.start({ kind: "copy_to_shared" });
    const job = await done;
    if (job.result?.kind === "copy_to_shared") {
      this.copyArea.replaceChildren(notice([h("p", { "data-testid": "copy-summary" }, copySummaryText(job.result.summary))]));
    } else if (job.error) {
      this.copyArea.replaceChildren(errorBanner(job.error, { onDismiss: () => this.copyArea.replaceChildren() }));
    } else {
      this.copyArea.replaceChildren();
    }
    void this.ctx.store.refresh();
  }

  private fail(err: unknown): void {
    this.feedback.replaceChildren(errorBanner(toUserError(err), { onDismiss: () => this.feedback.replaceChildren() }));
  }
}

// The window and composition root: it owns the state, the DOM shell (navigation, banners, toasts,
// the job panel, drag and drop) and builds the one ViewContext every view gets. Views never import
// this module.
import appIcon from "../../icons/icon.svg";
import type { AppState, PageName, ViewContext, ViewName } from "./context";
import { closeAllDialogs, dialogOpen, openDialog } from "./dialog";
import { h, replaceChildren } from "./dom";
import { toUserError, type UserError } from "./errors";
import { baseName } from "./format";
import type { Ipc } from "./ipc";
import { describeJob, isActive, JobStore, type Job } from "./jobs";
import type { BackupRef, FilesDropped, LiveUpdate, Overview, StoreShown } from "./types";
import { BackupsView } from "./views/backups";
import { openDetails } from "./views/details";
import { JobPanel } from "./views/jobpanel";
import { openRestore } from "./views/restore";
import { SettingsView } from "./views/settings";
import { StrategiesView } from "./views/strategies";
import { WelcomeView } from "./views/welcome";
import { errorBanner } from "./widgets";

interface View {
  readonly el: HTMLElement;
  update(): void;
}

/** Errors that mean the results folder itself is gone (unplugged drive, moved or deleted folder). */
const RESULTS_FOLDER_GONE = new Set(["results_folder_missing", "not_a_folder"]);

const NAV: { view: PageName; text: string; testid: string }[] = [
  { view: "strategies", text: "Strategies", testid: "nav-strategies" },
  { view: "backups", text: "Backups", testid: "nav-backups" },
  { view: "settings", text: "Settings", testid: "nav-settings" },
];

export class App {
  readonly state: AppState = {
    overview: null,
    strategies: null,
    strategiesError: null,
    backups: null,
    backupsError: null,
    health: null,
    watchNote: null,
    view: "strategies",
    banner: null,
  };
  /** What every view gets: the only way views reach the state, jobs, messages and the shell. */
  readonly context: ViewContext;
  private readonly jobs: JobStore;
  private readonly header: HTMLElement;
  /** Where backups are kept, always in sight. */
  private readonly storeIndicator: HTMLElement;
  private readonly nav: HTMLElement;
  private readonly bannerArea: HTMLElement;
  private readonly viewArea: HTMLElement;
  private readonly live: HTMLElement;
  private readonly toasts: HTMLElement;
  private readonly dropOverlay: HTMLElement;
  private readonly jobPanel: JobPanel;
  private views = new Map<ViewName, View>();
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(
    root: HTMLElement,
    private readonly ipc: Ipc,
  ) {
    this.jobs = new JobStore(
      (id, request, onEvent) => ipc.runJob(id, request, onEvent),
      (id) => ipc.cancelJob(id),
    );
    this.context = {
      store: { state: this.state, refresh: () => this.refresh() },
      jobs: this.jobs,
      notify: {
        showError: (err, title) => this.showError(err, title),
        toast: (message, timeoutMs) => this.toast(message, timeoutMs),
      },
      navigate: {
        openDetails: (ref) => this.openDetails(ref),
        openRestore: (details, returnFocus, only) => openRestore(this.context, details, returnFocus, only),
      },
      // Only the calls views make; each looks the function up when called.
      ipc: {
        appOverview: () => ipc.appOverview(),
        useSampleResults: () => ipc.useSampleResults(),
        pickFolder: (purpose) => ipc.pickFolder(purpose),
        saveSettings: (...args) => ipc.saveSettings(...args),
        testConnection: (backups) => ipc.testConnection(backups),
        copyOffer: () => ipc.copyOffer(),
        backupDetails: (backup) => ipc.backupDetails(backup),
        restorePreview: (backup, destination) => ipc.restorePreview(backup, destination),
        deleteBackup: (backup_file) => ipc.deleteBackup(backup_file),
        showInFolder: (path) => ipc.showInFolder(path),
        openFolder: (path) => ipc.openFolder(path),
        startAtLogin: () => ipc.startAtLogin(),
        setStartAtLogin: (enabled) => ipc.setStartAtLogin(enabled),
        acknowledgeFailure: (strategy) => ipc.acknowledgeFailure(strategy),
        automaticSettings: () => ipc.automaticSettings(),
        saveAutomatic: (automatic, notify_success) => ipc.saveAutomatic(automatic, notify_success),
        setPaused: (paused) => ipc.setPaused(paused),
        retentionSettings: () => ipc.retentionSettings(),
        previewRetention: (policies) => ipc.previewRetention(policies),
        saveRetention: (policies) => ipc.saveRetention(policies),
        applyRetention: (policies) => ipc.applyRetention(policies),
        filterBackups: (expression) => ipc.filterBackups(expression),
        compareBackups: (a, b) => ipc.compareBackups(a, b),
        changesSince: (backup, verify) => ipc.changesSince(backup, verify),
        equityCurve: (backup) => ipc.equityCurve(backup),
        openBackupFile: (backup, member) => ipc.openBackupFile(backup, member),
      },
      configured: (overview, then) => this.configured(overview, then),
    };
    this.nav = h(
      "nav",
      { class: "nav", "aria-label": "Main" },
      NAV.map((item) =>
        h(
          "button",
          {
            type: "button",
            class: "nav-item",
            "data-testid": item.testid,
            "data-view": item.view,
            onclick: () => this.navigate(item.view),
          },
          item.text,
        ),
      ),
    );
    this.storeIndicator = h("span", { class: "store-indicator", "data-testid": "store-indicator", hidden: true });
    this.header = h(
      "header",
      { class: "app-header" },
      h("div", { class: "brand" }, h("img", { class: "brand-mark", src: appIcon, alt: "", width: "24", height: "24" }), "Results Backup"),
      this.nav,
      this.storeIndicator,
    );
    this.bannerArea = h("div", { class: "banner-area" });
    this.viewArea = h("main", { class: "view", id: "main", tabindex: "-1" });
    this.jobPanel = new JobPanel(this.context);
    this.live = h("div", { class: "visually-hidden", "aria-live": "polite", role: "status" });
    // Messages live in the header, beside the navigation: they never cover the page or the jobs.
    this.toasts = h("div", { class: "toasts", "aria-live": "polite" });
    this.dropOverlay = h(
      "div",
      { class: "drop-overlay", "data-testid": "drop-overlay", hidden: true, "aria-hidden": "true" },
      h(
        "div",
        { class: "drop-card" },
        h("span", { class: "drop-icon", "aria-hidden": "true" }, "⤓"),
        h("p", { "data-testid": "drop-message" }, "Drop a backup (.tar.gz) to open it"),
      ),
    );
    replaceChildren(
      root,
      h("a", { class: "skip-link", href: "#main" }, "Skip to content"),
      this.header,
      h("div", { class: "layout" }, h("div", { class: "content" }, this.bannerArea, this.viewArea), this.jobPanel.el),
    );
    this.header.append(this.toasts);
    document.body.append(this.live, this.dropOverlay);

    this.jobs.subscribe((jobs, changed) => this.onJobChange(jobs, changed));
    // Relative times ("3 minutes ago") stay true while the window is open.
    setInterval(() => this.currentView()?.update(), 60_000);
  }

  async start(): Promise<void> {
    this.listenForDrops();
    this.viewArea.replaceChildren(h("p", { class: "loading-page" }, "Opening…"));
    try {
      const overview = await this.ipc.appOverview();
      this.state.overview = overview;
      this.showStore(overview);
      if (!overview.configured) {
        this.show("welcome");
        return;
      }
      this.show("strategies");
      await this.refresh();
    } catch (err) {
      this.show("strategies");
      this.showError(err);
    }
  }

  // ---- navigation -------------------------------------------------------------------------

  private navigate(view: PageName): void {
    if (this.state.view === view) return;
    this.show(view);
    if (view === "strategies" && this.state.strategies === null && !this.state.strategiesError) void this.refresh();
    if (view === "backups" && this.state.backups === null && !this.state.backupsError) void this.refresh();
  }

  private show(view: ViewName): void {
    this.state.view = view;
    if (this.state.banner && this.state.banner.view !== view) this.state.banner = null;
    this.renderBanner();
    this.header.classList.toggle("header-welcome", view === "welcome");
    this.nav.hidden = view === "welcome";
    for (const button of this.nav.querySelectorAll<HTMLButtonElement>("button")) {
      if (button.dataset.view === view) button.setAttribute("aria-current", "page");
      else button.removeAttribute("aria-current");
    }
    const v = this.view(view);
    this.viewArea.replaceChildren(v.el);
    v.update();
    document.title = view === "welcome" ? "Results Backup" : `${titleOf(view)} — Results Backup`;
  }

  private view(name: ViewName): View {
    let v = this.views.get(name);
    if (!v) {
      switch (name) {
        case "welcome":
          v = new WelcomeView(this.context);
          break;
        case "strategies":
          v = new StrategiesView(this.context);
          break;
        case "backups":
          v = new BackupsView(this.context);
          break;
        case "settings":
          v = new SettingsView(this.context);
          break;
      }
      this.views.set(name, v);
    }
    return v;
  }

  private currentView(): View | undefined {
    return this.views.get(this.state.view);
  }

  /** Re-renders the view on screen (after a state change). */
  private render(): void {
    this.currentView()?.update();
  }

  /** After the first settings were saved (welcome) or changed. */
  private configured(overview: Overview, then: PageName = "strategies"): void {
    const before = this.state.overview;
    const backupsMoved =
      before?.backups_dir !== overview.backups_dir || storeText(before.store) !== storeText(overview.store);
    this.state.overview = overview;
    this.showStore(overview);
    if (backupsMoved) this.state.backups = null;
    this.state.strategies = null;
    this.show(then);
    void this.refresh();
  }

  private showStore(overview: Overview): void {
    this.storeIndicator.textContent = storeText(overview.store);
    this.storeIndicator.title = overview.store.kind === "folder" ? overview.backups_dir : overview.store.address;
    this.storeIndicator.hidden = !overview.configured;
  }

  // ---- data -------------------------------------------------------------------------------

  /** Reloads strategies and backups; concurrent calls share one reload. */
  private refresh(): Promise<void> {
    if (this.refreshing) {
      // The disk may have changed after the reload in flight read it: read it once more after.
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      const [strategies, backups, health] = await Promise.allSettled([
        this.ipc.scanStrategies(),
        this.ipc.listBackups(),
        this.ipc.protectionHealth(),
      ]);
      this.state.health = health.status === "fulfilled" ? health.value : null;
      if (strategies.status === "fulfilled") {
        this.state.strategies = strategies.value;
        this.state.strategiesError = null;
      } else {
        this.state.strategiesError = toUserError(strategies.reason);
      }
      if (backups.status === "fulfilled") {
        this.state.backups = backups.value;
        this.state.backupsError = null;
      } else {
        this.state.backupsError = toUserError(backups.reason);
      }
      if (this.state.overview && this.state.strategiesError?.code === "results_folder_missing") {
        this.state.overview = { ...this.state.overview, results_exists: false };
      } else if (this.state.overview && strategies.status === "fulfilled") {
        this.state.overview = { ...this.state.overview, results_exists: true };
      }
      this.render();
    })().finally(() => {
      this.refreshing = null;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        this.scheduleRefresh();
      }
    });
    return this.refreshing;
  }
  private refreshAgain = false;

  /** What automatic protection tells the window: the disk changed, a backup was made or failed, the results folder went or came back. */
  private onLiveUpdate(update: LiveUpdate): void {
    if (update.kind === "backed_up_now") {
      this.scheduleRefresh();
      return;
    }
    const event = update.event;
    switch (event.event) {
      case "watching":
        this.state.watchNote =
          event.mode === "polling"
            ? `Changes are found by looking at the files every few seconds${event.reason ? ` (${event.reason})` : ""}.`
            : null;
        this.render();
        break;
      case "backup_started":
        this.announce(`Automatic backup of ${event.strategy} started`);
        break;
      case "backup_finished":
        if (event.status === "created") this.announce(`${event.strategy} backed up automatically`);
        this.scheduleRefresh();
        break;
      case "backup_failed":
      case "after_backup_failed":
      case "strategy_changed":
      case "results_folder_missing":
      case "results_folder_back":
        this.scheduleRefresh();
        break;
      case "warning":
        this.toast(event.message, 9000);
        break;
    }
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refresh();
    }, 250);
  }

  // ---- jobs -------------------------------------------------------------------------------

  private onJobChange(jobs: readonly Job[], changed: Job): void {
    this.jobPanel.update(jobs);
    if (!jobs.includes(changed)) {
      // dismissed
      this.lastStates.delete(changed.id);
      return;
    }
    const before = this.lastStates.get(changed.id);
    if (before === changed.state) return;
    this.lastStates.set(changed.id, changed.state);
    switch (changed.state) {
      case "running":
        this.announce(`${changed.label}: started`);
        break;
      case "done":
        this.announce(`${changed.label}: ${describeJob(changed, jobs)}`);
        if (changed.result?.kind === "check_all") this.toast(describeJob(changed, jobs), 9000);
        this.scheduleRefresh();
        break;
      case "cancelled":
        this.announce(`${changed.label}: cancelled`);
        this.scheduleRefresh();
        break;
      case "failed":
        if (changed.error && RESULTS_FOLDER_GONE.has(changed.error.code)) {
          this.resultsFolderGone(jobs);
        } else if (changed.error) {
          this.showError(changed.error, `${changed.label} did not finish`);
        }
        this.announce(`${changed.label}: failed`);
        this.scheduleRefresh();
        break;
      default:
        break;
    }
    this.render();
  }
  private lastStates = new Map<string, Job["state"]>();

  /**
   * The results folder went away under running backups: the other backups cannot succeed, so
   * they are cancelled, and the failed cards give way to the one banner the Strategies page shows
   * for a missing folder (the reload finds it), instead of one error per strategy.
   */
  private resultsFolderGone(jobs: readonly Job[]): void {
    for (const job of jobs) {
      if (job.request.kind !== "backup") continue;
      if (isActive(job)) void this.jobs.cancel(job.id);
      else if (job.state === "failed" && job.error && RESULTS_FOLDER_GONE.has(job.error.code)) this.jobs.dismiss(job.id);
    }
    if (this.state.banner && RESULTS_FOLDER_GONE.has(this.state.banner.error.code)) this.clearError();
    this.navigate("strategies");
    void this.refresh();
  }

  // ---- messages ---------------------------------------------------------------------------

  /** Shows an error banner at the top of the current view. */
  private showError(err: unknown, title?: string): void {
    const error = toUserError(err);
    this.state.banner = { error, view: this.state.view };
    this.bannerTitle = title;
    this.renderBanner();
    if (dialogOpen()) this.toast(`${title ? `${title}: ` : ""}${error.message}`);
  }
  private bannerTitle: string | undefined;

  private clearError(): void {
    this.state.banner = null;
    this.renderBanner();
  }

  private renderBanner(): void {
    const banner = this.state.banner;
    if (!banner) {
      this.bannerArea.replaceChildren();
      return;
    }
    const options: Parameters<typeof errorBanner>[1] = { onDismiss: () => this.clearError() };
    if (this.bannerTitle) options.title = this.bannerTitle;
    this.bannerArea.replaceChildren(errorBanner(banner.error, options));
  }

  private announce(message: string): void {
    // Replacing the text (not appending) makes screen readers read each message once.
    this.live.textContent = "";
    setTimeout(() => {
      this.live.textContent = message;
    }, 30);
  }

  /** One message at a time: a newer one replaces it, so they never stack up over the window. */
  private toast(message: string, timeoutMs = 6000): void {
    const close = () => el.remove();
    const el = h(
      "div",
      { class: "toast", "data-testid": "toast", role: "status", title: message },
      h("span", { class: "toast-text" }, message),
      h("button", { type: "button", class: "icon-button", "aria-label": "Dismiss", onclick: close }, "✕"),
    );
    this.toasts.replaceChildren(el);
    setTimeout(close, timeoutMs);
  }

  // ---- details ----------------------------------------------------------------------------

  openDetails(ref: BackupRef): void {
    openDetails(this.context, ref);
  }

  // ---- drag and drop ----------------------------------------------------------------------

  private listenForDrops(): void {
    this.ipc
      .onDragState((state) => {
        const hovering = state === "enter" || state === "over";
        this.dropOverlay.hidden = !hovering;
        document.body.classList.toggle("dragging", hovering);
      })
      .catch(() => undefined);
    this.ipc.onFilesDropped((dropped) => this.onFilesDropped(dropped)).catch(() => undefined);
    this.ipc.onFirstClose(() => this.explainClosing()).catch(() => undefined);
    this.ipc.listenLive((update) => this.onLiveUpdate(update)).catch(() => undefined);
  }

  /** The first close while automatic backups are on: say what happens, let the analyst choose. */
  private explainClosing(): void {
    if (document.querySelector('[data-testid="first-close-dialog"]')) return;
    const keep = h(
      "button",
      {
        type: "button",
        class: "btn btn-primary",
        "data-testid": "first-close-keep",
        onclick: () => {
          dialog.close();
          this.ipc.closeToTray().catch((err) => this.showError(err, "Could not close the window"));
        },
      },
      "Keep protecting in the background",
    );
    const quit = h(
      "button",
      {
        type: "button",
        class: "btn",
        "data-testid": "first-close-quit",
        onclick: () => {
          dialog.close();
          void this.ipc.quitApp();
        },
      },
      "Quit Results Backup",
    );
    const dialog = openDialog({
      title: "Results Backup keeps protecting your results",
      testid: "first-close-dialog",
      alert: true,
      content: [
        h(
          "p",
          {},
          "Automatic backups are on, so closing this window does not stop them: Results Backup keeps " +
            "watching your results in the background and backs them up as you set.",
        ),
        h(
          "p",
          {},
          "Open it again, back up now, pause or quit from its icon in the system tray, or by starting " +
            "Results Backup again.",
        ),
        h("div", { class: "form-actions" }, quit, keep),
      ],
      initialFocus: () => keep,
    });
  }

  private onFilesDropped(dropped: FilesDropped): void {
    this.dropOverlay.hidden = true;
    document.body.classList.remove("dragging");
    const [first, ...rest] = dropped.archives;
    if (dropped.others.length > 0) {
      const names = dropped.others.map(baseName);
      const what = names.length === 1 ? `${names[0]} is not a backup.` : `${names.join(", ")} are not backups.`;
      const error: UserError = {
        code: "not_an_archive",
        message: what,
        hint: "Drop a .tar.gz archive made by Results Backup, or any tar.gz of a strategy folder.",
      };
      if (first === undefined) {
        if (dialogOpen()) this.toast(`${error.message} ${error.hint}`, 9000);
        else this.showError(error);
      } else this.toast(`${error.message} ${error.hint}`, 9000);
    }
    if (first !== undefined) {
      closeAllDialogs();
      if (rest.length > 0) this.toast(`Opened ${baseName(first)}. Drop the other archives one at a time to open them.`, 9000);
      this.openDetails({ dropped: first });
    }
  }
}

function titleOf(view: ViewName): string {
  return view.charAt(0).toUpperCase() + view.slice(1);
}

/** Where backups are kept, in the header's words. */
function storeText(store: StoreShown): string {
  return store.kind === "shared" ? `Shared storage: ${store.address}` : "Backups on this computer";
}

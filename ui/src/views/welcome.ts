// First launch: choose the results folder, or try the app with sample results.
import type { ViewContext } from "../context";
import { h, icon } from "../dom";
import { toUserError } from "../errors";
import { errorBanner, spinner } from "../widgets";

export class WelcomeView {
  readonly el: HTMLElement;
  private readonly status: HTMLElement;
  private readonly error: HTMLElement;
  private readonly pick: HTMLButtonElement;
  private readonly sample: HTMLButtonElement;

  constructor(private readonly ctx: ViewContext) {
    this.pick = h(
      "button",
      { type: "button", class: "btn btn-primary btn-large", "data-testid": "welcome-pick", onclick: () => void this.choose() },
      "Choose my results folder…",
    );
    this.sample = h(
      "button",
      { type: "button", class: "btn btn-large", "data-testid": "welcome-sample", onclick: () => void this.trySample() },
      "Try it with sample results",
    );
    this.status = h("div", { class: "welcome-status" });
    this.error = h("div", {});
    this.el = h(
      "section",
      { class: "welcome", "data-testid": "welcome", "aria-labelledby": "welcome-title" },
      h("h1", { id: "welcome-title" }, "Keep your strategy results safe"),
      h(
        "p",
        { class: "lead" },
        "Results Backup packs each strategy's results folder into a dated archive, proves later that " +
          "nothing in it changed, and puts it back whenever you need it.",
      ),
      h(
        "ul",
        { class: "welcome-steps" },
        h("li", {}, icon("1"), h("span", {}, h("strong", {}, "Choose your results folder"), " — the one whose sub-folders are your strategies.")),
        h("li", {}, icon("2"), h("span", {}, h("strong", {}, "Back up"), " every strategy, or just the ones that changed.")),
        h("li", {}, icon("3"), h("span", {}, h("strong", {}, "Check and restore"), " any backup in a couple of clicks.")),
      ),
      this.error,
      h("div", { class: "welcome-actions" }, this.pick, this.sample),
      this.status,
      h(
        "p",
        { class: "muted small" },
        "Not sure yet? The sample results are a few small made-up strategies; you can switch to your own " +
          "folder at any time in Settings.",
      ),
    );
  }

  update(): void {
    const o = this.ctx.store.state.overview;
    if (o) this.sample.title = `Copies sample strategies to ${o.sample_results}`;
  }

  private busy(text: string | null): void {
    this.pick.disabled = text !== null;
    this.sample.disabled = text !== null;
    this.status.replaceChildren(text ? spinner(text) : "");
  }

  private fail(err: unknown): void {
    this.error.replaceChildren(errorBanner(toUserError(err), { onDismiss: () => this.error.replaceChildren() }));
  }

  private async choose(): Promise<void> {
    this.error.replaceChildren();
    this.busy("Waiting for you to choose a folder…");
    try {
      const folder = await this.ctx.ipc.pickFolder("results");
      if (folder === null) return;
      this.busy("Setting up…");
      // Passing the current backups folder back unchanged lets an unconfigured one follow the
      // results folder (the shell keeps it "beside the results folder").
      const o = this.ctx.store.state.overview ?? (await this.ctx.ipc.appOverview());
      const overview = await this.ctx.ipc.saveSettings(folder, o.backups_dir, o.compression_level);
      this.ctx.configured(overview);
    } catch (err) {
      this.fail(err);
    } finally {
      this.busy(null);
    }
  }

  private async trySample(): Promise<void> {
    this.error.replaceChildren();
    this.busy("Preparing sample results…");
    try {
      const overview = await this.ctx.ipc.useSampleResults();
      this.ctx.configured(overview);
      this.ctx.notify.toast("Sample results are ready. Try “Back up all”.");
    } catch (err) {
      this.fail(err);
    } finally {
      this.busy(null);
    }
  }
}

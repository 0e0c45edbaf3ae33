// Small pieces shared by the views: banners, badges, progress bars.
import { h, icon } from "./dom";
import type { UserError } from "./errors";
import { checkLabel } from "./filter";
import type { CheckResult, Proof, StrategyState } from "./types";

export function errorBanner(
  error: UserError,
  options: { onDismiss?: () => void; actions?: HTMLElement[]; title?: string } = {},
): HTMLElement {
  return h(
    "div",
    { class: "banner banner-error", role: "alert", "data-testid": "error-banner", "data-code": error.code },
    icon("!"),
    h(
      "div",
      { class: "banner-text" },
      options.title ? h("strong", { class: "banner-title" }, options.title) : null,
      h("p", { class: "banner-message" }, error.message),
      error.hint ? h("p", { class: "banner-hint", "data-testid": "error-hint" }, error.hint) : null,
      options.actions && options.actions.length ? h("div", { class: "banner-actions" }, options.actions) : null,
    ),
    options.onDismiss
      ? h(
          "button",
          { type: "button", class: "icon-button", "aria-label": "Dismiss this message", onclick: options.onDismiss },
          "✕",
        )
      : null,
  );
}

export function notice(text: string | HTMLElement[], kind: "info" | "warning" = "info"): HTMLElement {
  return h(
    "div",
    { class: `banner banner-${kind}`, role: kind === "warning" ? "status" : null },
    icon(kind === "warning" ? "!" : "i"),
    h("div", { class: "banner-text" }, Array.isArray(text) ? text : h("p", {}, text)),
  );
}

const STATE_BADGE: Record<StrategyState, { text: string; glyph: string; tone: string }> = {
  protected: { text: "Protected", glyph: "✓", tone: "ok" },
  changed: { text: "Changed since last backup", glyph: "●", tone: "warn" },
  // Said as what is true now: a strategy whose only backup was deleted has no backup, though it had one.
  never_backed_up: { text: "No backup", glyph: "○", tone: "bad" },
};

export function stateBadge(state: StrategyState): HTMLElement {
  const b = STATE_BADGE[state] ?? { text: state, glyph: "•", tone: "neutral" };
  return h("span", { class: `badge badge-${b.tone}` }, icon(b.glyph), b.text);
}

const CHECK_GLYPH: Record<CheckResult, { glyph: string; tone: string }> = {
  ok: { glyph: "✓", tone: "ok" },
  damaged: { glyph: "✕", tone: "bad" },
  missing: { glyph: "?", tone: "bad" },
};

export function checkBadge(result: CheckResult | null): HTMLElement {
  const c = result ? CHECK_GLYPH[result] : { glyph: "–", tone: "neutral" };
  return h("span", { class: `badge badge-${c.tone}` }, icon(c.glyph), checkLabel(result));
}

export function proofText(proof: Proof): { title: string; text: string; tone: string } {
  switch (proof) {
    case "manifest":
      return {
        title: "Fully provable",
        text:
          "Its manifest recorded every file's fingerprint (SHA-256) and the archive's own fingerprint when the " +
          "backup was made, so a check can prove that not a single byte has changed.",
        tone: "ok",
      };
    case "embedded_manifest":
      return {
        title: "Provable from inside the archive",
        text:
          "The archive carries its own list of files and fingerprints, so a check can prove every file. " +
          "There is no separate record of the archive itself (for example, it was copied here from elsewhere).",
        tone: "ok",
      };
    default:
      return {
        title: "No proof recorded",
        text:
          "This archive has no manifest (it was not made by Results Backup, or its manifest was lost). A check " +
          "can confirm that it opens and reads completely, but not that each file is exactly as it was.",
        tone: "warn",
      };
  }
}

export function progressBar(value: number | null, label: string): HTMLElement {
  const bar = h("div", {
    class: "progress",
    role: "progressbar",
    "aria-label": label,
    "aria-valuemin": "0",
    "aria-valuemax": "100",
  });
  const fill = h("div", { class: "progress-fill" });
  bar.appendChild(fill);
  setProgress(bar, value);
  return bar;
}

/** null = indeterminate (waiting or starting). */
export function setProgress(bar: HTMLElement, value: number | null): void {
  const fill = bar.firstElementChild as HTMLElement | null;
  if (value === null) {
    bar.removeAttribute("aria-valuenow");
    bar.classList.add("progress-indeterminate");
    if (fill) fill.style.width = "";
  } else {
    const v = Math.max(0, Math.min(100, value));
    bar.setAttribute("aria-valuenow", String(v));
    bar.classList.remove("progress-indeterminate");
    if (fill) fill.style.width = `${v}%`;
  }
}

export function spinner(label: string): HTMLElement {
  return h("span", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), label);
}

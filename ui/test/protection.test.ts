// @vitest-environment jsdom
// Automatic protection and retention in the window: the forms' logic, the views alone, and the
// app following live updates.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { App } from "../src/app";
import { closeAllDialogs } from "../src/dialog";
import { AutomaticSection, policyFrom, quietParts } from "../src/views/automatic";
import { describePolicy, presetOf, RetentionSection, SMART } from "../src/views/retention";
import { StrategiesView } from "../src/views/strategies";
import { fakeContext, mountView } from "./fake-context";
import { allByTestId, byTestId, catalogEntry, fakeIpc, settle, strategy } from "./fake-ipc";

const click = (el: Element | null | undefined) => {
  expect(el).toBeTruthy();
  (el as HTMLElement).click();
};
const setValue = (el: HTMLInputElement | HTMLSelectElement | null, value: string) => {
  expect(el).toBeTruthy();
  (el as HTMLInputElement).value = value;
  el?.dispatchEvent(new Event("change"));
};
const check = (el: HTMLInputElement | null, on = true) => {
  expect(el).toBeTruthy();
  (el as HTMLInputElement).checked = on;
  el?.dispatchEvent(new Event("change"));
};

beforeEach(() => document.body.replaceChildren());
afterEach(() => closeAllDialogs());

describe("automatic backup settings", () => {
  it("turns the form into the policy the settings file holds", () => {
    expect(policyFrom({ onChange: true, quietAmount: 2, quietUnit: "minutes", every: "none", at: "18:00", on: "monday", minute: 0 })).toEqual({
      on_change: true,
      quiet_seconds: 120,
    });
    expect(policyFrom({ onChange: false, quietAmount: 1, quietUnit: "minutes", every: "week", at: "09:30", on: "friday", minute: 0 })).toEqual({
      on_change: false,
      quiet_seconds: 60,
      schedule: { every: "week", on: "friday", at: "09:30" },
    });
    expect(policyFrom({ onChange: false, quietAmount: 1, quietUnit: "minutes", every: "none", at: "", on: "monday", minute: 0 })).toBeNull();
    expect(quietParts(90)).toEqual({ amount: 90, unit: "seconds" });
    expect(quietParts(300)).toEqual({ amount: 5, unit: "minutes" });
  });

  it("shows what is saved, keeps per-strategy rules and saves the change", async () => {
    const { ctx, ipc } = fakeContext({ strategies: [strategy("btc", "protected"), strategy("eth", "changed")] });
    const own = { on_change: true, quiet_seconds: 30 };
    ipc.automaticSettings.mockResolvedValueOnce({
      automatic: { all: { on_change: false, quiet_seconds: 60, schedule: { every: "day", at: "18:30" } }, strategies: { btc: own }, paused: false },
      notify_success: true,
    });
    document.body.appendChild(new AutomaticSection(ctx).el);
    await settle();
    expect(byTestId<HTMLSelectElement>("auto-every")?.value).toBe("day");
    expect(byTestId<HTMLInputElement>("auto-at")?.value).toBe("18:30");
    expect(byTestId<HTMLInputElement>("auto-notify-success")?.checked).toBe(true);
    const choice = (name: string) => document.querySelector<HTMLSelectElement>(`[data-testid="auto-strategy-choice"][data-strategy="${name}"]`);
    expect(choice("btc")?.value).toBe("own");
    expect(choice("btc")?.textContent).toContain("Its own rule: on change after 30 seconds quiet");
    check(byTestId<HTMLInputElement>("auto-on-change"));
    setValue(byTestId<HTMLInputElement>("auto-quiet"), "45");
    setValue(byTestId<HTMLSelectElement>("auto-quiet-unit"), "seconds");
    click(byTestId("auto-save"));
    await settle();
    expect(ipc.saveAutomatic).toHaveBeenCalledWith(
      { all: { on_change: true, quiet_seconds: 45, schedule: { every: "day", at: "18:30" } }, strategies: { btc: own }, paused: false },
      true,
    );
    // One strategy only when the analyst backs it up; the other back to the policy for all.
    setValue(choice("eth"), "manual");
    setValue(choice("btc"), "all");
    click(byTestId("auto-save"));
    await settle();
    expect(ipc.saveAutomatic).toHaveBeenLastCalledWith(
      {
        all: { on_change: true, quiet_seconds: 45, schedule: { every: "day", at: "18:30" } },
        strategies: { eth: { on_change: false, quiet_seconds: 60 } },
        paused: false,
      },
      true,
    );
    expect(ctx.notify.toast).toHaveBeenCalledWith("Saved. Automatic backups are on.");
  });

  it("shows a refused setting in plain words inside the form", async () => {
    const { ctx, ipc } = fakeContext();
    ipc.saveAutomatic.mockRejectedValueOnce({
      code: "invalid_settings",
      message: "These automatic backup settings cannot be used: automatic.all.quiet_seconds must be between 2 and 86400, not 1",
      hint: "Correct the value named and save again.",
    });
    document.body.appendChild(new AutomaticSection(ctx).el);
    await settle();
    check(byTestId<HTMLInputElement>("auto-on-change"));
    setValue(byTestId<HTMLInputElement>("auto-quiet"), "1");
    setValue(byTestId<HTMLSelectElement>("auto-quiet-unit"), "seconds");
    click(byTestId("auto-save"));
    expect(ipc.saveAutomatic).toHaveBeenCalledWith({ all: { on_change: true, quiet_seconds: 1 }, strategies: {}, paused: false }, false);
    await settle();
    const banner = byTestId("error-banner");
    expect(banner?.dataset.code).toBe("invalid_settings");
    expect(banner?.textContent).toContain("quiet_seconds");
  });
});

describe("keeping backups", () => {
  it("recognises the presets and says a policy in words", () => {
    expect(presetOf(null)).toBe("everything");
    expect(presetOf({ ...SMART })).toBe("smart");
    expect(presetOf({ keep_last: 5 })).toBe("last");
    expect(presetOf({ keep_daily: 7 })).toBe("custom");
    expect(describePolicy({ keep_last: 3, keep_daily: 7, keep_within: "30d" })).toBe(
      "Keeps the last 3, 7 daily, everything within 30d of the newest",
    );
  });

  it("previews exactly what would go and the space it frees, then deletes it", async () => {
    const { ctx, ipc } = fakeContext();
    const item = (file: string, reasons: string[]) => ({
      backup_file: file,
      timestamp: file.slice(4, 19),
      created: "2026-11-20T10:00:00+01:00",
      size: 2_000_000,
      reasons,
    });
    const report = {
      dry_run: true,
      strategies: [
        {
          strategy: "btc",
          policy: { keep_last: 2 },
          kept: [item("btc_20261122_100000.tar.gz", ["last 1"]), item("btc_20261121_100000.tar.gz", ["last 2"])],
          removed: [item("btc_20261120_100000.tar.gz", ["last: 2 kept"])],
          bytes_freed: 2_000_000,
        },
      ],
      without_policy: [],
      kept: 2,
      removed: 1,
      bytes_freed: 2_000_000,
    };
    ipc.previewRetention.mockResolvedValueOnce(report);
    ipc.applyRetention.mockResolvedValueOnce({ ...report, dry_run: false });
    document.body.appendChild(new RetentionSection(ctx).el);
    await settle();
    expect(byTestId<HTMLInputElement>("retention-everything")?.checked).toBe(true);
    check(byTestId<HTMLInputElement>("retention-last"));
    setValue(byTestId<HTMLInputElement>("retention-last-n"), "2");
    click(byTestId("retention-preview"));
    await settle();
    expect(ipc.previewRetention).toHaveBeenCalledWith({ all: { keep_last: 2 }, strategies: {}, apply_after_automatic: false });
    expect(byTestId("retention-summary")?.textContent).toBe("1 backup would be deleted, freeing 2.0 MB; 2 backups are kept.");
    expect(allByTestId("retention-removed").map((li) => li.dataset.file)).toEqual(["btc_20261120_100000.tar.gz"]);
    expect(ipc.applyRetention).not.toHaveBeenCalled();
    click(byTestId("retention-apply"));
    await settle();
    expect(ipc.applyRetention).toHaveBeenCalledWith({ all: { keep_last: 2 }, strategies: {}, apply_after_automatic: false });
    expect(byTestId("retention-preview-area")?.textContent).toContain("Deleted 1 backup and freed 2.0 MB.");
    expect(ctx.store.refresh).toHaveBeenCalled();
  });

  it("saves the smart preset with apply-after-automatic", async () => {
    const { ctx, ipc } = fakeContext();
    document.body.appendChild(new RetentionSection(ctx).el);
    await settle();
    check(byTestId<HTMLInputElement>("retention-smart"));
    check(byTestId<HTMLInputElement>("retention-after-automatic"));
    click(byTestId("retention-save"));
    await settle();
    expect(ipc.saveRetention).toHaveBeenCalledWith({ all: SMART, strategies: {}, apply_after_automatic: true });
  });
});

describe("health on the Strategies page", () => {
  it("shows the summary, each strategy's mode, and a failure until it is seen", async () => {
    const { ctx, state, ipc } = fakeContext({ strategies: [strategy("a", "protected"), strategy("b", "changed")] });
    state.health = {
      strategies: [
        { strategy: "a", automatic: true, state: "protected", overdue: false },
        {
          strategy: "b",
          automatic: true,
          state: "changed",
          overdue: true,
          last_failure: {
            at: "2026-11-30T10:00:00Z",
            error: { code: "disk_full", message: "The backups disk is full", hint: "Free some space." },
          },
        },
      ],
      all_well: false,
      sentence: "1 of 2 strategies needs attention: b's automatic backup failed.",
    };
    mountView(new StrategiesView(ctx)).update();
    expect(byTestId("protection-summary")?.textContent).toContain("1 of 2 strategies needs attention");
    expect(byTestId("protection-summary")?.dataset.allWell).toBe("false");
    expect(allByTestId("automatic-badge").map((b) => b.dataset.on)).toEqual(["true", "true"]);
    const failures = allByTestId("strategy-failure");
    expect(failures).toHaveLength(1);
    expect(failures[0]?.textContent).toContain("The backups disk is full");
    click(byTestId("failure-seen"));
    await settle();
    expect(ipc.acknowledgeFailure).toHaveBeenCalledWith("b");
    expect(ctx.store.refresh).toHaveBeenCalled();
  });
});

describe("live updates", () => {
  it("reloads strategies when the disk changes, with no click", async () => {
    const fake = fakeIpc({ strategies: [strategy("a", "protected", catalogEntry("a", "20261130_090000"))] });
    const root = document.createElement("div");
    root.id = "app";
    document.body.appendChild(root);
    const app = new App(root, fake.ipc);
    await app.start();
    await settle();
    expect(allByTestId("strategy-row")[0]?.dataset.state).toBe("protected");
    fake.ipc.scanStrategies.mockResolvedValue([strategy("a", "changed", catalogEntry("a", "20261130_090000"))]);
    const scans = fake.ipc.scanStrategies.mock.calls.length;
    fake.live({ kind: "engine", event: { event: "strategy_changed", strategy: "a" } });
    await settle(100);
    expect(fake.ipc.scanStrategies.mock.calls.length).toBeGreaterThan(scans);
    expect(allByTestId("strategy-row")[0]?.dataset.state).toBe("changed");

    fake.ipc.scanStrategies.mockRejectedValue({ code: "results_folder_missing", message: "The results folder /home/ana/results does not exist", hint: "Reconnect the drive." });
    fake.live({ kind: "engine", event: { event: "results_folder_missing", results: "/home/ana/results" } });
    await settle(100);
    expect(allByTestId("error-banner")).toHaveLength(1);
    expect(byTestId("backup-all")).toBeNull();
    fake.ipc.scanStrategies.mockResolvedValue([strategy("a", "changed")]);
    fake.live({ kind: "engine", event: { event: "results_folder_back", results: "/home/ana/results" } });
    await settle(100);
    expect(allByTestId("error-banner")).toHaveLength(0);
    expect(allByTestId("strategy-row")).toHaveLength(1);
  });
});

// @vitest-environment jsdom
// Settings › Where backups are kept: the form's values, the shell's answers in words, and the
// view choosing shared storage, testing the connection, saving and offering to copy.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeAllDialogs } from "../src/dialog";
import { openDetails } from "../src/views/details";
import { connectionLine, copiedHereText, copiedToSharedText, copyOfferText, copySummaryText, fieldsOf, settingOf } from "../src/store-form";
import { jobLabel } from "../src/jobs";
import { toUserError } from "../src/errors";
import { SettingsView } from "../src/views/settings";
import { fakeContext, mountView } from "./fake-context";
import { byTestId, catalogEntry, overview, settle } from "./fake-ipc";

const type = (testid: string, value: string) => {
  const input = byTestId<HTMLInputElement>(testid)!;
  input.value = value;
  input.dispatchEvent(new Event("input"));
};
const choose = (testid: string) => {
  const radio = byTestId<HTMLInputElement>(testid)!;
  radio.checked = true;
  radio.dispatchEvent(new Event("change"));
};

beforeEach(() => {
  document.body.replaceChildren();
});
afterEach(() => {
  closeAllDialogs();
});

describe("the store form's values", () => {
  it("sends empty optional boxes as not set, and reads a saved store back", () => {
    const fields = { endpoint: " ", bucket: "team-results", prefix: "quant", region: "", profile: "" };
    const setting = settingOf("s3", fields);
    expect(setting).toEqual({ kind: "s3", bucket: "team-results", prefix: "quant", endpoint: null, region: null, profile: null });
    expect(fieldsOf(setting)).toEqual({ ...fields, endpoint: "" });
    expect(settingOf("folder", fields)).toEqual({ kind: "folder" });
  });

  it("keeps the field a refused value belongs to, and only the shell's field names", () => {
    expect(toUserError({ code: "invalid_store_address", message: "m", hint: "h", field: "bucket" }).field).toBe("bucket");
    expect(toUserError({ code: "x", message: "m", hint: "h", field: "password" }).field).toBeUndefined();
  });

  it("says what a connection test found, with what to do when it failed", () => {
    expect(connectionLine({ outcome: "connected", store: "s3://t/q", message: "Connected: can read and write in s3://t/q", archives: 2 })).toEqual({
      ok: true,
      text: "Connected: can read and write in s3://t/q. 2 backups there.",
      hint: "",
    });
    const failed = connectionLine({
      outcome: "failed",
      store: "s3://t/q",
      problem: "unreachable",
      message: "Cannot reach http://127.0.0.1:1: nothing answered there",
      hint: "Check the endpoint's address and port.",
    });
    expect(failed.ok).toBe(false);
    expect(failed.text).toBe("Cannot reach http://127.0.0.1:1: nothing answered there.");
    expect(failed.hint).toContain("port");
  });

  it("offers a copy only when something is missing, and sums up what it did", () => {
    expect(copyOfferText({ store: "s3://t", missing: 0, bytes: 0 })).toBeNull();
    expect(copyOfferText({ store: "s3://t", missing: 3, bytes: 2_500_000 })).toBe(
      "Copy 3 backups from this computer to shared storage (2.5 MB)",
    );
    expect(copySummaryText({ store: "s3://t", copied: ["a", "b"], already_there: 1, failures: [] })).toBe(
      "Copied 2 backups to s3://t, each verified; 1 was already there.",
    );
  });
});

describe("SettingsView: where backups are kept", () => {
  it("shows the folder or the shared fields, never both", () => {
    const { ctx } = fakeContext();
    mountView(new SettingsView(ctx));
    expect(byTestId<HTMLInputElement>("settings-store-folder")?.checked).toBe(true);
    expect(byTestId("settings-store-bucket")?.closest<HTMLElement>(".store-part")?.hidden).toBe(true);
    choose("settings-store-s3");
    expect(byTestId("settings-store-bucket")?.closest<HTMLElement>(".store-part")?.hidden).toBe(false);
    expect(byTestId("settings-backups")?.closest<HTMLElement>(".store-part")?.hidden).toBe(true);
    expect(byTestId("settings-store-keys")?.textContent).toContain("Keys are not stored here");
  });

  it("tests the connection with what is typed and shows the answer", async () => {
    const { ctx, ipc } = fakeContext();
    mountView(new SettingsView(ctx));
    choose("settings-store-s3");
    type("settings-store-bucket", "team-results");
    type("settings-store-endpoint", "http://127.0.0.1:9000");
    byTestId<HTMLButtonElement>("settings-test-connection")!.click();
    await settle();
    expect(ipc.testConnection).toHaveBeenCalledWith({
      kind: "s3",
      bucket: "team-results",
      prefix: "",
      endpoint: "http://127.0.0.1:9000",
      region: null,
      profile: null,
    });
    expect(byTestId("connection-message")?.dataset.ok).toBe("true");
    expect(byTestId("connection-message")?.textContent).toContain("Connected");
  });

  it("shows a refused value at its field, not in a banner", async () => {
    const { ctx, ipc } = fakeContext();
    const view = mountView(new SettingsView(ctx));
    choose("settings-store-s3");
    type("settings-store-bucket", "Team Results");
    ipc.saveSettings.mockRejectedValueOnce({
      code: "invalid_store_address",
      message: "\"s3://Team Results\" is not a store this app can use: a bucket name is lowercase letters",
      hint: "",
      field: "bucket",
    });
    byTestId<HTMLButtonElement>("settings-save")!.click();
    await settle();
    expect(byTestId("settings-store-bucket-error")?.textContent).toContain("a bucket name is lowercase");
    expect(byTestId("settings-store-bucket")?.getAttribute("aria-invalid")).toBe("true");
    expect(view.el.querySelector('[data-testid="error-banner"]')).toBeNull();
    type("settings-store-bucket", "team-results");
    expect(byTestId("settings-store-bucket-error")?.textContent).toBe("");
  });

  it("saves shared storage, stays on Settings and offers to copy this computer's backups", async () => {
    const { ctx, ipc, jobs } = fakeContext();
    mountView(new SettingsView(ctx));
    choose("settings-store-s3");
    type("settings-store-bucket", "team-results");
    type("settings-store-prefix", "quant");
    ipc.copyOffer.mockResolvedValueOnce({ store: "s3://team-results/quant", missing: 2, bytes: 1_000_000 });
    byTestId<HTMLButtonElement>("settings-save")!.click();
    await settle();
    const sent = { kind: "s3", bucket: "team-results", prefix: "quant", endpoint: null, region: null, profile: null };
    expect(ipc.saveSettings).toHaveBeenCalledWith("/home/ana/results", "/home/ana/backups", 6, sent);
    expect(ctx.configured).toHaveBeenCalledWith(expect.objectContaining({ backups: sent }), "settings");
    expect(ctx.notify.toast).toHaveBeenCalledWith("Saved. Backups are now kept in shared storage: s3://team-results/quant.");
    const offer = byTestId<HTMLButtonElement>("copy-to-shared");
    expect(offer?.textContent).toBe("Copy 2 backups from this computer to shared storage (1.0 MB)");
    offer!.click();
    expect(jobs.start).toHaveBeenCalledWith({ kind: "copy_to_shared" });
  });

  it("fills the form from a saved shared store", () => {
    const saved = { kind: "s3" as const, bucket: "team-results", prefix: "quant", endpoint: "https://s3.example.com" };
    const { ctx } = fakeContext({ overview: overview({ backups: saved }) });
    mountView(new SettingsView(ctx));
    expect(byTestId<HTMLInputElement>("settings-store-s3")?.checked).toBe(true);
    expect(byTestId<HTMLInputElement>("settings-store-endpoint")?.value).toBe("https://s3.example.com");
    expect(byTestId<HTMLInputElement>("settings-store-prefix")?.value).toBe("quant");
  });
});

describe("a backup kept in shared storage", () => {
  async function sharedDetails() {
    const entry = catalogEntry("alpha", "20261126_091502");
    const context = fakeContext({ backups: [entry, catalogEntry("alpha", "20261120_080000")] });
    const local = await context.ipc.backupDetails({ catalog: entry.backup_file });
    context.ipc.backupDetails.mockResolvedValueOnce({ ...local, shared: true, path: `s3://team/${entry.backup_file}` });
    openDetails(context.ctx, { catalog: entry.backup_file });
    await settle();
    return { ...context, entry };
  }

  it("offers everything a backup on this computer has, and Copy to this computer, but no Show in folder", async () => {
    const { ipc } = await sharedDetails();
    for (const id of ["details-check", "details-restore", "details-delete", "details-copy-here", "compare-with"]) {
      expect(byTestId(id), id).toBeTruthy();
    }
    expect(byTestId("details-show-in-folder")).toBeNull();
    expect(ipc.equityCurve).toHaveBeenCalled();
  });

  it("copies it to this computer as a job and says where it is now", async () => {
    const { jobs, running, entry } = await sharedDetails();
    byTestId<HTMLButtonElement>("details-copy-here")!.click();
    expect(jobs.start).toHaveBeenCalledWith({ kind: "copy_to_this_computer", backup_file: entry.backup_file });
    expect(byTestId<HTMLButtonElement>("details-copy-here")?.disabled).toBe(true);
    await settle();
    running[0]!.resolve({ kind: "copy_to_this_computer", copied: { backup_file: entry.backup_file, already_there: false, folder: "/home/ana/backups" } });
    await settle();
    expect(byTestId("copy-here-result")?.textContent).toBe(`Copied to /home/ana/backups: ${entry.backup_file}, verified.`);
    expect(byTestId<HTMLButtonElement>("details-copy-here")?.disabled).toBe(false);
  });
});

describe("copying one backup to this computer", () => {
  it("says where it went, or that it was already there", () => {
    const copied = { backup_file: "alpha_20261126_091502.tar.gz", already_there: true, folder: "/home/ana/backups" };
    expect(copiedHereText(copied)).toBe(
      "Already on this computer: alpha_20261126_091502.tar.gz is in /home/ana/backups, the same bytes as in shared storage.",
    );
    expect(jobLabel({ kind: "copy_to_this_computer", backup_file: copied.backup_file })).toBe(
      "Copy alpha_20261126_091502.tar.gz to this computer",
    );
  });
});

describe("an archive dropped on the window while shared storage is chosen", () => {
  const dropped = "/home/ana/inbox/alpha_20261126_091502.tar.gz";
  async function droppedDetails(store: "shared" | "folder") {
    const shown = store === "shared" ? { kind: "shared" as const, address: "s3://team/quant" } : { kind: "folder" as const };
    const context = fakeContext({ overview: overview({ store: shown }) });
    const local = await context.ipc.backupDetails({ dropped });
    context.ipc.backupDetails.mockResolvedValueOnce({ ...local, backup: { dropped }, in_catalog: false, entry: null });
    openDetails(context.ctx, { dropped });
    await settle();
    return context;
  }

  it("is offered to shared storage only when shared storage is chosen", async () => {
    await droppedDetails("folder");
    expect(byTestId("details-copy-to-shared")).toBeNull();
    expect(byTestId("details-copy-here")).toBeNull();
  });

  it("copies it into shared storage as a job and says so", async () => {
    const { jobs, running } = await droppedDetails("shared");
    expect(byTestId("details-copy-here")).toBeNull();
    expect(byTestId("details-delete")).toBeNull();
    byTestId<HTMLButtonElement>("details-copy-to-shared")!.click();
    expect(jobs.start).toHaveBeenCalledWith({ kind: "copy_dropped_to_shared", dropped });
    expect(byTestId<HTMLButtonElement>("details-copy-to-shared")?.disabled).toBe(true);
    await settle();
    const copied = { backup_file: "alpha_20261126_091502.tar.gz", already_there: false, store: "s3://team/quant" };
    running[0]!.resolve({ kind: "copy_dropped_to_shared", copied });
    await settle();
    expect(byTestId("copy-to-shared-result")?.textContent).toBe(
      "Copied to shared storage (s3://team/quant): alpha_20261126_091502.tar.gz, verified.",
    );
    expect(copiedToSharedText({ ...copied, already_there: true })).toBe(
      "Already in shared storage: s3://team/quant has alpha_20261126_091502.tar.gz with the same bytes; nothing was uploaded.",
    );
    expect(jobLabel({ kind: "copy_dropped_to_shared", dropped })).toBe("Copy alpha_20261126_091502.tar.gz to shared storage");
  });
});

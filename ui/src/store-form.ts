// The "Where backups are kept" form: what it sends and how it shows the shell's answers. The rules
// (what a bucket may be called, what a failed connection means) are the core's; this only turns
// form values into the setting and answers into words on screen.
import type { BackupsSetting, ConnectionCheck, CopiedHere, CopiedToShared, CopyOffer, CopySummary, StoreField } from "./types";
import type { UserError } from "./errors";
import { formatBytes } from "./format";

export type StoreKind = BackupsSetting["kind"];

/** The text boxes of the shared-storage part, as typed. */
export type StoreFields = Record<StoreField, string>;

export const STORE_FIELDS: readonly StoreField[] = ["endpoint", "bucket", "prefix", "region", "profile"];

export function emptyFields(): StoreFields {
  return { endpoint: "", bucket: "", prefix: "", region: "", profile: "" };
}

/** The form's values for a saved setting (a folder leaves the shared fields empty). */
export function fieldsOf(setting: BackupsSetting): StoreFields {
  if (setting.kind === "folder") return emptyFields();
  return {
    endpoint: setting.endpoint ?? "",
    bucket: setting.bucket,
    prefix: setting.prefix ?? "",
    region: setting.region ?? "",
    profile: setting.profile ?? "",
  };
}

/** The setting to send. Empty optional boxes mean "not set"; the shell trims and checks the rest. */
export function settingOf(kind: StoreKind, fields: StoreFields): BackupsSetting {
  if (kind === "folder") return { kind: "folder" };
  const optional = (value: string): string | null => (value.trim() === "" ? null : value);
  return {
    kind: "s3",
    bucket: fields.bucket,
    prefix: fields.prefix,
    endpoint: optional(fields.endpoint),
    region: optional(fields.region),
    profile: optional(fields.profile),
  };
}

/** The field a refused value belongs to, when the shell named one. */
export function fieldOf(error: UserError): StoreField | null {
  return error.field ?? null;
}

/** One line (and what to do) for a connection test's answer. */
export function connectionLine(check: ConnectionCheck): { ok: boolean; text: string; hint: string } {
  if (check.outcome === "connected") {
    const found =
      check.archives === 0
        ? " No backups there yet."
        : ` ${check.archives} backup${check.archives === 1 ? "" : "s"} there.`;
    return { ok: true, text: `${check.message}.${found}`, hint: "" };
  }
  return { ok: false, text: `${check.message}.`, hint: check.hint };
}

/** The offer after switching to shared storage; null when there is nothing to copy. */
export function copyOfferText(offer: CopyOffer): string | null {
  if (offer.missing === 0) return null;
  const what = offer.missing === 1 ? "1 backup" : `${offer.missing} backups`;
  return `Copy ${what} from this computer to shared storage (${formatBytes(offer.bytes)})`;
}

/** What a finished copy did, in one sentence. */
/** One backup of the shared store copied to this computer: where it is now, or that it already was. */
export function copiedHereText(copied: CopiedHere): string {
  return copied.already_there
    ? `Already on this computer: ${copied.backup_file} is in ${copied.folder}, the same bytes as in shared storage.`
    : `Copied to ${copied.folder}: ${copied.backup_file}, verified.`;
}

export function copiedToSharedText(copied: CopiedToShared): string {
  return copied.already_there
    ? `Already in shared storage: ${copied.store} has ${copied.backup_file} with the same bytes; nothing was uploaded.`
    : `Copied to shared storage (${copied.store}): ${copied.backup_file}, verified.`;
}

export function copySummaryText(summary: CopySummary): string {
  const copied = summary.copied.length;
  const parts = [`Copied ${copied} backup${copied === 1 ? "" : "s"} to ${summary.store}, each verified`];
  if (summary.already_there > 0) parts.push(`${summary.already_there} ${summary.already_there === 1 ? "was" : "were"} already there`);
  if (summary.failures.length > 0) parts.push(`${summary.failures.length} could not be copied`);
  return `${parts.join("; ")}.`;
}

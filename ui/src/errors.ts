// Turns whatever a promise rejected with into plain words for the analyst.
import type { IpcError, StoreField } from "./types";

const STORE_FIELDS: readonly string[] = ["bucket", "prefix", "endpoint", "region", "profile"] satisfies StoreField[];

export type UserError = IpcError;

const GENERIC_MESSAGE = "Something went wrong.";
const GENERIC_HINT = "Try again. If it keeps happening, restart the app.";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function text(value: unknown): string {
  return typeof value === "string" ? value.trim() : "";
}

function fromRecord(obj: Record<string, unknown>): UserError | null {
  // The command line's JSON shape: { error: { code, message, hint } }.
  if (isRecord(obj.error) && text(obj.error.message)) return fromRecord(obj.error);
  const message = text(obj.message);
  if (!message) return null;
  const field = text(obj.field);
  return {
    code: text(obj.code) || "unknown",
    message,
    hint: text(obj.hint),
    // Which form field a refused value was typed in; the shell's names only.
    ...(STORE_FIELDS.includes(field as StoreField) ? { field: field as StoreField } : {}),
  };
}

/** Normalises any rejection (IpcError, Error, string, JSON text, anything) into an IpcError. */
export function toUserError(err: unknown): UserError {
  if (typeof err === "string") {
    const trimmed = err.trim();
    if (trimmed.startsWith("{")) {
      try {
        const parsed: unknown = JSON.parse(trimmed);
        if (isRecord(parsed)) {
          const fromJson = fromRecord(parsed);
          if (fromJson) return fromJson;
        }
      } catch {
        // not JSON: fall through and show the text as it is
      }
    }
    if (!trimmed) return { code: "unknown", message: GENERIC_MESSAGE, hint: GENERIC_HINT };
    return { code: "unknown", message: sentence(trimmed), hint: GENERIC_HINT };
  }
  if (err instanceof Error) {
    const message = text(err.message);
    return { code: "unknown", message: message ? sentence(message) : GENERIC_MESSAGE, hint: GENERIC_HINT };
  }
  if (isRecord(err)) {
    const fromObj = fromRecord(err);
    if (fromObj) return { ...fromObj, message: sentence(fromObj.message) };
  }
  return { code: "unknown", message: GENERIC_MESSAGE, hint: GENERIC_HINT };
}

/** Shown as written (messages may start or end with a file name), only never empty. */
function sentence(s: string): string {
  const t = s.trim();
  return t || GENERIC_MESSAGE;
}

export function isCancelled(err: unknown): boolean {
  return toUserError(err).code === "cancelled";
}

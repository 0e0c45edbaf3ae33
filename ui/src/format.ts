// Human formatting: sizes, counts, dates, relative times, durations, speeds.
// Sizes use decimal units (1 KB = 1000 bytes), like the command line.

const UNITS = ["KB", "MB", "GB", "TB", "PB", "EB"] as const;

const countFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** 1234567 -> "1,234,567". Non-finite numbers become "—". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return "—";
  return countFormat.format(Math.round(n));
}

/** "1 file", "2 files", "1,204 files". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** 0 -> "0 bytes", 1 -> "1 byte", 1234 -> "1.2 KB", 84_200_000 -> "84.2 MB", 433_400_000 -> "433 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  if (bytes < 1000) return plural(Math.round(bytes), "byte");
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  // Round first, then carry into the next unit when rounding reaches 1000 ("999.96 KB" -> "1.0 MB").
  let text = value < 100 ? value.toFixed(1) : String(Math.round(value));
  if (Number(text) >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
    text = value.toFixed(1);
  }
  if (Number(text) >= 1000) text = formatCount(Number(text));
  return `${text} ${UNITS[unit]}`;
}

/** Bytes per second -> "12.3 MB/s". */
export function formatSpeed(bytesPerSecond: number | null): string {
  if (bytesPerSecond === null || !Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return "";
  if (bytesPerSecond < 1000) return `${Math.round(bytesPerSecond)} bytes/s`;
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Average speed in bytes per second, or null while there is too little to tell. */
export function speed(bytesDone: number, elapsedMs: number): number | null {
  if (!(elapsedMs >= 250) || !(bytesDone > 0)) return null;
  return (bytesDone * 1000) / elapsedMs;
}

/** Seconds left at the average speed so far, or null when unknown. */
export function secondsLeft(bytesDone: number, bytesTotal: number, elapsedMs: number): number | null {
  if (!(bytesTotal > 0)) return null;
  if (bytesDone >= bytesTotal) return 0;
  const rate = speed(bytesDone, elapsedMs);
  if (rate === null) return null;
  return (bytesTotal - bytesDone) / rate;
}

/** Whole percent 0..100; an empty job (total 0) counts as done once anything reports done. */
export function percent(done: number, total: number): number {
  if (!(total > 0)) return done > 0 ? 100 : 0;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

/** A duration in plain words: "under a second", "45 seconds", "2 min 5 s", "1 h 5 min", "2 days 3 h". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "";
  if (seconds < 1) return "under a second";
  const s = Math.round(seconds);
  if (s < 60) return plural(s, "second");
  if (s < 3600) {
    const m = Math.floor(s / 60);
    const rest = s % 60;
    return rest ? `${m} min ${rest} s` : `${m} min`;
  }
  if (s < 86400) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  return h ? `${plural(d, "day")} ${h} h` : plural(d, "day");
}

/** "about 2 min left"; empty when unknown. */
export function formatTimeLeft(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "";
  if (seconds < 1) return "almost done";
  return `about ${formatDuration(seconds)} left`;
}

/** A backup timestamp "YYYYmmdd_HHMMSS" (local time, optional suffix like "_2") as a Date, or null. */
export function parseStamp(stamp: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})/.exec(stamp);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  const date = new Date(y, mo - 1, d, h, mi, s);
  // Reject dates that rolled over (31 February).
  if (date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  return date;
}

/** Accepts a Date, epoch milliseconds or an RFC 3339 / ISO string. */
export function toDate(value: Date | string | number | null | undefined): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** "26 Nov 2026, 09:15" in local time: unambiguous in every locale. */
export function formatDateTime(value: Date | string | number | null | undefined): string {
  const d = toDate(value);
  if (!d) return "unknown date";
  return `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}, ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "2026-11-26 09:15:02" (local), used in search and tooltips. */
export function formatIsoLocal(value: Date | string | number | null | undefined): string {
  const d = toDate(value);
  if (!d) return "";
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** The date a backup was made, from its timestamp, else its RFC 3339 `created`. */
export function backupDate(entry: { timestamp: string; created?: string | null }): Date | null {
  return parseStamp(entry.timestamp) ?? toDate(entry.created ?? null);
}

/** "just now", "5 minutes ago", "yesterday", "3 days ago", "2 years ago"; "in 3 days" for the future. */
export function formatRelative(value: Date | string | number | null | undefined, now: Date | number = Date.now()): string {
  const d = toDate(value);
  if (!d) return "never";
  const nowMs = now instanceof Date ? now.getTime() : now;
  const diff = (nowMs - d.getTime()) / 1000;
  const future = diff < 0;
  const s = Math.abs(diff);
  if (s < 45) return "just now";
  let text: string;
  if (s < 90) text = "1 minute";
  else if (s < 3600) text = plural(Math.round(s / 60), "minute");
  else if (s < 86400) text = plural(Math.round(s / 3600), "hour");
  else if (s < 2 * 86400) return future ? "tomorrow" : "yesterday";
  else if (s < 30 * 86400) text = plural(Math.round(s / 86400), "day");
  else if (s < 365 * 86400) text = plural(Math.max(1, Math.round(s / (30 * 86400))), "month");
  else text = plural(Math.round(s / (365 * 86400)), "year");
  return future ? `in ${text}` : `${text} ago`;
}

/** The last part of a path, for both / and \ separators. */
/**
 * A long name shortened in the middle ("momentum_bre…_20261130_183048.tar.gz"), so its start
 * and its end (the date, the extension) both stay readable; short names are left alone.
 */
export function middleEllipsis(text: string, max = 48): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const keep = max - 1;
  const tail = Math.ceil(keep * 0.55);
  const head = keep - tail;
  return `${chars.slice(0, head).join("")}…${chars.slice(chars.length - tail).join("")}`;
}

export function baseName(path: string): string {
  const parts = path.split(/[\\/]+/).filter(Boolean);
  return parts[parts.length - 1] ?? path;
}

/** The SHA-256 shortened for display: first 12 hex digits and an ellipsis. */
export function shortHash(sha: string | undefined | null): string {
  if (!sha) return "";
  return sha.length > 16 ? `${sha.slice(0, 12)}…` : sha;
}

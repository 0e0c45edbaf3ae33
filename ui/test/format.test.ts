import { describe, expect, it } from "vitest";
import {
  middleEllipsis,
  backupDate,
  baseName,
  formatBytes,
  formatCount,
  formatDateTime,
  formatDuration,
  formatIsoLocal,
  formatRelative,
  formatSpeed,
  formatTimeLeft,
  parseStamp,
  percent,
  plural,
  secondsLeft,
  shortHash,
  speed,
} from "../src/format";

describe("formatBytes", () => {
  it("names small sizes in bytes, singular and plural", () => {
    expect(formatBytes(0)).toBe("0 bytes");
    expect(formatBytes(1)).toBe("1 byte");
    expect(formatBytes(999)).toBe("999 bytes");
  });
  it("uses decimal units with one decimal below 100", () => {
    expect(formatBytes(1000)).toBe("1.0 KB");
    expect(formatBytes(1234)).toBe("1.2 KB");
    expect(formatBytes(1_200_000)).toBe("1.2 MB");
    expect(formatBytes(84_200_000)).toBe("84.2 MB");
    expect(formatBytes(433_400_000)).toBe("433 MB");
    expect(formatBytes(1_073_741_824)).toBe("1.1 GB");
  });
  it("carries into the next unit when rounding reaches 1000", () => {
    expect(formatBytes(999_960)).toBe("1.0 MB");
    expect(formatBytes(999_499)).toBe("999 KB");
  });
  it("copes with huge, negative and non-finite numbers", () => {
    expect(formatBytes(5e15)).toBe("5.0 PB");
    expect(formatBytes(Number.MAX_SAFE_INTEGER)).toBe("9.0 PB");
    expect(formatBytes(1e24)).toBe("1,000,000 EB");
    expect(formatBytes(-1)).toBe("—");
    expect(formatBytes(Number.NaN)).toBe("—");
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe("—");
  });
});

describe("counts", () => {
  it("groups thousands and pluralises", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(plural(1, "file")).toBe("1 file");
    expect(plural(0, "file")).toBe("0 files");
    expect(plural(1204, "file")).toBe("1,204 files");
    expect(plural(2, "strategy", "strategies")).toBe("2 strategies");
  });
});

describe("speed and time left", () => {
  it("needs some elapsed time and some bytes before it guesses", () => {
    expect(speed(0, 5000)).toBeNull();
    expect(speed(1000, 0)).toBeNull();
    expect(speed(1000, 100)).toBeNull();
    expect(speed(10_000_000, 1000)).toBe(10_000_000);
  });
  it("formats speeds", () => {
    expect(formatSpeed(null)).toBe("");
    expect(formatSpeed(0)).toBe("");
    expect(formatSpeed(512)).toBe("512 bytes/s");
    expect(formatSpeed(30_100_000)).toBe("30.1 MB/s");
  });
  it("estimates the time left from the average speed", () => {
    expect(secondsLeft(50, 100, 10_000)).toBe(10);
    expect(secondsLeft(100, 100, 10_000)).toBe(0);
    expect(secondsLeft(150, 100, 10_000)).toBe(0);
    expect(secondsLeft(0, 100, 10_000)).toBeNull();
    expect(secondsLeft(10, 0, 10_000)).toBeNull();
  });
  it("says time left in words", () => {
    expect(formatTimeLeft(null)).toBe("");
    expect(formatTimeLeft(0.4)).toBe("almost done");
    expect(formatTimeLeft(42)).toBe("about 42 seconds left");
    expect(formatTimeLeft(125)).toBe("about 2 min 5 s left");
  });
  it("computes whole percentages, clamped", () => {
    expect(percent(0, 0)).toBe(0);
    expect(percent(5, 0)).toBe(100);
    expect(percent(1, 3)).toBe(33);
    expect(percent(999, 1000)).toBe(99);
    expect(percent(2000, 1000)).toBe(100);
    expect(percent(-5, 1000)).toBe(0);
  });
});

describe("formatDuration", () => {
  it("covers seconds to days", () => {
    expect(formatDuration(0.2)).toBe("under a second");
    expect(formatDuration(1)).toBe("1 second");
    expect(formatDuration(59)).toBe("59 seconds");
    expect(formatDuration(60)).toBe("1 min");
    expect(formatDuration(3599)).toBe("59 min 59 s");
    expect(formatDuration(3600)).toBe("1 h");
    expect(formatDuration(3900)).toBe("1 h 5 min");
    expect(formatDuration(86400)).toBe("1 day");
    expect(formatDuration(2 * 86400 + 3 * 3600)).toBe("2 days 3 h");
  });
  it("gives nothing for unknown or negative durations", () => {
    expect(formatDuration(null)).toBe("");
    expect(formatDuration(-1)).toBe("");
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe("");
  });
});

describe("backup timestamps", () => {
  it("parses YYYYmmdd_HHMMSS as local time", () => {
    const d = parseStamp("20261126_091502");
    expect(d).not.toBeNull();
    expect(d?.getFullYear()).toBe(2026);
    expect(d?.getMonth()).toBe(10);
    expect(d?.getDate()).toBe(26);
    expect(d?.getHours()).toBe(9);
    expect(d?.getMinutes()).toBe(15);
    expect(d?.getSeconds()).toBe(2);
  });
  it("accepts a same-second suffix and rejects nonsense", () => {
    expect(parseStamp("20261126_091502_2")?.getSeconds()).toBe(2);
    expect(parseStamp("")).toBeNull();
    expect(parseStamp("2026-11-26")).toBeNull();
    expect(parseStamp("20261331_000000")).toBeNull();
    expect(parseStamp("20260231_120000")).toBeNull();
    expect(parseStamp("20260101_250000")).toBeNull();
  });
  it("formats dates the same way in every locale", () => {
    expect(formatDateTime(new Date(2026, 10, 26, 9, 5))).toBe("26 Nov 2026, 09:05");
    expect(formatDateTime("not a date")).toBe("unknown date");
    expect(formatDateTime(null)).toBe("unknown date");
    expect(formatIsoLocal(new Date(2026, 0, 2, 3, 4, 5))).toBe("2026-01-02 03:04:05");
  });
  it("takes a backup's date from its timestamp, else from created", () => {
    expect(backupDate({ timestamp: "20260102_030405" })?.getDate()).toBe(2);
    const created = "2026-03-04T05:06:07Z";
    expect(backupDate({ timestamp: "garbage", created })?.toISOString()).toBe("2026-03-04T05:06:07.000Z");
    expect(backupDate({ timestamp: "garbage", created: null })).toBeNull();
  });
});

describe("formatRelative", () => {
  const now = new Date(2026, 10, 26, 12, 0, 0).getTime();
  const ago = (s: number) => now - s * 1000;
  it("speaks like a person", () => {
    expect(formatRelative(ago(0), now)).toBe("just now");
    expect(formatRelative(ago(44), now)).toBe("just now");
    expect(formatRelative(ago(60), now)).toBe("1 minute ago");
    expect(formatRelative(ago(5 * 60), now)).toBe("5 minutes ago");
    expect(formatRelative(ago(2 * 3600), now)).toBe("2 hours ago");
    expect(formatRelative(ago(30 * 3600), now)).toBe("yesterday");
    expect(formatRelative(ago(3 * 86400), now)).toBe("3 days ago");
    expect(formatRelative(ago(65 * 86400), now)).toBe("2 months ago");
    expect(formatRelative(ago(800 * 86400), now)).toBe("2 years ago");
  });
  it("handles the future (clock skew) and missing dates", () => {
    expect(formatRelative(now + 20_000, now)).toBe("just now");
    expect(formatRelative(now + 3 * 86400_000, now)).toBe("in 3 days");
    expect(formatRelative(now + 30 * 3600_000, now)).toBe("tomorrow");
    expect(formatRelative(null, now)).toBe("never");
    expect(formatRelative("garbage", now)).toBe("never");
  });
  it("accepts RFC 3339 strings with offsets", () => {
    const t = "2026-11-26T10:00:00+01:00"; // 09:00 UTC
    const at = Date.parse("2026-11-26T12:00:00Z");
    expect(formatRelative(t, at)).toBe("3 hours ago");
  });
});

describe("small helpers", () => {
  it("takes base names of both path styles", () => {
    expect(baseName("/home/ana/notes.txt")).toBe("notes.txt");
    expect(baseName("C:\\Users\\ana\\b.tar.gz")).toBe("b.tar.gz");
    expect(baseName("/home/ana/dir/")).toBe("dir");
    expect(baseName("plain")).toBe("plain");
  });
  it("shortens hashes", () => {
    const sha = "a".repeat(64);
    expect(shortHash(sha)).toBe(`${"a".repeat(12)}…`);
    expect(shortHash(undefined)).toBe("");
    expect(shortHash("abc")).toBe("abc");
  });
});

describe("middleEllipsis", () => {
  it("keeps the start and the end of a long name, and short names whole", () => {
    expect(middleEllipsis("alpha.tar.gz", 40)).toBe("alpha.tar.gz");
    const name = "momentum_breakout_with_a_very_long_suffix_20261130_183048.tar.gz";
    const short = middleEllipsis(name, 40);
    expect([...short]).toHaveLength(40);
    expect(short.startsWith("momentum_brea")).toBe(true);
    expect(short.endsWith("20261130_183048.tar.gz")).toBe(true);
    expect(short).toContain("…");
  });
});

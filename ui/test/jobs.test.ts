import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  applyEvent,
  completeJob,
  describeJob,
  describeResult,
  failJob,
  jobLabel,
  jobsAhead,
  JobStore,
  newJob,
  newJobId,
  type Job,
} from "../src/jobs";
import type { CheckReport, JobEvent, JobRequest, JobResult, ProgressEvent } from "../src/types";

const backup = (strategy: string): JobRequest => ({ kind: "backup", strategy });
const progress = (over: Partial<ProgressEvent> = {}): ProgressEvent => ({
  event: "progress",
  operation: "backup",
  item: "trades.csv",
  bytes_done: 38_000_000,
  bytes_total: 84_200_000,
  files_done: 120,
  files_total: 214,
  elapsed_ms: 2000,
  ...over,
});
const report = (result: CheckReport["result"], problems = 0): CheckReport => ({
  backup_file: "b.tar.gz",
  path: "/x/b.tar.gz",
  ok: result === "ok",
  result,
  quick: false,
  proof: "manifest",
  files_checked: 214,
  checked_at: "2026-11-26T09:00:00Z",
  problems: Array.from({ length: problems }, (_, i) => ({ path: `f${i}`, issue: "changed" })),
});

describe("job transitions", () => {
  it("goes queued -> running -> done", () => {
    let job = newJob("j1", backup("btc"), 1, 0);
    expect(job.state).toBe("queued");
    expect(job.label).toBe("Back up btc");
    job = applyEvent(job, { event: "queued", position: 2 });
    expect(job).toMatchObject({ state: "queued", position: 2 });
    job = applyEvent(job, { event: "started" });
    expect(job.state).toBe("running");
    job = applyEvent(job, progress());
    expect(job.progress?.bytes_done).toBe(38_000_000);
    job = applyEvent(job, { event: "warning", message: "a file changed while it was read" });
    expect(job.warnings).toEqual(["a file changed while it was read"]);
    const result: JobResult = { kind: "check", report: report("ok") };
    job = completeJob(job, result, 50);
    expect(job).toMatchObject({ state: "done", result, finishedAt: 50 });
  });
  it("treats progress without 'started' as running", () => {
    expect(applyEvent(newJob("j", backup("a"), 1, 0), progress()).state).toBe("running");
  });
  it("ignores events and results after the end", () => {
    const done = completeJob(newJob("j", backup("a"), 1, 0), { kind: "check_all", reports: [], failures: [] }, 1);
    expect(applyEvent(done, progress())).toBe(done);
    expect(failJob(done, { code: "io", message: "x", hint: "" }, 2)).toBe(done);
    const cancelled = failJob(newJob("j", backup("a"), 1, 0), { code: "cancelled", message: "c", hint: "" }, 3);
    expect(cancelled.state).toBe("cancelled");
    expect(cancelled.error).toBeNull();
    expect(completeJob(cancelled, { kind: "check_all", reports: [], failures: [] }, 4)).toBe(cancelled);
  });
  it("keeps failures in plain words, whatever the rejection", () => {
    const failed = failJob(newJob("j", backup("a"), 1, 0), { code: "permission_denied", message: "Cannot read x", hint: "Check access" }, 1);
    expect(failed.state).toBe("failed");
    expect(describeJob(failed, [failed])).toBe("Cannot read x");
    const odd = failJob(newJob("j", backup("a"), 1, 0), { weird: true }, 1);
    expect(odd.error?.message).toBe("Something went wrong.");
  });
  it("ignores unknown event kinds", () => {
    const job = newJob("j", backup("a"), 1, 0);
    expect(applyEvent(job, { event: "mystery" } as unknown as JobEvent)).toBe(job);
  });
});

describe("describing jobs", () => {
  it("counts the jobs still ahead, lowering as earlier ones end", () => {
    const a = applyEvent(newJob("a", backup("a"), 1, 0), { event: "started" });
    const b = applyEvent(newJob("b", backup("b"), 2, 0), { event: "queued", position: 1 });
    const c = applyEvent(newJob("c", backup("c"), 3, 0), { event: "queued", position: 2 });
    expect(jobsAhead([a, b, c], c)).toBe(2);
    expect(describeJob(c, [a, b, c])).toBe("Waiting — 2 ahead");
    const aDone = completeJob(a, { kind: "check_all", reports: [], failures: [] }, 1);
    expect(describeJob(c, [aDone, b, c])).toBe("Waiting — 1 ahead");
    const bRunning = applyEvent(b, { event: "started" });
    expect(describeJob(bRunning, [aDone, bRunning, c])).toBe("Starting…");
    expect(describeJob(newJob("d", backup("d"), 4, 0), [])).toBe("Waiting — next");
  });
  it("shows bytes, files, speed and time left while running", () => {
    const job = applyEvent(newJob("j", backup("a"), 1, 0), progress());
    expect(describeJob(job, [job])).toBe(
      "45% · 38.0 MB of 84.2 MB · 120 of 214 files · 19.0 MB/s · about 2 seconds left",
    );
    const early = applyEvent(newJob("j", backup("a"), 1, 0), progress({ bytes_done: 0, elapsed_ms: 10, files_total: 0 }));
    expect(describeJob(early, [early])).toBe("0% · 0 bytes of 84.2 MB");
    const empty = applyEvent(newJob("j", backup("a"), 1, 0), progress({ bytes_done: 0, bytes_total: 0, files_done: 0, files_total: 0 }));
    expect(describeJob(empty, [empty])).toBe("0% · 0 bytes of 0 bytes");
  });
  it("says 'Cancelling…' once cancel was asked", () => {
    const job = { ...applyEvent(newJob("j", backup("a"), 1, 0), progress()), cancelRequested: true };
    expect(describeJob(job, [job])).toBe("Cancelling…");
  });
  it("summarises results", () => {
    expect(
      describeResult({
        kind: "backup",
        outcome: { strategy: "btc", status: "unchanged", backup: null, path: null },
      }),
    ).toContain("has not changed");
    expect(
      describeResult({
        kind: "backup",
        outcome: { strategy: "btc", status: "created", backup: null, path: "s3://team/quant/btc_20261126_091502.tar.gz" },
      }),
    ).toBe("Backed up btc to shared storage");
    expect(describeResult({ kind: "check", report: report("ok") })).toBe("OK — 214 files verified");
    expect(describeResult({ kind: "check", report: report("damaged", 2) })).toBe("Damaged — 2 problems found");
    expect(describeResult({ kind: "check_all", reports: [], failures: [] })).toBe("There are no backups to check yet");
    const unreadable = { backup_file: "a.tar.gz", error: { code: "permission_denied", message: "Could not open a.tar.gz", hint: "h" } };
    expect(describeResult({ kind: "check_all", reports: [report("ok")], failures: [unreadable] })).toBe(
      "1 backup checked: all OK; 1 backup could not be checked (Could not open a.tar.gz)",
    );
    expect(describeResult({ kind: "check_all", reports: [], failures: [unreadable] })).toBe(
      "No backup could be checked; 1 backup could not be checked (Could not open a.tar.gz)",
    );
    expect(describeResult({ kind: "check_all", reports: [report("ok"), report("ok")], failures: [] })).toBe("2 backups checked: all OK");
    expect(
      describeResult({ kind: "check_all", reports: [report("ok"), report("damaged"), report("missing"), report("ok")], failures: [] }),
    ).toBe("4 backups checked: 2 OK, 1 damaged, 1 missing");
  });
  it("labels every kind of job", () => {
    expect(jobLabel({ kind: "check", backup: { catalog: "x.tar.gz" } })).toBe("Check x.tar.gz");
    expect(jobLabel({ kind: "check", backup: { dropped: "/home/a/y.tar.gz" } })).toBe("Check y.tar.gz");
    expect(jobLabel({ kind: "check_all" })).toBe("Check all backups");
    expect(jobLabel({ kind: "restore", backup: { catalog: "x.tar.gz" }, destination: null, on_conflict: "copy" })).toBe(
      "Restore x.tar.gz",
    );
  });
  it("makes unique ids", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newJobId()));
    expect(ids.size).toBe(1000);
  });
});

describe("JobStore", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  type Pending = { id: string; onEvent: (e: JobEvent) => void; resolve: (r: JobResult) => void; reject: (e: unknown) => void };

  /** Lets the store react to a job being taken by the shell (promise callbacks only). */
  async function handOver() {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }

  function setup() {
    const pending: Pending[] = [];
    const cancelled: string[] = [];
    const store = new JobStore(
      (id, _req, onEvent) =>
        new Promise<JobResult>((resolve, reject) => {
          pending.push({ id, onEvent, resolve, reject });
        }),
      async (id) => {
        cancelled.push(id);
        return null;
      },
      { dismissDoneAfterMs: 5000, now: () => 1000 },
    );
    const seen: Job["state"][][] = [];
    store.subscribe((jobs) => seen.push(jobs.map((j) => j.state)));
    return { store, pending, cancelled, seen };
  }

  it("runs jobs, follows their events and removes finished ones after a while", async () => {
    const { store, pending } = setup();
    const a = store.start(backup("a"));
    const b = store.start(backup("b"));
    expect(a.id).not.toBe(b.id);
    expect(store.list().map((j) => j.state)).toEqual(["queued", "queued"]);
    pending[0]!.onEvent({ event: "started" });
    await handOver();
    pending[1]!.onEvent({ event: "queued", position: 1 });
    expect(describeJob(store.get(b.id)!, store.list())).toBe("Waiting — 1 ahead");
    pending[0]!.resolve({ kind: "check_all", reports: [], failures: [] });
    const finished = await a.done;
    expect(finished.state).toBe("done");
    expect(describeJob(store.get(b.id)!, store.list())).toBe("Waiting — next");
    // finished jobs stay while others still run
    vi.advanceTimersByTime(60_000);
    expect(store.get(a.id)?.state).toBe("done");
    pending[1]!.resolve({ kind: "check_all", reports: [], failures: [] });
    await b.done;
    vi.advanceTimersByTime(4999);
    expect(store.list()).toHaveLength(2);
    // a new job started meanwhile postpones the sweep
    const c = store.start(backup("c"));
    vi.advanceTimersByTime(10_000);
    expect(store.list()).toHaveLength(3);
    pending[2]!.resolve({ kind: "check_all", reports: [], failures: [] });
    await c.done;
    vi.advanceTimersByTime(5000);
    expect(store.list()).toHaveLength(0);
  });

  it("hands jobs to the shell one after another, in the order they were started", async () => {
    const { store, pending, cancelled } = setup();
    const a = store.start(backup("a"));
    const b = store.start(backup("b"));
    const c = store.start(backup("c"));
    // b goes out only once the shell has taken a, so concurrent calls cannot overtake it.
    expect(pending.map((p) => p.id)).toEqual([a.id]);
    pending[0]!.onEvent({ event: "queued", position: 0 });
    await handOver();
    expect(pending.map((p) => p.id)).toEqual([a.id, b.id]);
    // c, cancelled before it was sent, never reaches the shell and ends as cancelled.
    await store.cancel(c.id);
    expect(cancelled).toEqual([]);
    // b failing before the shell took it still lets the line move on.
    pending[1]!.reject({ code: "disk_full", message: "The disk is full", hint: "Free some space" });
    expect((await b.done).state).toBe("failed");
    expect((await c.done).state).toBe("cancelled");
    expect(pending).toHaveLength(2);
    // and the next job goes straight out
    pending[0]!.resolve({ kind: "check_all", reports: [], failures: [] });
    await a.done;
    const d = store.start(backup("d"));
    expect(pending.map((p) => p.id)).toEqual([a.id, b.id, d.id]);
  });

  it("keeps failed jobs until dismissed", async () => {
    const { store, pending } = setup();
    const a = store.start(backup("a"));
    pending[0]!.reject({ code: "disk_full", message: "The disk is full", hint: "Free some space" });
    const job = await a.done;
    expect(job.state).toBe("failed");
    expect(job.error?.hint).toBe("Free some space");
    vi.advanceTimersByTime(60_000);
    expect(store.get(a.id)?.state).toBe("failed");
    store.dismiss(a.id);
    expect(store.list()).toHaveLength(0);
  });

  it("cancels through the shell and ends as cancelled", async () => {
    const { store, pending, cancelled } = setup();
    const a = store.start(backup("a"));
    store.dismiss(a.id); // running jobs cannot be dismissed
    expect(store.list()).toHaveLength(1);
    await store.cancel(a.id);
    expect(cancelled).toEqual([a.id]);
    expect(store.get(a.id)?.cancelRequested).toBe(true);
    pending[0]!.reject({ code: "cancelled", message: "Cancelled", hint: "" });
    expect((await a.done).state).toBe("cancelled");
  });

  it("does not mind when the job ended before the cancel arrived", async () => {
    const pending: Pending[] = [];
    const store = new JobStore(
      (id, _r, onEvent) => new Promise((resolve, reject) => pending.push({ id, onEvent, resolve, reject })),
      () => Promise.reject({ code: "no_such_job", message: "gone", hint: "" }),
    );
    const a = store.start(backup("a"));
    await store.cancel(a.id);
    expect(store.get(a.id)?.warnings).toEqual([]);
    pending[0]!.resolve({ kind: "check_all", reports: [], failures: [] });
    expect((await a.done).state).toBe("done");
  });
});

// Job state: pure transitions from JobEvents and results, plus a small store that runs jobs.
import { copiedHereText, copiedToSharedText, copySummaryText } from "./store-form";
import { toUserError, type UserError } from "./errors";
import {
  baseName,
  formatBytes,
  formatCount,
  formatSpeed,
  formatTimeLeft,
  percent,
  plural,
  secondsLeft,
  speed,
} from "./format";
import type { BackupRef, JobEvent, JobRequest, JobResult, ProgressEvent } from "./types";

export type JobState = "queued" | "running" | "done" | "failed" | "cancelled";

export type Job = {
  id: string;
  seq: number;
  request: JobRequest;
  label: string;
  state: JobState;
  /** Jobs ahead of this one when the shell queued it. */
  position: number | null;
  progress: ProgressEvent | null;
  warnings: string[];
  error: UserError | null;
  result: JobResult | null;
  cancelRequested: boolean;
  createdAt: number;
  finishedAt: number | null;
};

export const isActive = (job: Job): boolean => job.state === "queued" || job.state === "running";

export function refName(ref: BackupRef): string {
  return "catalog" in ref ? ref.catalog : baseName(ref.dropped);
}

export function jobLabel(request: JobRequest): string {
  switch (request.kind) {
    case "backup":
      return `Back up ${request.strategy}`;
    case "check":
      return `Check ${refName(request.backup)}`;
    case "check_all":
      return "Check all backups";
    case "restore":
      return `Restore ${refName(request.backup)}`;
    case "copy_to_shared":
      return "Copy backups to shared storage";
    case "copy_to_this_computer":
      return `Copy ${request.backup_file} to this computer`;
    case "copy_dropped_to_shared":
      return `Copy ${baseName(request.dropped)} to shared storage`;
  }
}

export function newJob(id: string, request: JobRequest, seq: number, now: number): Job {
  return {
    id,
    seq,
    request,
    label: jobLabel(request),
    state: "queued",
    position: null,
    progress: null,
    warnings: [],
    error: null,
    result: null,
    cancelRequested: false,
    createdAt: now,
    finishedAt: null,
  };
}

const isFinished = (job: Job) => !isActive(job);

/** Applies one event from the job's channel. Events after the job ended are ignored. */
export function applyEvent(job: Job, event: JobEvent): Job {
  if (isFinished(job)) return job;
  switch (event.event) {
    case "queued":
      return { ...job, state: "queued", position: Math.max(0, event.position) };
    case "started":
      return { ...job, state: "running", position: 0 };
    case "progress":
      return { ...job, state: "running", position: 0, progress: event };
    case "warning":
      return { ...job, warnings: [...job.warnings, event.message] };
    default:
      return job;
  }
}

export function completeJob(job: Job, result: JobResult, now: number): Job {
  if (isFinished(job)) return job;
  return { ...job, state: "done", result, finishedAt: now };
}

export function failJob(job: Job, err: unknown, now: number): Job {
  if (isFinished(job)) return job;
  const error = toUserError(err);
  if (error.code === "cancelled") return { ...job, state: "cancelled", error: null, finishedAt: now };
  return { ...job, state: "failed", error, finishedAt: now };
}

/** How many jobs are still ahead of a queued job: what the shell said, lowered as earlier jobs end. */
export function jobsAhead(jobs: readonly Job[], job: Job): number {
  const local = jobs.filter((j) => j.seq < job.seq && isActive(j)).length;
  return job.position === null ? local : Math.min(job.position, local);
}

/** "Waiting — 2 ahead", "45% · 38.0 MB of 84.2 MB · 120 of 214 files · 30.1 MB/s · about 2 s left", ... */
export function describeJob(job: Job, jobs: readonly Job[]): string {
  switch (job.state) {
    case "queued": {
      if (job.cancelRequested) return "Cancelling…";
      const ahead = jobsAhead(jobs, job);
      return ahead === 0 ? "Waiting — next" : `Waiting — ${ahead} ahead`;
    }
    case "running": {
      if (job.cancelRequested) return "Cancelling…";
      const p = job.progress;
      if (!p) return "Starting…";
      const parts = [`${percent(p.bytes_done, p.bytes_total)}%`];
      parts.push(`${formatBytes(p.bytes_done)} of ${formatBytes(p.bytes_total)}`);
      if (p.files_total > 0) parts.push(`${formatCount(p.files_done)} of ${plural(p.files_total, "file")}`);
      const rate = formatSpeed(speed(p.bytes_done, p.elapsed_ms));
      if (rate) parts.push(rate);
      const left = formatTimeLeft(secondsLeft(p.bytes_done, p.bytes_total, p.elapsed_ms));
      if (left) parts.push(left);
      return parts.join(" · ");
    }
    case "done":
      return job.result ? describeResult(job.result) : "Done";
    case "failed":
      return job.error ? job.error.message : "Failed";
    case "cancelled":
      return "Cancelled — nothing was changed";
  }
}

export function describeResult(result: JobResult): string {
  switch (result.kind) {
    case "backup": {
      const o = result.outcome;
      if (o.status === "unchanged") return `${o.strategy} has not changed since its last backup; nothing new to save`;
      const b = o.backup;
      // A backup made straight into the store says so: the folder on this computer has nothing new.
      const where = o.path?.startsWith("s3://") ? " to shared storage" : "";
      if (!b) return `Backed up ${o.strategy}${where}`;
      return `Backed up ${o.strategy}${where}: ${plural(b.files, "file")}, ${formatBytes(b.bytes)} packed into ${formatBytes(b.size)}`;
    }
    case "check": {
      const r = result.report;
      if (r.result === "ok") return `OK — ${plural(r.files_checked, "file")} verified`;
      if (r.result === "missing") return `Missing — ${r.backup_file} is no longer in the backups folder`;
      return `Damaged — ${plural(r.problems.length, "problem")} found`;
    }
    case "check_all": {
      const reports = result.reports;
      const failures = result.failures ?? [];
      const failed = failures.length > 0 ? `; ${plural(failures.length, "backup")} could not be checked (${failures[0]?.error.message ?? ""})` : "";
      if (reports.length === 0 && failures.length === 0) return "There are no backups to check yet";
      if (reports.length === 0) return `No backup could be checked${failed}`;
      const counts = { ok: 0, damaged: 0, missing: 0 };
      for (const r of reports) counts[r.result] += 1;
      if (counts.ok === reports.length) return `${plural(reports.length, "backup")} checked: all OK${failed}`;
      const words = { ok: "OK", damaged: "damaged", missing: "missing" };
      const parts = (["ok", "damaged", "missing"] as const)
        .filter((k) => counts[k] > 0)
        .map((k) => `${formatCount(counts[k])} ${words[k]}`);
      return `${plural(reports.length, "backup")} checked: ${parts.join(", ")}${failed}`;
    }
    case "restore": {
      const o = result.outcome;
      return `Restored ${o.strategy} to ${o.restored_to}`;
    }
    case "copy_to_shared":
      return copySummaryText(result.summary);
    case "copy_to_this_computer":
      return copiedHereText(result.copied);
    case "copy_dropped_to_shared":
      return copiedToSharedText(result.copied);
  }
}

export type JobRunner = (id: string, request: JobRequest, onEvent: (e: JobEvent) => void) => Promise<JobResult>;
export type JobCanceller = (id: string) => Promise<unknown>;

let counter = 0;
/** A unique job id: time, a counter and randomness, so two windows or reloads never collide. */
export function newJobId(): string {
  counter += 1;
  const random =
    typeof crypto !== "undefined" && "randomUUID" in crypto
      ? crypto.randomUUID().slice(0, 8)
      : Math.random().toString(36).slice(2, 10);
  return `job-${Date.now().toString(36)}-${counter}-${random}`;
}

const CANCELLED_BEFORE_HAND_OVER: UserError = {
  code: "cancelled",
  message: "Cancelled before it started",
  hint: "",
};

/** Holds the job list, runs jobs through the shell and tells listeners about every change. */
export class JobStore {
  private jobs: Job[] = [];
  private listeners = new Set<(jobs: readonly Job[], changed: Job) => void>();
  private seq = 0;
  /** Settles once the shell has taken the last started job (or that job ended). */
  private handedOver: Promise<void> = Promise.resolve();
  /** Jobs sent or waiting to be sent that the shell has not taken yet. */
  private inFlight = 0;
  private readonly notSubmitted = new Set<string>();
  private sweepTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly run: JobRunner,
    private readonly cancelJob: JobCanceller,
    private readonly options: { dismissDoneAfterMs: number; now: () => number } = {
      dismissDoneAfterMs: 15000,
      now: () => Date.now(),
    },
  ) {}

  list(): readonly Job[] {
    return this.jobs;
  }

  get(id: string): Job | undefined {
    return this.jobs.find((j) => j.id === id);
  }

  subscribe(listener: (jobs: readonly Job[], changed: Job) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts a job; resolves with the finished job (never rejects). */
  start(request: JobRequest): { id: string; done: Promise<Job> } {
    const id = newJobId();
    this.seq += 1;
    if (this.sweepTimer) {
      clearTimeout(this.sweepTimer);
      this.sweepTimer = null;
    }
    this.put(newJob(id, request, this.seq, this.options.now()));
    // The shell queues jobs in the order its calls arrive, and concurrent calls can overtake each
    // other; each job is handed over only once the shell has taken the one before it, so
    // "Back up all" runs in the order the list shows.
    const previous = this.handedOver;
    const firstInLine = this.inFlight === 0;
    let handOver!: () => void;
    this.handedOver = new Promise<void>((resolve) => (handOver = resolve));
    this.inFlight += 1;
    this.notSubmitted.add(id);
    let taken = false;
    const handedOver = () => {
      if (taken) return;
      taken = true;
      this.inFlight -= 1;
      handOver();
    };
    const submit = (): Promise<JobResult> => {
      this.notSubmitted.delete(id);
      if (this.get(id)?.cancelRequested) return Promise.reject(CANCELLED_BEFORE_HAND_OVER);
      return this.run(id, request, (event) => {
        handedOver();
        this.update(id, (job) => applyEvent(job, event));
      });
    };
    // With nothing else on its way to the shell, the call goes out at once.
    const done = (firstInLine ? submit() : previous.then(submit))
      .then(
        (result) => {
          handedOver();
          return this.finish(id, (job) => completeJob(job, result, this.options.now()));
        },
        (err: unknown) => {
          handedOver();
          return this.finish(id, (job) => failJob(job, err, this.options.now()));
        },
      );
    return { id, done };
  }

  async cancel(id: string): Promise<void> {
    const job = this.get(id);
    if (!job || !isActive(job)) return;
    this.update(id, (j) => ({ ...j, cancelRequested: true }));
    // Not yet sent to the shell: it never will be (start sees the request).
    if (this.notSubmitted.has(id)) return;
    try {
      await this.cancelJob(id);
    } catch (err) {
      // The job may have ended meanwhile (no_such_job): nothing to cancel any more.
      if (toUserError(err).code !== "no_such_job") {
        this.update(id, (j) => ({ ...j, cancelRequested: false, warnings: [...j.warnings, toUserError(err).message] }));
      }
    }
  }

  dismiss(id: string): void {
    const job = this.get(id);
    if (!job || isActive(job)) return;
    this.jobs = this.jobs.filter((j) => j.id !== id);
    this.emit(job);
  }

  private finish(id: string, change: (job: Job) => Job): Job {
    const job = this.update(id, change) as Job;
    // Once everything has finished, successful and cancelled jobs leave together after a while
    // (the list never jumps while other jobs still run); failures stay until dismissed.
    if (!this.jobs.some(isActive) && this.options.dismissDoneAfterMs > 0) {
      if (this.sweepTimer) clearTimeout(this.sweepTimer);
      this.sweepTimer = setTimeout(() => {
        this.sweepTimer = null;
        if (this.jobs.some(isActive)) return;
        for (const j of this.jobs) if (j.state === "done" || j.state === "cancelled") this.dismiss(j.id);
      }, this.options.dismissDoneAfterMs);
    }
    return job;
  }

  private put(job: Job): void {
    this.jobs = [...this.jobs, job];
    this.emit(job);
  }

  private update(id: string, change: (job: Job) => Job): Job | undefined {
    const index = this.jobs.findIndex((j) => j.id === id);
    if (index < 0) return undefined;
    const before = this.jobs[index] as Job;
    const after = change(before);
    if (after === before) return before;
    this.jobs = this.jobs.map((j, i) => (i === index ? after : j));
    this.emit(after);
    return after;
  }

  private emit(changed: Job): void {
    for (const listener of this.listeners) listener(this.jobs, changed);
  }
}

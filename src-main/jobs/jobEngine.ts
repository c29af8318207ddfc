import type { Db } from '../db/connection';
import type { EventBus } from '../core/eventBus';
import type { Logger } from '../core/logger';
import { WorkbenchError, type Job, type JobKind, type JobStatus } from '../contract/index';
import {
  getJobRecord,
  insertJob,
  insertJobEvent,
  jobsInStatus,
  patchJob,
  type JobRecord,
  type NewJob,
} from './jobsRepo';

export interface JobRunContext {
  job: JobRecord;
  signal: AbortSignal;
  log: Logger;
  /** A human-readable line in the job's event log. */
  event(message: string, level?: 'info' | 'warn' | 'error'): void;
  /** A metrics point (loss, accuracy, step…) for the charts. */
  metrics(metrics: Record<string, number | null>, message?: string): void;
  /** Fraction done in [0, 1] and, when known, seconds left. */
  progress(fraction: number, etaSeconds?: number | null): void;
  setStatus(status: 'preparing' | 'running'): void;
  setRemoteId(remoteId: string): void;
}

export type JobOutcome = { status: 'succeeded'; result?: Record<string, unknown> } | { status: 'cancelled' };

export interface JobRunner {
  kind: JobKind;
  /** Uses this machine's cores (training, building): one exclusive job at a time. */
  exclusive: boolean;
  /** A job found preparing/running at start-up: local work is marked interrupted; remote work is resumed. */
  onRestart: 'interrupt' | 'resume';
  run(ctx: JobRunContext): Promise<JobOutcome>;
}

/** Thrown by a runner for a failure worth another attempt (network, 5xx); others fail the job at once. */
export class RetryableJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryableJobError';
  }
}

const ACTIVE: readonly JobStatus[] = ['preparing', 'running'];

/** `ctx.signal.reason` when a person cancelled the job (a remote runner then cancels the remote job too). */
export const ABORT_CANCEL = 'cancel';
/** `ctx.signal.reason` when the app is shutting down (a remote job keeps running and is resumed next start). */
export const ABORT_SHUTDOWN = 'shutdown';

/**
 * Persistent jobs: state lives in SQLite (queued → preparing → running → succeeded / failed / cancelled,
 * or interrupted when the app stopped under a local job). Survives restarts; bounded retries.
 */
export class JobEngine {
  private readonly runners = new Map<JobKind, JobRunner>();
  private readonly running = new Map<
    number,
    { controller: AbortController; runner: JobRunner; promise: Promise<void> }
  >();
  private started = false;
  private stopping = false;
  private readonly retryDelayMs: number;
  /** Jobs waiting out a retry back-off: not launched before this time (ms). */
  private readonly notBefore = new Map<number, number>();

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly log: Logger,
    opts: { retryDelayMs?: number } = {},
  ) {
    this.retryDelayMs = opts.retryDelayMs ?? 2000;
  }

  /** `replace`: tests swap a built-in runner for a fake one; anywhere else a second runner is a bug. */
  register(runner: JobRunner, opts: { replace?: boolean } = {}): void {
    if (this.runners.has(runner.kind) && !opts.replace)
      throw new Error(`job runner for ${runner.kind} registered twice`);
    this.runners.set(runner.kind, runner);
    if (this.started) this.pump();
  }

  /** Start-up: interrupt local work the app lost, resume remote work, run the queue. */
  start(): void {
    this.started = true;
    for (const job of jobsInStatus(this.db, ACTIVE)) {
      const runner = this.runners.get(job.kind);
      if (!runner || runner.onRestart === 'interrupt') {
        this.transition(job.id, 'interrupted', {
          error: 'The app stopped while this job was running. Nothing was lost; press Retry to run it again.',
        });
      } else {
        this.launch(job, runner);
      }
    }
    this.pump();
  }

  /** Removes a runner (a build without that backend; tests of the "not available" paths). */
  unregister(kind: JobKind): void {
    this.runners.delete(kind);
  }

  hasRunner(kind: JobKind): boolean {
    return this.runners.has(kind);
  }

  enqueue(job: NewJob): JobRecord {
    if (!this.runners.has(job.kind))
      throw new WorkbenchError('invalid_request', `No runner for jobs of kind ${job.kind}.`);
    const id = insertJob(this.db, job);
    this.addEvent(id, 'status', 'info', 'Queued.');
    this.emitUpdated(id);
    this.pump();
    return getJobRecord(this.db, id)!;
  }

  cancel(id: number): JobRecord {
    const job = this.mustGet(id);
    const live = this.running.get(id);
    if (live) {
      live.controller.abort(ABORT_CANCEL);
      this.addEvent(id, 'status', 'info', 'Cancel requested.');
    } else if (job.status === 'queued' || job.status === 'interrupted') {
      this.transition(id, 'cancelled', { finishedAt: Date.now() });
    } else if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled') {
      throw new WorkbenchError('conflict', `Job ${id} already ${job.status}.`);
    }
    return this.mustGet(id);
  }

  retry(id: number): JobRecord {
    const job = this.mustGet(id);
    if (!['failed', 'cancelled', 'interrupted'].includes(job.status)) {
      throw new WorkbenchError(
        'conflict',
        `Job ${id} is ${job.status}; only failed, cancelled or interrupted jobs can be retried.`,
      );
    }
    this.notBefore.delete(id);
    patchJob(this.db, id, { attempts: 0, error: null, progress: 0, etaSeconds: null, finishedAt: null });
    this.transition(id, 'queued');
    this.pump();
    return this.mustGet(id);
  }

  /** Position of each queued job among those waiting for the exclusive slot. */
  queuePositions(): Map<number, number> {
    const queued = jobsInStatus(this.db, ['queued']);
    return new Map(queued.map((j, i) => [j.id, i + 1]));
  }

  toContract(job: JobRecord, positions = this.queuePositions()): Job {
    const { maxAttempts: _m, ...rest } = job;
    return { ...rest, queuePosition: positions.get(job.id) ?? null };
  }

  /** Shut-down: stop local work (marked interrupted), leave remote jobs to be resumed next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const { controller } of this.running.values()) controller.abort(ABORT_SHUTDOWN);
    await Promise.allSettled([...this.running.values()].map((r) => r.promise));
  }

  /** Resolves when no job is running or queued (tests, CLI). */
  async idle(): Promise<void> {
    for (;;) {
      const live = [...this.running.values()].map((r) => r.promise);
      if (!live.length && !jobsInStatus(this.db, ['queued']).some((j) => this.runners.has(j.kind))) return;
      await Promise.allSettled(live);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private pump(): void {
    if (!this.started || this.stopping) return;
    let exclusiveBusy = [...this.running.values()].some((r) => r.runner.exclusive);
    for (const job of jobsInStatus(this.db, ['queued'])) {
      const runner = this.runners.get(job.kind);
      if (!runner || this.running.has(job.id)) continue;
      const waitUntil = this.notBefore.get(job.id);
      if (waitUntil !== undefined) {
        if (Date.now() < waitUntil) continue;
        this.notBefore.delete(job.id);
      }
      if (runner.exclusive) {
        if (exclusiveBusy) continue;
        exclusiveBusy = true;
      }
      this.launch(job, runner);
    }
  }

  private launch(job: JobRecord, runner: JobRunner): void {
    const controller = new AbortController();
    const attempts = job.attempts + 1;
    patchJob(this.db, job.id, { attempts, startedAt: job.startedAt ?? Date.now() });
    const fresh = { ...job, attempts };
    const ctx: JobRunContext = {
      job: fresh,
      signal: controller.signal,
      log: this.log,
      event: (message, level = 'info') => this.addEvent(job.id, 'message', level, message),
      metrics: (metrics, message) => this.addEvent(job.id, 'metrics', 'info', message ?? 'metrics', metrics),
      progress: (fraction, etaSeconds) => {
        patchJob(this.db, job.id, {
          progress: Math.max(0, Math.min(1, fraction)),
          etaSeconds: etaSeconds === undefined ? undefined : etaSeconds === null ? null : Math.round(etaSeconds),
        });
        this.emitUpdated(job.id);
      },
      setStatus: (status) => this.transition(job.id, status),
      setRemoteId: (remoteId) => patchJob(this.db, job.id, { remoteId }),
    };
    if (job.status === 'queued' || job.status === 'interrupted') this.transition(job.id, 'preparing');
    else this.addEvent(job.id, 'status', 'info', 'Resumed after restart.');

    const promise = (async () => {
      try {
        const outcome = await runner.run(ctx);
        if (outcome.status === 'succeeded') {
          this.transition(job.id, 'succeeded', {
            progress: 1,
            etaSeconds: 0,
            finishedAt: Date.now(),
            result: outcome.result ?? null,
          });
        } else {
          this.finishAborted(job.id, runner);
        }
      } catch (err) {
        if (controller.signal.aborted) {
          this.finishAborted(job.id, runner);
        } else if (err instanceof RetryableJobError && attempts < job.maxAttempts) {
          this.addEvent(job.id, 'message', 'warn', `Attempt ${attempts} failed: ${err.message}. Retrying.`);
          this.transition(job.id, 'queued');
          const delay = this.retryDelayMs * 2 ** (attempts - 1);
          this.notBefore.set(job.id, Date.now() + delay);
          setTimeout(() => this.pump(), delay + 5).unref?.();
        } else {
          const message = err instanceof Error ? err.message : String(err);
          this.transition(job.id, 'failed', { error: message, finishedAt: Date.now() });
        }
      } finally {
        this.running.delete(job.id);
        this.pump();
      }
    })();
    this.running.set(job.id, { controller, runner, promise });
  }

  private finishAborted(id: number, runner: JobRunner): void {
    if (this.stopping) {
      // Shutting down: local work is interrupted; remote work keeps its status and is resumed next start.
      if (runner.onRestart === 'interrupt') {
        this.transition(id, 'interrupted', {
          error: 'The app was closed during this job. Press Retry to run it again.',
        });
      }
      return;
    }
    this.transition(id, 'cancelled', { finishedAt: Date.now() });
  }

  private transition(id: number, status: JobStatus, extra: Parameters<typeof patchJob>[2] = {}): void {
    patchJob(this.db, id, { ...extra, status });
    const note = extra.error ? `${labelFor(status)}: ${extra.error}` : `${labelFor(status)}.`;
    this.addEvent(id, 'status', status === 'failed' ? 'error' : 'info', note);
    this.emitUpdated(id);
  }

  private addEvent(
    jobId: number,
    type: 'message' | 'metrics' | 'status',
    level: 'info' | 'warn' | 'error',
    message: string,
    metrics?: Record<string, number | null>,
  ): void {
    const e = insertJobEvent(this.db, { jobId, type, level, message, metrics: metrics ?? null });
    this.bus.emit('job.event', e);
  }

  private emitUpdated(id: number): void {
    const j = getJobRecord(this.db, id);
    if (!j) return;
    this.bus.emit('job.updated', {
      id: j.id,
      kind: j.kind,
      status: j.status,
      progress: j.progress,
      etaSeconds: j.etaSeconds,
      error: j.error,
    });
  }

  private mustGet(id: number): JobRecord {
    const job = getJobRecord(this.db, id);
    if (!job) throw new WorkbenchError('not_found', `Job ${id} does not exist.`);
    return job;
  }
}

function labelFor(status: JobStatus): string {
  switch (status) {
    case 'queued':
      return 'Queued';
    case 'preparing':
      return 'Preparing';
    case 'running':
      return 'Running';
    case 'succeeded':
      return 'Succeeded';
    case 'failed':
      return 'Failed';
    case 'cancelled':
      return 'Cancelled';
    case 'interrupted':
      return 'Interrupted';
  }
}

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './connection';

export interface CheckpointResult {
  /** WAL frames at the time, and how many of them are now in the database file. */
  log: number;
  checkpointed: number;
  ms: number;
}

// Plain JS run with `eval: true` (no bundler entry): its own connection to the workspace file runs
// PASSIVE checkpoints on request. PASSIVE never waits for or blocks readers and writers.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.modulePath);
const db = new Database(workerData.dbFile, { fileMustExist: true, timeout: 5000 });
// As on the main connection (see connection.ts): a checkpoint syncs the WAL and the database file.
db.pragma('synchronous = NORMAL');
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.close(); return; }
  try {
    const t0 = performance.now();
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ type: 'done', log: r.log, checkpointed: r.checkpointed, ms: performance.now() - t0 });
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: String((err && err.message) || err) });
  }
});
`;

type WorkerMessage = ({ type: 'done' } & CheckpointResult) | { type: 'error'; message: string };

/**
 * Copies WAL frames into the database file on a worker thread, so a large write (a bulk decision
 * over 100,000 examples dirties ~10,000 pages) does not pay for that copy and its fsync on the thread
 * that serves every request. The worker starts on the first request; requests made while one runs
 * are folded into one more run.
 */
export class BackgroundCheckpointer {
  private worker: Worker | null = null;
  private running = false;
  private queued = false;
  private waiters: (() => void)[] = [];
  private failed = false;
  /** The main connection's wal_autocheckpoint while it is turned off for a handed-over checkpoint. */
  private suspendedAuto: number | null = null;
  /** The last finished checkpoint (tests and benchmarks report it). */
  last: CheckpointResult | null = null;

  constructor(
    private readonly db: Db,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  /** In-memory and read-only databases have no WAL to hand over. */
  get usable(): boolean {
    return !this.db.memory && !this.db.readonly && !this.failed;
  }

  /**
   * Turns off SQLite's automatic checkpoint on the main connection until the next background one
   * finishes: otherwise the next small commit there (the audit row right after a bulk decision)
   * would do the big checkpoint itself on the request thread.
   */
  suspendAutomatic(): void {
    if (!this.usable || this.suspendedAuto !== null) return;
    this.suspendedAuto = Math.trunc(Number(this.db.pragma('wal_autocheckpoint', { simple: true })));
    this.db.pragma('wal_autocheckpoint = 0');
  }

  request(): void {
    if (!this.usable) {
      this.resumeAutomatic();
      return;
    }
    if (this.running) {
      this.queued = true;
      return;
    }
    this.running = true;
    this.ensureWorker().postMessage('checkpoint');
  }

  /** Resolves once no checkpoint is running or queued. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.idle();
    this.resumeAutomatic();
    const w = this.worker;
    this.worker = null;
    if (!w) return;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage('close');
    await exited;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { modulePath: createRequire(import.meta.url).resolve('better-sqlite3'), dbFile: this.db.name },
    });
    w.on('message', (m: WorkerMessage) => {
      if (m.type === 'done') this.last = { log: m.log, checkpointed: m.checkpointed, ms: m.ms };
      else this.onError(m.message);
      this.finished();
    });
    // A worker that cannot run leaves checkpoints to SQLite's own automatic ones on the main connection.
    w.on('error', (err) => {
      this.failed = true;
      this.worker = null;
      this.onError(err.message);
      this.queued = false;
      this.finished();
      // Whatever the worker left undone, the main connection's automatic checkpoint now picks up.
    });
    w.unref();
    this.worker = w;
    return w;
  }

  private resumeAutomatic(): void {
    if (this.suspendedAuto === null) return;
    // Only undo our own change: if something else set a value meanwhile (an import's larger interval
    // being restored), that one stands.
    if (this.db.open && Number(this.db.pragma('wal_autocheckpoint', { simple: true })) === 0) {
      this.db.pragma(`wal_autocheckpoint = ${this.suspendedAuto}`);
    }
    this.suspendedAuto = null;
  }

  private finished(): void {
    if (this.queued && this.worker) {
      this.queued = false;
      this.worker.postMessage('checkpoint');
      return;
    }
    this.running = false;
    this.resumeAutomatic();
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

/**
 * Runs `write` (which commits its own transaction) without SQLite's automatic checkpoint at commit,
 * then hands the checkpoint to `checkpointer`; automatic checkpoints resume once it is done. Without
 * a usable checkpointer it just runs `write`.
 */
export function withBackgroundCheckpoint<T>(checkpointer: BackgroundCheckpointer | null, write: () => T): T {
  if (!checkpointer?.usable) return write();
  checkpointer.suspendAutomatic();
  try {
    return write();
  } finally {
    checkpointer.request();
  }
}

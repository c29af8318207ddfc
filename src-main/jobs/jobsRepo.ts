import type { Db } from '../db/connection';
import type { Job, JobEvent, JobKind, JobStatus } from '../contract/index';

interface JobRow {
  id: number;
  kind: JobKind;
  status: JobStatus;
  params: string;
  base_model_id: number | null;
  dataset_version_id: number | null;
  remote_id: string | null;
  progress: number;
  eta_seconds: number | null;
  attempts: number;
  max_attempts: number;
  error: string | null;
  result: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

interface JobEventRow {
  id: number;
  job_id: number;
  level: JobEvent['level'];
  type: JobEvent['type'];
  message: string;
  metrics: string | null;
  created_at: number;
}

export interface JobRecord extends Omit<Job, 'queuePosition'> {
  maxAttempts: number;
}

function toJob(r: JobRow): JobRecord {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    params: JSON.parse(r.params) as Record<string, unknown>,
    baseModelId: r.base_model_id,
    datasetVersionId: r.dataset_version_id,
    remoteId: r.remote_id,
    progress: r.progress,
    etaSeconds: r.eta_seconds,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    error: r.error,
    result: r.result ? (JSON.parse(r.result) as Record<string, unknown>) : null,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

function toEvent(r: JobEventRow): JobEvent {
  return {
    id: r.id,
    jobId: r.job_id,
    level: r.level,
    type: r.type,
    message: r.message,
    metrics: r.metrics ? (JSON.parse(r.metrics) as Record<string, number | null>) : null,
    createdAt: r.created_at,
  };
}

export interface NewJob {
  kind: JobKind;
  params: Record<string, unknown>;
  baseModelId?: number | null;
  datasetVersionId?: number | null;
  maxAttempts?: number;
}

export function insertJob(db: Db, j: NewJob): number {
  const info = db
    .prepare(
      `INSERT INTO jobs (kind, status, params, base_model_id, dataset_version_id, created_at, max_attempts)
       VALUES (?, 'queued', ?, ?, ?, ?, ?)`,
    )
    .run(
      j.kind,
      JSON.stringify(j.params),
      j.baseModelId ?? null,
      j.datasetVersionId ?? null,
      Date.now(),
      j.maxAttempts ?? 3,
    );
  return Number(info.lastInsertRowid);
}

export function getJobRecord(db: Db, id: number): JobRecord | null {
  const row = db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  return row ? toJob(row) : null;
}

export function listJobRecords(
  db: Db,
  f: { kind?: JobKind | undefined; status?: JobStatus | undefined; limit: number },
): JobRecord[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.kind) {
    where.push('kind = ?');
    params.push(f.kind);
  }
  if (f.status) {
    where.push('status = ?');
    params.push(f.status);
  }
  const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  return (db.prepare(sql).all(...params, f.limit) as JobRow[]).map(toJob);
}

export function jobsInStatus(db: Db, statuses: readonly JobStatus[]): JobRecord[] {
  const placeholders = statuses.map(() => '?').join(', ');
  return (
    db.prepare(`SELECT * FROM jobs WHERE status IN (${placeholders}) ORDER BY id`).all(...statuses) as JobRow[]
  ).map(toJob);
}

export interface JobPatch {
  status?: JobStatus;
  progress?: number;
  etaSeconds?: number | null;
  remoteId?: string | null;
  attempts?: number;
  error?: string | null;
  result?: Record<string, unknown> | null;
  startedAt?: number | null;
  finishedAt?: number | null;
}

const PATCH_COLUMNS: Record<keyof JobPatch, string> = {
  status: 'status',
  progress: 'progress',
  etaSeconds: 'eta_seconds',
  remoteId: 'remote_id',
  attempts: 'attempts',
  error: 'error',
  result: 'result',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
};

/** Column names come from the closed PATCH_COLUMNS map; values are bound. */
export function patchJob(db: Db, id: number, patch: JobPatch): void {
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const [key, value] of Object.entries(patch) as [keyof JobPatch, unknown][]) {
    if (value === undefined) continue;
    sets.push(`${PATCH_COLUMNS[key]} = ?`);
    values.push(key === 'result' && value !== null ? JSON.stringify(value) : value);
  }
  if (!sets.length) return;
  db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
}

export function insertJobEvent(
  db: Db,
  e: {
    jobId: number;
    level: JobEvent['level'];
    type: JobEvent['type'];
    message: string;
    metrics?: Record<string, number | null> | null;
  },
): JobEvent {
  const at = Date.now();
  const info = db
    .prepare('INSERT INTO job_events (job_id, level, type, message, metrics, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(e.jobId, e.level, e.type, e.message, e.metrics ? JSON.stringify(e.metrics) : null, at);
  return {
    id: Number(info.lastInsertRowid),
    jobId: e.jobId,
    level: e.level,
    type: e.type,
    message: e.message,
    metrics: e.metrics ?? null,
    createdAt: at,
  };
}

export function listJobEvents(
  db: Db,
  jobId: number,
  afterId: number,
  limit: number,
  type?: JobEvent['type'],
): JobEvent[] {
  const rows = type
    ? db
        .prepare('SELECT * FROM job_events WHERE job_id = ? AND id > ? AND type = ? ORDER BY id LIMIT ?')
        .all(jobId, afterId, type, limit)
    : db.prepare('SELECT * FROM job_events WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?').all(jobId, afterId, limit);
  return (rows as JobEventRow[]).map(toEvent);
}

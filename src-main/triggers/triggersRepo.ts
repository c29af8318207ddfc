import type { Db } from '../db/connection';
import type { Task, TriggerNotice, TriggerRule } from '../contract/index';

interface NoticeRow {
  id: number;
  kind: 'suggestion' | 'alert';
  rule: TriggerRule;
  task: Task | null;
  message: string;
  details: string;
  job_id: number | null;
  created_at: number;
  dismissed_at: number | null;
}

function toNotice(r: NoticeRow): TriggerNotice {
  return {
    id: r.id,
    kind: r.kind,
    rule: r.rule,
    task: r.task,
    message: r.message,
    details: JSON.parse(r.details) as Record<string, unknown>,
    jobId: r.job_id,
    createdAt: r.created_at,
    dismissedAt: r.dismissed_at,
  };
}

export interface NewNotice {
  kind: 'suggestion' | 'alert';
  rule: TriggerRule;
  task: Task | null;
  dedupKey: string;
  message: string;
  details: Record<string, unknown>;
}

/** Inserts a notice unless one for the same situation is still open; returns the new one or null. */
export function raiseNotice(db: Db, n: NewNotice): TriggerNotice | null {
  const info = db
    .prepare(
      `INSERT OR IGNORE INTO trigger_notices (kind, rule, task, dedup_key, message, details, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(n.kind, n.rule, n.task, n.dedupKey, n.message, JSON.stringify(n.details), Date.now());
  return info.changes ? getNotice(db, Number(info.lastInsertRowid)) : null;
}

/** Whether this situation was already raised (open or dismissed): a dismissed notice stays dismissed. */
export function wasRaised(db: Db, dedupKey: string): boolean {
  return !!db.prepare('SELECT 1 FROM trigger_notices WHERE dedup_key = ?').get(dedupKey);
}

export function getNotice(db: Db, id: number): TriggerNotice | null {
  const row = db.prepare('SELECT * FROM trigger_notices WHERE id = ?').get(id) as NoticeRow | undefined;
  return row ? toNotice(row) : null;
}

export function listNotices(db: Db, includeDismissed: boolean, limit: number): TriggerNotice[] {
  return (
    db
      .prepare(
        `SELECT * FROM trigger_notices ${includeDismissed ? '' : 'WHERE dismissed_at IS NULL'} ORDER BY created_at DESC, id DESC LIMIT ?`,
      )
      .all(limit) as NoticeRow[]
  ).map(toNotice);
}

export function dismissNotice(db: Db, id: number): boolean {
  return (
    db.prepare('UPDATE trigger_notices SET dismissed_at = ? WHERE id = ? AND dismissed_at IS NULL').run(Date.now(), id)
      .changes > 0
  );
}

export function attachJob(
  db: Db,
  id: number,
  jobId: number | null,
  details: Record<string, unknown>,
  message: string,
): void {
  db.prepare('UPDATE trigger_notices SET job_id = ?, details = ?, message = ? WHERE id = ?').run(
    jobId,
    JSON.stringify(details),
    message,
    id,
  );
}

import {
  WorkbenchError,
  type DecisionResult,
  type ReviewDecision,
  type ReviewFilter,
  type ReviewStatus,
  type UndoResult,
} from '../contract/index';
import type { Db } from '../db/connection';
import type { AttackCatalogue } from '../attack/attackCatalogue';
import { matchSql, type MatchSql } from './reviewFilter';

/** Undo rows are kept for this many recent batches; older batches can no longer be undone. */
export const UNDO_KEEP_BATCHES = 50;

const STATUS_OF: Record<ReviewDecision, ReviewStatus> = { approve: 'approved', reject: 'rejected' };

export interface DecideContext {
  actor: string;
  at?: number;
}

interface BatchRow {
  id: number;
  actor: string;
  decision: ReviewDecision;
  reason: string | null;
  decided_at: number;
  undone_at: number | null;
  expired: 0 | 1;
}

/**
 * The one write path for decisions. Records every matching review's current state as a batch (which
 * also counts the matches, so `check` can refuse before anything is written for good), drops the ones
 * already carrying the decision, then sets the new status, reviewer and time on the rest.
 * The caller runs it inside a transaction; `check` throws to roll it back.
 */
function applyDecision(
  db: Db,
  m: MatchSql,
  decision: ReviewDecision,
  reason: string | null,
  scope: 'selection' | 'filter',
  filter: ReviewFilter | null,
  ctx: DecideContext,
  check: (matched: number) => void,
): DecisionResult {
  const at = ctx.at ?? Date.now();
  const status = STATUS_OF[decision];
  const batchId = (
    db
      .prepare(
        `INSERT INTO review_batches (actor, decision, reason, scope, filter, matched, changed, decided_at)
         VALUES (?, ?, ?, ?, ?, 0, 0, ?) RETURNING id`,
      )
      .get(ctx.actor, decision, reason, scope, filter ? JSON.stringify(filter) : null, at) as { id: number }
  ).id;
  const matched = db
    .prepare(
      `INSERT INTO review_batch_rows (batch_id, review_id, prev_status, prev_reviewer, prev_reason, prev_decided_at, prev_updated_at)
       SELECT ?, r.id, r.status, r.reviewer, r.reason, r.decided_at, r.updated_at
       FROM ${m.from} WHERE ${m.where}
       ORDER BY r.id`,
    )
    .run(batchId, ...m.params).changes;
  check(matched);
  const already = db
    .prepare('DELETE FROM review_batch_rows WHERE batch_id = ? AND prev_status = ?')
    .run(batchId, status).changes;
  const changed = matched - already;
  if (changed === 0) {
    db.prepare('DELETE FROM review_batches WHERE id = ?').run(batchId);
    return { batchId: null, decision, matched, changed: 0 };
  }
  db.prepare(
    `UPDATE reviews SET status = ?, reviewer = ?, reason = ?, decided_at = ?, updated_at = ?
     WHERE id IN (SELECT review_id FROM review_batch_rows WHERE batch_id = ?)`,
  ).run(status, ctx.actor, reason, at, at, batchId);
  db.prepare('UPDATE review_batches SET matched = ?, changed = ? WHERE id = ?').run(matched, changed, batchId);
  pruneUndoRows(db);
  return { batchId, decision, matched, changed };
}

function pruneUndoRows(db: Db): void {
  const old = db
    .prepare('SELECT id FROM review_batches WHERE expired = 0 ORDER BY id DESC LIMIT -1 OFFSET ?')
    .all(UNDO_KEEP_BATCHES) as { id: number }[];
  for (const { id } of old) {
    db.prepare('DELETE FROM review_batch_rows WHERE batch_id = ?').run(id);
    db.prepare('UPDATE review_batches SET expired = 1 WHERE id = ?').run(id);
  }
}

/** Approve or reject a selection of examples (by label id). Unknown ids change nothing. */
export function decideLabels(
  db: Db,
  catalogue: () => AttackCatalogue,
  labelIds: readonly number[],
  decision: ReviewDecision,
  reason: string | null,
  ctx: DecideContext,
): DecisionResult {
  const ids = [...new Set(labelIds)];
  const m = matchSql({}, catalogue, {
    extra: [{ sql: 'r.label_id IN (SELECT value FROM json_each(?))', params: [JSON.stringify(ids)] }],
  });
  return db.transaction(() =>
    applyDecision(db, m, decision, reason, 'selection', null, ctx, (matched) => {
      if (matched === ids.length) return;
      const missing = ids.length - matched;
      throw new WorkbenchError(
        'not_found',
        `${missing} of the ${ids.length} selected example${ids.length === 1 ? ' is' : 's are'} no longer in the review queue. Nothing was changed.`,
      );
    }),
  )();
}

/**
 * Decide everything the filter matches. `expectedCount` is the count the person confirmed; if the
 * queue changed since (someone labelled or decided), nothing is changed and they are asked again.
 */
export function decideByFilter(
  db: Db,
  catalogue: () => AttackCatalogue,
  filter: ReviewFilter,
  decision: ReviewDecision,
  reason: string | null,
  expectedCount: number,
  ctx: DecideContext,
): DecisionResult {
  const m = matchSql(filter, catalogue);
  return db.transaction(() =>
    applyDecision(db, m, decision, reason, 'filter', filter, ctx, (matched) => {
      if (matched === expectedCount) return;
      throw new WorkbenchError(
        'conflict',
        `The filter now matches ${matched.toLocaleString('en')} examples, not the ${expectedCount.toLocaleString('en')} you confirmed. Nothing was changed; check the preview and confirm again.`,
      );
    }),
  )();
}

/**
 * Puts every review the batch changed back to its exact earlier state (status, reviewer, reason,
 * decided_at, updated_at) — unless it changed again since (re-labelled, decided by a later batch).
 */
export function undoBatch(db: Db, batchId: number, ctx: DecideContext): UndoResult {
  return db.transaction(() => {
    const batch = db.prepare('SELECT * FROM review_batches WHERE id = ?').get(batchId) as BatchRow | undefined;
    if (!batch) throw new WorkbenchError('not_found', `Decision ${batchId} does not exist.`);
    if (batch.undone_at !== null) throw new WorkbenchError('conflict', `Decision ${batchId} was already undone.`);
    if (batch.expired) {
      throw new WorkbenchError(
        'conflict',
        `Decision ${batchId} is too old to undo (the last ${UNDO_KEEP_BATCHES} decisions can be undone).`,
      );
    }
    const total = (
      db.prepare('SELECT COUNT(*) AS n FROM review_batch_rows WHERE batch_id = ?').get(batchId) as { n: number }
    ).n;
    // Driven from the batch's rows in review id order; a review still carries the batch's decision
    // only if nothing (a re-label, a later batch) changed it since.
    const restored = db
      .prepare(
        `UPDATE reviews SET (status, reviewer, reason, decided_at, updated_at) = (
           SELECT b.prev_status, b.prev_reviewer, b.prev_reason, b.prev_decided_at, b.prev_updated_at
           FROM review_batch_rows b WHERE b.batch_id = ? AND b.review_id = reviews.id)
         WHERE id IN (SELECT review_id FROM review_batch_rows WHERE batch_id = ?)
           AND +status = ? AND reviewer IS ? AND decided_at IS ? AND +updated_at = ?`,
      )
      .run(batchId, batchId, STATUS_OF[batch.decision], batch.actor, batch.decided_at, batch.decided_at).changes;
    db.prepare('UPDATE review_batches SET undone_at = ?, undone_by = ? WHERE id = ?').run(
      ctx.at ?? Date.now(),
      ctx.actor,
      batchId,
    );
    return { batchId, restored, skipped: total - restored };
  })();
}

import { afterEach, describe, expect, it } from 'vitest';
import { addConversation, emptyWorkbench, fails, ok, type TestWorkbench } from '../labels/labelFixtures';
import { UNDO_KEEP_BATCHES } from '../../src-main/review/reviewDecisions';

let wb: TestWorkbench | null = null;
afterEach(async () => {
  await wb?.close();
  wb = null;
});

const reviews = (w: TestWorkbench) => w.db.prepare('SELECT * FROM reviews ORDER BY id').all();

async function labelMany(
  w: TestWorkbench,
  n: number,
  threatType = (i: number) => (i % 2 ? 'execution' : 'discovery'),
): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const { conversationId } = addConversation(w, { title: `example ${i}` });
    const r = await ok(
      w,
      'labels.save',
      { conversationId, verdict: 'benign', threatType: threatType(i), severity: 'low', quality: 1 + (i % 5) },
      'labeller',
    );
    ids.push(r.label.id);
  }
  return ids;
}

describe('review.decide and review.undo', () => {
  it('approve one, reject a selection with a reason, each records reviewer, time and audit; undo restores exactly', async () => {
    wb = await emptyWorkbench();
    const ids = await labelMany(wb, 6);
    const initial = reviews(wb);

    const one = await ok(wb, 'review.decide', { labelIds: [ids[0]], decision: 'approve' }, 'rita');
    expect(one).toMatchObject({ decision: 'approve', matched: 1, changed: 1 });
    const afterOne = reviews(wb);
    expect(afterOne[0]).toMatchObject({ status: 'approved', reviewer: 'rita', reason: null });
    expect((afterOne[0] as { decided_at: number }).decided_at).toBeGreaterThan(0);

    const sel = await ok(
      wb,
      'review.decide',
      { labelIds: [ids[0], ids[1], ids[2]], decision: 'reject', reason: 'vague answer' },
      'sam',
    );
    expect(sel).toMatchObject({ matched: 3, changed: 3 });
    const afterSel = reviews(wb) as { status: string; reviewer: string; reason: string }[];
    expect(afterSel.slice(0, 3).map((r) => [r.status, r.reviewer, r.reason])).toEqual([
      ['rejected', 'sam', 'vague answer'],
      ['rejected', 'sam', 'vague answer'],
      ['rejected', 'sam', 'vague answer'],
    ]);

    const audit = wb.db
      .prepare("SELECT actor, action, subject, details FROM audit_log WHERE action LIKE 'review.%' ORDER BY id")
      .all() as {
      actor: string;
      subject: string;
      details: string;
    }[];
    expect(audit.map((a) => [a.actor, a.subject])).toEqual([
      ['rita', `review-batch:${one.batchId}`],
      ['sam', `review-batch:${sel.batchId}`],
    ]);
    expect(JSON.parse(audit[1]!.details)).toMatchObject({
      decision: 'reject',
      reason: 'vague answer',
      changed: 3,
      labelIds: [ids[0], ids[1], ids[2]],
    });

    // Undo the selection: the first goes back to rita's approval, the others to pending — exactly.
    const undo = await ok(wb, 'review.undo', { batchId: sel.batchId }, 'sam');
    expect(undo).toEqual({ batchId: sel.batchId, restored: 3, skipped: 0 });
    expect(reviews(wb)).toEqual(afterOne);
    const undoOne = await ok(wb, 'review.undo', { batchId: one.batchId });
    expect(undoOne.restored).toBe(1);
    expect(reviews(wb)).toEqual(initial);
    expect((await fails(wb, 'review.undo', { batchId: one.batchId })).code).toBe('conflict');
    expect((await fails(wb, 'review.undo', { batchId: 999 })).code).toBe('not_found');
  });

  it('skips examples already carrying the decision and refuses unknown ids without changing anything', async () => {
    wb = await emptyWorkbench();
    const ids = await labelMany(wb, 3);
    await ok(wb, 'review.decide', { labelIds: [ids[0]], decision: 'approve' });
    const again = await ok(wb, 'review.decide', { labelIds: [ids[0], ids[1]], decision: 'approve' });
    expect(again).toMatchObject({ matched: 2, changed: 1 });
    const none = await ok(wb, 'review.decide', { labelIds: [ids[0]], decision: 'approve' });
    expect(none).toMatchObject({ batchId: null, changed: 0 });
    const before = reviews(wb);
    const err = await fails(wb, 'review.decide', { labelIds: [ids[2], 12345], decision: 'reject' });
    expect(err.code).toBe('not_found');
    expect(reviews(wb)).toEqual(before);
    expect((await fails(wb, 'review.decide', { labelIds: [], decision: 'approve' })).code).toBe('invalid_request');
  });

  it('undo leaves alone an example changed since the batch (re-labelled) and reports it', async () => {
    wb = await emptyWorkbench();
    const ids = await labelMany(wb, 3);
    const batch = await ok(wb, 'review.decide', { labelIds: ids, decision: 'approve' });
    const conv = wb.db
      .prepare('SELECT conversation_id FROM training_labels WHERE id = ?')
      .pluck()
      .get(ids[1]) as number;
    await ok(wb, 'labels.save', {
      conversationId: conv,
      verdict: 'true_positive',
      threatType: 'x',
      severity: 'high',
      quality: 5,
    });
    const later = await ok(wb, 'review.decide', { labelIds: [ids[2]], decision: 'reject' });
    const afterLater = reviews(wb) as { status: string }[];
    const undo = await ok(wb, 'review.undo', { batchId: batch.batchId });
    expect(undo).toMatchObject({ restored: 1, skipped: 2 });
    const now = reviews(wb) as { status: string }[];
    expect(now.map((r) => r.status)).toEqual(['pending', 'pending', 'rejected']);
    expect(now[1]).toEqual(afterLater[1]);
    expect(now[2]).toEqual(afterLater[2]);
    expect(later.batchId).toBeGreaterThan(batch.batchId!);
  });

  it('expires the undo rows of old batches', async () => {
    wb = await emptyWorkbench();
    const ids = await labelMany(wb, 1);
    const batches: number[] = [];
    for (let i = 0; i <= UNDO_KEEP_BATCHES; i++) {
      const r = await ok(wb, 'review.decide', { labelIds: ids, decision: i % 2 ? 'reject' : 'approve' });
      batches.push(r.batchId!);
    }
    const err = await fails(wb, 'review.undo', { batchId: batches[0] });
    expect(err).toMatchObject({ code: 'conflict' });
    expect(err.message).toMatch(/too old/);
    expect(wb.db.prepare('SELECT COUNT(*) FROM review_batch_rows').pluck().get()).toBe(UNDO_KEEP_BATCHES);
    expect((await ok(wb, 'review.undo', { batchId: batches[batches.length - 1] })).restored).toBe(1);
  });
});

describe('review.bulkByFilter', () => {
  it('decides everything matching, guarded by the confirmed count, and undoes exactly', async () => {
    wb = await emptyWorkbench();
    const ids = await labelMany(wb, 10);
    // one execution example was already rejected by someone else
    await ok(wb, 'review.decide', { labelIds: [ids[1]], decision: 'reject', reason: 'dup' }, 'olga');
    const before = reviews(wb);
    const filter = { threatType: 'execution' };
    const preview = await ok(wb, 'review.countByFilter', { filter });
    expect(preview.count).toBe(5);

    const stale = await fails(wb, 'review.bulkByFilter', { filter, decision: 'approve', expectedCount: 4 }, 'rita');
    expect(stale.code).toBe('conflict');
    expect(stale.message).toMatch(/now matches 5 examples, not the 4/);
    expect(reviews(wb)).toEqual(before);

    const r = await ok(
      wb,
      'review.bulkByFilter',
      { filter, decision: 'approve', expectedCount: preview.count, reason: 'spot-checked' },
      'rita',
    );
    expect(r).toMatchObject({ decision: 'approve', matched: 5, changed: 5 });
    const after = reviews(wb) as {
      label_id: number;
      status: string;
      reviewer: string | null;
      reason: string | null;
      decided_at: number | null;
    }[];
    const execution = new Set(ids.filter((_, i) => i % 2 === 1));
    for (const row of after) {
      if (execution.has(row.label_id))
        expect(row).toMatchObject({ status: 'approved', reviewer: 'rita', reason: 'spot-checked' });
      else expect(row).toMatchObject({ status: 'pending', reviewer: null });
    }
    const audit = wb.db.prepare("SELECT * FROM audit_log WHERE action = 'review.bulkByFilter'").all() as {
      subject: string;
      details: string;
      actor: string;
    }[];
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'rita', subject: `review-batch:${r.batchId}` });
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ filter, expectedCount: 5, matched: 5, changed: 5 });

    expect(await ok(wb, 'review.undo', { batchId: r.batchId })).toMatchObject({ restored: 5, skipped: 0 });
    expect(reviews(wb)).toEqual(before);
  });

  it('a filter on status only changes that status; rows already decided the same way are left alone', async () => {
    wb = await emptyWorkbench();
    const ids = await labelMany(wb, 6);
    await ok(wb, 'review.decide', { labelIds: [ids[0], ids[1]], decision: 'approve' }, 'olga');
    const pending = await ok(wb, 'review.countByFilter', { filter: { status: 'pending' } });
    expect(pending.count).toBe(4);
    const r = await ok(wb, 'review.bulkByFilter', {
      filter: { status: 'pending' },
      decision: 'reject',
      expectedCount: 4,
    });
    expect(r.changed).toBe(4);
    const all = await ok(wb, 'review.bulkByFilter', { filter: {}, decision: 'reject', expectedCount: 6 });
    expect(all).toMatchObject({ matched: 6, changed: 2 });
    expect(wb.db.prepare("SELECT COUNT(*) FROM reviews WHERE status = 'rejected'").pluck().get()).toBe(6);
    const zero = await ok(wb, 'review.bulkByFilter', {
      filter: { threatType: 'impact' },
      decision: 'approve',
      expectedCount: 0,
    });
    expect(zero).toEqual({ batchId: null, decision: 'approve', matched: 0, changed: 0 });
  });
});

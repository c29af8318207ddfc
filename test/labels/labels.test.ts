import { afterEach, describe, expect, it } from 'vitest';
import type { EventName } from '../../src-main/contract/index';
import {
  addConversation,
  baseLabel,
  emptyWorkbench,
  fails,
  ok,
  tableSnapshot,
  type TestWorkbench,
} from './labelFixtures';

let wb: TestWorkbench | null = null;
afterEach(async () => {
  await wb?.close();
  wb = null;
});

describe('labels.save validation', () => {
  it.each([
    ['an unknown technique', { techniques: ['T9999'] }, 'bad_input', /T9999/],
    ['a deprecated technique', { techniques: ['T1002'] }, 'bad_input', /Deprecated.*T1002/],
    ['a malformed technique id', { techniques: ['powershell'] }, 'invalid_request', /techniques/],
    ['quality 0', { quality: 0 }, 'invalid_request', /quality/],
    ['quality 6', { quality: 6 }, 'invalid_request', /quality/],
    ['quality 3.5', { quality: 3.5 }, 'invalid_request', /quality/],
    ['an unknown verdict', { verdict: 'maybe' }, 'invalid_request', /verdict/],
    ['an unknown severity', { severity: 'urgent' }, 'invalid_request', /severity/],
    ['an empty threat type', { threatType: '   ' }, 'invalid_request', /threatType/],
    ['an extra field', { approved: true }, 'invalid_request', /./],
  ])('refuses %s with a typed error and changes nothing', async (_what, patch, code, message) => {
    wb = await emptyWorkbench();
    const { conversationId } = addConversation(wb);
    const before = tableSnapshot(wb);
    const err = await fails(wb, 'labels.save', { conversationId, ...baseLabel, ...patch });
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(tableSnapshot(wb)).toEqual(before);
  });

  it('refuses an unknown conversation and a message from another conversation', async () => {
    wb = await emptyWorkbench();
    const a = addConversation(wb);
    const b = addConversation(wb, { title: 'other' });
    const before = tableSnapshot(wb);
    const missing = await fails(wb, 'labels.save', { conversationId: 999, ...baseLabel });
    expect(missing).toEqual({ code: 'not_found', message: 'Conversation 999 does not exist.' });
    const foreign = await fails(wb, 'labels.save', {
      conversationId: a.conversationId,
      messageId: b.userMessageId,
      ...baseLabel,
    });
    expect(foreign.code).toBe('bad_input');
    expect(tableSnapshot(wb)).toEqual(before);
  });
});

describe('labels.save', () => {
  it('saves the label, adds a pending review, audits it with a meaningful subject, in one go', async () => {
    wb = await emptyWorkbench('alice');
    const { conversationId } = addConversation(wb, { answer: 'Benign: the admin rotated keys.' });
    const seen: EventName[] = [];
    wb.bus.onAny((name) => seen.push(name));
    const r = await ok(wb, 'labels.save', {
      conversationId,
      ...baseLabel,
      techniques: ['t1110.003', 'T1078', 'T1110.003'],
    });
    expect(r.queue).toBe('added');
    expect(r.previousStatus).toBeNull();
    expect(r.message).toBe('Added to the pending review queue.');
    expect(r.label).toMatchObject({
      conversationId,
      verdict: 'true_positive',
      threatType: 'credential access',
      severity: 'high',
      techniques: ['T1110.003', 'T1078'],
      quality: 4,
      labeller: 'alice',
      // empty corrected answer → the last assistant answer
      correctedAnswer: 'Benign: the admin rotated keys.',
    });
    expect(r.review).toMatchObject({ status: 'pending', reviewer: null, decidedAt: null });
    const review = wb.db.prepare('SELECT * FROM reviews WHERE label_id = ?').get(r.label.id);
    expect(review).toMatchObject({ status: 'pending', reviewer: null, reason: null, decided_at: null });
    expect(
      wb.db
        .prepare('SELECT technique FROM label_techniques WHERE label_id = ? ORDER BY technique')
        .pluck()
        .all(r.label.id),
    ).toEqual(['T1078', 'T1110.003']);
    const audit = wb.db.prepare("SELECT * FROM audit_log WHERE action = 'labels.save'").all() as {
      actor: string;
      subject: string;
      details: string;
    }[];
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'alice', subject: `conversation:${conversationId}` });
    expect(JSON.parse(audit[0]!.details)).toMatchObject({
      labelId: r.label.id,
      queue: 'added',
      techniques: ['T1110.003', 'T1078'],
    });
    expect(seen).toEqual(expect.arrayContaining(['review.changed', 'conversations.changed', 'audit.appended']));
    const got = await ok(wb, 'labels.get', { conversationId });
    expect(got.label).toEqual(r.label);
    expect(got.review).toEqual(r.review);
    expect(got.suggestedAnswer).toBe('Benign: the admin rotated keys.');
  });

  it('keeps an explicit corrected answer and uses the chosen message as the default', async () => {
    wb = await emptyWorkbench();
    const c = addConversation(wb, { answer: 'first answer' });
    const later = (await import('../../src-main/conversations/conversationsRepo')).appendMessage(
      wb.db,
      c.conversationId,
      {
        role: 'assistant',
        content: 'second answer',
      },
    );
    expect((await ok(wb, 'labels.get', { conversationId: c.conversationId })).suggestedAnswer).toBe('second answer');
    expect(
      (await ok(wb, 'labels.get', { conversationId: c.conversationId, messageId: c.assistantMessageId }))
        .suggestedAnswer,
    ).toBe('first answer');
    const chosen = await ok(wb, 'labels.save', {
      conversationId: c.conversationId,
      messageId: c.assistantMessageId,
      ...baseLabel,
    });
    expect(chosen.label.correctedAnswer).toBe('first answer');
    const explicit = await ok(wb, 'labels.save', {
      conversationId: c.conversationId,
      messageId: later,
      ...baseLabel,
      correctedAnswer: 'Escalate: spray.',
    });
    expect(explicit.label.correctedAnswer).toBe('Escalate: spray.');
    expect(explicit.queue).toBe('updated');
  });

  it('warns when there is no answer to train on yet', async () => {
    wb = await emptyWorkbench();
    const { conversationId } = addConversation(wb, { answer: null });
    const r = await ok(wb, 'labels.save', { conversationId, ...baseLabel });
    expect(r.label.correctedAnswer).toBeNull();
    expect(r.warnings[0]).toMatch(/no assistant answer/);
  });

  it('upserts one label per conversation and sends a decided example back to pending, saying so', async () => {
    wb = await emptyWorkbench('alice');
    const { conversationId } = addConversation(wb);
    const first = await ok(wb, 'labels.save', { conversationId, ...baseLabel });
    await ok(wb, 'review.decide', { labelIds: [first.label.id], decision: 'approve' }, 'bob');
    const again = await ok(
      wb,
      'labels.save',
      { conversationId, ...baseLabel, quality: 2, techniques: ['T1059.001'] },
      'carol',
    );
    expect(again.label.id).toBe(first.label.id);
    expect(again.label.createdAt).toBe(first.label.createdAt);
    expect(again.label.labeller).toBe('carol');
    expect(again.queue).toBe('requeued');
    expect(again.previousStatus).toBe('approved');
    expect(again.message).toMatch(/was approved and is back in the pending review queue/);
    expect(again.review).toMatchObject({ status: 'pending', reviewer: null, decidedAt: null, reason: null });
    expect(wb.db.prepare('SELECT COUNT(*) FROM training_labels').pluck().get()).toBe(1);
    expect(wb.db.prepare('SELECT COUNT(*) FROM reviews').pluck().get()).toBe(1);
    expect(wb.db.prepare('SELECT technique FROM label_techniques').pluck().all()).toEqual(['T1059.001']);
  });

  it('labels.get answers for an unlabelled conversation and refuses an unknown one', async () => {
    wb = await emptyWorkbench();
    const { conversationId } = addConversation(wb, { answer: 'model says benign' });
    expect(await ok(wb, 'labels.get', { conversationId })).toEqual({
      label: null,
      review: null,
      suggestedAnswer: 'model says benign',
    });
    expect((await fails(wb, 'labels.get', { conversationId: 4242 })).code).toBe('not_found');
  });
});

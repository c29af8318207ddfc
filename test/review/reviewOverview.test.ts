import { afterEach, describe, expect, it } from 'vitest';
import { addConversation, emptyWorkbench, ok, type TestWorkbench } from '../labels/labelFixtures';

let wb: TestWorkbench | null = null;
afterEach(async () => {
  await wb?.close();
  wb = null;
});

type Row = [threatType: string, techniques: string[], quality: number, decision: 'approve' | 'reject' | null];

// 24 examples, hand-built so every figure can be counted on paper.
const SET: Row[] = [
  // 12 credential access: 11 approved (T1110.003 = Credential Access), 1 rejected
  ...Array.from({ length: 11 }, (_, i): Row => ['credential access', ['T1110.003'], i < 6 ? 5 : 3, 'approve']),
  ['credential access', ['T1110'], 1, 'reject'],
  // 6 execution: 4 approved with two Execution techniques each (counted once per tactic), 2 pending
  ...Array.from({ length: 4 }, (): Row => ['execution', ['T1059.001', 'T1059.003'], 4, 'approve']),
  ['execution', ['T1059'], 2, null],
  ['execution', [], 2, null],
  // 6 discovery: 1 approved (T1046: Discovery), 3 rejected, 2 pending
  ['discovery', ['T1046'], 4, 'approve'],
  ...Array.from({ length: 3 }, (): Row => ['discovery', ['T1046'], 1, 'reject']),
  ['discovery', ['T1046'], 3, null],
  ['discovery', ['T1078'], 3, null],
];

describe('review.overview', () => {
  it('counts the figures and coverage of a hand-built set, flagging thin classes', async () => {
    wb = await emptyWorkbench();
    for (const [threatType, techniques, quality, decision] of SET) {
      const { conversationId } = addConversation(wb, { title: threatType });
      const r = await ok(wb, 'labels.save', {
        conversationId,
        verdict: 'true_positive',
        threatType,
        severity: 'medium',
        techniques,
        quality,
      });
      if (decision) await ok(wb, 'review.decide', { labelIds: [r.label.id], decision });
    }
    const o = await ok(wb, 'review.overview', {});
    expect(o).toMatchObject({ total: 24, pending: 4, approved: 16, rejected: 4 });
    // approved with quality >= 4: 6 (q5) + 4 (execution q4) + 1 (discovery q4)
    expect(o.highQuality).toBe(11);
    expect(o.approvalRate).toBeCloseTo(16 / 20);
    const qualitySum = SET.reduce((s, r) => s + r[2], 0);
    expect(o.averageQuality).toBeCloseTo(qualitySum / 24);
    expect(o.thinRule).toEqual({ minApproved: 10, minShare: 0.05 });

    expect(o.byThreatType.map((r) => [r.name, r.approved, r.pending, r.thin])).toEqual([
      ['credential access', 11, 0, false],
      ['execution', 4, 2, true], // < 10 approved
      ['discovery', 1, 2, true],
    ]);
    expect(o.byThreatType[0]!.share).toBeCloseTo(11 / 16);

    const tactic = Object.fromEntries(o.byTactic.map((r) => [r.name, r]));
    expect(o.byTactic).toHaveLength(14);
    expect(tactic['Credential Access']).toMatchObject({ key: 'TA0006', approved: 11, pending: 0, thin: false });
    expect(tactic['Execution']).toMatchObject({ key: 'TA0002', approved: 4, pending: 1, thin: true });
    expect(tactic['Discovery']).toMatchObject({ approved: 1, pending: 1, thin: true });
    // T1078 Valid Accounts spans four tactics; one pending example counts once in each
    for (const name of ['Defense Evasion', 'Persistence', 'Privilege Escalation', 'Initial Access']) {
      expect(tactic[name]).toMatchObject({ approved: 0, pending: 1, thin: true });
    }
    expect(tactic['Impact']).toMatchObject({ approved: 0, pending: 0, share: 0, thin: true });
  });

  it('is all zeros and nulls on an empty queue', async () => {
    wb = await emptyWorkbench();
    const o = await ok(wb, 'review.overview', {});
    expect(o).toMatchObject({
      total: 0,
      approved: 0,
      highQuality: 0,
      approvalRate: null,
      averageQuality: null,
      byThreatType: [],
    });
    expect(o.byTactic.every((t) => t.thin && t.approved === 0)).toBe(true);
  });
});

describe('ThrottledOverview', () => {
  it('recomputes after a change when cheap, and at most once per ten times its cost when not', async () => {
    const { ThrottledOverview } = await import('../../src-main/review/reviewCapability');
    let now = 0;
    let calls = 0;
    const t = new ThrottledOverview(() => now);
    const slow = () => {
      calls++;
      now += 500; // each computation "takes" 500 ms
      return { total: calls } as never;
    };
    expect(t.get(slow)).toEqual({ total: 1 });
    expect(t.get(slow)).toEqual({ total: 1 }); // unchanged queue: cached
    t.invalidate();
    now += 1000;
    expect(t.get(slow)).toEqual({ total: 1 }); // changed, but within 10 × 500 ms of the last run
    now += 4100;
    expect(t.get(slow)).toEqual({ total: 2 });
    const fast = () => ({ total: ++calls }) as never;
    const f = new ThrottledOverview(() => now);
    f.get(fast);
    f.invalidate();
    expect(f.get(fast)).toEqual({ total: 4 }); // 0 ms cost: fresh after every change
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { ReviewFilter, ReviewItem } from '../../src-main/contract/index';
import { addConversation, emptyWorkbench, fails, ok, type TestWorkbench } from '../labels/labelFixtures';
import { listReviewItems } from '../../src-main/review/reviewQueueRepo';
import { attackCatalogue } from '../../src-main/attack/attackCatalogue';

let wb: TestWorkbench | null = null;
afterEach(async () => {
  await wb?.close();
  wb = null;
});

interface Spec {
  title: string;
  sourceKind?: 'triage_chat' | 'imported_alert' | 'imported_example';
  verdict: 'true_positive' | 'benign' | 'false_positive';
  threatType: string;
  severity: 'info' | 'low' | 'medium' | 'high' | 'critical';
  techniques: string[];
  quality: number;
  labeller: string;
  body?: string;
  at?: number;
}

const SPECS: Spec[] = [
  {
    title: 'Password spray on VPN',
    verdict: 'true_positive',
    threatType: 'credential access',
    severity: 'high',
    techniques: ['T1110.003'],
    quality: 5,
    labeller: 'alice',
    at: 1_000,
  },
  {
    title: 'PowerShell download cradle',
    sourceKind: 'imported_alert',
    verdict: 'true_positive',
    threatType: 'execution',
    severity: 'critical',
    techniques: ['T1059.001', 'T1105'],
    quality: 4,
    labeller: 'bob',
    at: 2_000,
    body: 'kerberoast',
  },
  {
    title: 'Admin ran cmd',
    sourceKind: 'imported_alert',
    verdict: 'benign',
    threatType: 'execution',
    severity: 'low',
    techniques: ['T1059.003'],
    quality: 3,
    labeller: 'alice',
    at: 3_000,
  },
  {
    title: 'Scanner noise',
    sourceKind: 'imported_example',
    verdict: 'false_positive',
    threatType: 'discovery',
    severity: 'info',
    techniques: ['T1046'],
    quality: 2,
    labeller: 'carol',
    at: 4_000,
  },
  {
    title: 'Brute force root',
    verdict: 'true_positive',
    threatType: 'credential access',
    severity: 'medium',
    techniques: ['T1110'],
    quality: 1,
    labeller: 'bob',
    at: 5_000,
  },
];

/** Labels every spec through labels.save (as its labeller), then pins the labelled time. */
async function seed(w: TestWorkbench): Promise<number[]> {
  const ids: number[] = [];
  for (const s of SPECS) {
    const { conversationId } = addConversation(w, {
      title: s.title,
      ...(s.sourceKind ? { sourceKind: s.sourceKind } : {}),
      ...(s.body ? { body: s.body } : {}),
    });
    const r = await ok(
      w,
      'labels.save',
      {
        conversationId,
        verdict: s.verdict,
        threatType: s.threatType,
        severity: s.severity,
        techniques: s.techniques,
        quality: s.quality,
      },
      s.labeller,
    );
    w.db.prepare('UPDATE training_labels SET updated_at = ? WHERE id = ?').run(s.at, r.label.id);
    ids.push(r.label.id);
  }
  return ids;
}

async function titles(w: TestWorkbench, filter: ReviewFilter): Promise<string[]> {
  const r = await ok(w, 'review.list', { filter, limit: 100, withTotal: true });
  expect(r.total).toBe(r.items.length);
  expect((await ok(w, 'review.countByFilter', { filter })).count).toBe(r.items.length);
  return r.items.map((i: ReviewItem) => i.title).sort();
}

describe('review.list filters', () => {
  it.each<[string, ReviewFilter, string[]]>([
    ['status', { status: 'pending' }, SPECS.map((s) => s.title)],
    ['source kind', { sourceKind: 'imported_alert' }, ['Admin ran cmd', 'PowerShell download cradle']],
    [
      'verdict',
      { verdict: 'true_positive' },
      ['Brute force root', 'Password spray on VPN', 'PowerShell download cradle'],
    ],
    [
      'threat type (any case and spacing)',
      { threatType: '  Credential   ACCESS ' },
      ['Brute force root', 'Password spray on VPN'],
    ],
    ['severity', { severity: 'info' }, ['Scanner noise']],
    ['technique, with its sub-techniques', { technique: 'T1110' }, ['Brute force root', 'Password spray on VPN']],
    ['sub-technique exactly', { technique: 'T1059.001' }, ['PowerShell download cradle']],
    ['tactic', { tactic: 'TA0002' }, ['Admin ran cmd', 'PowerShell download cradle']],
    ['quality min', { qualityMin: 4 }, ['Password spray on VPN', 'PowerShell download cradle']],
    ['quality max', { qualityMax: 2 }, ['Brute force root', 'Scanner noise']],
    ['quality range', { qualityMin: 2, qualityMax: 3 }, ['Admin ran cmd', 'Scanner noise']],
    ['labeller', { labeller: 'bob' }, ['Brute force root', 'PowerShell download cradle']],
    ['date range', { from: 2_000, to: 4_000 }, ['Admin ran cmd', 'PowerShell download cradle']],
    ['text (title)', { text: 'spray' }, ['Password spray on VPN']],
    ['text (alert fields, prefix)', { text: 'kerbero' }, ['PowerShell download cradle']],
    ['combined', { status: 'pending', verdict: 'true_positive', labeller: 'bob', qualityMax: 3 }, ['Brute force root']],
    ['nothing matching', { threatType: 'impact' }, []],
  ])('%s', async (_name, filter, expected) => {
    wb = await emptyWorkbench();
    await seed(wb);
    expect(await titles(wb, filter)).toEqual([...expected].sort());
  });

  it('every query plan returns the same rows in the same order', async () => {
    wb = await emptyWorkbench();
    const ids = await seed(wb);
    await ok(wb, 'review.decide', { labelIds: [ids[1], ids[4]], decision: 'approve' });
    const filters: ReviewFilter[] = [
      { status: 'pending' },
      { status: 'approved', threatType: 'execution' },
      { status: 'pending', technique: 'T1059' },
      { status: 'pending', tactic: 'TA0006' },
      { status: 'approved', labeller: 'bob', text: 'brute' },
      { status: 'pending', sourceKind: 'imported_alert', qualityMin: 2, from: 1 },
    ];
    for (const filter of filters) {
      const run = (strategy: 'set' | 'walk' | 'sorted') =>
        listReviewItems(wb!.db, attackCatalogue, { filter, limit: 2, withTotal: true, strategy }).items.map(
          (i) => i.reviewId,
        );
      const expected = run('set');
      expect(run('walk'), JSON.stringify(filter)).toEqual(expected);
      expect(run('sorted'), JSON.stringify(filter)).toEqual(expected);
    }
  });

  it('status after decisions, and the tab counts', async () => {
    wb = await emptyWorkbench();
    const ids = await seed(wb);
    await ok(wb, 'review.decide', { labelIds: [ids[0], ids[1]], decision: 'approve' });
    await ok(wb, 'review.decide', { labelIds: [ids[3]], decision: 'reject', reason: 'noise' });
    expect(await titles(wb, { status: 'approved' })).toEqual(['Password spray on VPN', 'PowerShell download cradle']);
    expect(await titles(wb, { status: 'rejected' })).toEqual(['Scanner noise']);
    const c = await ok(wb, 'review.countByFilter', { filter: { status: 'approved', verdict: 'true_positive' } });
    expect(c).toEqual({ count: 2, byStatus: { pending: 1, approved: 2, rejected: 0 } });
  });

  it('pages with a cursor and with offsets, newest first, the same rows either way', async () => {
    wb = await emptyWorkbench();
    for (let i = 0; i < 23; i++) {
      const { conversationId } = addConversation(wb, { title: `c${i}` });
      await ok(wb, 'labels.save', { conversationId, verdict: 'benign', threatType: 'x', severity: 'low', quality: 3 });
    }
    // Same updated_at for many rows: the id breaks the tie.
    wb.db.prepare('UPDATE reviews SET updated_at = 7 WHERE id % 2 = 0').run();
    const viaCursor: number[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page: { items: ReviewItem[]; nextCursor: string | null } = await ok(wb, 'review.list', {
        filter: { status: 'pending' },
        limit: 5,
        cursor,
      });
      viaCursor.push(...page.items.map((i) => i.reviewId));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    const viaOffset: number[] = [];
    for (let off = 0; off < 25; off += 5) {
      const page = await ok(wb, 'review.list', { filter: { status: 'pending' }, limit: 5, offset: off });
      viaOffset.push(...page.items.map((i) => i.reviewId));
    }
    expect(viaCursor).toHaveLength(23);
    expect(new Set(viaCursor).size).toBe(23);
    expect(viaOffset).toEqual(viaCursor);
    const rows = wb.db
      .prepare("SELECT id FROM reviews WHERE status = 'pending' ORDER BY updated_at DESC, id ASC")
      .pluck()
      .all();
    expect(viaCursor).toEqual(rows);
    expect((await fails(wb, 'review.list', { filter: {}, cursor: 'nonsense' })).code).toBe('invalid_request');
  });

  it('review.get shows the prompt, the answer it will train on, and technique names', async () => {
    wb = await emptyWorkbench();
    const { conversationId } = addConversation(wb, { user: 'Triage this spray', answer: 'model answer' });
    const saved = await ok(wb, 'labels.save', {
      conversationId,
      verdict: 'true_positive',
      threatType: 'credential access',
      severity: 'high',
      techniques: ['T1110.003'],
      quality: 5,
      notes: 'n',
      correctedAnswer: 'Escalate: password spray.',
    });
    const d = await ok(wb, 'review.get', { labelId: saved.label.id });
    expect(d.prompt).toEqual([{ role: 'user', content: 'Triage this spray' }]);
    expect(d).toMatchObject({
      answer: 'Escalate: password spray.',
      answerIsCorrected: true,
      notes: 'n',
      status: 'pending',
    });
    expect(d.techniqueNames).toEqual([
      { id: 'T1110.003', name: 'Brute Force: Password Spraying', tactics: ['Credential Access'] },
    ]);
    expect((await fails(wb, 'review.get', { labelId: 999 })).code).toBe('not_found');
  });

  it('facets list labellers and threat types with counts', async () => {
    wb = await emptyWorkbench();
    await seed(wb);
    const f = await ok(wb, 'review.facets', {});
    expect(f.labellers).toEqual([
      { name: 'alice', count: 2 },
      { name: 'bob', count: 2 },
      { name: 'carol', count: 1 },
    ]);
    expect(f.threatTypes[0]).toEqual({ name: 'credential access', count: 2 });
  });
});

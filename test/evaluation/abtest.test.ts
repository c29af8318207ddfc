import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { writeTinyModel } from '../../src-main/gguf/tinyModel';
import type {
  CompareStarted,
  CompareState,
  ModelSummary,
  PairStats,
  AnalystCount,
  VoteResult,
} from '../../src-main/contract/index';
import { insertVote } from '../../src-main/evaluation/abVotesRepo';
import { wilsonInterval } from '../../src-main/evaluation/metrics';
import { ok } from '../datasets/helpers';
import { tmpDir } from '../cli/evalWorkspace';

const open: Workbench[] = [];
afterEach(async () => {
  for (const wb of open.splice(0)) await wb.close();
});

async function workspace() {
  const dataDir = tmpDir('tw-ab-');
  const wb = await createWorkbench({ dataDir, seed: false, actor: 'ann' });
  open.push(wb);
  const add = async (name: string, seed: number) => {
    const file = path.join(dataDir, `${name}.gguf`);
    writeTinyModel(file, { seed, name });
    return ok<ModelSummary>(await wb.invoke('models.addLocal', { path: file, name }));
  };
  return { wb, base: await add('base', 1), ft: await add('ft-3', 2) };
}

function bothDone(wb: Workbench, id: string): Promise<void> {
  const seen = new Set<string>();
  return new Promise((resolve) => {
    const off = wb.bus.on('compare.done', (e) => {
      if (e.comparisonId !== id) return;
      seen.add(e.side);
      if (seen.size === 2) {
        off();
        resolve();
      }
    });
  });
}

describe('side by side and blind A/B', () => {
  it('streams both sides, hides the names until the vote, and stores the vote with the real models', async () => {
    const { wb, base, ft } = await workspace();
    const tokens = { a: '', b: '' };
    wb.bus.on('compare.token', (e) => {
      tokens[e.side] += e.text;
    });
    const started = ok<CompareStarted>(
      await wb.invoke('compare.start', {
        prompt: '40 failed ssh logins then a success',
        modelAId: base.id,
        modelBId: ft.id,
        maxTokens: 12,
      }),
    );
    expect(started.blind).toBe(true);
    expect(started.sides.map((s) => [s.modelId, s.modelName])).toEqual([
      [null, null],
      [null, null],
    ]);
    const finished = bothDone(wb, started.comparisonId);
    // a vote before both answers are in is refused (unless it was very fast)
    const early = await wb.invoke('abtest.vote', { comparisonId: started.comparisonId, vote: 'a' });
    if (!early.ok) expect(early.error.code).toBe('conflict');
    await finished;
    const state = ok<CompareState>(await wb.invoke('compare.get', { comparisonId: started.comparisonId }));
    expect(state.answers.a.text).toBe(tokens.a);
    expect(state.answers.b.text).toBe(tokens.b);
    expect(state.answers.a.done && state.answers.b.done).toBe(true);
    if (early.ok) return; // voted already; the rest is covered by the other path
    expect(state.sides[0].modelId).toBeNull();

    const vote = ok<VoteResult>(await wb.invoke('abtest.vote', { comparisonId: started.comparisonId, vote: 'b' }));
    const sideB = vote.sides.find((s) => s.side === 'b')!;
    expect([base.id, ft.id]).toContain(sideB.modelId);
    const row = wb.db.prepare('SELECT * FROM ab_votes WHERE id = ?').get(vote.voteId) as Record<string, unknown>;
    expect(row).toMatchObject({
      model_b_id: sideB.modelId,
      model_a_id: vote.sides.find((s) => s.side === 'a')!.modelId,
      vote: 'b',
      analyst: 'ann',
      blind: 1,
      answer_a: state.answers.a.text,
      answer_b: state.answers.b.text,
    });
    expect(await wb.invoke('abtest.vote', { comparisonId: started.comparisonId, vote: 'a' })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
    // revealed now
    const after = ok<CompareState>(await wb.invoke('compare.get', { comparisonId: started.comparisonId }));
    expect(after.sides[1].modelId).toBe(sideB.modelId);
    expect(after.vote).toBe('b');
  });

  it('randomises the sides in blind mode and keeps them in order when not blind', async () => {
    const { wb, base, ft } = await workspace();
    const firstOnA = new Set<boolean>();
    for (let i = 0; i < 12; i++) {
      const s = ok<CompareStarted>(
        await wb.invoke('compare.start', { prompt: `p${i}`, modelAId: base.id, modelBId: ft.id, maxTokens: 1 }),
      );
      await bothDone(wb, s.comparisonId);
      const v = ok<VoteResult>(await wb.invoke('abtest.vote', { comparisonId: s.comparisonId, vote: 'tie' }));
      firstOnA.add(v.sides[0].modelId === base.id);
    }
    expect([...firstOnA].sort()).toEqual([false, true]);
    const open = ok<CompareStarted>(
      await wb.invoke('compare.start', { prompt: 'x', modelAId: base.id, modelBId: ft.id, blind: false, maxTokens: 1 }),
    );
    expect(open.sides.map((s) => s.modelName)).toEqual(['base', 'ft-3']);
    await bothDone(wb, open.comparisonId);
    expect(await wb.invoke('compare.start', { prompt: 'x', modelAId: base.id, modelBId: base.id })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
  });

  it('computes win rates with a 95% Wilson interval and counts per analyst', async () => {
    const { wb, base, ft } = await workspace();
    const v = (vote: 'a' | 'b' | 'tie' | 'both_bad', a: number, b: number, analyst: string) =>
      insertVote(wb.db, {
        prompt: 'p',
        task: 'triage',
        modelAId: a,
        modelBId: b,
        vote,
        analyst,
        blind: true,
        answerA: '',
        answerB: '',
      });
    // base wins 7 (4 on side A, 3 on side B), ft-3 wins 3, 2 ties, 1 both bad
    for (let i = 0; i < 4; i++) v('a', base.id, ft.id, 'ann');
    for (let i = 0; i < 3; i++) v('b', ft.id, base.id, 'bob');
    for (let i = 0; i < 3; i++) v('a', ft.id, base.id, 'bob');
    v('tie', base.id, ft.id, 'ann');
    v('tie', ft.id, base.id, 'cy');
    v('both_bad', base.id, ft.id, 'cy');
    const stats = ok<{ pairs: PairStats[]; analysts: AnalystCount[]; total: number }>(
      await wb.invoke('abtest.stats', {}),
    );
    expect(stats.total).toBe(13);
    const pair = stats.pairs[0]!;
    expect(pair).toMatchObject({
      modelX: { id: base.id, name: 'base' },
      modelY: { id: ft.id },
      xWins: 7,
      yWins: 3,
      ties: 2,
      bothBad: 1,
      total: 13,
    });
    expect(pair.winRateX).toBe(0.7);
    // Wilson 95% for 7/10, by hand: centre (0.7 + z²/20)/(1 + z²/10), half-width z·√(0.021 + z²/400)/(1 + z²/10)
    const z2 = 1.959964 ** 2;
    const denom = 1 + z2 / 10;
    const centre = (0.7 + z2 / 20) / denom;
    const half = (1.959964 * Math.sqrt(0.021 + z2 / 400)) / denom;
    expect(pair.interval!.low).toBeCloseTo(centre - half, 10);
    expect(pair.interval!.high).toBeCloseTo(centre + half, 10);
    expect(pair.interval!.low).toBeCloseTo(0.3968, 3);
    expect(pair.interval!.high).toBeCloseTo(0.8922, 3);
    expect(wilsonInterval(7, 10)!.low).toBeCloseTo(pair.interval!.low, 12);
    expect(stats.analysts).toEqual([
      { analyst: 'bob', votes: 6, a: 3, b: 3, tie: 0, bothBad: 0 },
      { analyst: 'ann', votes: 5, a: 4, b: 0, tie: 1, bothBad: 0 },
      { analyst: 'cy', votes: 2, a: 0, b: 0, tie: 1, bothBad: 1 },
    ]);
    const onlyTies = (await workspace()).wb;
    insertVote(onlyTies.db, {
      prompt: 'p',
      task: 'triage',
      modelAId: 2,
      modelBId: 3,
      vote: 'tie',
      analyst: 'x',
      blind: false,
      answerA: '',
      answerB: '',
    });
    const none = ok<{ pairs: PairStats[] }>(await onlyTies.invoke('abtest.stats', {})).pairs[0]!;
    expect([none.winRateX, none.interval]).toEqual([null, null]);
  });
});

/**
 * The CLI on a real workspace: two generated tiny models (different seeds) answer a small labelled test
 * split through `triage-workbench eval`, and the metrics it stores are checked against a computation by
 * hand from the stored per-example results. The CI gate's exit code is tested both ways.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/runCli';
import type { EvaluationDetail, ModelEvalMetrics } from '../../src-main/contract/index';
import { buildEvalWorkspace, tmpDir, type EvalWorkspace } from './evalWorkspace';

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[]): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

interface StoredResult {
  model_id: number;
  expected: string;
  predicted: string | null;
  valid: number;
  latency_ms: number;
  completion_tokens: number;
}

/** The verdict field by hand: a plain confusion table, per-class P/R/F1, macro-F1 over labelled classes. */
function verdictByHand(rows: StoredResult[]) {
  const classes = ['true_positive', 'benign', 'false_positive'];
  const cell = new Map<string, number>();
  let correct = 0;
  for (const r of rows) {
    const e = (JSON.parse(r.expected) as { verdict: string }).verdict;
    const p = r.predicted ? (JSON.parse(r.predicted) as { verdict: string }).verdict : '<invalid>';
    cell.set(`${e}|${p}`, (cell.get(`${e}|${p}`) ?? 0) + 1);
    if (e === p) correct++;
  }
  const f1s: number[] = [];
  for (const c of classes) {
    const tp = cell.get(`${c}|${c}`) ?? 0;
    let support = 0;
    let predicted = 0;
    for (const [k, n] of cell) {
      const [e, p] = k.split('|');
      if (e === c) support += n;
      if (p === c) predicted += n;
    }
    if (support === 0) continue;
    const precision = predicted ? tp / predicted : 0;
    const recall = tp / support;
    f1s.push(precision + recall ? (2 * precision * recall) / (precision + recall) : 0);
  }
  const latencies = rows.map((r) => r.latency_ms).sort((a, b) => a - b);
  return {
    accuracy: correct / rows.length,
    macroF1: f1s.reduce((a, b) => a + b, 0) / f1s.length,
    invalidRate: rows.filter((r) => r.valid === 0).length / rows.length,
    p50: latencies[Math.ceil(latencies.length / 2) - 1],
    cell: (e: string, p: string) => cell.get(`${e}|${p}`) ?? 0,
  };
}

describe('triage-workbench eval (CLI on the core)', () => {
  let ws: EvalWorkspace;
  let first: EvaluationDetail;
  const evalArgs = () => [
    '--data-dir',
    ws.dataDir,
    'eval',
    '--models',
    'base,ft-3',
    '--dataset',
    String(ws.versionId),
    '--temperature',
    '1',
    '--seed',
    '7',
    '--max-tokens',
    '1024',
    '--parallel',
    '3',
  ];

  beforeAll(async () => {
    ws = await buildEvalWorkspace(tmpDir('tw-cli-eval-'), { examples: 24 });
  }, 120_000);

  it('evaluates two generated models and prints the run as JSON', async () => {
    const r = await cli([...evalArgs(), '--json']);
    expect(r.code, r.err).toBe(0);
    const parsed = JSON.parse(r.out) as { evaluation: EvaluationDetail; gate: null };
    first = parsed.evaluation;
    expect(first.status).toBe('succeeded');
    expect(first.models.map((m) => m.name)).toEqual(['base', 'ft-3']);
    expect(first.progress).toEqual({ done: 2 * ws.testCount, total: 2 * ws.testCount });
    for (const m of first.metrics) {
      expect(m.done).toBe(ws.testCount);
      expect(m.parallel).toBe(3);
      expect(m.badges.map((b) => b.label)).toEqual([
        'Accuracy > 90%',
        'Precision > 85% on high severity',
        'Recall > 95% on critical',
      ]);
    }
  }, 300_000);

  it('stores metrics that match a hand computation from the stored per-example results', () => {
    const db = new Database(path.join(ws.dataDir, 'workbench.db'), { readonly: true });
    try {
      const stored = JSON.parse(
        (db.prepare('SELECT metrics FROM evaluations WHERE id = ?').get(first.id) as { metrics: string }).metrics,
      ) as ModelEvalMetrics[];
      expect(stored).toEqual(first.metrics);
      for (const m of stored) {
        const rows = db
          .prepare('SELECT * FROM evaluation_results WHERE evaluation_id = ? AND model_id = ? ORDER BY id')
          .all(first.id, m.modelId) as StoredResult[];
        expect(rows).toHaveLength(ws.testCount);
        const hand = verdictByHand(rows);
        expect(m.accuracy).toBeCloseTo(hand.accuracy, 12);
        expect(m.fields.verdict.macroF1).toBeCloseTo(hand.macroF1, 12);
        expect(m.invalidRate).toBeCloseTo(hand.invalidRate, 12);
        expect(m.latencyMs.p50).toBe(hand.p50);
        expect(m.completionTokens).toBe(rows.reduce((a, r) => a + r.completion_tokens, 0));
        const { labels, cells } = m.fields.verdict.confusion;
        for (const e of labels)
          for (const p of labels) expect(cells[labels.indexOf(e)]![labels.indexOf(p)]).toBe(hand.cell(e, p));
        // the same numbers printed for people
        expect(m.badges[0]!.pass).toBe(hand.accuracy > 0.9);
      }
    } finally {
      db.close();
    }
  });

  it('exits 1 when macro-F1 drops more than the threshold below the baseline, 0 when within it', async () => {
    const [base, ft] = first.metrics as [ModelEvalMetrics, ModelEvalMetrics];
    const drop = base.fields.verdict.macroF1! - ft.fields.verdict.macroF1!;
    expect(Math.abs(drop), 'the two generated models should score differently on this set').toBeGreaterThan(0);
    // The better model is the baseline, so the other one "drops" by |drop|.
    const baseline = drop > 0 ? 'base' : 'ft-3';
    const gap = Math.abs(drop);

    const failing = await cli([...evalArgs(), '--fail-if-macro-f1-drop', String(gap / 2), '--baseline', baseline]);
    expect(failing.code, failing.err).toBe(1);
    expect(failing.out).toMatch(/Gate FAILED\./);

    const passing = await cli([
      ...evalArgs(),
      '--json',
      '--fail-if-macro-f1-drop',
      String(gap + 0.01),
      '--baseline',
      baseline,
    ]);
    expect(passing.code, passing.err).toBe(0);
    const gate = (JSON.parse(passing.out) as { gate: { pass: boolean; checks: { drop: number }[] } }).gate;
    expect(gate.pass).toBe(true);
    // Same seeds, same examples: the re-run reproduces the first run's scores.
    expect(gate.checks[0]!.drop).toBeCloseTo(gap, 12);
  }, 300_000);

  it('exits 2 on usage errors and says why', async () => {
    const noSource = await cli(['--data-dir', ws.dataDir, 'eval', '--models', 'base']);
    expect(noSource.code).toBe(2);
    expect(noSource.err).toMatch(/--dataset/);
    const unknownModel = await cli([
      '--data-dir',
      ws.dataDir,
      'eval',
      '--models',
      'nope',
      '--dataset',
      String(ws.versionId),
    ]);
    expect(unknownModel.code).toBe(2);
    expect(unknownModel.err).toMatch(/No model "nope"/);
    const badFlag = await cli(['--data-dir', ws.dataDir, 'eval', '--bogus']);
    expect(badFlag.code).toBe(2);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/eval/);
  });

  it('lists models, promotes and rolls back from the command line', async () => {
    const listed = await cli(['--data-dir', ws.dataDir, 'models', '--json']);
    expect(listed.code).toBe(0);
    const items = JSON.parse(listed.out) as {
      id: number;
      name: string;
      parentName: string | null;
      latestEvaluation: unknown;
    }[];
    const ft = items.find((m) => m.name === 'ft-3')!;
    expect(ft.parentName).toBe('base');
    expect(ft.latestEvaluation).not.toBeNull();
    expect((await cli(['--data-dir', ws.dataDir, 'promote', 'ft-3', '--task', 'triage'])).code).toBe(0);
    const back = await cli(['--data-dir', ws.dataDir, 'rollback', '--task', 'triage', '--json']);
    expect(back.code).toBe(0);
    expect((JSON.parse(back.out) as { modelId: number }).modelId).not.toBe(ws.ftId);
    // nothing earlier than the demo model: a second roll-back is refused
    const again = await cli(['--data-dir', ws.dataDir, 'rollback', '--task', 'triage']);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/no earlier triage model/);
  });

  it('exports a dataset version for fine-tuning', async () => {
    const out = tmpDir('tw-cli-export-');
    const r = await cli([
      '--data-dir',
      ws.dataDir,
      'export',
      String(ws.versionId),
      '--format',
      'sharegpt',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out) as { path: string; examples: number };
    expect(res.path.startsWith(out)).toBe(true);
    expect(res.examples).toBeGreaterThan(0);
    const bad = await cli(['--data-dir', ws.dataDir, 'export', String(ws.versionId), '--format', 'csv']);
    expect(bad.code).toBe(2);
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import type {
  EndpointSummary,
  EvaluationDetail,
  EvaluationHistoryPoint,
  EvaluationResultRow,
  EvaluationSummary,
  Job,
  ModelSummary,
} from '../../src-main/contract/index';
import { startOpenAIStandin, type OpenAIStandin } from '../standin/openaiStandin';
import { ok } from '../datasets/helpers';
import { buildEvalWorkspace, tmpDir, type EvalWorkspace } from '../cli/evalWorkspace';

const open: Workbench[] = [];
afterEach(async () => {
  for (const wb of open.splice(0)) await wb.close();
});

async function openWs(dataDir: string): Promise<Workbench> {
  const wb = await createWorkbench({ dataDir, seed: false, actor: 'eve' });
  open.push(wb);
  return wb;
}

async function until(wb: Workbench, id: number, statuses: string[]): Promise<EvaluationDetail> {
  for (;;) {
    const d = ok<EvaluationDetail>(await wb.invoke('evaluation.get', { id }));
    if (statuses.includes(d.status)) return d;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('evaluation runs on the local runtime', () => {
  let ws: EvalWorkspace;
  beforeAll(async () => {
    ws = await buildEvalWorkspace(tmpDir('tw-eval-runs-'), { examples: 16 });
  }, 120_000);

  it('cancels mid-run and resumes without asking answered examples again', async () => {
    const wb = await openWs(ws.dataDir);
    let cancelled = false;
    const started = ok<EvaluationDetail>(
      await wb.invoke('evaluation.start', {
        modelIds: [ws.baseId],
        source: { kind: 'dataset', versionId: ws.versionId, split: 'train' },
        options: { parallel: 1, temperature: 0.8, maxTokens: 1024 },
      }),
    );
    expect(['queued', 'running']).toContain(started.status);
    const total = started.progress.total;
    expect(total).toBeGreaterThan(4);
    wb.bus.on('evaluation.progress', (e) => {
      if (!cancelled && e.evaluationId === started.id && e.done >= 2) {
        cancelled = true;
        void wb.invoke('evaluation.cancel', { id: started.id });
      }
    });
    const stopped = await until(wb, started.id, ['cancelled', 'succeeded', 'failed']);
    expect(stopped.status).toBe('cancelled');
    const before = wb.db
      .prepare('SELECT id, example_ref, raw_output FROM evaluation_results WHERE evaluation_id = ? ORDER BY id')
      .all(started.id) as { id: number; example_ref: string; raw_output: string }[];
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(before.length).toBeLessThan(total);
    expect(ok<Job>(await wb.invoke('jobs.get', { id: stopped.jobId! })).status).toBe('cancelled');
    // partial metrics are there while it is not finished
    expect(stopped.metrics[0]!.done).toBe(before.length);

    ok<EvaluationSummary>(await wb.invoke('evaluation.resume', { id: started.id }));
    const done = await until(wb, started.id, ['succeeded', 'failed', 'cancelled']);
    expect(done.status).toBe('succeeded');
    const after = wb.db
      .prepare('SELECT id, example_ref, raw_output FROM evaluation_results WHERE evaluation_id = ? ORDER BY id')
      .all(started.id) as { id: number; example_ref: string; raw_output: string }[];
    expect(after).toHaveLength(total);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(new Set(after.map((r) => r.example_ref)).size).toBe(total);
    expect(done.metrics[0]!.done).toBe(total);
    expect(await wb.invoke('evaluation.resume', { id: started.id })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
  }, 300_000);

  it('drills down from a confusion-matrix cell to exactly the examples in it', async () => {
    const wb = await openWs(ws.dataDir);
    const started = ok<EvaluationDetail>(
      await wb.invoke('evaluation.start', {
        modelIds: [ws.baseId, ws.ftId],
        source: { kind: 'dataset', versionId: ws.versionId, split: 'test' },
        options: { parallel: 2, temperature: 1, maxTokens: 1024 },
      }),
    );
    const done = await until(wb, started.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    for (const m of done.metrics) {
      for (const field of ['verdict', 'severity', 'technique'] as const) {
        const { labels, cells } = m.fields[field].confusion;
        let checked = 0;
        for (const [i, expected] of labels.entries()) {
          for (const [j, predicted] of labels.entries()) {
            const r = ok<{ items: EvaluationResultRow[]; total: number }>(
              await wb.invoke('evaluation.results', { id: done.id, modelId: m.modelId, field, expected, predicted }),
            );
            expect(r.total).toBe(cells[i]![j]);
            expect(r.items.every((x) => x.modelId === m.modelId)).toBe(true);
            checked += r.total;
          }
        }
        expect(checked).toBe(ws.testCount);
      }
    }
    const page = ok<{ items: EvaluationResultRow[]; total: number }>(
      await wb.invoke('evaluation.results', { id: done.id, modelId: ws.baseId, limit: 3 }),
    );
    expect(page.total).toBe(ws.testCount);
    expect(page.items).toHaveLength(3);
    expect(page.items[0]!.title).toMatch(/^Alert \d+/);
    const history = ok<{ items: EvaluationHistoryPoint[] }>(
      await wb.invoke('evaluation.history', { task: 'triage' }),
    ).items;
    expect(history.filter((h) => h.evaluationId === done.id).map((h) => h.modelName)).toEqual(['base', 'ft-3']);
    expect(history.find((h) => h.modelName === 'ft-3')!.parentModelId).toBe(ws.baseId);
  }, 300_000);

  it('refuses an empty split, unknown and archived models', async () => {
    const wb = await openWs(ws.dataDir);
    expect(
      await wb.invoke('evaluation.start', { modelIds: [9999], source: { kind: 'dataset', versionId: ws.versionId } }),
    ).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(
      await wb.invoke('evaluation.start', { modelIds: [ws.baseId], source: { kind: 'dataset', versionId: 9999 } }),
    ).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(
      await wb.invoke('evaluation.start', {
        modelIds: [ws.baseId],
        source: { kind: 'filter', filter: { task: 'incident' } },
      }),
    ).toMatchObject({ ok: false, error: { code: 'bad_input' } });
  });
});

describe('evaluation runs on a remote endpoint', () => {
  let standin: OpenAIStandin;
  beforeAll(async () => {
    standin = await startOpenAIStandin({ apiKey: 'sk-test-eval', models: ['gpt-4o-mini'] });
    // A schema-valid triage answer (the stand-in's generic schema example has no ATT&CK-shaped ids).
    standin.route('POST', '/v1/chat/completions', (ctx) => {
      const body = ctx.body as { model: string; stream?: boolean };
      if (body.stream === true) {
        ctx.error(400, 'this test answers without streaming');
        return;
      }
      const answer = {
        verdict: 'benign',
        threat_type: 'execution',
        severity: 'low',
        techniques: ['T1059'],
        rationale: 'ok',
      };
      ctx.json(200, standin.completionBody(body.model, JSON.stringify(answer), 40, 12, 'stop'));
    });
  });
  afterAll(async () => {
    await standin?.close();
  });

  it('keeps at most `concurrency` requests in flight and prices the answers', async () => {
    const ws = await buildEvalWorkspace(tmpDir('tw-eval-remote-'), { examples: 20 });
    const wb = await openWs(ws.dataDir);
    const ep = ok<EndpointSummary>(
      await wb.invoke('endpoints.add', {
        name: 'stand-in',
        kind: 'openai_compatible',
        baseUrl: `${standin.url}/`,
        apiKey: 'sk-test-eval',
      }),
    );
    const remote = ok<ModelSummary>(
      await wb.invoke('models.addRemote', { endpointId: ep.id, remoteModel: 'gpt-4o-mini', name: 'remote mini' }),
    );
    ok(await wb.invoke('evaluation.setPrices', { prices: { 'gpt-4o-mini': { input: 1, output: 2 } } }));
    const run = async (concurrency: number) => {
      standin.fail({ type: 'delay', ms: 300 }, { times: 8 });
      const t0 = performance.now();
      const started = ok<EvaluationDetail>(
        await wb.invoke('evaluation.start', {
          modelIds: [remote.id],
          source: { kind: 'dataset', versionId: ws.versionId, split: 'train' },
          options: { concurrency, limit: 8 },
        }),
      );
      const done = await until(wb, started.id, ['succeeded', 'failed']);
      return { done, ms: performance.now() - t0 };
    };
    const two = await run(2);
    expect(two.done.status, two.done.error ?? '').toBe('succeeded');
    // eight 300 ms answers, two at a time: at least four rounds
    expect(two.ms).toBeGreaterThanOrEqual(4 * 300 - 50);
    const m = two.done.metrics[0]!;
    expect(m).toMatchObject({ done: 8, invalid: 0, parallel: 2 });
    const rows = wb.db
      .prepare('SELECT prompt_tokens, completion_tokens FROM evaluation_results WHERE evaluation_id = ?')
      .all(two.done.id) as { prompt_tokens: number; completion_tokens: number }[];
    const cost = rows.reduce((a, r) => a + (r.prompt_tokens * 1 + r.completion_tokens * 2) / 1e6, 0);
    expect(cost).toBeGreaterThan(0);
    expect(m.costUsd).toBeCloseTo(cost, 12);
    const eight = await run(8);
    expect(eight.done.metrics[0]!.parallel).toBe(8);
    expect(eight.ms).toBeLessThan(two.ms);
  }, 120_000);
});

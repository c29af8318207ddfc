import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { writeTinyModel } from '../../src-main/gguf/tinyModel';
import type { Capability } from '../../src-main/core/capability';
import type { JobRunner } from '../../src-main/jobs/jobEngine';
import type {
  EvaluationExpected,
  ModelSummary,
  TriggerCheck,
  TriggerNotice,
  TriggerRules,
} from '../../src-main/contract/index';
import { insertEvaluation, setEvaluationStatus } from '../../src-main/evaluation/evaluationsRepo';
import { scoreModel, type ScoredRow } from '../../src-main/evaluation/scoreModel';
import { addMany, ok } from '../datasets/helpers';
import { tmpDir } from '../cli/evalWorkspace';

const open: Workbench[] = [];
afterEach(async () => {
  for (const wb of open.splice(0)) await wb.close();
});

/** A local trainer stand-in: it only records the jobs it is given. */
function fakeTrainer(seen: Record<string, unknown>[]): Capability {
  const runner: JobRunner = {
    kind: 'local_train',
    exclusive: true,
    onRestart: 'interrupt',
    async run(ctx) {
      seen.push(ctx.job.params);
      return { status: 'succeeded' };
    },
  };
  return {
    name: 'fake-trainer',
    handlers: {},
    start: ({ services }) => services.get('jobs').register(runner, { replace: true }),
  };
}

/** A build with no local trainer: the "training is not available" paths. */
const noTrainer: Capability = {
  name: 'no-trainer',
  handlers: {},
  start: ({ services }) => services.get('jobs').unregister('local_train'),
};

async function workspace(extra: Capability[] = []) {
  const dataDir = tmpDir('tw-triggers-');
  const wb = await createWorkbench({ dataDir, seed: false, actor: 'ann', extraCapabilities: extra });
  open.push(wb);
  const add = async (name: string, seed: number) => {
    const file = path.join(dataDir, `${name}.gguf`);
    writeTinyModel(file, { seed, name });
    return ok<ModelSummary>(await wb.invoke('models.addLocal', { path: file, name }));
  };
  return { wb, add };
}

const x = (verdict: EvaluationExpected['verdict']): EvaluationExpected => ({
  verdict,
  severity: 'low',
  threatType: 't',
  techniques: [],
});

/** A finished evaluation whose models got `right` of 10 verdicts right. */
function storeEvaluation(wb: Workbench, models: { id: number; right: number }[]): number {
  const id = insertEvaluation(wb.db, {
    name: 'stored',
    source: { kind: 'filter', filter: { task: 'triage' } },
    modelIds: models.map((m) => m.id),
    options: { parallel: 1, concurrency: 1, maxTokens: 64, temperature: 0, seed: 1 },
    examples: 10,
  });
  const metrics = models.map((m) => {
    const rows: ScoredRow[] = Array.from({ length: 10 }, (_, i) => ({
      expected: x(i % 2 ? 'benign' : 'true_positive'),
      predicted: x(i < m.right ? (i % 2 ? 'benign' : 'true_positive') : i % 2 ? 'true_positive' : 'benign'),
      latencyMs: 1,
      promptTokens: 1,
      completionTokens: 1,
      costUsd: null,
      error: null,
    }));
    return scoreModel(
      { modelId: m.id, modelName: `m${m.id}`, kind: 'local_gguf', total: 10, wallMs: 1, parallel: 1 },
      rows,
    );
  });
  setEvaluationStatus(wb.db, id, 'succeeded', { metrics, finished: true });
  return id;
}

describe('retraining triggers and alerts', () => {
  it('suggests retraining once enough approved examples are new, once per step, and says when training is unavailable', async () => {
    const { wb } = await workspace([noTrainer]);
    const rules = ok<TriggerRules>(await wb.invoke('triggers.rules', {}));
    expect(rules.newApproved).toMatchObject({ enabled: true, minExamples: 200, autoTrain: false });
    ok(
      await wb.invoke('triggers.setRules', {
        ...rules,
        newApproved: { ...rules.newApproved, minExamples: 5, autoTrain: true },
      }),
    );
    addMany(wb.db, 4, () => ({ status: 'approved' }));
    addMany(wb.db, 3, () => ({ status: 'pending' }), 100);
    expect(ok<TriggerCheck>(await wb.invoke('triggers.check', {})).raised).toEqual([]);

    const events: string[] = [];
    wb.bus.on('triggers.raised', (e) => events.push(e.rule));
    addMany(wb.db, 1, () => ({ status: 'approved' }), 200);
    const check = ok<TriggerCheck>(await wb.invoke('triggers.check', {}));
    expect(check.trainingAvailable).toBe(false);
    expect(check.raised).toHaveLength(1);
    const n = check.raised[0]!;
    expect(n).toMatchObject({ kind: 'suggestion', rule: 'newApproved', task: 'triage', jobId: null });
    expect(n.message).toMatch(/^5 approved triage examples/);
    expect(n.message).toMatch(/Local training is not available/);
    expect(events).toEqual(['newApproved']);
    // the same situation is not raised twice, even after it is dismissed
    expect(ok<TriggerCheck>(await wb.invoke('triggers.check', {})).raised).toEqual([]);
    ok(await wb.invoke('triggers.dismiss', { id: n.id }));
    expect(ok<TriggerCheck>(await wb.invoke('triggers.check', {})).raised).toEqual([]);
    expect(ok<{ items: TriggerNotice[] }>(await wb.invoke('triggers.list', {})).items).toEqual([]);
    // five more: the next step raises a new suggestion
    addMany(wb.db, 5, () => ({ status: 'approved' }), 300);
    expect(ok<TriggerCheck>(await wb.invoke('triggers.check', {})).raised).toHaveLength(1);
  });

  it('starts a local training job automatically when a trainer is registered', async () => {
    const seen: Record<string, unknown>[] = [];
    const { wb } = await workspace([fakeTrainer(seen)]);
    const rules = ok<TriggerRules>(await wb.invoke('triggers.rules', {}));
    ok(
      await wb.invoke('triggers.setRules', {
        ...rules,
        newApproved: { ...rules.newApproved, minExamples: 6, autoTrain: true },
      }),
    );
    addMany(wb.db, 8, () => ({ status: 'approved' }));
    const check = ok<TriggerCheck>(await wb.invoke('triggers.check', {}));
    expect(check.trainingAvailable).toBe(true);
    const n = check.raised[0]!;
    expect(n.jobId).not.toBeNull();
    expect(n.message).toMatch(new RegExp(`Training job #${n.jobId} was started automatically`));
    await wb.services.get('jobs').idle();
    const demoId = ok<{ items: ModelSummary[] }>(await wb.invoke('models.list', {})).items[0]!.id;
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ task: 'triage_priority', baseModelId: demoId });
    const versionId = seen[0]!.datasetVersionId as number;
    const examples = wb.db
      .prepare('SELECT COUNT(*) AS n FROM dataset_examples WHERE dataset_version_id = ?')
      .get(versionId) as { n: number };
    expect(examples.n).toBe(8);
  });

  it('counts only examples the active model was not trained on', async () => {
    const { wb, add } = await workspace();
    addMany(wb.db, 10, () => ({ status: 'approved' }));
    const version = ok<{ id: number }>(
      await wb.invoke('datasets.createVersion', {
        name: 'v',
        filter: { task: 'triage' },
        options: { limits: { min: 1, max: 100 }, secrets: { fix: 'redact' } },
      }),
    );
    const ft = await add('ft-1', 3);
    ok(await wb.invoke('registry.setLineage', { modelId: ft.id, datasetVersionId: version.id }));
    ok(await wb.invoke('registry.promote', { task: 'triage', modelId: ft.id }));
    const rules = ok<TriggerRules>(await wb.invoke('triggers.rules', {}));
    ok(await wb.invoke('triggers.setRules', { ...rules, newApproved: { ...rules.newApproved, minExamples: 3 } }));
    addMany(wb.db, 2, () => ({ status: 'approved' }), 50);
    expect(ok<TriggerCheck>(await wb.invoke('triggers.check', {})).raised).toEqual([]);
    addMany(wb.db, 1, () => ({ status: 'approved' }), 60);
    const raised = ok<TriggerCheck>(await wb.invoke('triggers.check', {})).raised;
    expect(raised.map((r) => r.details.count)).toEqual([3]);
  });

  it('suggests retraining when the active model scores below a threshold, and alerts on a worse new version', async () => {
    const { wb, add } = await workspace();
    const active = await add('active', 1);
    ok(await wb.invoke('registry.promote', { task: 'triage', modelId: active.id }));
    const newer = await add('newer', 2);
    const rules = ok<TriggerRules>(await wb.invoke('triggers.rules', {}));
    ok(
      await wb.invoke('triggers.setRules', {
        ...rules,
        newApproved: { ...rules.newApproved, enabled: false },
        metricBelow: { ...rules.metricBelow, metric: 'accuracy', threshold: 0.9 },
        regression: { ...rules.regression, metric: 'accuracy', tolerance: 0.05 },
      }),
    );
    const events: string[] = [];
    wb.bus.on('triggers.raised', (e) => events.push(`${e.kind}:${e.rule}`));
    // the active model 8/10, the new version 6/10: below the 90% rule, and 20 points worse
    const evalId = storeEvaluation(wb, [
      { id: active.id, right: 8 },
      { id: newer.id, right: 6 },
    ]);
    const raised = ok<TriggerCheck>(await wb.invoke('triggers.check', {})).raised;
    expect(raised.map((r) => `${r.kind}:${r.rule}`).sort()).toEqual(['alert:regression', 'suggestion:metricBelow']);
    const alert = raised.find((r) => r.kind === 'alert')!;
    expect(alert.details).toMatchObject({
      evaluationId: evalId,
      modelId: newer.id,
      activeModelId: active.id,
      value: 0.6,
      reference: 0.8,
    });
    expect(alert.message).toMatch(
      /"newer" scores worse than the active triage model "active": Accuracy \(verdict\) 60\.0% vs 80\.0%/,
    );
    expect(events.sort()).toEqual(['alert:regression', 'suggestion:metricBelow']);

    // within tolerance: no alert
    const close = storeEvaluation(wb, [
      { id: active.id, right: 10 },
      { id: newer.id, right: 10 },
    ]);
    expect(ok<TriggerCheck>(await wb.invoke('triggers.check', {})).raised).toEqual([]);
    void close;
  });

  it('raises the regression alert by itself when an evaluation finishes', async () => {
    const { wb, add } = await workspace();
    const active = await add('active', 1);
    ok(await wb.invoke('registry.promote', { task: 'triage', modelId: active.id }));
    const newer = await add('newer', 2);
    const id = storeEvaluation(wb, [
      { id: active.id, right: 9 },
      { id: newer.id, right: 5 },
    ]);
    const raised = new Promise<string>((resolve) =>
      wb.bus.on('triggers.raised', (e) => resolve(`${e.kind}:${e.rule}`)),
    );
    wb.bus.emit('evaluation.progress', { evaluationId: id, status: 'succeeded', modelId: null, done: 20, total: 20 });
    expect(await raised).toBe('alert:regression');
  });
});

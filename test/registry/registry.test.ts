import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { writeTinyModel } from '../../src-main/gguf/tinyModel';
import type {
  ActiveModelEntry,
  ChatSendResult,
  ConversationSummary,
  DatasetVersionDetail,
  ModelCard,
  ModelSummary,
  RegistryChange,
  RegistryHistoryEntry,
  RegistryVersion,
} from '../../src-main/contract/index';
import { insertEvaluation, setEvaluationStatus } from '../../src-main/evaluation/evaluationsRepo';
import { scoreModel, type ScoredRow } from '../../src-main/evaluation/scoreModel';
import { addMany, ok } from '../datasets/helpers';
import { tmpDir } from '../cli/evalWorkspace';

const open: Workbench[] = [];
afterEach(async () => {
  for (const wb of open.splice(0)) await wb.close();
});

async function workspace() {
  const dataDir = tmpDir('tw-registry-');
  const wb = await createWorkbench({ dataDir, seed: false, actor: 'ann' });
  open.push(wb);
  const add = async (name: string, seed: number) => {
    const file = path.join(dataDir, `${name}.gguf`);
    writeTinyModel(file, { seed, name });
    return ok<ModelSummary>(await wb.invoke('models.addLocal', { path: file, name }));
  };
  const demo = ok<{ items: ModelSummary[] }>(await wb.invoke('models.list', {})).items[0]!;
  return { wb, dataDir, demo, add };
}

const active = async (wb: Workbench, task = 'triage') =>
  ok<{ items: ActiveModelEntry[] }>(await wb.invoke('registry.active', {})).items.find((i) => i.task === task)!;

describe('model registry', () => {
  it('promotes, rolls back step by step through the promotions, and keeps the history', async () => {
    const { wb, demo, add } = await workspace();
    const v1 = await add('ft-1', 11);
    const v2 = await add('ft-2', 12);
    expect((await active(wb)).modelId).toBe(demo.id);

    ok(await wb.invoke('registry.promote', { task: 'triage', modelId: v1.id, reason: 'better on test split' }));
    ok(await wb.invoke('registry.promote', { task: 'triage', modelId: v2.id }));
    expect(await active(wb)).toMatchObject({ modelId: v2.id, previousModelId: v1.id, previousModelName: 'ft-1' });
    // other tasks are untouched
    expect((await active(wb, 'chat')).modelId).toBe(demo.id);

    const back1 = ok<RegistryChange>(await wb.invoke('registry.rollback', { task: 'triage', reason: 'alerts' }));
    expect(back1).toEqual({ task: 'triage', modelId: v1.id, previousModelId: demo.id, action: 'rollback' });
    const back2 = ok<RegistryChange>(await wb.invoke('registry.rollback', { task: 'triage' }));
    expect(back2).toEqual({ task: 'triage', modelId: demo.id, previousModelId: null, action: 'rollback' });
    const none = await wb.invoke('registry.rollback', { task: 'triage' });
    expect(none).toMatchObject({ ok: false, error: { code: 'conflict' } });

    const history = ok<{ items: RegistryHistoryEntry[] }>(
      await wb.invoke('registry.history', { task: 'triage' }),
    ).items;
    expect(history.map((h) => [h.action, h.modelName, h.fromModelName, h.actor])).toEqual([
      ['rollback', demo.name, 'ft-1', 'ann'],
      ['rollback', 'ft-1', 'ft-2', 'ann'],
      ['promote', 'ft-2', 'ft-1', 'ann'],
      ['promote', 'ft-1', demo.name, 'ann'],
    ]);
    expect(history[3]!.reason).toBe('better on test split');
    // promote and roll-back are audited actions
    const audit = wb.db
      .prepare("SELECT action, subject FROM audit_log WHERE action LIKE 'registry.%' ORDER BY id")
      .all();
    expect(audit).toEqual([
      { action: 'registry.promote', subject: 'triage' },
      { action: 'registry.promote', subject: 'triage' },
      { action: 'registry.rollback', subject: 'triage' },
      { action: 'registry.rollback', subject: 'triage' },
    ]);
  });

  it('archives versions: never the active one, and a roll-back to an archived model is refused', async () => {
    const { wb, add } = await workspace();
    const v1 = await add('ft-1', 11);
    const v2 = await add('ft-2', 12);
    ok(await wb.invoke('registry.promote', { task: 'triage', modelId: v1.id }));
    ok(await wb.invoke('registry.promote', { task: 'triage', modelId: v2.id }));
    expect(await wb.invoke('models.archive', { id: v2.id })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    ok(await wb.invoke('models.archive', { id: v1.id }));
    const listed = ok<{ items: RegistryVersion[] }>(await wb.invoke('registry.versions', {})).items;
    expect(listed.map((v) => v.name)).not.toContain('ft-1');
    const all = ok<{ items: RegistryVersion[] }>(await wb.invoke('registry.versions', { includeArchived: true })).items;
    expect(all.find((v) => v.id === v1.id)).toMatchObject({ archived: true, previousFor: ['triage'] });
    expect(await wb.invoke('registry.rollback', { task: 'triage' })).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringMatching(/archived/) },
    });
    expect(await wb.invoke('registry.promote', { task: 'triage', modelId: v1.id })).toMatchObject({ ok: false });
    ok(await wb.invoke('models.archive', { id: v1.id, archived: false }));
    expect(ok<RegistryChange>(await wb.invoke('registry.rollback', { task: 'triage' })).modelId).toBe(v1.id);
  });

  it('records lineage and builds a model card with dataset hash, hyperparameters and evaluations', async () => {
    const { wb, add } = await workspace();
    const base = await add('base', 1);
    const ft = await add('ft-3', 2);
    addMany(wb.db, 12, () => ({ status: 'approved' }));
    const version = ok<DatasetVersionDetail>(
      await wb.invoke('datasets.createVersion', {
        name: 'triage-set',
        filter: { task: 'triage' },
        options: { limits: { min: 1, max: 100 }, secrets: { fix: 'redact' } },
      }),
    );
    ok(
      await wb.invoke('registry.setLineage', {
        modelId: ft.id,
        parentModelId: base.id,
        datasetVersionId: version.id,
        hyperparameters: { epochs: 3, learningRate: 0.0003 },
      }),
    );
    // a cycle is refused
    expect(await wb.invoke('registry.setLineage', { modelId: base.id, parentModelId: ft.id })).toMatchObject({
      ok: false,
      error: { code: 'bad_input' },
    });
    // an evaluation that includes the model
    const rows: ScoredRow[] = [
      {
        expected: { verdict: 'benign', severity: 'low', threatType: 'x', techniques: [] },
        predicted: { verdict: 'benign', severity: 'low', threatType: 'x', techniques: [] },
        latencyMs: 5,
        promptTokens: 1,
        completionTokens: 2,
        costUsd: null,
        error: null,
      },
    ];
    const evalId = insertEvaluation(wb.db, {
      name: 'manual',
      source: { kind: 'dataset', versionId: version.id, split: 'test' },
      modelIds: [ft.id],
      options: { parallel: 1, concurrency: 1, maxTokens: 64, temperature: 0, seed: 1 },
      examples: 1,
    });
    const metrics = [
      scoreModel({ modelId: ft.id, modelName: 'ft-3', kind: 'local_gguf', total: 1, wallMs: 10, parallel: 1 }, rows),
    ];
    setEvaluationStatus(wb.db, evalId, 'succeeded', { metrics, finished: true });

    const card = ok<ModelCard>(await wb.invoke('registry.card', { modelId: ft.id }));
    expect(card.lineage.map((l) => l.name)).toEqual(['base', 'ft-3']);
    expect(card.model).toMatchObject({ parentName: 'base', depth: 1, datasetLabel: 'triage-set v1' });
    expect(card.dataset).toMatchObject({
      versionId: version.id,
      contentHash: version.contentHash,
      examples: version.counts.total,
    });
    expect(card.hyperparameters).toEqual({ epochs: 3, learningRate: 0.0003 });
    expect(card.evaluations).toHaveLength(1);
    expect(card.evaluations[0]!.metrics.accuracy).toBe(1);
    expect(card.markdown).toContain(`sha256 ${version.contentHash}`);
    expect(card.markdown).toContain('- epochs: 3');
    expect(card.model.latestEvaluation).toMatchObject({ evaluationId: evalId, accuracy: 1 });
  });

  it('the chat answers with the promoted model when no model is named', async () => {
    const { wb, add } = await workspace();
    const v1 = await add('ft-1', 11);
    ok(await wb.invoke('registry.promote', { task: 'triage', modelId: v1.id }));
    const conv = ok<ConversationSummary>(await wb.invoke('conversations.create', { title: 'ssh brute force' }));
    const done = new Promise<void>((resolve) => {
      const off = wb.bus.on('chat.done', () => {
        off();
        resolve();
      });
    });
    const sent = ok<ChatSendResult>(
      await wb.invoke('chat.send', { conversationId: conv.id, content: 'Triage this.', task: 'triage', maxTokens: 4 }),
    );
    expect(sent.modelId).toBe(v1.id);
    await done;
    expect(fs.existsSync(wb.dataDir)).toBe(true);
  });
});

/** training.overview, training.options, training.startLocal (validation, queue) and training.jobDetail. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Workbench } from '../../src-main/core/workbench';
import type { Job, TrainingOptions, TrainingOverview } from '../../src-main/contract/index';
import { addMany } from '../datasets/helpers';
import { fakeLocalCapability, fakeLocalRunner, insertLocalBase } from './fakeLocalRunner';
import { detail, errorOf, makeVersion, ok, openBench, waitForStatus } from './helpers';
import { parseResultCsv, summarizeResultCsv } from '../../src-main/training/openai/resultCsv';

let wb: Workbench | null = null;
afterEach(async () => {
  await wb?.close();
  wb = null;
});

describe('training.overview', () => {
  it('counts labelled, approved and high-quality examples, versions and jobs', async () => {
    wb = await openBench();
    addMany(wb.db, 6, (i) => ({ quality: i < 4 ? 5 : 2 }));
    addMany(wb.db, 3, () => ({ status: 'pending', quality: 4 }), 100);
    addMany(wb.db, 2, () => ({ status: 'rejected', quality: 1 }), 200);
    const o = ok<TrainingOverview>(await wb.invoke('training.overview', {}));
    expect(o).toMatchObject({
      total: 11,
      approved: 6,
      pending: 3,
      rejected: 2,
      highQuality: 7,
      approvedHighQuality: 4,
      datasetVersions: 0,
      jobs: { queued: 0, running: 0, succeeded: 0, failed: 0 },
    });
  });
});

describe('training.startLocal', () => {
  it('validates the base model and hyperparameters and queues one local job at a time', async () => {
    const runner = fakeLocalRunner({ stepMs: 30 });
    wb = await openBench(undefined, { extraCapabilities: [fakeLocalCapability(runner)] });
    const version = await makeVersion(wb, 30);
    const base = insertLocalBase(wb.db);
    const quantized = insertLocalBase(wb.db, 'tiny-q4', 'Q4_K_M');
    const start = (extra: Record<string, unknown>) =>
      wb!.invoke('training.startLocal', {
        task: 'threat_detection',
        baseModelId: base,
        datasetVersionId: version.id,
        ...extra,
      });

    const q = errorOf(await start({ baseModelId: quantized }));
    expect(q).toMatchObject({ code: 'bad_input', message: expect.stringContaining('needs an F32 GGUF') });
    expect(errorOf(await start({ hyperparameters: { learningRate: 1e-4, minLearningRate: 1e-3 } })).message).toMatch(
      /final learning rate cannot be above the peak/,
    );
    expect(errorOf(await start({ hyperparameters: { epochs: 0 } })).code).toBe('invalid_request');
    expect(errorOf(await start({ hyperparameters: { validationFraction: 0.9 } })).code).toBe('invalid_request');
    expect(errorOf(await start({ hyperparameters: { optimizer: 'lion' } })).code).toBe('invalid_request');
    expect(errorOf(await start({ datasetVersionId: 999 })).code).toBe('not_found');

    const a = ok<Job>(await start({ hyperparameters: { epochs: 2 } }));
    const b = ok<Job>(await start({ hyperparameters: { epochs: 1, learningRate: 1e-4, contextLength: 256 } }));
    expect(a.params).toMatchObject({
      task: 'threat_detection',
      hyperparameters: {
        epochs: 2,
        learningRate: 3e-4,
        lrSchedule: 'cosine',
        contextLength: 512,
        batchSize: 8,
        validationFraction: 0.1,
        optimizer: 'adamw',
      },
    });
    // The second waits for the first: the queue is visible with its position.
    const list = ok<{ items: Job[] }>(await wb.invoke('jobs.list', {})).items;
    expect(list.find((j) => j.id === b.id)).toMatchObject({ status: 'queued', queuePosition: 1 });
    await waitForStatus(wb, b.id, ['succeeded']);
    expect(runner.started).toEqual([a.id, b.id]);
    const d = await detail(wb, b.id);
    expect(d).toMatchObject({
      backend: 'local',
      task: 'threat_detection',
      hyperparameters: { epochs: 1, learningRate: 1e-4, contextLength: 256 },
      lineage: { baseModel: { id: base, name: 'tiny-f32' }, datasetVersion: { id: version.id } },
      openai: null,
    });
    const o = ok<TrainingOverview>(await wb.invoke('training.overview', {}));
    expect(o.jobs.succeeded).toBe(2);
  });

  it('says plainly when no local trainer is registered', async () => {
    wb = await openBench();
    const jobs = wb.services.get('jobs');
    // A build without the local trainer (this one registers it).
    jobs.unregister('local_train');
    const version = await makeVersion(wb, 30);
    const base = insertLocalBase(wb.db);
    const r = errorOf(
      await wb.invoke('training.startLocal', { task: 'log_analysis', baseModelId: base, datasetVersionId: version.id }),
    );
    expect(r).toMatchObject({ code: 'conflict', message: expect.stringContaining('Local training is not available') });
  });
});

describe('training.options', () => {
  it('lists tasks, trainable bases, versions, endpoints, defaults and the OpenAI end date', async () => {
    wb = await openBench();
    const version = await makeVersion(wb, 30);
    insertLocalBase(wb.db);
    insertLocalBase(wb.db, 'tiny-q4', 'Q4_K_M');
    const o = ok<TrainingOptions>(await wb.invoke('training.options', {}));
    expect(o.tasks.map((t) => t.label)).toEqual(['Threat detection', 'Log analysis', 'Triage priority']);
    expect(o.localModels.map((m) => [m.name, m.trainable])).toEqual(
      expect.arrayContaining([
        ['tiny-f32', true],
        ['tiny-q4', false],
      ]),
    );
    expect(o.localModels.find((m) => m.name === 'tiny-q4')!.note).toMatch(/F32/);
    expect(o.datasetVersions[0]).toMatchObject({
      id: version.id,
      contentHash: version.contentHash,
      secretsClean: true,
    });
    expect(o.localDefaults).toMatchObject({ epochs: 3, learningRate: 3e-4, optimizer: 'adamw' });
    expect(o.runners.openai).toBe(true);
    expect(o.openaiFineTuningEnds).toBe('2027-01-06');
    expect(o.openaiBaseModels).toContain('gpt-4o-mini-2024-07-18');
  });
});

describe('result CSV parsing', () => {
  it('reads plain and base64, tolerates missing columns, empty cells and bad rows', () => {
    const csv =
      'step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n1,2.0,0.4,,\n2,1.5,0.5,1.7,0.45\n3,x,0.6,,\n';
    const plain = summarizeResultCsv('file-1', parseResultCsv(csv));
    expect(plain).toMatchObject({
      encoding: 'plain',
      missingColumns: [],
      rows: 2,
      badRows: 1,
      final: { step: 2, trainLoss: 1.5, trainAccuracy: 0.5, validLoss: 1.7, validAccuracy: 0.45 },
    });
    const b64 = summarizeResultCsv('file-2', parseResultCsv(Buffer.from(csv).toString('base64')));
    expect(b64).toMatchObject({ encoding: 'base64', rows: 2, final: { trainLoss: 1.5 } });
    const thin = summarizeResultCsv('file-3', parseResultCsv('step,train_loss\r\n1,0.9\r\n'));
    expect(thin).toMatchObject({
      missingColumns: ['train_accuracy', 'valid_loss', 'valid_mean_token_accuracy'],
      final: { step: 1, trainLoss: 0.9, trainAccuracy: null, validLoss: null },
    });
    expect(summarizeResultCsv('file-4', parseResultCsv(''))).toMatchObject({
      rows: 0,
      missingColumns: expect.any(Array),
    });
  });
});

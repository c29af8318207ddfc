/**
 * The OpenAI fine-tuning flow end to end: the real `openai` SDK, through createWorkbench + invoke,
 * against the stand-in server (test/standin): upload → create → poll → events → metrics → checkpoints →
 * result CSV → model registered and usable for chat.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Workbench } from '../../src-main/core/workbench';
import type { ChatProvider } from '../../src-main/runtime/provider';
import type { OpenAIStandin } from '../standin/openaiStandin';
import {
  KEY,
  addEndpoint,
  dataDirText,
  detail,
  events,
  getJob,
  makeVersion,
  openBench,
  startOpenAI,
  startStandin,
  waitForStatus,
} from './helpers';

let wb: Workbench | null = null;
let standin: OpenAIStandin | null = null;

afterEach(async () => {
  await wb?.close();
  wb = null;
  await standin?.close();
  standin = null;
});

describe('OpenAI fine-tuning against the stand-in', () => {
  it('uploads, creates, polls, charts the metrics, reads the result CSV and registers the model', async () => {
    standin = await startStandin();
    wb = await openBench();
    const ep = await addEndpoint(wb, standin);
    const version = await makeVersion(wb, 40);
    expect(version.secretsClean).toBe(true);

    const started = await startOpenAI(wb, ep.id, version.id);
    expect(started).toMatchObject({ kind: 'openai_finetune', datasetVersionId: version.id });
    const done = await waitForStatus(wb, started.id, ['succeeded', 'failed']);
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.progress).toBe(1);

    // Exactly one remote job, carrying our job id in its metadata, with the hyperparameters asked for.
    const remoteJobs = standin.fineTuning.jobs;
    expect(remoteJobs).toHaveLength(1);
    const remote = remoteJobs[0]!;
    expect(done.remoteId).toBe(remote.id);
    expect(remote.metadata).toMatchObject({ tw_job_id: String(started.id) });
    expect(remote.method).toEqual({
      type: 'supervised',
      supervised: { hyperparameters: { n_epochs: 3, batch_size: 4, learning_rate_multiplier: 1.5 } },
    });
    expect(remote.user_provided_suffix).toBe('triage');
    expect(remote.fine_tuned_model).toMatch(/^ft:gpt-4o-mini-2024-07-18:standin-org:triage:/);

    // The uploaded training file is the version's train split, as the export writes it.
    const train = standin.fineTuning.files.get(remote.training_file)!;
    expect(train.purpose).toBe('fine-tune');
    expect(train.examples).toBe(version.counts.train);
    expect(remote.validation_file).not.toBeNull();
    const uploads = wb.db.prepare("SELECT * FROM egress_log WHERE kind = 'upload' ORDER BY id").all() as {
      destination: string;
      content_hash: string;
      bytes: number;
    }[];
    expect(uploads).toHaveLength(2);
    expect(uploads[0]!.destination).toContain(remote.training_file);
    expect(uploads[0]!.bytes).toBe(train.bytes);

    // Metrics: one job event per remote metrics event, in order, nothing repeated; loss goes down.
    const remoteMetrics = standin.fineTuning.events(remote.id).filter((e) => e.type === 'metrics');
    const metrics = await events(wb, started.id, 'metrics');
    expect(metrics.map((m) => m.metrics!.step)).toEqual(remoteMetrics.map((e) => e.data.step));
    const losses = metrics.map((m) => m.metrics!.train_loss!);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    expect(metrics[0]!.metrics).toHaveProperty('train_mean_token_accuracy');
    expect(metrics.some((m) => typeof m.metrics!.valid_loss === 'number')).toBe(true);
    const messages = (await events(wb, started.id, 'message')).map((e) => e.message);
    expect(messages).toContain(`OpenAI: Created fine-tuning job: ${remote.id}`);
    expect(messages.some((m) => m.startsWith('Checkpoint at step'))).toBe(true);

    // The model: registered with its lineage and usable for chat.
    const d = await detail(wb, started.id);
    expect(d.openai).toMatchObject({
      remoteJobId: remote.id,
      remoteStatus: 'succeeded',
      remoteStatusKnown: true,
      fineTunedModel: remote.fine_tuned_model,
      trainingFileId: remote.training_file,
      failure: null,
    });
    expect(d.openai!.checkpoints.length).toBeGreaterThan(0);
    expect(d.openai!.checkpoints.length).toBeLessThanOrEqual(3);
    expect(d.openai!.result).toMatchObject({ encoding: 'plain', missingColumns: [], badRows: 0 });
    expect(d.openai!.result!.final.trainLoss).toBeCloseTo(losses[losses.length - 1]!, 4);
    expect(d.lineage.datasetVersion).toMatchObject({ id: version.id, contentHash: version.contentHash });
    expect(d.lineage.baseModel?.name).toBe('gpt-4o-mini-2024-07-18');
    expect(d.lineage.producedModel?.remoteModel).toBe(remote.fine_tuned_model);
    expect(d.hyperparameters).toMatchObject({ nEpochs: 3, batchSize: 4, learningRateMultiplier: 1.5 });

    const row = wb.db.prepare('SELECT * FROM models WHERE produced_by_job_id = ?').get(started.id) as Record<
      string,
      unknown
    >;
    expect(row).toMatchObject({
      kind: 'openai',
      endpoint_id: ep.id,
      remote_model: remote.fine_tuned_model,
      dataset_version_id: version.id,
    });
    const parent = wb.db.prepare('SELECT * FROM models WHERE id = ?').get(row.parent_model_id) as Record<
      string,
      unknown
    >;
    expect(parent).toMatchObject({ remote_model: 'gpt-4o-mini-2024-07-18', endpoint_id: ep.id });
    expect(JSON.parse(row.metadata as string)).toMatchObject({
      source: 'openai_finetune',
      hyperparameters: { n_epochs: 3, batch_size: 4, learning_rate_multiplier: 1.5 },
      remoteJobId: remote.id,
      datasetContentHash: version.contentHash,
    });
    expect(done.result).toMatchObject({ modelId: row.id, fineTunedModel: remote.fine_tuned_model });

    const provider: ChatProvider = wb.services.get('remoteProviders').forModel({
      id: row.id as number,
      kind: 'openai',
      endpointId: ep.id,
      remoteModel: remote.fine_tuned_model,
    });
    const answer = await provider.chat([{ role: 'user', content: 'Is this login burst benign?' }], { maxTokens: 50 });
    expect(answer.text).toContain('Verdict');
    const chat = standin.requestsTo('POST', '/v1/chat/completions');
    expect((chat[0]!.body as { model: string }).model).toBe(remote.fine_tuned_model);

    // The key never left the key store.
    expect(dataDirText(wb.dataDir)).not.toContain(KEY);
    expect(JSON.stringify(await events(wb, started.id))).not.toContain(KEY);
    expect((await getJob(wb, started.id)).attempts).toBe(1);
  });
});

/**
 * The `local_train` job end to end through the job engine: a dataset version's splits → our SFT trainer
 * (built once, cached in TW_TRAINER_CACHE) → a new registered model version with lineage that loads and
 * generates. Skipped, with the reason shown, only when cmake or a C++ compiler is missing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { checkToolchain, findTrainer } from '../../src-main/training/local/trainerBuild';
import type { Job, JobEvent } from '../../src-main/contract/index';

process.env.TW_TRAINER_CACHE ??= path.join(os.homedir(), '.cache', 'tw-trainer');
const toolchain = checkToolchain();
const available = toolchain.ok || findTrainer() !== null;

const ALERTS = [
  ['root console login from a new country', 'verdict: true_positive severity: high'],
  ['scheduled backup job finished', 'verdict: benign severity: low'],
  ['ssh brute force against the admin host', 'verdict: true_positive severity: critical'],
  ['user changed their own password', 'verdict: benign severity: info'],
  ['new access key created for the root user', 'verdict: true_positive severity: high'],
  ['monthly billing report downloaded', 'verdict: benign severity: info'],
] as const;

function insertVersion(wb: Workbench, train: number, validation: number): number {
  const db = wb.db;
  const ds = db
    .prepare("INSERT INTO datasets (name, task, created_at) VALUES ('job test', 'triage', ?)")
    .run(Date.now());
  const v = db
    .prepare(
      `INSERT INTO dataset_versions (dataset_id, version, content_hash, filter, build_report, seed, created_at)
       VALUES (?, 1, 'sha256-test', '{}', '{}', 1, ?)`,
    )
    .run(ds.lastInsertRowid, Date.now());
  const insert = db.prepare(
    `INSERT INTO dataset_examples (dataset_version_id, split, group_key, example, labels, token_count, content_hash)
     VALUES (?, ?, ?, ?, '{}', 20, ?)`,
  );
  for (let i = 0; i < train + validation; i++) {
    const [alert, answer] = ALERTS[i % ALERTS.length]!;
    const example = {
      messages: [
        { role: 'system', content: 'Triage the alert.' },
        { role: 'user', content: `alert ${i}: ${alert}` },
        { role: 'assistant', content: answer },
      ],
    };
    insert.run(v.lastInsertRowid, i < train ? 'train' : 'validation', `g${i}`, JSON.stringify(example), `h${i}`);
  }
  return Number(v.lastInsertRowid);
}

let wb: Workbench | null = null;
afterAll(async () => {
  await wb?.close();
});

describe.skipIf(!available)(`local_train job${available ? '' : ` (skipped: ${toolchain.hint})`}`, () => {
  it('trains, reports loss, and registers the output with lineage; the new model chats', async () => {
    wb = await createWorkbench({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tw-localjob-')), seed: false });
    const demo = await wb.invoke('models.ensureDemo', {});
    expect(demo.ok).toBe(true);
    const baseId = (demo as { value: { id: number } }).value.id;
    const versionId = insertVersion(wb, 24, 6);
    const started = await wb.invoke('training.startLocal', {
      task: 'threat_detection',
      baseModelId: baseId,
      datasetVersionId: versionId,
      hyperparameters: { epochs: 4, learningRate: 1e-3, batchSize: 4 },
    });
    expect(started.ok, JSON.stringify(started)).toBe(true);
    const jobId = (started as { value: Job }).value.id;
    await wb.services.get('jobs').idle();

    const job = (await wb.invoke('jobs.get', { id: jobId })) as { ok: true; value: Job };
    expect(job.value.status, job.value.error ?? '').toBe('succeeded');
    const events = (
      (await wb.invoke('jobs.events', { id: jobId, limit: 5000 })) as { ok: true; value: { items: JobEvent[] } }
    ).value.items;
    const losses = events
      .filter((e) => e.type === 'metrics' && typeof e.metrics?.train_loss === 'number')
      .map((e) => e.metrics!.train_loss as number);
    expect(losses.length).toBeGreaterThanOrEqual(2);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    expect(events.some((e) => /answer tokens only/.test(e.message))).toBe(true);

    const modelId = job.value.result!.modelId as number;
    const row = wb.db
      .prepare(
        'SELECT kind, parent_model_id, produced_by_job_id, dataset_version_id, path, metadata FROM models WHERE id = ?',
      )
      .get(modelId) as {
      kind: string;
      parent_model_id: number;
      produced_by_job_id: number;
      dataset_version_id: number;
      path: string;
      metadata: string;
    };
    expect(row).toMatchObject({
      kind: 'local_gguf',
      parent_model_id: baseId,
      produced_by_job_id: jobId,
      dataset_version_id: versionId,
    });
    expect(JSON.parse(row.metadata).lineage).toMatchObject({
      datasetHash: 'sha256-test',
      lossOn: 'answer',
      job: jobId,
    });
    expect(fs.existsSync(row.path)).toBe(true);

    // The fine-tuned version is a usable model: it loads in the worker and answers.
    const conv = (await wb.invoke('conversations.create', { title: 'after training', task: 'chat' })) as {
      ok: true;
      value: { id: number };
    };
    const done = new Promise<{ stopped: boolean; error?: string }>((resolve) => {
      const off = wb!.bus.on('chat.done', (p) => {
        off();
        resolve(p);
      });
    });
    const sent = await wb.invoke('chat.send', {
      conversationId: conv.value.id,
      content: 'alert 99: ssh brute force against the admin host',
      modelId,
      maxTokens: 16,
    });
    expect(sent.ok, JSON.stringify(sent)).toBe(true);
    const finished = await done;
    expect(finished.error).toBeUndefined();
  }, 600_000);
});

/** The stand-in's fine-tuning routes, driven by the real SDK: the shapes and checks the spec describes. */
import OpenAI, { BadRequestError, NotFoundError, toFile } from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OpenAIStandin } from '../standin/openaiStandin';
import { validateFineTuneJsonl } from '../standin/fineTuningRoutes';
import { KEY, startStandin } from './helpers';

let standin: OpenAIStandin;
let client: OpenAI;

beforeEach(async () => {
  standin = await startStandin({ advance: 'manual', maxSteps: 9 });
  client = new OpenAI({ apiKey: KEY, baseURL: standin.url, maxRetries: 0 });
});
afterEach(async () => {
  await standin.close();
});

const example = (i: number) =>
  JSON.stringify({
    messages: [
      { role: 'system', content: 'You triage alerts.' },
      { role: 'user', content: `Alert ${i}` },
      { role: 'assistant', content: 'Verdict: benign.' },
    ],
  });

async function upload(lines: string[], name = 'train.jsonl') {
  return client.files.create({ file: await toFile(Buffer.from(lines.join('\n') + '\n'), name), purpose: 'fine-tune' });
}

describe('files', () => {
  it('accepts valid JSONL and serves it back; refuses bad lines with their number', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => example(i));
    const file = await upload(lines);
    expect(file).toMatchObject({ object: 'file', purpose: 'fine-tune', filename: 'train.jsonl', status: 'processed' });
    expect(file.id).toMatch(/^file-/);
    expect(await (await client.files.content(file.id)).text()).toBe(lines.join('\n') + '\n');
    expect(await client.files.retrieve(file.id)).toMatchObject({ id: file.id, bytes: file.bytes });

    await expect(upload([example(1), '{"messages": [', example(2)])).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('line 2 is not valid JSON'),
    });
    await expect(upload([example(1), '{"messages":[{"role":"bot","content":"x"}]}'])).rejects.toThrow(
      /line 2 has an unrecognized role/,
    );
    await expect(upload([example(1), '{"messages":[{"role":"user","content":"x"}],"extra":1}'])).rejects.toThrow(
      /unrecognized key "extra"/,
    );
    await expect(upload([example(1), '{"messages":[{"role":"user","content":"only a question"}]}'])).rejects.toThrow(
      /no assistant message/,
    );
    await expect(upload([example(1)], 'train.csv')).rejects.toThrow(/Must be \.jsonl/);
    expect(validateFineTuneJsonl('\uFEFF' + example(1))).toEqual({ error: expect.stringContaining('byte-order mark') });

    await client.files.delete(file.id);
    await expect(client.files.retrieve(file.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('fine-tuning jobs', () => {
  it('checks the create request like OpenAI: model, file, at least 10 examples, suffix, metadata, method', async () => {
    const small = await upload(Array.from({ length: 9 }, (_, i) => example(i)));
    const train = await upload(Array.from({ length: 20 }, (_, i) => example(i)));
    const base = { model: 'gpt-4o-mini-2024-07-18', training_file: train.id };
    await expect(client.fineTuning.jobs.create({ ...base, training_file: small.id })).rejects.toThrow(
      'Training file has 9 example(s), but must have at least 10 examples',
    );
    await expect(client.fineTuning.jobs.create({ ...base, training_file: 'file-nope' })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    await expect(client.fineTuning.jobs.create({ ...base, model: 'gpt-nope' })).rejects.toThrow(
      /not available for fine-tuning/,
    );
    await expect(client.fineTuning.jobs.create({ ...base, suffix: 'x'.repeat(65) })).rejects.toThrow(/at most 64/);
    const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    await expect(client.fineTuning.jobs.create({ ...base, metadata: tooMany })).rejects.toThrow(/at most 16/);
    await expect(
      client.fineTuning.jobs.create({
        ...base,
        method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 0 } } },
      }),
    ).rejects.toThrow(/n_epochs/);
    expect(standin.fineTuning.jobs).toHaveLength(0);

    const job = await client.fineTuning.jobs.create({
      ...base,
      suffix: 'triage',
      metadata: { tw_job_id: '7', tw_ref: 'abc' },
      method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 3, batch_size: 4 } } },
    });
    expect(job).toMatchObject({
      object: 'fine_tuning.job',
      status: 'validating_files',
      fine_tuned_model: null,
      trained_tokens: null,
      metadata: { tw_job_id: '7', tw_ref: 'abc' },
      method: {
        type: 'supervised',
        supervised: { hyperparameters: { n_epochs: 3, batch_size: 4, learning_rate_multiplier: 1.8 } },
      },
    });
  });

  it('runs the state machine with metrics, checkpoints (last three) and a result CSV; lists and pages newest first', async () => {
    const train = await upload(Array.from({ length: 20 }, (_, i) => example(i)));
    const other = await client.fineTuning.jobs.create({
      model: 'gpt-4o-mini-2024-07-18',
      training_file: train.id,
      metadata: { tw_job_id: '1' },
    });
    const job = await client.fineTuning.jobs.create({
      model: 'gpt-4o-mini-2024-07-18',
      training_file: train.id,
      suffix: 'sec',
      metadata: { tw_job_id: '2', tw_ref: 'r2' },
      method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 3 } } },
    });
    const ft = standin.fineTuning;
    expect(ft.advance(job.id, 1).status).toBe('queued');
    expect(ft.advance(job.id, 1).status).toBe('running');
    ft.advance(job.id, 4);
    expect((await client.fineTuning.jobs.retrieve(job.id)).status).toBe('running');
    ft.finish(job.id);
    const done = await client.fineTuning.jobs.retrieve(job.id);
    expect(done).toMatchObject({
      status: 'succeeded',
      fine_tuned_model: expect.stringMatching(/^ft:gpt-4o-mini-2024-07-18:standin-org:sec:/),
    });
    expect(done.trained_tokens).toBeGreaterThan(0);
    expect(done.result_files).toHaveLength(1);
    const csv = await (await client.files.content(done.result_files[0]!)).text();
    expect(csv.split('\n')[0]).toBe('step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy');
    expect(csv.trim().split('\n')).toHaveLength(10);

    // Events: newest first; `after` pages towards older ones; metrics carry data.
    const page1 = await client.fineTuning.jobs.listEvents(job.id, { limit: 5 });
    expect(page1.data).toHaveLength(5);
    expect(page1.has_more).toBe(true);
    expect(page1.data[0]!.message).toBe('The job has successfully completed');
    const page2 = await client.fineTuning.jobs.listEvents(job.id, { limit: 5, after: page1.data[4]!.id });
    expect(page2.data[0]!.created_at).toBeLessThanOrEqual(page1.data[4]!.created_at);
    const all = [];
    for await (const e of client.fineTuning.jobs.listEvents(job.id, { limit: 4 })) all.push(e);
    const metrics = all.filter((e) => e.type === 'metrics').reverse();
    expect(metrics.map((e) => (e.data as { step: number }).step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(metrics[0]!.data).toMatchObject({
      step: 1,
      total_steps: 9,
      train_loss: expect.any(Number),
      train_mean_token_accuracy: expect.any(Number),
    });
    expect(metrics.some((e) => typeof (e.data as { valid_loss?: number }).valid_loss === 'number')).toBe(false);

    const ckpts = await client.fineTuning.jobs.checkpoints.list(job.id);
    expect(ckpts.data.map((c) => c.step_number)).toEqual([9, 6, 3]);
    expect(ckpts.data[0]!.fine_tuned_model_checkpoint).toMatch(/:ckpt-step-9$/);

    // List, with the metadata filter.
    const listed = await client.fineTuning.jobs.list({ limit: 10 });
    expect(listed.data.map((j) => j.id)).toEqual([job.id, other.id]);
    const filtered = await client.fineTuning.jobs.list({ metadata: { tw_job_id: '2', tw_ref: 'r2' } });
    expect(filtered.data.map((j) => j.id)).toEqual([job.id]);
    expect((await client.fineTuning.jobs.list({ metadata: { tw_job_id: '3' } })).data).toEqual([]);
    const paged = await client.fineTuning.jobs.list({ limit: 1 });
    expect(paged.has_more).toBe(true);
    expect((await client.fineTuning.jobs.list({ limit: 1, after: paged.data[0]!.id })).data[0]!.id).toBe(other.id);

    // Cancel: a running job is cancelled; a finished one cannot be.
    ft.advance(other.id, 3);
    expect((await client.fineTuning.jobs.cancel(other.id)).status).toBe('cancelled');
    await expect(client.fineTuning.jobs.cancel(job.id)).rejects.toBeInstanceOf(BadRequestError);
    await expect(client.fineTuning.jobs.retrieve('ftjob-nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('injects an unknown status and a lost create answer', async () => {
    const train = await upload(Array.from({ length: 12 }, (_, i) => example(i)));
    const job = await client.fineTuning.jobs.create({ model: 'gpt-4o-mini-2024-07-18', training_file: train.id });
    standin.fineTuning.advance(job.id, 3);
    standin.fineTuning.setStatus(job.id, 'paused', 2);
    expect((await client.fineTuning.jobs.retrieve(job.id)).status).toBe('paused');
    standin.fineTuning.advance(job.id, 2);
    expect((await client.fineTuning.jobs.retrieve(job.id)).status).toBe('running');

    standin.fineTuning.loseCreateAnswer('drop');
    await expect(
      client.fineTuning.jobs.create({
        model: 'gpt-4o-mini-2024-07-18',
        training_file: train.id,
        metadata: { tw_job_id: 'x' },
      }),
    ).rejects.toThrow(/Connection error/);
    // The job exists although the answer never came.
    expect((await client.fineTuning.jobs.list({ metadata: { tw_job_id: 'x' } })).data).toHaveLength(1);
  });
});

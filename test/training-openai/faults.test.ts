/**
 * Each fault the stand-in can inject, and what the fine-tuning job does about it (bad inputs 17–19 in
 * ../shared/specs/security-and-bad-input.md): 401 → no retry, key marked invalid, state kept; 403 on create
 * → the plain "no longer accepts new fine-tuning jobs" message; 429/5xx/timeouts → bounded retries;
 * malformed answers and unknown statuses → tolerated and shown as unknown; a lost create answer →
 * reconciled by metadata, never a second job.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Workbench } from '../../src-main/core/workbench';
import type { EndpointSummary, Job } from '../../src-main/contract/index';
import type { OpenAIStandin } from '../standin/openaiStandin';
import type { FineTuningOptions } from '../standin/fineTuningRoutes';
import { CANARY } from '../redaction/canaries';
import {
  KEY,
  addEndpoint,
  detail,
  errorOf,
  events,
  makeVersion,
  ok,
  openBench,
  startOpenAI,
  startStandin,
  waitFor,
  waitForStatus,
  type Tuning,
} from './helpers';

let wb: Workbench | null = null;
let standin: OpenAIStandin | null = null;

afterEach(async () => {
  await wb?.close();
  wb = null;
  await standin?.close();
  standin = null;
});

async function setup(
  ft: FineTuningOptions = {},
  t: Tuning = {},
  key = KEY,
): Promise<{ w: Workbench; s: OpenAIStandin; ep: EndpointSummary; versionId: number }> {
  standin = await startStandin(ft);
  wb = await openBench(undefined, {}, t);
  const ep = await addEndpoint(wb, standin, { key });
  const version = await makeVersion(wb, 30);
  return { w: wb, s: standin, ep, versionId: version.id };
}

const creates = (s: OpenAIStandin) => s.requestsTo('POST', '/v1/fine_tuning/jobs');
const messages = async (w: Workbench, id: number) => (await events(w, id)).map((e) => e.message);

describe('401: the key is rejected', () => {
  it('fails the job without retrying, marks the key invalid, and resumes the same remote job once the key is fixed', async () => {
    const { w, s, ep, versionId } = await setup();
    const job = await startOpenAI(w, ep.id, versionId);
    // Let the remote job start, then the key stops working.
    await waitFor('remote job running', () => s.fineTuning.jobs[0]?.status === 'running');
    s.fail(
      { type: 'status', status: 401, code: 'invalid_api_key', message: 'Incorrect API key provided: sk-fi*****cdef.' },
      { route: 'GET /v1/fine_tuning/jobs/:id', times: 1 },
    );
    const failed = await waitForStatus(w, job.id, ['failed', 'succeeded']);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/rejected the key \(401 Unauthorized\)/);
    expect(failed.error).toMatch(/Settings → Endpoints/);
    expect(failed.error).not.toContain(KEY);
    expect(failed.attempts).toBe(1);
    // One 401 answer, no retry of it.
    expect(s.requests.filter((r) => r.status === 401)).toHaveLength(1);
    const endpoint = ok<{ items: EndpointSummary[] }>(await w.invoke('endpoints.list', {})).items[0]!;
    expect(endpoint.keyStatus).toBe('invalid');
    const d = await detail(w, job.id);
    expect(d.openai).toMatchObject({ failure: 'key_rejected', remoteJobId: s.fineTuning.jobs[0]!.id });
    expect(d.openai!.trainingFileId).not.toBeNull();

    // A new job is refused while the key is marked invalid.
    expect(
      errorOf(
        await w.invoke('training.startOpenAI', {
          task: 'threat_detection',
          endpointId: ep.id,
          baseModel: 'gpt-4o-mini-2024-07-18',
          datasetVersionId: versionId,
        }),
      ).code,
    ).toBe('unauthorized');

    // Set the key again and press Retry: the same remote job is polled to the end; nothing is uploaded twice.
    ok(await w.invoke('endpoints.setKey', { id: ep.id, apiKey: KEY }));
    ok(await w.invoke('jobs.retry', { id: job.id }));
    const done = await waitForStatus(w, job.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(s.fineTuning.jobs).toHaveLength(1);
    expect(s.requestsTo('POST', '/v1/files')).toHaveLength(2);
    expect((await detail(w, job.id)).openai!.failure).toBeNull();
    const metrics = await events(w, job.id, 'metrics');
    const remoteSteps = s.fineTuning
      .events(s.fineTuning.jobs[0]!.id)
      .filter((e) => e.type === 'metrics')
      .map((e) => e.data.step);
    expect(metrics.map((m) => m.metrics!.step)).toEqual(remoteSteps);
  });

  it('a wrong key from the start fails at the upload, once', async () => {
    const { w, s, ep, versionId } = await setup({}, {}, 'sk-wrong-key-000000000000');
    const job = await startOpenAI(w, ep.id, versionId);
    const failed = await waitForStatus(w, job.id, ['failed']);
    expect(failed.error).toMatch(/401/);
    expect(s.requestsTo('POST', '/v1/files')).toHaveLength(1);
    expect(creates(s)).toHaveLength(0);
  });
});

describe('403 on create: OpenAI no longer accepts new fine-tuning jobs', () => {
  it('says so plainly, suggests local training, and creates nothing', async () => {
    const { w, s, ep, versionId } = await setup();
    s.fineTuning.refuseCreation();
    const job = await startOpenAI(w, ep.id, versionId);
    const failed = await waitForStatus(w, job.id, ['failed', 'succeeded']);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('OpenAI no longer accepts new fine-tuning jobs for this organisation');
    expect(failed.error).toContain('2027-01-06');
    expect(failed.error).toMatch(/Train locally instead/);
    expect(failed.attempts).toBe(1);
    expect(creates(s)).toHaveLength(1);
    expect(s.fineTuning.jobs).toHaveLength(0);
    expect((await detail(w, job.id)).openai!.failure).toBe('creation_refused');
    // The key is fine: it is not marked invalid.
    const endpoint = ok<{ items: EndpointSummary[] }>(await w.invoke('endpoints.list', {})).items[0]!;
    expect(endpoint.keyStatus).not.toBe('invalid');
  });
});

describe('429 and 5xx: bounded retries', () => {
  it('429 with retry-after on create is waited out; one job', async () => {
    const { w, s, ep, versionId } = await setup();
    s.fail(
      { type: 'status', status: 429, code: 'rate_limit_exceeded', headers: { 'retry-after': '1' } },
      { route: 'POST /v1/fine_tuning/jobs', times: 2 },
    );
    const job = await startOpenAI(w, ep.id, versionId);
    const done = await waitForStatus(w, job.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    const c = creates(s);
    expect(c.map((r) => r.status)).toEqual([429, 429, 200]);
    // retry-after: 1 was honoured between the tries.
    expect(c[1]!.at - c[0]!.at).toBeGreaterThanOrEqual(900);
    expect(s.fineTuning.jobs).toHaveLength(1);
    expect(await messages(w, job.id)).toContain(
      '"Stand-in OpenAI" is rate limiting requests (429) while creating the fine-tuning job.',
    );
  });

  it('a burst of 500s and a 429 while polling are retried and the job completes', async () => {
    const { w, s, ep, versionId } = await setup({}, { maxRetries: 1 });
    const job = await startOpenAI(w, ep.id, versionId);
    await waitFor('remote job running', () => s.fineTuning.jobs[0]?.status === 'running');
    s.fail({ type: 'status', status: 500 }, { route: 'GET /v1/fine_tuning/jobs/:id', times: 3 });
    s.fail({ type: 'status', status: 503 }, { route: 'GET /v1/fine_tuning/jobs/:id/events', times: 1 });
    s.fail(
      { type: 'status', status: 429, headers: { 'retry-after-ms': '20' } },
      { route: 'GET /v1/fine_tuning/jobs/:id', times: 1 },
    );
    const done = await waitForStatus(w, job.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(s.requests.filter((r) => r.status === 500)).toHaveLength(3);
    expect((await messages(w, job.id)).some((m) => /server error \(500\).*Trying again/.test(m))).toBe(true);
  });

  it('a server that keeps failing fails the job after a bounded number of attempts', async () => {
    const { w, s, ep, versionId } = await setup({}, { maxRetries: 0 });
    const job = await startOpenAI(w, ep.id, versionId);
    await waitFor('remote job running', () => s.fineTuning.jobs[0]?.status === 'running');
    s.fail({ type: 'status', status: 500 }, { route: 'GET /v1/fine_tuning/jobs/:id', times: 10_000 });
    const failed = await waitForStatus(w, job.id, ['failed', 'succeeded'], 60_000);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/server error \(500\)/);
    expect(failed.attempts).toBe(5);
    // Bounded: 3 polls per attempt, 5 attempts.
    expect(s.requests.filter((r) => r.status === 500)).toHaveLength(15);
    expect(failed.remoteId).toBe(s.fineTuning.jobs[0]!.id);
  }, 90_000);
});

describe('timeouts and malformed answers', () => {
  it('a hanging server times out and is retried', async () => {
    const { w, s, ep, versionId } = await setup({}, { timeoutMs: 300, maxRetries: 1 });
    const job = await startOpenAI(w, ep.id, versionId);
    await waitFor('remote job running', () => s.fineTuning.jobs[0]?.status === 'running');
    s.fail({ type: 'delay', ms: 5000 }, { route: 'GET /v1/fine_tuning/jobs/:id', times: 2 });
    const done = await waitForStatus(w, job.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect((await messages(w, job.id)).some((m) => /did not answer.*Trying again/.test(m))).toBe(true);
  });

  it('an HTML page and truncated JSON are tolerated', async () => {
    const { w, s, ep, versionId } = await setup({}, { maxRetries: 0 });
    const job = await startOpenAI(w, ep.id, versionId);
    await waitFor('remote job running', () => s.fineTuning.jobs[0]?.status === 'running');
    s.fail({ type: 'html', status: 200 }, { route: 'GET /v1/fine_tuning/jobs/:id', times: 1 });
    s.fail({ type: 'truncatedJson' }, { route: 'GET /v1/fine_tuning/jobs/:id/events', times: 1 });
    const done = await waitForStatus(w, job.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect((await messages(w, job.id)).filter((m) => /unreadable.*Trying again/.test(m)).length).toBeGreaterThanOrEqual(
      2,
    );
    // Nothing was lost or repeated on the way.
    const steps = (await events(w, job.id, 'metrics')).map((m) => m.metrics!.step);
    expect(steps).toEqual(steps.map((_, i) => i + 1));
  });

  it('an unknown status (paused) is shown as unknown and polling goes on', async () => {
    const { w, s, ep, versionId } = await setup({ advance: 'manual' });
    const job = await startOpenAI(w, ep.id, versionId);
    const remote = await waitFor('remote job', () => s.fineTuning.jobs[0]);
    s.fineTuning.advance(remote.id, 3);
    await waitForStatus(w, job.id, ['running']);
    s.fineTuning.setStatus(remote.id, 'paused', 1_000_000);
    await waitFor('paused to be seen', async () => (await detail(w, job.id)).openai!.remoteStatus === 'paused');
    const d = await detail(w, job.id);
    expect(d.openai!.remoteStatusKnown).toBe(false);
    expect(d.job.status).toBe('running');
    expect(await messages(w, job.id)).toContain(
      'OpenAI reports status "paused", which this app does not know; it is shown as unknown and polling goes on.',
    );
    s.fineTuning.setStatus(remote.id, 'paused', 1);
    s.fineTuning.advance(remote.id, 1);
    s.fineTuning.finish(remote.id);
    const done = await waitForStatus(w, job.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    // Warned once, not on every poll.
    expect((await messages(w, job.id)).filter((m) => m.includes('"paused"'))).toHaveLength(1);
  });

  it.each([
    [
      'missing_columns',
      { encoding: 'plain', missingColumns: ['train_accuracy', 'valid_loss', 'valid_mean_token_accuracy'], badRows: 0 },
    ],
    ['base64', { encoding: 'base64', missingColumns: [], badRows: 0 }],
    ['garbage', { encoding: 'plain', missingColumns: [] }],
  ] as const)('a %s result CSV is read as far as it goes', async (variant, expected) => {
    const { w, s, ep, versionId } = await setup({ resultCsv: variant });
    const job = await startOpenAI(w, ep.id, versionId);
    const done = await waitForStatus(w, job.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    const result = (await detail(w, job.id)).openai!.result!;
    expect(result).toMatchObject(expected);
    expect(result.final.trainLoss).toEqual(expect.any(Number));
    if (variant === 'missing_columns') {
      expect(result.final).toMatchObject({ trainAccuracy: null, validLoss: null, validAccuracy: null });
      expect(await messages(w, job.id)).toContain(
        'The result file lacks train_accuracy, valid_loss, valid_mean_token_accuracy; those figures are shown as unknown.',
      );
    }
    if (variant === 'garbage') expect(result.badRows).toBeGreaterThan(0);
    expect(w.db.prepare('SELECT COUNT(*) FROM models WHERE produced_by_job_id = ?').pluck().get(job.id)).toBe(1);
    void s;
  });

  it('a job that fails on OpenAI fails here with its reason, and Retry starts a new remote job from the same files', async () => {
    const { w, s, ep, versionId } = await setup();
    s.fineTuning.failNextJob(2, 'invalid_training_file', 'The job failed due to an invalid training file.');
    const job = await startOpenAI(w, ep.id, versionId);
    const failed = await waitForStatus(w, job.id, ['failed', 'succeeded']);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('(invalid_training_file): The job failed due to an invalid training file.');
    ok(await w.invoke('jobs.retry', { id: job.id }));
    const done = await waitForStatus(w, job.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(s.fineTuning.jobs.map((j) => j.status)).toEqual(['failed', 'succeeded']);
    expect(s.requestsTo('POST', '/v1/files')).toHaveLength(2);
    expect(done.remoteId).toBe(s.fineTuning.jobs[1]!.id);
  });
});

describe('a lost create answer is reconciled by metadata: never a second job', () => {
  it.each(['drop', 'hang', 'status500'] as const)('the job is created but the answer is lost (%s)', async (mode) => {
    const { w, s, ep, versionId } = await setup({}, { timeoutMs: 400 });
    s.fineTuning.loseCreateAnswer(mode);
    const job = await startOpenAI(w, ep.id, versionId);
    const done = await waitForStatus(w, job.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(s.fineTuning.jobs).toHaveLength(1);
    expect(creates(s)).toHaveLength(1);
    const list = s.requestsTo('GET', '/v1/fine_tuning/jobs');
    expect(list).toHaveLength(1);
    expect(list[0]!.query).toMatchObject({ 'metadata[tw_job_id]': String(job.id) });
    expect(done.remoteId).toBe(s.fineTuning.jobs[0]!.id);
    expect(await messages(w, job.id)).toContain(
      `Found OpenAI job ${s.fineTuning.jobs[0]!.id}: the lost request had created it; no second job was made.`,
    );
  });

  it('the request timed out before the server made the job: the look-up finds nothing and it is created once', async () => {
    const { w, s, ep, versionId } = await setup({}, { timeoutMs: 300 });
    // The stand-in waits, the client gives up first, and the stand-in never runs the handler.
    s.fail({ type: 'delay', ms: 3000 }, { route: 'POST /v1/fine_tuning/jobs', times: 1 });
    const job = await startOpenAI(w, ep.id, versionId);
    const done = await waitForStatus(w, job.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(s.fineTuning.jobs).toHaveLength(1);
    expect(creates(s)).toHaveLength(2);
    expect(await messages(w, job.id)).toContain('No job carries this job’s metadata: the request did not take effect.');
  });

  it('the look-up itself fails: the next attempt looks again before creating', async () => {
    const { w, s, ep, versionId } = await setup({}, { timeoutMs: 400, maxRetries: 0 });
    s.fineTuning.loseCreateAnswer('drop');
    s.fail({ type: 'status', status: 502 }, { route: 'GET /v1/fine_tuning/jobs', times: 1 });
    const job = await startOpenAI(w, ep.id, versionId);
    const done = await waitForStatus(w, job.id, ['succeeded', 'failed'], 40_000);
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);
    expect(s.fineTuning.jobs).toHaveLength(1);
    expect(creates(s)).toHaveLength(1);
    expect(await messages(w, job.id)).toContain(
      `Found OpenAI job ${s.fineTuning.jobs[0]!.id}, created by an earlier request whose answer was lost.`,
    );
  });

  it('two jobs in a row each get their own remote job (the look-up matches this job only)', async () => {
    const { w, s, ep, versionId } = await setup();
    const a = await startOpenAI(w, ep.id, versionId);
    await waitForStatus(w, a.id, ['succeeded']);
    s.fineTuning.loseCreateAnswer('drop');
    const b = await startOpenAI(w, ep.id, versionId);
    const done = await waitForStatus(w, b.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(s.fineTuning.jobs).toHaveLength(2);
    expect(s.fineTuning.jobs.map((j) => j.metadata!.tw_job_id)).toEqual([String(a.id), String(b.id)]);
  });
});

describe('cancel', () => {
  it('jobs.cancel cancels the remote job too', async () => {
    const { w, s, ep, versionId } = await setup({ advance: 'manual' });
    const job = await startOpenAI(w, ep.id, versionId);
    const remote = await waitFor('remote job', () => s.fineTuning.jobs[0]);
    s.fineTuning.advance(remote.id, 4);
    await waitForStatus(w, job.id, ['running']);
    ok<Job>(await w.invoke('jobs.cancel', { id: job.id }));
    const cancelled = await waitForStatus(w, job.id, ['cancelled']);
    expect(cancelled.status).toBe('cancelled');
    expect(s.fineTuning.jobs[0]!.status).toBe('cancelled');
    expect(s.requestsTo('POST', `/v1/fine_tuning/jobs/${remote.id}/cancel`)).toHaveLength(1);
    expect(await messages(w, job.id)).toContain(`Cancelled OpenAI job ${remote.id}.`);
    expect((await detail(w, job.id)).openai!.remoteStatus).toBe('cancelled');
  });

  it('cancelling a job while no run is live (interrupted) still cancels its remote job', async () => {
    const { w, s, ep, versionId } = await setup({ advance: 'manual' });
    const job = await startOpenAI(w, ep.id, versionId);
    const remote = await waitFor('remote job', () => s.fineTuning.jobs[0]);
    s.fineTuning.advance(remote.id, 3);
    await waitForStatus(w, job.id, ['running']);
    await w.close();
    // As a build without the OpenAI runner would leave it after a restart.
    const again = await openBench(w.dataDir);
    wb = again;
    const engine = again.services.get('jobs');
    await engine.stop();
    again.db.prepare("UPDATE jobs SET status = 'interrupted' WHERE id = ?").run(job.id);
    ok<Job>(await again.invoke('jobs.cancel', { id: job.id }));
    await waitFor('remote cancel', () => s.fineTuning.jobs[0]!.status === 'cancelled');
    await waitFor('the note', async () =>
      (await messages(again, job.id)).includes(`Cancelled OpenAI job ${remote.id}.`),
    );
    expect((await detail(again, job.id)).openai!.remoteStatus).toBe('cancelled');
  });

  it('shutting down leaves the remote job running (it is resumed next start)', async () => {
    const { w, s, ep, versionId } = await setup({ advance: 'manual' });
    const job = await startOpenAI(w, ep.id, versionId);
    const remote = await waitFor('remote job', () => s.fineTuning.jobs[0]);
    s.fineTuning.advance(remote.id, 3);
    await waitForStatus(w, job.id, ['running']);
    await w.close();
    wb = null;
    expect(s.fineTuning.jobs[0]!.status).toBe('running');
    expect(s.requestsTo('POST', `/v1/fine_tuning/jobs/${remote.id}/cancel`)).toHaveLength(0);
    const again = await openBench(w.dataDir);
    wb = again;
    s.fineTuning.finish(remote.id);
    const done = await waitForStatus(again, job.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(await messages(again, job.id)).toContain('Resumed after restart.');
  });
});

describe('starting a job: what is refused up front', () => {
  it('refuses a version whose secrets scan is not clean, and sends nothing', async () => {
    standin = await startStandin();
    wb = await openBench();
    const ep = await addEndpoint(wb, standin);
    const leaky = await makeVersion(wb, 30, (i) => (i === 3 ? { question: `Seen in a script: ${CANARY.openai}` } : {}));
    expect(leaky.secretsClean).toBe(false);
    const r = errorOf(
      await wb.invoke('training.startOpenAI', {
        task: 'log_analysis',
        endpointId: ep.id,
        baseModel: 'gpt-4o-mini-2024-07-18',
        datasetVersionId: leaky.id,
      }),
    );
    expect(r.code).toBe('forbidden');
    expect(r.message).toMatch(/holds secrets/);
    expect(standin.requests).toHaveLength(0);
    expect(ok<{ items: Job[] }>(await wb.invoke('jobs.list', {})).items).toHaveLength(0);
  });

  it('validates suffix, hyperparameters and the model name', async () => {
    standin = await startStandin();
    wb = await openBench();
    const ep = await addEndpoint(wb, standin);
    const base = {
      task: 'triage_priority',
      endpointId: ep.id,
      baseModel: 'gpt-4o-mini-2024-07-18',
      datasetVersionId: 1,
    };
    expect(errorOf(await wb.invoke('training.startOpenAI', { ...base, suffix: 'x'.repeat(65) })).code).toBe(
      'invalid_request',
    );
    expect(errorOf(await wb.invoke('training.startOpenAI', { ...base, hyperparameters: { nEpochs: 0 } })).code).toBe(
      'invalid_request',
    );
    expect(
      errorOf(await wb.invoke('training.startOpenAI', { ...base, hyperparameters: { learningRateMultiplier: -1 } }))
        .code,
    ).toBe('invalid_request');
    expect(errorOf(await wb.invoke('training.startOpenAI', { ...base, baseModel: 'gpt 4o; rm -rf' })).code).toBe(
      'invalid_request',
    );
    expect(errorOf(await wb.invoke('training.startOpenAI', { ...base, task: 'chat' })).code).toBe('invalid_request');
    expect(errorOf(await wb.invoke('training.startOpenAI', base)).code).toBe('not_found');
  });

  it('a version with fewer than 10 training examples is refused before anything is uploaded', async () => {
    standin = await startStandin();
    wb = await openBench();
    const ep = await addEndpoint(wb, standin);
    const small = await makeVersion(wb, 12);
    expect(small.counts.train).toBeLessThan(10);
    const r = errorOf(
      await wb.invoke('training.startOpenAI', {
        task: 'threat_detection',
        endpointId: ep.id,
        baseModel: 'gpt-4o-mini-2024-07-18',
        datasetVersionId: small.id,
      }),
    );
    expect(r).toMatchObject({ code: 'bad_input', message: expect.stringContaining('at least 10 training examples') });
    expect(standin.requests).toHaveLength(0);
  });
});

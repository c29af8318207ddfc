import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { RetryableJobError, type JobRunner } from '../../src-main/jobs/jobEngine';
import type { Capability } from '../../src-main/core/capability';
import type { Job, JobEvent } from '../../src-main/contract/index';

const open: Workbench[] = [];
afterEach(async () => {
  for (const wb of open.splice(0)) await wb.close();
});

/** A real runner for tests: counts steps on a timer, honours abort, can fail on purpose. */
function countingRunner(
  kind: JobRunner['kind'],
  opts: { exclusive: boolean; onRestart: 'interrupt' | 'resume'; failTimes?: number },
) {
  let failures = 0;
  const log: number[] = [];
  const startedAt: number[] = [];
  // A "crashed" process does nothing more: frozen runners never touch the DB again.
  const frozen = { value: false };
  const runner: JobRunner = {
    kind,
    exclusive: opts.exclusive,
    onRestart: opts.onRestart,
    async run(ctx) {
      log.push(ctx.job.id);
      startedAt.push(Date.now());
      ctx.setStatus('running');
      const steps = Number(ctx.job.params.steps ?? 3);
      for (let s = 1; s <= steps; s++) {
        if (frozen.value) await new Promise(() => undefined);
        if (ctx.signal.aborted) return { status: 'cancelled' };
        if (failures < (opts.failTimes ?? 0)) {
          failures++;
          throw new RetryableJobError('temporary failure');
        }
        await new Promise((r) => setTimeout(r, Number(ctx.job.params.stepMs ?? 5)));
        ctx.metrics({ step: s, train_loss: 1 / s });
        ctx.progress(s / steps, (steps - s) * 0.005);
      }
      return { status: 'succeeded', result: { steps } };
    },
  };
  return { runner, log, frozen, startedAt };
}

async function workbenchWith(dir: string, runners: JobRunner[]): Promise<Workbench> {
  const cap: Capability = {
    name: 'test-runners',
    handlers: {},
    start({ services }) {
      // Built-in runners (OpenAI, local trainer) are swapped for the test's own.
      for (const r of runners) services.get('jobs').register(r, { replace: true });
    },
  };
  const wb = await createWorkbench({ dataDir: dir, seed: false, extraCapabilities: [cap] });
  open.push(wb);
  return wb;
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tw-jobs-'));

describe('job engine', () => {
  it('runs a job through its states with metrics and progress', async () => {
    const { runner } = countingRunner('local_train', { exclusive: true, onRestart: 'interrupt' });
    const wb = await workbenchWith(tmp(), [runner]);
    const engine = wb.services.get('jobs');
    const job = engine.enqueue({ kind: 'local_train', params: { steps: 3 } });
    await engine.idle();
    const got = (await wb.invoke('jobs.get', { id: job.id })) as { ok: true; value: Job };
    expect(got.value).toMatchObject({ status: 'succeeded', progress: 1, result: { steps: 3 }, attempts: 1 });
    const events = (await wb.invoke('jobs.events', { id: job.id })) as { ok: true; value: { items: JobEvent[] } };
    const statuses = events.value.items.filter((e) => e.type === 'status').map((e) => e.message);
    expect(statuses).toEqual(['Queued.', 'Preparing.', 'Running.', 'Succeeded.']);
    expect(events.value.items.filter((e) => e.type === 'metrics').map((e) => e.metrics?.step)).toEqual([1, 2, 3]);
  });

  it('runs one exclusive (local) job at a time and shows the queue', async () => {
    const { runner, log } = countingRunner('local_train', { exclusive: true, onRestart: 'interrupt' });
    const wb = await workbenchWith(tmp(), [runner]);
    const engine = wb.services.get('jobs');
    const a = engine.enqueue({ kind: 'local_train', params: { steps: 3, stepMs: 20 } });
    const b = engine.enqueue({ kind: 'local_train', params: { steps: 1 } });
    const listed = (await wb.invoke('jobs.list', {})) as { ok: true; value: { items: Job[] } };
    const bListed = listed.value.items.find((j) => j.id === b.id)!;
    expect(bListed.status).toBe('queued');
    expect(bListed.queuePosition).toBe(1);
    await engine.idle();
    expect(log).toEqual([a.id, b.id]);
  });

  it('cancels a running job and a queued one', async () => {
    const { runner } = countingRunner('local_train', { exclusive: true, onRestart: 'interrupt' });
    const wb = await workbenchWith(tmp(), [runner]);
    const engine = wb.services.get('jobs');
    const a = engine.enqueue({ kind: 'local_train', params: { steps: 100, stepMs: 10 } });
    const b = engine.enqueue({ kind: 'local_train', params: { steps: 1 } });
    await new Promise((r) => setTimeout(r, 40));
    expect((await wb.invoke('jobs.cancel', { id: b.id })).ok).toBe(true);
    expect((await wb.invoke('jobs.cancel', { id: a.id })).ok).toBe(true);
    await engine.idle();
    const rows = wb.db.prepare('SELECT id, status FROM jobs ORDER BY id').all();
    expect(rows).toEqual([
      { id: a.id, status: 'cancelled' },
      { id: b.id, status: 'cancelled' },
    ]);
    const again = await wb.invoke('jobs.cancel', { id: a.id });
    expect(again).toMatchObject({ ok: false, error: { code: 'conflict' } });
  });

  it('retries a retryable failure a bounded number of times', async () => {
    const flaky = countingRunner('openai_finetune', { exclusive: false, onRestart: 'resume', failTimes: 1 });
    const wb = await workbenchWith(tmp(), [flaky.runner]);
    const engine = wb.services.get('jobs');
    (engine as unknown as { retryDelayMs: number }).retryDelayMs = 60;
    const ok = engine.enqueue({ kind: 'openai_finetune', params: { steps: 1 } });
    await new Promise((r) => setTimeout(r, 50));
    await engine.idle();
    expect(wb.db.prepare('SELECT status, attempts FROM jobs WHERE id = ?').get(ok.id)).toEqual({
      status: 'succeeded',
      attempts: 2,
    });

    const hopeless = countingRunner('evaluation', { exclusive: false, onRestart: 'resume', failTimes: 99 });
    engine.register(hopeless.runner, { replace: true });
    const bad = engine.enqueue({ kind: 'evaluation', params: { steps: 1 }, maxAttempts: 2 });
    await new Promise((r) => setTimeout(r, 50));
    await engine.idle();
    expect(wb.db.prepare('SELECT status, attempts, error FROM jobs WHERE id = ?').get(bad.id)).toEqual({
      status: 'failed',
      attempts: 2,
      error: 'temporary failure',
    });
  });

  it('after a restart: local jobs are interrupted and restartable, remote jobs resume', async () => {
    const dir = tmp();
    const local1 = countingRunner('local_train', { exclusive: true, onRestart: 'interrupt' });
    const remote1 = countingRunner('openai_finetune', { exclusive: false, onRestart: 'resume' });
    const wb1 = await workbenchWith(dir, [local1.runner, remote1.runner]);
    const e1 = wb1.services.get('jobs');
    const l = e1.enqueue({ kind: 'local_train', params: { steps: 1000, stepMs: 10 } });
    const r = e1.enqueue({ kind: 'openai_finetune', params: { steps: 1000, stepMs: 10 } });
    await new Promise((res) => setTimeout(res, 60));
    // Simulate the app dying without a clean shut-down: the old process does nothing more, its DB handle goes.
    local1.frozen.value = true;
    remote1.frozen.value = true;
    await new Promise((res) => setTimeout(res, 30));
    wb1.db.close();
    open.splice(open.indexOf(wb1), 1);

    const local2 = countingRunner('local_train', { exclusive: true, onRestart: 'interrupt' });
    const remote2 = countingRunner('openai_finetune', { exclusive: false, onRestart: 'resume' });
    const wb2 = await workbenchWith(dir, [local2.runner, remote2.runner]);
    const e2 = wb2.services.get('jobs');
    expect(wb2.db.prepare('SELECT status FROM jobs WHERE id = ?').get(l.id)).toEqual({ status: 'interrupted' });
    expect(remote2.log).toEqual([r.id]);
    e2.cancel(r.id);
    const retried = await wb2.invoke('jobs.retry', { id: l.id });
    expect(retried).toMatchObject({ ok: true });
    e2.cancel(l.id);
    await e2.idle();
    expect(local2.log).toEqual([l.id]);
  });
});

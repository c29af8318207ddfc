/**
 * Kill the app (SIGKILL of a workbench in a child process, no clean shut-down) during an OpenAI job and
 * during a local job, then start it again on the same data dir: the OpenAI job resumes polling and
 * completes with every metric once; the local job is interrupted, keeps its events, and Retry runs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { Workbench } from '../../src-main/core/workbench';
import type { JobEvent } from '../../src-main/contract/index';
import type { OpenAIStandin } from '../standin/openaiStandin';
import { fakeLocalCapability, fakeLocalRunner } from './fakeLocalRunner';
import { detail, events, getJob, ok, openBench, startStandin, tmpDir, waitForStatus } from './helpers';

const ROOT = path.resolve(import.meta.dirname, '../..');
const HOST = path.join(import.meta.dirname, 'fixtures/killableHost.ts');

let wb: Workbench | null = null;
let standin: OpenAIStandin | null = null;
let child: ChildProcess | null = null;

afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = null;
  await wb?.close();
  wb = null;
  await standin?.close();
  standin = null;
});

interface Started {
  jobId: number;
  metrics: JobEvent[];
  exited: Promise<NodeJS.Signals | null>;
}

/** Starts the child and resolves once it has reported `metricsBeforeKill` metrics events, then SIGKILLs it. */
function runAndKill(args: string[], metricsBeforeKill: number): Promise<Started> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', HOST, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const exited = new Promise<NodeJS.Signals | null>((r) => proc.once('exit', (_code, signal) => r(signal)));
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let jobId = 0;
    const metrics: JobEvent[] = [];
    const timer = setTimeout(() => reject(new Error(`child did not get far enough: ${stderr.slice(-2000)}`)), 60_000);
    proc.once('exit', (code) => {
      if (metrics.length < metricsBeforeKill) {
        clearTimeout(timer);
        reject(new Error(`child exited (${code}) early: ${stderr.slice(-2000)}`));
      }
    });
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      let msg: { type: string; jobId?: number; event?: JobEvent };
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      if (msg.type === 'started') jobId = msg.jobId!;
      if (msg.type === 'event' && msg.event!.type === 'metrics') {
        metrics.push(msg.event!);
        if (metrics.length === metricsBeforeKill) {
          proc.kill('SIGKILL');
          clearTimeout(timer);
          resolve({ jobId: jobId || msg.event!.jobId, metrics, exited });
        }
      }
    });
  });
}

describe('killing the app mid-job', () => {
  it('an OpenAI job resumes polling after a restart and completes; nothing lost or repeated', async () => {
    // The stand-in moves on a clock, so the remote job keeps running while the app is dead.
    standin = await startStandin({ advance: { everyMs: 40 }, maxSteps: 40 });
    const dataDir = tmpDir('tw-kill-openai-');
    const killed = await runAndKill([dataDir, 'openai', standin.url], 3);
    expect(await killed.exited).toBe('SIGKILL');
    const remote = standin.fineTuning.jobs[0]!;
    expect(standin.fineTuning.jobs).toHaveLength(1);

    wb = await openBench(dataDir);
    const ik = wb.db.pragma('integrity_check', { simple: true });
    expect(ik).toBe('ok');
    const done = await waitForStatus(wb, killed.jobId, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(done.remoteId).toBe(remote.id);

    const all = await events(wb, killed.jobId);
    expect(all.map((e) => e.message)).toContain('Resumed after restart.');
    expect(all.map((e) => e.message)).toContain(`Polling OpenAI job ${remote.id} again.`);
    // Every metric OpenAI reported is there exactly once, in order — including those from before the kill.
    const steps = all.filter((e) => e.type === 'metrics').map((e) => e.metrics!.step);
    const remoteSteps = standin.fineTuning
      .events(remote.id)
      .filter((e) => e.type === 'metrics')
      .map((e) => e.data.step);
    expect(steps).toEqual(remoteSteps);
    expect(steps.slice(0, 3)).toEqual(killed.metrics.map((m) => m.metrics!.step));
    // One remote job, one upload per split, one model.
    expect(standin.fineTuning.jobs).toHaveLength(1);
    expect(standin.requestsTo('POST', '/v1/fine_tuning/jobs')).toHaveLength(1);
    expect(standin.requestsTo('POST', '/v1/files')).toHaveLength(2);
    expect(wb.db.prepare('SELECT COUNT(*) FROM models WHERE produced_by_job_id = ?').pluck().get(killed.jobId)).toBe(1);
    expect((await detail(wb, killed.jobId)).lineage.producedModel?.remoteModel).toBe(remote.fine_tuned_model);
  });

  it('a local job is marked interrupted, keeps its events, and runs again with one Retry', async () => {
    const dataDir = tmpDir('tw-kill-local-');
    const killed = await runAndKill([dataDir, 'local'], 2);
    expect(await killed.exited).toBe('SIGKILL');

    const runner = fakeLocalRunner({ stepMs: 5 });
    wb = await openBench(dataDir, { extraCapabilities: [fakeLocalCapability(runner)] });
    expect(wb.db.pragma('integrity_check', { simple: true })).toBe('ok');
    const job = await getJob(wb, killed.jobId);
    expect(job.status).toBe('interrupted');
    expect(job.error).toMatch(/press Retry/);
    expect(runner.started).toEqual([]);
    // What the first run reported is still there.
    const before = await events(wb, killed.jobId, 'metrics');
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(before.slice(0, 2).map((e) => e.metrics!.step)).toEqual([1, 2]);

    ok(await wb.invoke('jobs.retry', { id: killed.jobId }));
    const done = await waitForStatus(wb, killed.jobId, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(runner.started).toEqual([killed.jobId]);
    const d = await detail(wb, killed.jobId);
    expect(d.backend).toBe('local');
    expect(d.task).toBe('log_analysis');
    expect(d.hyperparameters).toMatchObject({ epochs: 20, optimizer: 'adamw' });
  });
});

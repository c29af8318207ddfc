import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createWorkbench, type Workbench, type WorkbenchOptions } from '../../src-main/core/workbench';
import type { InvokeResult } from '../../src-main/core/dispatcher';
import type {
  DatasetVersionDetail,
  EndpointSummary,
  Job,
  JobEvent,
  TrainingJobDetail,
} from '../../src-main/contract/index';
import { setSetting } from '../../src-main/settings/settingsRepo';
import { POLL_SETTING } from '../../src-main/training/openai/openaiFineTuneRunner';
import { addMany, type SeedExample } from '../datasets/helpers';
import { startOpenAIStandin, type OpenAIStandin } from '../standin/openaiStandin';
import type { FineTuningOptions } from '../standin/fineTuningRoutes';

export const KEY = 'sk-finetune-test-key-7777-abcdef';

export function tmpDir(prefix = 'tw-ft-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function ok<T>(r: InvokeResult): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

export function errorOf(r: InvokeResult): { code: string; message: string } {
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

export async function startStandin(fineTuning: FineTuningOptions = {}): Promise<OpenAIStandin> {
  return startOpenAIStandin({ apiKey: KEY, fineTuning });
}

export interface Tuning {
  pollMs?: number;
  timeoutMs?: number;
  maxRetries?: number;
}

/** Quick polls and short timeouts so a whole fine-tune takes a second or two. */
export function tune(wb: Workbench, t: Tuning = {}): void {
  setSetting(wb.db, POLL_SETTING, t.pollMs ?? 25);
  setSetting(wb.db, 'endpoints.timeout_ms', t.timeoutMs ?? 2000);
  setSetting(wb.db, 'endpoints.max_retries', t.maxRetries ?? 2);
}

export async function openBench(
  dataDir = tmpDir(),
  extra: Partial<WorkbenchOptions> = {},
  t: Tuning = {},
): Promise<Workbench> {
  const wb = await createWorkbench({ dataDir, seed: false, actor: 'tester', ...extra });
  tune(wb, t);
  return wb;
}

export async function addEndpoint(
  wb: Workbench,
  standin: Pick<OpenAIStandin, 'url'>,
  opts: { key?: string; kind?: 'openai' | 'openai_compatible'; name?: string } = {},
): Promise<EndpointSummary> {
  return ok<EndpointSummary>(
    await wb.invoke('endpoints.add', {
      name: opts.name ?? 'Stand-in OpenAI',
      kind: opts.kind ?? 'openai',
      baseUrl: standin.url,
      apiKey: opts.key ?? KEY,
    }),
  );
}

/** Approved labelled examples and a version built from them (no secrets unless the maker plants some). */
export async function makeVersion(
  wb: Workbench,
  n = 40,
  make?: (i: number) => SeedExample,
  name = 'triage-ft',
): Promise<DatasetVersionDetail> {
  addMany(wb.db, n, make);
  return ok<DatasetVersionDetail>(
    await wb.invoke('datasets.createVersion', {
      name,
      options: { limits: { min: 10, max: 1000 }, split: { validation: 0.2, test: 0.1 } },
    }),
  );
}

export async function waitFor<T>(
  what: string,
  fn: () => T | Promise<T>,
  { timeoutMs = 30_000, everyMs = 20 } = {},
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function getJob(wb: Workbench, id: number): Promise<Job> {
  return ok<Job>(await wb.invoke('jobs.get', { id }));
}

export async function waitForStatus(wb: Workbench, id: number, statuses: Job['status'][], timeoutMs = 30_000) {
  return waitFor(
    `job ${id} to be ${statuses.join('/')}`,
    async () => {
      const j = await getJob(wb, id);
      return statuses.includes(j.status) ? j : null;
    },
    { timeoutMs },
  );
}

export async function events(wb: Workbench, id: number, type?: JobEvent['type']): Promise<JobEvent[]> {
  return ok<{ items: JobEvent[] }>(await wb.invoke('jobs.events', { id, limit: 5000, ...(type ? { type } : {}) }))
    .items;
}

export async function detail(wb: Workbench, id: number): Promise<TrainingJobDetail> {
  return ok<TrainingJobDetail>(await wb.invoke('training.jobDetail', { id }));
}

export async function startOpenAI(
  wb: Workbench,
  endpointId: number,
  versionId: number,
  extra: Record<string, unknown> = {},
): Promise<Job> {
  return ok<Job>(
    await wb.invoke('training.startOpenAI', {
      task: 'threat_detection',
      endpointId,
      baseModel: 'gpt-4o-mini-2024-07-18',
      datasetVersionId: versionId,
      suffix: 'triage',
      hyperparameters: { nEpochs: 3, batchSize: 4, learningRateMultiplier: 1.5 },
      ...extra,
    }),
  );
}

/** Every file under the data dir, as text, to prove a key never landed anywhere. */
export function dataDirText(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'secrets') walk(p);
      } else out.push(fs.readFileSync(p).toString('latin1'));
    }
  };
  walk(dir);
  return out.join('\n');
}

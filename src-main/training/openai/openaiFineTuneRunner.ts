import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type OpenAI from 'openai';
import { z } from 'zod';
import {
  OpenAIFineTuneParamsSchema,
  type DatasetVersionDetail,
  type OpenAICheckpoint,
  type OpenAIFineTuneParams,
  type ResultFileSummary,
} from '../../contract/index';
import type { Db } from '../../db/connection';
import type { EventBus } from '../../core/eventBus';
import type { Logger } from '../../core/logger';
import type { ServiceRegistry } from '../../core/capability';
import { getSetting } from '../../settings/settingsRepo';
import { getVersion } from '../../datasets/datasetsRepo';
import { exportDataset } from '../../export/exportDataset';
import { recordEgress } from '../../export/egressLog';
import { getEndpoint, setKeyStatus, type EndpointRecord } from '../../endpoints/endpointsRepo';
import { resolveKey } from '../../endpoints/endpointKeys';
import { createOpenAIClient, hostOf } from '../../runtime/openai/openaiProvider';
import { scrubServerText } from '../../runtime/openai/openaiErrors';
import { insertJobEvent } from '../../jobs/jobsRepo';
import {
  ABORT_CANCEL,
  RetryableJobError,
  type JobOutcome,
  type JobRunContext,
  type JobRunner,
} from '../../jobs/jobEngine';
import { getFineTune, insertFineTune, patchFineTune, type FineTunePatch, type FineTuneRecord } from './fineTunesRepo';
import {
  classifyFailure,
  creationRefusedMessage,
  describeFailure,
  UnexpectedAnswerError,
  type ClassifiedFailure,
} from './fineTuneErrors';
import { pickMetrics, RemoteCheckpoint, RemoteEvent, RemoteFile, RemoteJob } from './remoteShapes';
import { parseResultCsv, summarizeResultCsv } from './resultCsv';
import { registerFineTunedModel } from './registerFineTunedModel';

export interface OpenAIRunnerDeps {
  db: Db;
  bus: EventBus;
  dataDir: string;
  log: Logger;
  services: ServiceRegistry;
  env?: NodeJS.ProcessEnv;
}

/** Settings a workspace (or a test) may change; read when a job (re)starts. */
export const POLL_SETTING = 'training.openai.poll_ms';
const DEFAULT_POLL_MS = 15_000;
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 2;
const UPLOAD_TIMEOUT_MS = 10 * 60_000;
/** Create attempts within one run; each lost answer is followed by a look-up before the next. */
const CREATE_ATTEMPTS = 3;
/** Polls in a row that may fail (after the SDK's own retries) before the attempt is given up. */
const POLL_FAILURES = 3;
const EVENT_PAGE = 100;
const EVENT_PAGES_MAX = 50;
const RESULT_FILE_MAX_BYTES = 20 * 1024 * 1024;

const ListBody = z.looseObject({ data: z.array(z.unknown()), has_more: z.boolean().optional() });

/** A list answer read by us rather than the SDK's page class, which turns a non-JSON body into an empty list. */
async function readList(promise: { asResponse(): Promise<Response> }, what: string) {
  const response = await promise.asResponse();
  if (!/json/i.test(response.headers.get('content-type') ?? '')) throw new UnexpectedAnswerError(what);
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    throw new UnexpectedAnswerError(what);
  }
  const parsed = ListBody.safeParse(body);
  if (!parsed.success) throw new UnexpectedAnswerError(what);
  return { items: parsed.data.data, hasMore: parsed.data.has_more ?? false };
}

function parseOr<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new UnexpectedAnswerError(what);
  return r.data;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function newClientRef(): string {
  return crypto.randomBytes(9).toString('base64url');
}

function num(setting: unknown, min: number, max: number, fallback: number): number {
  return typeof setting === 'number' && Number.isFinite(setting) && setting >= min && setting <= max
    ? setting
    : fallback;
}

function level(l: string | undefined): 'info' | 'warn' | 'error' {
  return l === 'warn' || l === 'error' ? l : 'info';
}

function kb(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The hyperparameters the remote job reports (OpenAI fills in what was left on "auto"). */
function reportedHyperparameters(remote: RemoteJob, params: OpenAIFineTuneParams): Record<string, unknown> {
  const method = remote.method as { supervised?: { hyperparameters?: unknown } } | undefined;
  const h = method?.supervised?.hyperparameters ?? remote.hyperparameters;
  if (h && typeof h === 'object') return { ...(h as Record<string, unknown>) };
  return {
    n_epochs: params.hyperparameters.nEpochs ?? 'auto',
    batch_size: params.hyperparameters.batchSize ?? 'auto',
    learning_rate_multiplier: params.hyperparameters.learningRateMultiplier ?? 'auto',
  };
}

/**
 * A job cancelled while no run was live (between retry attempts, or interrupted in a build without this
 * runner) may still have a remote job running: cancel that one too, so nothing keeps training (and
 * billing) behind a job the person cancelled. Failures are noted in the job's log, never thrown.
 */
export async function cancelLeftoverRemoteJob(deps: OpenAIRunnerDeps, jobId: number): Promise<void> {
  const state = getFineTune(deps.db, jobId);
  if (!state?.remoteJobId || ['succeeded', 'failed', 'cancelled'].includes(state.remoteStatus ?? '')) return;
  const note = (message: string, lvl: 'info' | 'warn') =>
    deps.bus.emit('job.event', insertJobEvent(deps.db, { jobId, level: lvl, type: 'message', message }));
  const ep = state.endpointId !== null ? getEndpoint(deps.db, state.endpointId) : null;
  const key = ep ? resolveKey(ep, deps.services.get('keyStore'), deps.env ?? process.env).key : null;
  if (!ep || !key) {
    note(`OpenAI job ${state.remoteJobId} may still be running: no endpoint or key to cancel it with.`, 'warn');
    return;
  }
  const client = createOpenAIClient({
    kind: ep.kind,
    endpointName: ep.name,
    baseUrl: ep.baseUrl,
    apiKey: key,
    timeoutMs: 15_000,
    maxRetries: 1,
    log: deps.log,
  });
  try {
    const job = RemoteJob.safeParse(await client.fineTuning.jobs.cancel(state.remoteJobId));
    patchFineTune(deps.db, jobId, { remoteStatus: job.success ? job.data.status : 'cancelled' });
    note(`Cancelled OpenAI job ${state.remoteJobId}.`, 'info');
  } catch (err) {
    const f = classifyFailure(err, key);
    note(
      `${describeFailure(f, ep.name, 'cancelling the remote job')} Check job ${state.remoteJobId} on the provider’s side.`,
      'warn',
    );
  }
}

/**
 * OpenAI fine-tuning as a persistent job: upload the dataset version's OpenAI JSONL (export refuses
 * while its secrets scan is not clean), create the remote job with our job id in its metadata, poll the
 * job, its events (metrics become chart points) and checkpoints, read the result CSV, and register the
 * fine-tuned model. Every step is recorded in `openai_finetunes`, so a restart resumes where it stopped
 * and a lost create answer is reconciled by metadata instead of creating a second job.
 */
export function createOpenAIFineTuneRunner(deps: OpenAIRunnerDeps): JobRunner {
  return {
    kind: 'openai_finetune',
    exclusive: false,
    onRestart: 'resume',
    run: (ctx) => new FineTuneRun(deps, ctx).run(),
  };
}

class FineTuneRun {
  private readonly db: Db;
  private readonly jobId: number;
  private params!: OpenAIFineTuneParams;
  private state!: FineTuneRecord;
  private endpoint!: EndpointRecord;
  private apiKey = '';
  private client!: OpenAI;
  private pollMs = DEFAULT_POLL_MS;
  private running: boolean;
  private readonly warnedStatuses = new Set<string>();
  private pollsSinceCheckpoints = 0;
  private firstStep: { at: number; step: number } | null = null;
  private keyConfirmed = false;

  constructor(
    private readonly deps: OpenAIRunnerDeps,
    private readonly ctx: JobRunContext,
  ) {
    this.db = deps.db;
    this.jobId = ctx.job.id;
    this.running = ctx.job.status === 'running';
  }

  async run(): Promise<JobOutcome> {
    this.setup();
    try {
      return await this.drive();
    } catch (err) {
      if (this.ctx.signal.aborted) return this.stopped();
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Set-up: stored params, endpoint, key, client

  private setup(): void {
    const parsed = OpenAIFineTuneParamsSchema.safeParse(this.ctx.job.params);
    if (!parsed.success) throw new Error('This job’s stored settings could not be read; start a new job.');
    this.params = parsed.data;
    const existing = getFineTune(this.db, this.jobId);
    if (!existing) {
      insertFineTune(this.db, { jobId: this.jobId, endpointId: this.params.endpointId, clientRef: newClientRef() });
    }
    this.state = getFineTune(this.db, this.jobId)!;
    const ep = getEndpoint(this.db, this.state.endpointId ?? this.params.endpointId);
    if (!ep) {
      throw new Error(
        `The endpoint this job was started with (${this.params.endpointId}) no longer exists. Start a new job with another endpoint.`,
      );
    }
    this.endpoint = ep;
    const key = resolveKey(ep, this.deps.services.get('keyStore'), this.deps.env ?? process.env).key;
    if (!key) {
      throw new Error(`No key is set for endpoint "${ep.name}". Set one in Settings → Endpoints, then press Retry.`);
    }
    this.apiKey = key;
    this.client = createOpenAIClient({
      kind: ep.kind,
      endpointName: ep.name,
      baseUrl: ep.baseUrl,
      apiKey: key,
      timeoutMs: num(getSetting(this.db, 'endpoints.timeout_ms'), 100, 600_000, DEFAULT_TIMEOUT_MS),
      maxRetries: num(getSetting(this.db, 'endpoints.max_retries'), 0, 5, DEFAULT_MAX_RETRIES),
      log: this.deps.log,
    });
    this.pollMs = num(getSetting(this.db, POLL_SETTING), 20, 3_600_000, DEFAULT_POLL_MS);
  }

  private patch(p: FineTunePatch): void {
    patchFineTune(this.db, this.jobId, p);
    this.state = getFineTune(this.db, this.jobId)!;
  }

  // -------------------------------------------------------------------------------------------
  // The steps

  private async drive(): Promise<JobOutcome> {
    const freshAttempt = this.ctx.job.status === 'queued' || this.ctx.job.status === 'interrupted';
    if (this.state.failure) this.patch({ failure: null });
    const ended = this.state.remoteStatus === 'failed' || this.state.remoteStatus === 'cancelled';
    if (this.state.remoteJobId && freshAttempt && ended) {
      // Retry after the remote job ended badly: keep the uploads, start a new remote job.
      this.ctx.event(
        `OpenAI job ${this.state.remoteJobId} ended ${this.state.remoteStatus}; creating a new one from the same uploaded files.`,
      );
      this.patch({
        clientRef: newClientRef(),
        remoteJobId: null,
        remoteStatus: null,
        createSentAt: null,
        eventsCursor: null,
        checkpoints: [],
        result: null,
        fineTunedModel: null,
        trainedTokens: null,
      });
    }
    if (!this.state.remoteJobId) {
      await this.ensureUploaded();
      await this.ensureCreated();
    } else if (!freshAttempt) {
      this.ctx.event(`Polling OpenAI job ${this.state.remoteJobId} again.`);
    }
    return this.poll();
  }

  /** Runs one SDK call; failures become job errors: retryable (429/5xx/timeouts) or final (401/403/4xx). */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      const value = await fn();
      this.confirmKey();
      return value;
    } catch (err) {
      if (this.ctx.signal.aborted) throw err;
      throw this.toJobError(classifyFailure(err, this.apiKey), what);
    }
  }

  private toJobError(f: ClassifiedFailure, what: string): Error {
    const message = describeFailure(f, this.endpoint.name, what);
    if (f.kind === 'key_rejected') {
      setKeyStatus(this.db, this.endpoint.id, 'invalid', message);
      this.patch({ failure: 'key_rejected' });
    }
    return f.kind === 'transient' ? new RetryableJobError(message) : new Error(message);
  }

  private confirmKey(): void {
    if (this.keyConfirmed) return;
    this.keyConfirmed = true;
    const ep = getEndpoint(this.db, this.endpoint.id);
    if (ep && ep.keyStatus !== 'ok') setKeyStatus(this.db, ep.id, 'ok', null);
  }

  private version(): DatasetVersionDetail {
    const v = getVersion(this.db, this.params.datasetVersionId);
    if (!v) throw new Error(`Dataset version ${this.params.datasetVersionId} no longer exists.`);
    return v;
  }

  private async ensureUploaded(): Promise<void> {
    const version = this.version();
    if (!this.state.trainingFileId) {
      if (version.counts.train < 10) {
        throw new Error(
          `OpenAI needs at least 10 training examples; version ${version.version} of "${version.datasetName}" has ${version.counts.train}.`,
        );
      }
      this.patch({ trainingFileId: await this.upload(version, 'train') });
    }
    if (this.params.useValidation && version.counts.validation > 0 && !this.state.validationFileId) {
      this.patch({ validationFileId: await this.upload(version, 'validation') });
    }
  }

  private async upload(version: DatasetVersionDetail, split: 'train' | 'validation'): Promise<string> {
    const dir = path.join(this.deps.dataDir, 'training', 'openai', `job-${this.jobId}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The export refuses a version whose secrets scan is not clean: nothing unredacted leaves.
    const exported = await exportDataset(
      { versionId: version.id, format: 'openai', split, destDir: dir },
      { db: this.db, dataDir: this.deps.dataDir, actor: `job ${this.jobId}`, signal: this.ctx.signal },
    );
    this.ctx.event(
      `Uploading the ${split} split of "${version.datasetName}" v${version.version} (${exported.examples} examples, ${kb(exported.bytes)}) to "${this.endpoint.name}".`,
    );
    const file = await this.call(`uploading the ${split} split`, async () =>
      parseOr(
        RemoteFile,
        await this.client.files.create(
          { file: fs.createReadStream(exported.path), purpose: 'fine-tune' },
          { signal: this.ctx.signal, timeout: UPLOAD_TIMEOUT_MS },
        ),
        'the file upload',
      ),
    );
    recordEgress(this.db, {
      actor: `job ${this.jobId}`,
      kind: 'upload',
      destination: `${this.endpoint.name} (${hostOf(this.endpoint.baseUrl)}) ${file.id}`,
      contentHash: exported.sha256,
      bytes: exported.bytes,
      details: {
        jobId: this.jobId,
        endpointId: this.endpoint.id,
        fileId: file.id,
        versionId: version.id,
        versionContentHash: version.contentHash,
        split,
        examples: exported.examples,
        purpose: 'fine-tune',
      },
    });
    this.ctx.event(`Uploaded the ${split} split as ${file.id}.`);
    return file.id;
  }

  private metadata(): Record<string, string> {
    return { tw_job_id: String(this.jobId), tw_ref: this.state.clientRef };
  }

  private async ensureCreated(): Promise<void> {
    if (this.state.createSentAt !== null) {
      // A create request went out before (and its answer may have been lost): look before creating again.
      const found = await this.lookup(this.ctx.signal);
      if (found) {
        this.adopt(found, `Found OpenAI job ${found.id}, created by an earlier request whose answer was lost.`);
        return;
      }
    }
    const h = this.params.hyperparameters;
    const hyperparameters: Record<string, number> = {};
    if (h.nEpochs !== undefined) hyperparameters.n_epochs = h.nEpochs;
    if (h.batchSize !== undefined) hyperparameters.batch_size = h.batchSize;
    if (h.learningRateMultiplier !== undefined) hyperparameters.learning_rate_multiplier = h.learningRateMultiplier;
    const body = {
      model: this.params.baseModel,
      training_file: this.state.trainingFileId!,
      ...(this.state.validationFileId ? { validation_file: this.state.validationFileId } : {}),
      ...(this.params.suffix ? { suffix: this.params.suffix } : {}),
      method: { type: 'supervised' as const, supervised: { hyperparameters } },
      metadata: this.metadata(),
    };
    let lastWhy = '';
    for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
      this.patch({ createSentAt: Date.now() });
      let raw: unknown;
      try {
        // No SDK retries here: a retried create after a lost answer is exactly how duplicates happen.
        raw = await this.client.fineTuning.jobs.create(body, { signal: this.ctx.signal, maxRetries: 0 });
        const job = parseOr(RemoteJob, raw, 'creating the job');
        this.confirmKey();
        this.adopt(job, `Created OpenAI job ${job.id} (${this.params.baseModel}).`);
        return;
      } catch (err) {
        if (this.ctx.signal.aborted) throw err;
        const f = classifyFailure(err, this.apiKey);
        if (f.kind === 'forbidden') {
          this.patch({ failure: 'creation_refused' });
          throw new Error(creationRefusedMessage(this.endpoint.name, f), { cause: err });
        }
        if (f.kind !== 'transient') throw this.toJobError(f, 'creating the fine-tuning job');
        const why = describeFailure(f, this.endpoint.name, 'creating the fine-tuning job');
        if (f.ambiguous) {
          this.ctx.event(`${why} The job may have been created: looking it up by its metadata first.`, 'warn');
          const found = await this.lookup(this.ctx.signal);
          if (found) {
            this.adopt(found, `Found OpenAI job ${found.id}: the lost request had created it; no second job was made.`);
            return;
          }
          this.ctx.event('No job carries this job’s metadata: the request did not take effect.');
        } else {
          this.ctx.event(why, 'warn');
        }
        lastWhy = why;
        if (attempt < CREATE_ATTEMPTS) {
          const waitS = f.retryAfterS !== null && f.retryAfterS <= 60 ? f.retryAfterS : Math.min(8, 0.5 * 2 ** attempt);
          await sleep(waitS * 1000, this.ctx.signal);
          if (this.ctx.signal.aborted) throw new Error('aborted', { cause: err });
        }
      }
    }
    // The next attempt (the engine's) looks the job up by metadata before creating again.
    throw new RetryableJobError(`${lastWhy} (after ${CREATE_ATTEMPTS} tries)`);
  }

  /** The remote job carrying this job's metadata, if one exists (checked here too, not only by the server's filter). */
  private async lookup(signal: AbortSignal | undefined): Promise<RemoteJob | null> {
    const metadata = this.metadata();
    let after: string | undefined;
    for (let page = 0; page < 5; page++) {
      const { items, hasMore } = await this.call('looking the job up by its metadata', () =>
        readList(
          this.client.fineTuning.jobs.list(
            { metadata, limit: 20, ...(after ? { after } : {}) },
            {
              ...(signal ? { signal } : {}),
            },
          ),
          'the job list',
        ),
      );
      for (const item of items) {
        const job = RemoteJob.safeParse(item);
        if (!job.success) continue;
        const m = job.data.metadata;
        if (m && m.tw_ref === metadata.tw_ref && m.tw_job_id === metadata.tw_job_id) return job.data;
      }
      const last = RemoteJob.safeParse(items[items.length - 1]);
      if (!hasMore || !last.success) break;
      after = last.data.id;
    }
    return null;
  }

  private adopt(remote: RemoteJob, message: string): void {
    this.ctx.setRemoteId(remote.id);
    this.patch({ remoteJobId: remote.id, remoteStatus: remote.status });
    this.ctx.event(message);
  }

  private async retrieve(): Promise<RemoteJob> {
    const id = this.state.remoteJobId!;
    return this.call('checking the job', async () =>
      parseOr(
        RemoteJob,
        await this.client.fineTuning.jobs.retrieve(id, { signal: this.ctx.signal }),
        'checking the job',
      ),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Polling

  private async poll(): Promise<JobOutcome> {
    let failures = 0;
    for (;;) {
      let remote: RemoteJob;
      try {
        remote = await this.retrieve();
        await this.syncEvents();
        if (remote.status === 'running' && ++this.pollsSinceCheckpoints >= 5) await this.syncCheckpoints();
        failures = 0;
      } catch (err) {
        if (err instanceof RetryableJobError && !this.ctx.signal.aborted && ++failures < POLL_FAILURES) {
          this.ctx.event(`${err.message} Trying again.`, 'warn');
          await sleep(this.pollMs, this.ctx.signal);
          if (this.ctx.signal.aborted) throw err;
          continue;
        }
        throw err;
      }
      const outcome = await this.onStatus(remote);
      if (outcome) return outcome;
      await sleep(this.pollMs, this.ctx.signal);
      if (this.ctx.signal.aborted) return this.stopped();
    }
  }

  private async onStatus(remote: RemoteJob): Promise<JobOutcome | null> {
    if (remote.status !== this.state.remoteStatus) this.patch({ remoteStatus: remote.status });
    if (typeof remote.estimated_finish === 'number' && remote.status === 'running') {
      const eta = Math.max(0, remote.estimated_finish - Date.now() / 1000);
      this.ctx.progress(this.currentFraction(), eta);
    }
    switch (remote.status) {
      case 'validating_files':
      case 'queued':
        return null;
      case 'running':
        if (!this.running) {
          this.running = true;
          this.ctx.setStatus('running');
        }
        return null;
      case 'succeeded':
        return this.finish(remote);
      case 'failed': {
        await this.syncEvents().catch(() => undefined);
        const e = remote.error;
        const detail = e?.message ? scrubServerText(e.message, this.apiKey, 400) : 'no reason was given';
        throw new Error(`OpenAI reports that job ${remote.id} failed${e?.code ? ` (${e.code})` : ''}: ${detail}`);
      }
      case 'cancelled':
        this.ctx.event(`OpenAI job ${remote.id} was cancelled outside this app.`, 'warn');
        return { status: 'cancelled' };
      default:
        if (!this.warnedStatuses.has(remote.status)) {
          this.warnedStatuses.add(remote.status);
          this.ctx.event(
            `OpenAI reports status "${scrubServerText(remote.status, this.apiKey, 40)}", which this app does not know; it is shown as unknown and polling goes on.`,
            'warn',
          );
        }
        return null;
    }
  }

  private lastFraction = 0;
  private currentFraction(): number {
    return this.lastFraction;
  }

  /**
   * New remote events since the cursor, oldest first, each turned into a job event (metrics into chart
   * points) in one transaction with the cursor: a crash never loses or repeats one. OpenAI lists events
   * newest first (`after` pages towards older ones); a server that lists oldest first is handled too.
   */
  private async syncEvents(): Promise<void> {
    const id = this.state.remoteJobId!;
    const cursor = this.state.eventsCursor;
    const fetchPage = (after: string | undefined) =>
      this.call('reading the job’s events', () =>
        readList(
          this.client.fineTuning.jobs.listEvents(
            id,
            { limit: EVENT_PAGE, ...(after ? { after } : {}) },
            { signal: this.ctx.signal },
          ),
          'the event list',
        ),
      );
    const parse = (items: unknown[]) =>
      items.map((i) => RemoteEvent.safeParse(i)).flatMap((r) => (r.success ? [r.data] : []));

    let fresh: RemoteEvent[] = [];
    const first = await fetchPage(undefined);
    const events = parse(first.items);
    const ascending = events.length > 1 && (events[0]!.created_at ?? 0) < (events[events.length - 1]!.created_at ?? 0);
    if (!ascending) {
      let page = { events, hasMore: first.hasMore };
      let reached = false;
      for (let n = 0; n < EVENT_PAGES_MAX; n++) {
        for (const e of page.events) {
          if (e.id === cursor) {
            reached = true;
            break;
          }
          fresh.push(e);
        }
        if (reached || !page.hasMore || !page.events.length) break;
        const next = await fetchPage(page.events[page.events.length - 1]!.id);
        page = { events: parse(next.items), hasMore: next.hasMore };
      }
      fresh.reverse();
    } else {
      let page = cursor ? parse((await fetchPage(cursor)).items) : events;
      // Without a cursor the first page is the start; with one, ask for what follows it.
      for (let n = 0; n < EVENT_PAGES_MAX && page.length; n++) {
        fresh.push(...page);
        if (page.length < EVENT_PAGE) break;
        page = parse((await fetchPage(page[page.length - 1]!.id)).items);
      }
      if (cursor) {
        const at = fresh.findIndex((e) => e.id === cursor);
        if (at >= 0) fresh = fresh.slice(at + 1);
      }
    }
    if (!fresh.length) return;

    let lastMetrics: Record<string, number> | null = null;
    this.db.transaction(() => {
      for (const e of fresh) {
        const metrics = e.type === 'metrics' ? pickMetrics(e.data) : null;
        if (metrics && Object.keys(metrics).length) {
          const step = metrics.step;
          const total = metrics.total_steps;
          this.ctx.metrics(
            metrics,
            step !== undefined ? `Step ${step}${total !== undefined ? ` of ${total}` : ''}` : 'metrics',
          );
          lastMetrics = metrics;
        } else {
          const text = e.message ? scrubServerText(e.message, this.apiKey, 500) : '(an event without a message)';
          this.ctx.event(`OpenAI: ${text}`, level(e.level));
        }
      }
      patchFineTune(this.db, this.jobId, { eventsCursor: fresh[fresh.length - 1]!.id });
    })();
    this.state = getFineTune(this.db, this.jobId)!;
    if (lastMetrics) this.reportProgress(lastMetrics);
  }

  private reportProgress(m: Record<string, number>): void {
    const step = m.step;
    const total = m.total_steps;
    if (step === undefined || total === undefined || total <= 0) return;
    const fraction = Math.min(1, step / total);
    this.lastFraction = fraction;
    const now = Date.now();
    if (!this.firstStep || step < this.firstStep.step) this.firstStep = { at: now, step };
    let eta: number | null = null;
    if (step > this.firstStep.step) {
      const perStep = (now - this.firstStep.at) / 1000 / (step - this.firstStep.step);
      eta = perStep * Math.max(0, total - step);
    }
    this.ctx.progress(fraction, eta);
  }

  private async syncCheckpoints(): Promise<void> {
    this.pollsSinceCheckpoints = 0;
    const id = this.state.remoteJobId!;
    const { items } = await this.call('reading the job’s checkpoints', () =>
      readList(
        this.client.fineTuning.jobs.checkpoints.list(id, { limit: 10 }, { signal: this.ctx.signal }),
        'the checkpoint list',
      ),
    );
    const known = new Set(this.state.checkpoints.map((c) => c.id));
    const list: OpenAICheckpoint[] = items
      .map((i) => RemoteCheckpoint.safeParse(i))
      .flatMap((r) => (r.success ? [r.data] : []))
      .map((c) => ({
        id: c.id,
        step: c.step_number ?? 0,
        model: c.fine_tuned_model_checkpoint ?? '',
        metrics: pickMetrics(c.metrics),
      }))
      .sort((a, b) => a.step - b.step);
    const added = list.filter((c) => !known.has(c.id));
    if (!added.length && list.length === this.state.checkpoints.length) return;
    for (const c of added) this.ctx.event(`Checkpoint at step ${c.step}: ${c.model || c.id}.`);
    this.patch({ checkpoints: list });
  }

  // -------------------------------------------------------------------------------------------
  // The end

  private async finish(remote: RemoteJob): Promise<JobOutcome> {
    await this.syncEvents();
    try {
      await this.syncCheckpoints();
    } catch (err) {
      if (this.ctx.signal.aborted) throw err;
      this.ctx.event(
        `The checkpoints could not be read (${(err as Error).message}); they are shown as unknown.`,
        'warn',
      );
    }
    const fineTuned = remote.fine_tuned_model;
    if (!fineTuned)
      throw new Error(`OpenAI reports job ${remote.id} succeeded but does not name the fine-tuned model.`);
    const result = await this.readResultFile(remote);
    const trainedTokens = typeof remote.trained_tokens === 'number' ? remote.trained_tokens : null;
    this.patch({ fineTunedModel: fineTuned, trainedTokens, result });
    const version = getVersion(this.db, this.params.datasetVersionId);
    const { modelId, created } = registerFineTunedModel(this.db, {
      jobId: this.jobId,
      params: this.params,
      endpoint: this.endpoint,
      fineTunedModel: fineTuned,
      remoteJobId: remote.id,
      hyperparameters: reportedHyperparameters(remote, this.params),
      trainedTokens,
      datasetContentHash: version?.contentHash ?? null,
      result,
    });
    if (created) {
      this.deps.bus.emit('models.changed', { ids: [modelId] });
      this.ctx.event(`Registered ${fineTuned} as model ${modelId}; it can be used for chat and evaluation.`);
    }
    return {
      status: 'succeeded',
      result: {
        modelId,
        fineTunedModel: fineTuned,
        remoteJobId: remote.id,
        trainedTokens,
        resultFile: result ? result.final : null,
      },
    };
  }

  /** The result CSV (plain or base64); a file that cannot be read is reported, never fatal. */
  private async readResultFile(remote: RemoteJob): Promise<ResultFileSummary | null> {
    const fileId = remote.result_files?.[0];
    if (!fileId) {
      this.ctx.event('OpenAI attached no result file; the final figures are shown as unknown.', 'warn');
      return null;
    }
    try {
      const response = await this.call('downloading the result file', () =>
        this.client.files.content(fileId, { signal: this.ctx.signal }),
      );
      const text = await response.text();
      if (text.length > RESULT_FILE_MAX_BYTES) throw new UnexpectedAnswerError('the result file (too large)');
      const parsed = parseResultCsv(text);
      const summary = summarizeResultCsv(fileId, parsed);
      if (summary.missingColumns.length) {
        this.ctx.event(
          `The result file lacks ${summary.missingColumns.join(', ')}; those figures are shown as unknown.`,
          'warn',
        );
      }
      if (summary.badRows) this.ctx.event(`${summary.badRows} lines of the result file could not be read.`, 'warn');
      this.ctx.event(`Read the result file ${fileId}: ${summary.rows} steps.`);
      return summary;
    } catch (err) {
      if (this.ctx.signal.aborted) throw err;
      this.ctx.event(
        `The result file could not be read (${(err as Error).message}); its figures are shown as unknown.`,
        'warn',
      );
      return null;
    }
  }

  /** Aborted: a person's cancel also cancels the remote job; a shut-down leaves it running for next start. */
  private async stopped(): Promise<JobOutcome> {
    if (this.ctx.signal.reason === ABORT_CANCEL) await this.cancelRemote();
    return { status: 'cancelled' };
  }

  private async cancelRemote(): Promise<void> {
    const opts = { timeout: 15_000, maxRetries: 1 };
    let id = this.state.remoteJobId;
    try {
      if (!id && this.state.createSentAt !== null) id = (await this.lookup(undefined))?.id ?? null;
      if (!id) {
        this.ctx.event('Cancelled before a job was created on OpenAI.');
        return;
      }
      const raw = await this.client.fineTuning.jobs.cancel(id, opts);
      const job = RemoteJob.safeParse(raw);
      this.patch({ remoteJobId: id, remoteStatus: job.success ? job.data.status : 'cancelled' });
      this.ctx.event(`Cancelled OpenAI job ${id}.`);
    } catch (err) {
      const f = classifyFailure(err, this.apiKey);
      this.ctx.event(
        `${describeFailure(f, this.endpoint.name, 'cancelling the remote job')} Check job ${id ?? '(unknown)'} on the provider’s side.`,
        'warn',
      );
    }
  }
}

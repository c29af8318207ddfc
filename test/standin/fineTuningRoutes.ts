/**
 * Fine-tuning for the OpenAI stand-in: files and fine_tuning jobs as ../shared/specs/openai-fine-tuning.md
 * describes them, so the real `openai` SDK can drive a whole fine-tune against a local server.
 *
 * - Files: POST /v1/files (multipart; purpose fine-tune is checked line by line like OpenAI's JSONL
 *   validation), GET/DELETE /v1/files/{id}, GET /v1/files/{id}/content.
 * - Jobs: create (checks model, training_file — at least 10 examples —, validation_file, suffix ≤ 64,
 *   method, metadata ≤ 16 pairs), retrieve, list (after, limit, `metadata[k]=v`), cancel, events (newest
 *   first, `after` pages towards older ones; metrics events carry `data`), checkpoints (one per epoch,
 *   the last three kept).
 * - A deterministic state machine: validating_files → queued → running (one metrics event per step,
 *   validation metrics on some steps) → succeeded with `ft:<model>:<org>:<suffix>:<id>` and a result CSV
 *   in `result_files`. It advances one tick per retrieve (`advance: 'poll'`), on a clock
 *   (`{ everyMs }`), or only when a test calls `advance()`.
 * - Faults on top of the stand-in's own (`standin.fail(...)` gives 401/403/429/500/HTML/delays on any
 *   route): `refuseCreation()` (403 as OpenAI answers after the wind-down), `loseCreateAnswer()` (the job
 *   is created, then the answer is dropped, hangs, or is a 500), `setStatus()` (an unknown status such
 *   as `paused`), `failJob()`, and `resultCsv` variants (base64, missing columns, garbage).
 */
import type { OpenAIStandin, RouteContext } from './openaiStandin';

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

// ---------------------------------------------------------------------------------------------
// Types

export interface StoredFile {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status: 'processed';
  status_details: null;
  /** Not part of OpenAI's object: kept for content downloads and assertions. */
  content: Buffer;
  examples: number;
}

export interface StoredEvent {
  object: 'fine_tuning.job.event';
  id: string;
  created_at: number;
  level: 'info' | 'warn' | 'error';
  message: string;
  type: 'message' | 'metrics';
  data: Record<string, number> | Record<string, never>;
}

export interface StoredCheckpoint {
  object: 'fine_tuning.job.checkpoint';
  id: string;
  created_at: number;
  fine_tuning_job_id: string;
  fine_tuned_model_checkpoint: string;
  step_number: number;
  metrics: Record<string, number>;
}

type Hyper = { n_epochs: number; batch_size: number; learning_rate_multiplier: number };

export interface StoredJob {
  id: string;
  object: 'fine_tuning.job';
  created_at: number;
  finished_at: number | null;
  model: string;
  fine_tuned_model: string | null;
  organization_id: string;
  status: string;
  error: { code: string; message: string; param: string | null } | null;
  trained_tokens: number | null;
  training_file: string;
  validation_file: string | null;
  result_files: string[];
  seed: number;
  estimated_finish: number | null;
  metadata: Record<string, string> | null;
  method: { type: 'supervised'; supervised: { hyperparameters: Hyper } };
  hyperparameters: Hyper;
  integrations: null;
  user_provided_suffix: string | null;
}

interface JobSim {
  job: StoredJob;
  events: StoredEvent[];
  checkpoints: StoredCheckpoint[];
  totalSteps: number;
  stepsPerEpoch: number;
  step: number;
  /** Ticks left in the current non-running phase. */
  wait: number;
  /** An injected status (e.g. `paused`) shown for this many ticks, then back to running. */
  override: { status: string; ticks: number } | null;
  failAtStep: { step: number; code: string; message: string } | null;
  trainTokensPerEpoch: number;
  hasValidation: boolean;
}

export type ResultCsvVariant = 'plain' | 'base64' | 'missing_columns' | 'garbage';

export interface FineTuningOptions {
  /** How jobs move on: one tick per retrieve (default), on a clock, or only through `advance()`. */
  advance?: 'poll' | 'manual' | { everyMs: number };
  /** Steps run per tick while running (default 1). */
  stepsPerTick?: number;
  /** Caps total steps so tests stay quick (default 24). */
  maxSteps?: number;
  /** Ticks spent validating files and queued (default 1 each). */
  validatingTicks?: number;
  queuedTicks?: number;
  /** Models that can be fine-tuned (default: the stand-in's models plus gpt-4o-mini/gpt-4.1-mini). */
  fineTunable?: string[];
  org?: string;
  resultCsv?: ResultCsvVariant;
}

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);
const EXAMPLE_KEYS = new Set(['messages', 'tools', 'parallel_tool_calls', 'functions']);
const CREATE_KEYS = new Set([
  'model',
  'training_file',
  'validation_file',
  'suffix',
  'seed',
  'method',
  'metadata',
  'hyperparameters',
  'integrations',
]);
const MIN_EXAMPLES = 10;

// ---------------------------------------------------------------------------------------------
// JSONL validation (the part of OpenAI's file checks a fine-tune relies on)

/** Returns the example count, or an error naming the first bad line. */
export function validateFineTuneJsonl(text: string): { examples: number } | { error: string } {
  if (text.charCodeAt(0) === 0xfeff) return { error: 'Invalid file format: the file starts with a byte-order mark.' };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let examples = 0;
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i]!.replace(/\r$/, '');
    if (!line.trim()) return { error: `Invalid file format: line ${n} is empty.` };
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { error: `Invalid file format: line ${n} is not valid JSON.` };
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      return { error: `Invalid file format: line ${n} is not a JSON object.` };
    }
    const ex = value as Record<string, unknown>;
    for (const k of Object.keys(ex)) {
      if (!EXAMPLE_KEYS.has(k)) return { error: `Invalid file format: line ${n} has an unrecognized key "${k}".` };
    }
    if (!Array.isArray(ex.messages) || ex.messages.length === 0) {
      return { error: `Invalid file format: line ${n} is missing a non-empty "messages" list.` };
    }
    let assistant = false;
    for (const m of ex.messages as unknown[]) {
      if (!m || typeof m !== 'object')
        return { error: `Invalid file format: line ${n} has a message that is not an object.` };
      const msg = m as Record<string, unknown>;
      if (typeof msg.role !== 'string' || !ROLES.has(msg.role)) {
        return { error: `Invalid file format: line ${n} has an unrecognized role.` };
      }
      const hasToolCalls = Array.isArray(msg.tool_calls) && msg.tool_calls.length > 0;
      if (typeof msg.content !== 'string' && !(msg.role === 'assistant' && hasToolCalls)) {
        return { error: `Invalid file format: line ${n} has a message without content.` };
      }
      if (msg.role === 'tool' && typeof msg.tool_call_id !== 'string') {
        return { error: `Invalid file format: line ${n} has a tool message without tool_call_id.` };
      }
      if ('weight' in msg && (msg.role !== 'assistant' || (msg.weight !== 0 && msg.weight !== 1))) {
        return { error: `Invalid file format: line ${n} has an invalid weight.` };
      }
      if (msg.role === 'assistant') assistant = true;
    }
    if (!assistant) return { error: `Invalid file format: line ${n} has no assistant message.` };
    examples += 1;
  }
  return { examples };
}

// ---------------------------------------------------------------------------------------------
// Metrics: a deterministic, decreasing loss

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** Loss falls from about 2.2 towards 0.35; a small deterministic wobble keeps the curve honest. */
export function simulatedMetrics(step: number, total: number, withValidation: boolean): Record<string, number> {
  const p = step / total;
  const wobble = 0.04 * Math.sin(step * 1.7);
  const train = 1.85 * Math.exp(-3.2 * p) + 0.35 + wobble;
  const data: Record<string, number> = {
    step,
    total_steps: total,
    train_loss: round(train),
    train_mean_token_accuracy: round(Math.min(0.99, 0.42 + 0.5 * (1 - Math.exp(-3 * p)) - wobble / 4)),
  };
  const every = Math.max(1, Math.round(total / 6));
  if (withValidation && (step % every === 0 || step === total)) {
    data.valid_loss = round(1.9 * Math.exp(-2.6 * p) + 0.45);
    data.valid_mean_token_accuracy = round(0.4 + 0.45 * (1 - Math.exp(-2.6 * p)));
    if (step === total) {
      data.full_valid_loss = round(data.valid_loss + 0.01);
      data.full_valid_mean_token_accuracy = round(data.valid_mean_token_accuracy - 0.005);
    }
  }
  return data;
}

// ---------------------------------------------------------------------------------------------
// The fine-tuning side of the stand-in

export class FineTuningStandin {
  readonly files = new Map<string, StoredFile>();
  private readonly sims = new Map<string, JobSim>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private loseAnswers: { mode: 'drop' | 'hang' | 'status500'; remaining: number }[] = [];
  private pendingFailure: { atStep: number; code: string; message: string } | null = null;
  advanceMode: NonNullable<FineTuningOptions['advance']>;
  stepsPerTick: number;
  maxSteps: number;
  validatingTicks: number;
  queuedTicks: number;
  fineTunable: string[];
  org: string;
  resultCsv: ResultCsvVariant;

  constructor(
    readonly standin: OpenAIStandin,
    opts: FineTuningOptions = {},
  ) {
    this.advanceMode = opts.advance ?? 'poll';
    this.stepsPerTick = opts.stepsPerTick ?? 1;
    this.maxSteps = opts.maxSteps ?? 24;
    this.validatingTicks = opts.validatingTicks ?? 1;
    this.queuedTicks = opts.queuedTicks ?? 1;
    this.fineTunable = opts.fineTunable ?? [
      ...standin.models,
      'gpt-4o-mini-2024-07-18',
      'gpt-4.1-mini-2025-04-14',
      'gpt-4.1-nano-2025-04-14',
    ];
    this.org = opts.org ?? 'standin-org';
    this.resultCsv = opts.resultCsv ?? 'plain';
    if (typeof this.advanceMode === 'object') {
      this.timer = setInterval(() => {
        for (const sim of this.sims.values()) this.tick(sim);
      }, this.advanceMode.everyMs);
      this.timer.unref();
    }
    this.routes();
  }

  /** Every job, oldest first. */
  get jobs(): StoredJob[] {
    return [...this.sims.values()].map((s) => s.job);
  }

  job(id: string): StoredJob | undefined {
    return this.sims.get(id)?.job;
  }

  events(id: string): StoredEvent[] {
    return this.sims.get(id)?.events ?? [];
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  // --- faults ------------------------------------------------------------------------------

  /** The next create(s) answer 403 the way OpenAI does once an organisation may no longer fine-tune. */
  refuseCreation(times = 1): this {
    this.standin.fail(
      {
        type: 'status',
        status: 403,
        code: 'fine_tuning_disabled',
        message: 'Your organization does not have access to create new fine-tuning jobs.',
      },
      { route: 'POST /v1/fine_tuning/jobs', times },
    );
    return this;
  }

  /** The next create(s) make the job, then the answer is lost: dropped, never sent, or a 500. */
  loseCreateAnswer(mode: 'drop' | 'hang' | 'status500' = 'drop', times = 1): this {
    this.loseAnswers.push({ mode, remaining: times });
    return this;
  }

  /** Shows `status` (e.g. an unknown `paused`) for `ticks` ticks, then the job carries on. */
  setStatus(id: string, status: string, ticks = 2): this {
    const sim = this.mustSim(id);
    sim.override = { status, ticks };
    sim.job.status = status;
    return this;
  }

  /** The next job created fails once it reaches `atStep`. */
  failNextJob(
    atStep = 2,
    code = 'invalid_training_file',
    message = 'The job failed due to an invalid training file.',
  ): this {
    this.pendingFailure = { atStep, code, message };
    return this;
  }

  /** Moves a job on by `ticks` ticks (manual mode, or to hurry a test). */
  advance(id: string, ticks = 1): StoredJob {
    const sim = this.mustSim(id);
    for (let i = 0; i < ticks; i++) this.tick(sim);
    return sim.job;
  }

  /** Runs a job to its end. */
  finish(id: string): StoredJob {
    const sim = this.mustSim(id);
    for (let i = 0; i < 10_000 && !isFinal(sim.job.status); i++) this.tick(sim);
    return sim.job;
  }

  private mustSim(id: string): JobSim {
    const sim = this.sims.get(id);
    if (!sim) throw new Error(`no stand-in job ${id}`);
    return sim;
  }

  // --- the state machine -------------------------------------------------------------------

  private event(sim: JobSim, message: string, extra: Partial<StoredEvent> = {}): void {
    sim.events.push({
      object: 'fine_tuning.job.event',
      id: this.standin.nextId('ftevent-'),
      created_at: nowSeconds(),
      level: 'info',
      message,
      type: 'message',
      data: {},
      ...extra,
    });
  }

  private tick(sim: JobSim): void {
    const job = sim.job;
    if (isFinal(job.status)) return;
    if (sim.override) {
      sim.override.ticks -= 1;
      if (sim.override.ticks > 0) return;
      sim.override = null;
      job.status = 'running';
      return;
    }
    switch (job.status) {
      case 'validating_files':
        if (--sim.wait > 0) return;
        job.status = 'queued';
        sim.wait = this.queuedTicks;
        this.event(sim, 'Files validated, moving job to queued state');
        return;
      case 'queued':
        if (--sim.wait > 0) return;
        job.status = 'running';
        job.estimated_finish = nowSeconds() + sim.totalSteps * 2;
        this.event(sim, 'Fine-tuning job started');
        return;
      case 'running':
        for (let i = 0; i < this.stepsPerTick && job.status === 'running'; i++) this.step(sim);
        return;
      default:
        return;
    }
  }

  private step(sim: JobSim): void {
    const job = sim.job;
    sim.step += 1;
    const s = sim.step;
    if (sim.failAtStep && s >= sim.failAtStep.step) {
      job.status = 'failed';
      job.finished_at = nowSeconds();
      job.estimated_finish = null;
      job.error = { code: sim.failAtStep.code, message: sim.failAtStep.message, param: 'training_file' };
      this.event(sim, sim.failAtStep.message, { level: 'error' });
      return;
    }
    const data = simulatedMetrics(s, sim.totalSteps, sim.hasValidation);
    this.event(sim, `Step ${s}/${sim.totalSteps}: training loss=${data.train_loss}`, { type: 'metrics', data });
    if (s % sim.stepsPerEpoch === 0 || s === sim.totalSteps) {
      const epoch = Math.ceil(s / sim.stepsPerEpoch);
      const ckpt: StoredCheckpoint = {
        object: 'fine_tuning.job.checkpoint',
        id: this.standin.nextId('ftckpt_'),
        created_at: nowSeconds(),
        fine_tuning_job_id: job.id,
        fine_tuned_model_checkpoint: `${this.modelName(job)}:ckpt-step-${s}`,
        step_number: s,
        metrics: data,
      };
      sim.checkpoints.push(ckpt);
      // Only the last three epochs are kept.
      if (sim.checkpoints.length > 3) sim.checkpoints.shift();
      this.event(sim, `Checkpoint created at step ${s} (epoch ${epoch})`);
    }
    if (s >= sim.totalSteps) this.succeed(sim);
  }

  private modelName(job: StoredJob): string {
    const short = job.id.replace(/^ftjob-/, '');
    return `ft:${job.model}:${this.org}:${job.user_provided_suffix ?? ''}:${short}`;
  }

  private succeed(sim: JobSim): void {
    const job = sim.job;
    job.fine_tuned_model = this.modelName(job);
    job.trained_tokens = sim.trainTokensPerEpoch * job.method.supervised.hyperparameters.n_epochs;
    job.status = 'succeeded';
    job.finished_at = nowSeconds();
    job.estimated_finish = null;
    const csv = this.resultCsvFor(sim);
    const file: StoredFile = {
      id: this.standin.nextId('file-'),
      object: 'file',
      bytes: csv.length,
      created_at: nowSeconds(),
      filename: 'step_metrics.csv',
      purpose: 'fine-tune-results',
      status: 'processed',
      status_details: null,
      content: csv,
      examples: 0,
    };
    this.files.set(file.id, file);
    job.result_files = [file.id];
    // The fine-tuned model can be chatted with right away.
    if (!this.standin.models.includes(job.fine_tuned_model)) this.standin.models.push(job.fine_tuned_model);
    this.event(sim, `New fine-tuned model created: ${job.fine_tuned_model}`);
    this.event(sim, 'The job has successfully completed');
  }

  private resultCsvFor(sim: JobSim): Buffer {
    const rows: string[] = [];
    const variant = this.resultCsv;
    rows.push(
      variant === 'missing_columns'
        ? 'step,train_loss'
        : 'step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy',
    );
    for (let s = 1; s <= sim.totalSteps; s++) {
      const d = simulatedMetrics(s, sim.totalSteps, sim.hasValidation);
      if (variant === 'missing_columns') rows.push(`${s},${d.train_loss}`);
      else if (variant === 'garbage' && s % 3 === 0) rows.push(`${s},not-a-number,,,`);
      else
        rows.push(
          `${s},${d.train_loss},${d.train_mean_token_accuracy},${d.valid_loss ?? ''},${d.valid_mean_token_accuracy ?? ''}`,
        );
    }
    const text = rows.join('\n') + '\n';
    return Buffer.from(variant === 'base64' ? Buffer.from(text).toString('base64') : text);
  }

  // --- routes -----------------------------------------------------------------------------

  private routes(): void {
    const s = this.standin;
    s.route('POST', '/v1/files', (ctx) => this.uploadFile(ctx));
    s.route('GET', '/v1/files', (ctx) => this.listFiles(ctx));
    s.route('GET', '/v1/files/:id', (ctx) => this.getFile(ctx));
    s.route('DELETE', '/v1/files/:id', (ctx) => this.deleteFile(ctx));
    s.route('GET', '/v1/files/:id/content', (ctx) => this.fileContent(ctx));
    s.route('POST', '/v1/fine_tuning/jobs', (ctx) => this.createJob(ctx));
    s.route('GET', '/v1/fine_tuning/jobs', (ctx) => this.listJobs(ctx));
    s.route('GET', '/v1/fine_tuning/jobs/:id', (ctx) => this.retrieveJob(ctx));
    s.route('POST', '/v1/fine_tuning/jobs/:id/cancel', (ctx) => this.cancelJob(ctx));
    s.route('GET', '/v1/fine_tuning/jobs/:id/events', (ctx) => this.listEvents(ctx));
    s.route('GET', '/v1/fine_tuning/jobs/:id/checkpoints', (ctx) => this.listCheckpoints(ctx));
  }

  private publicFile(f: StoredFile) {
    const { content: _c, examples: _e, ...rest } = f;
    return rest;
  }

  private async uploadFile(ctx: RouteContext): Promise<void> {
    const type = ctx.req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data/i.test(type)) {
      ctx.error(400, 'The request must be multipart/form-data with a file and a purpose.');
      return;
    }
    let form: FormData;
    try {
      form = await new Request('http://standin/v1/files', {
        method: 'POST',
        headers: { 'content-type': type },
        body: new Uint8Array(ctx.rawBody),
      }).formData();
    } catch {
      ctx.error(400, 'Could not parse the multipart body.');
      return;
    }
    const purpose = form.get('purpose');
    const file = form.get('file');
    if (typeof purpose !== 'string' || !purpose) {
      ctx.error(400, "Missing required parameter: 'purpose'.", { param: 'purpose' });
      return;
    }
    if (!['fine-tune', 'assistants', 'batch', 'vision', 'user_data', 'evals'].includes(purpose)) {
      ctx.error(400, `'${purpose}' is not one of the supported purposes.`, { param: 'purpose' });
      return;
    }
    if (!file || typeof file === 'string') {
      ctx.error(400, "Missing required parameter: 'file'.", { param: 'file' });
      return;
    }
    const content = Buffer.from(await file.arrayBuffer());
    let examples = 0;
    if (purpose === 'fine-tune') {
      if (!file.name.endsWith('.jsonl')) {
        ctx.error(400, 'Invalid file format for Fine-Tuning API. Must be .jsonl', { param: 'file' });
        return;
      }
      if (content.length > 512 * 1024 * 1024) {
        ctx.error(400, 'File is too large: fine-tuning files must be at most 512 MB.', { param: 'file' });
        return;
      }
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(content);
      } catch {
        ctx.error(400, 'Invalid file format: the file is not valid UTF-8.', { param: 'file' });
        return;
      }
      const checked = validateFineTuneJsonl(text);
      if ('error' in checked) {
        ctx.error(400, checked.error, { param: 'file' });
        return;
      }
      examples = checked.examples;
    }
    const stored: StoredFile = {
      id: this.standin.nextId('file-'),
      object: 'file',
      bytes: content.length,
      created_at: nowSeconds(),
      filename: file.name,
      purpose,
      status: 'processed',
      status_details: null,
      content,
      examples,
    };
    this.files.set(stored.id, stored);
    ctx.json(200, this.publicFile(stored));
  }

  private listFiles(ctx: RouteContext): void {
    const purpose = ctx.query.purpose;
    const data = [...this.files.values()]
      .filter((f) => !purpose || f.purpose === purpose)
      .reverse()
      .map((f) => this.publicFile(f));
    ctx.json(200, { object: 'list', data, has_more: false });
  }

  private getFile(ctx: RouteContext): void {
    const f = this.files.get(ctx.params.id!);
    if (!f) return ctx.error(404, `No such File object: ${ctx.params.id}`, { param: 'id' });
    ctx.json(200, this.publicFile(f));
  }

  private deleteFile(ctx: RouteContext): void {
    const id = ctx.params.id!;
    if (!this.files.delete(id)) return ctx.error(404, `No such File object: ${id}`, { param: 'id' });
    ctx.json(200, { id, object: 'file', deleted: true });
  }

  private fileContent(ctx: RouteContext): void {
    const f = this.files.get(ctx.params.id!);
    if (!f) return ctx.error(404, `No such File object: ${ctx.params.id}`, { param: 'id' });
    ctx.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': f.content.length });
    ctx.res.end(f.content);
  }

  private checkCreate(body: unknown): { error: string; param: string | null } | null {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      return { error: 'The body must be a JSON object.', param: null };
    const b = body as Record<string, unknown>;
    for (const k of Object.keys(b)) {
      if (!CREATE_KEYS.has(k)) return { error: `Unrecognized request argument supplied: ${k}`, param: k };
    }
    if (typeof b.model !== 'string' || !b.model) return { error: 'Missing required parameter: model', param: 'model' };
    if (!this.fineTunable.includes(b.model)) {
      return { error: `Model ${b.model} is not available for fine-tuning or does not exist.`, param: 'model' };
    }
    if (typeof b.training_file !== 'string')
      return { error: 'Missing required parameter: training_file', param: 'training_file' };
    const train = this.files.get(b.training_file);
    if (!train || train.purpose !== 'fine-tune')
      return { error: `invalid training_file: ${b.training_file}`, param: 'training_file' };
    if (train.examples < MIN_EXAMPLES) {
      return {
        error: `Training file has ${train.examples} example(s), but must have at least ${MIN_EXAMPLES} examples`,
        param: 'training_file',
      };
    }
    if (b.validation_file !== undefined && b.validation_file !== null) {
      const v = typeof b.validation_file === 'string' ? this.files.get(b.validation_file) : undefined;
      if (!v || v.purpose !== 'fine-tune')
        return { error: `invalid validation_file: ${String(b.validation_file)}`, param: 'validation_file' };
    }
    if (b.suffix !== undefined && b.suffix !== null) {
      if (typeof b.suffix !== 'string' || b.suffix.length > 64 || !b.suffix) {
        return { error: 'suffix must be a string of at most 64 characters.', param: 'suffix' };
      }
    }
    if (b.metadata !== undefined && b.metadata !== null) {
      if (typeof b.metadata !== 'object' || Array.isArray(b.metadata))
        return { error: 'metadata must be an object.', param: 'metadata' };
      const entries = Object.entries(b.metadata as Record<string, unknown>);
      if (entries.length > 16) return { error: 'metadata can have at most 16 key-value pairs.', param: 'metadata' };
      for (const [k, v] of entries) {
        if (k.length > 64) return { error: 'metadata keys can be at most 64 characters.', param: 'metadata' };
        if (typeof v !== 'string' || v.length > 512)
          return { error: 'metadata values must be strings of at most 512 characters.', param: 'metadata' };
      }
    }
    if (b.method !== undefined) {
      const m = b.method as Record<string, unknown> | null;
      if (!m || typeof m !== 'object' || !['supervised', 'dpo', 'reinforcement'].includes(String(m.type))) {
        return { error: "method.type must be one of 'supervised', 'dpo', 'reinforcement'.", param: 'method.type' };
      }
      if (m.type !== 'supervised')
        return { error: 'The stand-in only runs supervised fine-tuning.', param: 'method.type' };
      const h = (m.supervised as { hyperparameters?: Record<string, unknown> } | undefined)?.hyperparameters;
      const bad = h ? checkHyper(h) : null;
      if (bad) return bad;
    }
    if (b.hyperparameters !== undefined) {
      const bad = checkHyper(b.hyperparameters as Record<string, unknown>);
      if (bad) return bad;
    }
    return null;
  }

  private async createJob(ctx: RouteContext): Promise<void> {
    const bad = this.checkCreate(ctx.body);
    if (bad) return ctx.error(400, bad.error, { param: bad.param });
    const b = ctx.body as Record<string, unknown>;
    const train = this.files.get(b.training_file as string)!;
    const requested =
      (b.method as { supervised?: { hyperparameters?: Record<string, unknown> } } | undefined)?.supervised
        ?.hyperparameters ??
      (b.hyperparameters as Record<string, unknown> | undefined) ??
      {};
    const hyper: Hyper = {
      n_epochs: typeof requested.n_epochs === 'number' ? requested.n_epochs : 3,
      batch_size: typeof requested.batch_size === 'number' ? requested.batch_size : 1,
      learning_rate_multiplier:
        typeof requested.learning_rate_multiplier === 'number' ? requested.learning_rate_multiplier : 1.8,
    };
    const id = this.standin.nextId('ftjob-');
    const stepsPerEpochFull = Math.ceil(train.examples / hyper.batch_size);
    const fullSteps = stepsPerEpochFull * hyper.n_epochs;
    const totalSteps = Math.min(fullSteps, this.maxSteps);
    const stepsPerEpoch = Math.max(1, Math.round(totalSteps / hyper.n_epochs));
    const job: StoredJob = {
      id,
      object: 'fine_tuning.job',
      created_at: nowSeconds(),
      finished_at: null,
      model: b.model as string,
      fine_tuned_model: null,
      organization_id: `org-${this.org}`,
      status: 'validating_files',
      error: null,
      trained_tokens: null,
      training_file: train.id,
      validation_file: (b.validation_file as string | undefined) ?? null,
      result_files: [],
      seed: typeof b.seed === 'number' ? b.seed : 42,
      estimated_finish: null,
      metadata: (b.metadata as Record<string, string> | undefined) ?? null,
      method: { type: 'supervised', supervised: { hyperparameters: hyper } },
      hyperparameters: hyper,
      integrations: null,
      user_provided_suffix: (b.suffix as string | undefined) ?? null,
    };
    const sim: JobSim = {
      job,
      events: [],
      checkpoints: [],
      totalSteps,
      stepsPerEpoch,
      step: 0,
      wait: this.validatingTicks,
      override: null,
      failAtStep: this.pendingFailure
        ? { step: this.pendingFailure.atStep, code: this.pendingFailure.code, message: this.pendingFailure.message }
        : null,
      trainTokensPerEpoch: Math.round(train.bytes / 4),
      hasValidation: job.validation_file !== null,
    };
    this.pendingFailure = null;
    this.sims.set(id, sim);
    this.event(sim, `Created fine-tuning job: ${id}`);
    this.event(
      sim,
      `Validating training file: ${train.id}${job.validation_file ? ` and validation file: ${job.validation_file}` : ''}`,
    );

    const lose = this.loseAnswers[0];
    if (lose) {
      lose.remaining -= 1;
      if (lose.remaining <= 0) this.loseAnswers.shift();
      ctx.log.fault = 'disconnect';
      if (lose.mode === 'drop') {
        ctx.req.socket.destroy();
        return;
      }
      if (lose.mode === 'hang') return; // never answers; the client times out
      return ctx.error(500, 'The server had an error while processing your request.', { type: 'server_error' });
    }
    ctx.json(200, job);
  }

  private listJobs(ctx: RouteContext): void {
    const filters = Object.entries(ctx.query)
      .map(([k, v]) => [/^metadata\[(.+)\]$/.exec(k)?.[1], v] as const)
      .filter((e): e is readonly [string, string] => e[0] !== undefined);
    const nullOnly = ctx.query.metadata === 'null';
    let jobs = this.jobs.slice().reverse();
    if (nullOnly) jobs = jobs.filter((j) => j.metadata === null);
    for (const [k, v] of filters) jobs = jobs.filter((j) => j.metadata?.[k] === v);
    this.page(ctx, jobs, 20);
  }

  /** `{ object: 'list', data, has_more }`, newest first, `after` = the id of the last item seen. */
  private page<T extends { id: string }>(ctx: RouteContext, items: T[], defaultLimit: number): void {
    const limit = Math.max(1, Math.min(100, Number(ctx.query.limit ?? defaultLimit) || defaultLimit));
    let start = 0;
    if (ctx.query.after) {
      const at = items.findIndex((i) => i.id === ctx.query.after);
      start = at >= 0 ? at + 1 : items.length;
    }
    const data = items.slice(start, start + limit);
    ctx.json(200, { object: 'list', data, has_more: start + limit < items.length });
  }

  private retrieveJob(ctx: RouteContext): void {
    const sim = this.sims.get(ctx.params.id!);
    if (!sim) return ctx.error(404, `Could not find fine-tune: ${ctx.params.id}`, { param: 'fine_tuning_job_id' });
    if (this.advanceMode === 'poll') this.tick(sim);
    ctx.json(200, sim.job);
  }

  private cancelJob(ctx: RouteContext): void {
    const sim = this.sims.get(ctx.params.id!);
    if (!sim) return ctx.error(404, `Could not find fine-tune: ${ctx.params.id}`, { param: 'fine_tuning_job_id' });
    const job = sim.job;
    if (isFinal(job.status))
      return ctx.error(400, `Job has already ${job.status === 'succeeded' ? 'completed' : job.status}.`);
    job.status = 'cancelled';
    job.finished_at = nowSeconds();
    job.estimated_finish = null;
    sim.override = null;
    this.event(sim, 'Fine-tuning job cancelled');
    ctx.json(200, job);
  }

  private listEvents(ctx: RouteContext): void {
    const sim = this.sims.get(ctx.params.id!);
    if (!sim) return ctx.error(404, `Could not find fine-tune: ${ctx.params.id}`, { param: 'fine_tuning_job_id' });
    this.page(ctx, sim.events.slice().reverse(), 20);
  }

  private listCheckpoints(ctx: RouteContext): void {
    const sim = this.sims.get(ctx.params.id!);
    if (!sim) return ctx.error(404, `Could not find fine-tune: ${ctx.params.id}`, { param: 'fine_tuning_job_id' });
    this.page(ctx, sim.checkpoints.slice().reverse(), 10);
  }
}

function checkHyper(h: Record<string, unknown>): { error: string; param: string } | null {
  const okInt = (v: unknown, lo: number, hi: number) =>
    v === undefined || v === 'auto' || (typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi);
  for (const k of Object.keys(h)) {
    if (!['n_epochs', 'batch_size', 'learning_rate_multiplier'].includes(k)) {
      return { error: `Unrecognized hyperparameter: ${k}`, param: `hyperparameters.${k}` };
    }
  }
  if (!okInt(h.n_epochs, 1, 50))
    return { error: 'n_epochs must be an integer from 1 to 50.', param: 'hyperparameters.n_epochs' };
  if (!okInt(h.batch_size, 1, 256))
    return { error: 'batch_size must be an integer from 1 to 256.', param: 'hyperparameters.batch_size' };
  const lr = h.learning_rate_multiplier;
  if (!(lr === undefined || lr === 'auto' || (typeof lr === 'number' && lr > 0 && lr <= 10))) {
    return {
      error: 'learning_rate_multiplier must be a number above 0.',
      param: 'hyperparameters.learning_rate_multiplier',
    };
  }
  return null;
}

function isFinal(status: string): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}

/** Adds the fine-tuning routes to a stand-in; returns the handle tests use for state and faults. */
export function addFineTuningRoutes(standin: OpenAIStandin, opts: FineTuningOptions = {}): FineTuningStandin {
  return new FineTuningStandin(standin, opts);
}

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { z } from 'zod';
import { chatTemplateOf, readGgufHeader } from '../../gguf/ggufReader';
import { setGgufString } from '../../gguf/ggufSetString';

/**
 * Runs the local trainers as subprocesses: our `tw-sft` (JSON-lines progress on stdout, loss on answer
 * tokens only) and, for comparison and benchmarks, the stock `llama-finetune` (carriage-return progress
 * bars on stderr). Cancel with an AbortSignal: SIGTERM first (tw-sft finishes the current optimizer step
 * and exits without writing anything), SIGKILL after a grace period.
 */

// ---------------------------------------------------------------------------------------------
// tw-sft events (one JSON object a line on stdout)

const num = z.number();
const maybeNum = z.number().nullable();

export const ModelInspectSchema = z.object({
  architecture: z.string(),
  params: num,
  bytes: num,
  tensor_types: z.record(z.string(), num),
  f32: z.boolean(),
  n_embd: num,
  n_layer: num,
  n_ff: num,
  n_head: num.optional(),
  n_vocab: num,
  n_ctx_train: num,
});
export type ModelInspect = z.infer<typeof ModelInspectSchema>;

export const TrainerEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('start'),
    model: ModelInspectSchema,
    train_examples: num,
    val_examples: num,
    train_windows: num,
    val_windows: num,
    window: num,
    ubatch: num,
    accum: num,
    epochs: num,
    steps_total: num,
    train_label_tokens: num,
    /** Windows with no answer token (they train nothing). */
    unlabelled_windows: num,
    truncated_examples: num,
    split_texts: num,
    loss_on: z.enum(['answer', 'all']),
    load_s: num,
  }),
  z.object({
    type: z.literal('progress'),
    step: num,
    steps_total: num,
    epoch: num,
    train_loss: maybeNum,
    val_loss: maybeNum,
    answer_acc: maybeNum,
    val_acc: maybeNum,
    lr: num,
    tokens_per_s: num,
    eta_s: num,
    elapsed_s: num,
  }),
  z.object({
    type: z.literal('val'),
    step: num,
    epoch: num,
    val_loss: maybeNum,
    val_acc: maybeNum,
    end_of_epoch: z.boolean(),
    seconds: num,
  }),
  z.object({
    type: z.literal('epoch'),
    epoch: num,
    step: num,
    train_loss: maybeNum,
    train_acc: maybeNum,
    val_loss: maybeNum,
    val_acc: maybeNum,
    elapsed_s: num,
  }),
  z.object({
    type: z.literal('done'),
    out: z.string().optional(),
    steps: num.optional(),
    windows: num.optional(),
    tokens: num.optional(),
    tokens_per_s: num.optional(),
    train_seconds: num.optional(),
    val_loss: maybeNum.optional(),
    val_acc: maybeNum.optional(),
    elapsed_s: num.optional(),
    predictions: num.optional(),
    generated_tokens: num.optional(),
    seconds: num.optional(),
  }),
  z.object({ type: z.literal('cancelled'), step: num, saved: z.boolean(), elapsed_s: num }),
  z.object({ type: z.literal('error'), kind: z.enum(['refused', 'error']), message: z.string() }),
  z.object({ type: z.literal('prediction'), index: num, text: z.string(), tokens: z.array(num) }),
  z.object({ type: z.literal('tokens'), ids: z.array(num), pieces: z.array(z.string()) }),
  ModelInspectSchema.extend({ type: z.literal('model'), checksums: z.record(z.string(), z.string()).optional() }),
]);
export type TrainerEvent = z.infer<typeof TrainerEventSchema>;
export type TrainerProgress = Extract<TrainerEvent, { type: 'progress' }>;
export type TrainerStart = Extract<TrainerEvent, { type: 'start' }>;
export type TrainerDone = Extract<TrainerEvent, { type: 'done' }>;
export type TrainerEpoch = Extract<TrainerEvent, { type: 'epoch' }>;

export type TrainerErrorCode = 'BINARY_MISSING' | 'REFUSED' | 'FAILED' | 'CANCELLED' | 'MEMORY';

export class TrainerError extends Error {
  constructor(
    readonly code: TrainerErrorCode,
    message: string,
    /** Last lines of the trainer's stderr (llama.cpp's log). */
    readonly lastLines: string[] = [],
    readonly exitCode: number | null = null,
  ) {
    super(lastLines.length ? `${message}\n--- last trainer output ---\n${lastLines.join('\n')}` : message);
    this.name = 'TrainerError';
  }
}

// ---------------------------------------------------------------------------------------------
// spawning

export interface SpawnOptions {
  signal?: AbortSignal;
  /** After SIGTERM, wait this long before SIGKILL (default 15 s). */
  graceMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  aborted: boolean;
  lastStderr: string[];
}

const STDERR_LINES = 30;

function runProcess(
  bin: string,
  args: string[],
  opts: SpawnOptions & { onStdoutLine?: (line: string) => void; onStderrLine?: (line: string) => void },
): Promise<ProcResult> {
  if (!fs.existsSync(bin)) {
    return Promise.reject(
      new TrainerError('BINARY_MISSING', `The trainer binary ${bin} does not exist: build it first (ensureTrainer).`),
    );
  }
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lastStderr: string[] = [];
    let aborted = false;
    let killTimer: NodeJS.Timeout | null = null;
    const split = (onLine: (l: string) => void) => {
      let carry = '';
      return (d: string) => {
        carry += d;
        const parts = carry.split(/\r\n|\n|\r/);
        carry = parts.pop() ?? '';
        for (const p of parts) onLine(p);
      };
    };
    const pushErr = (line: string) => {
      if (!line.trim()) return;
      lastStderr.push(line);
      if (lastStderr.length > STDERR_LINES) lastStderr.shift();
      opts.onStderrLine?.(line);
    };
    child.stdout.setEncoding('utf8').on(
      'data',
      split((l) => l.trim() && opts.onStdoutLine?.(l)),
    );
    child.stderr.setEncoding('utf8').on('data', split(pushErr));
    const onAbort = () => {
      aborted = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), opts.graceMs ?? 15_000);
      killTimer.unref();
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(new TrainerError('BINARY_MISSING', `could not start ${bin}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      resolve({ code, signal, aborted, lastStderr });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// tw-sft train

export interface SftHyperparameters {
  epochs?: number;
  /** Peak learning rate (AdamW alpha). */
  lr?: number;
  /** Final learning rate of the decay (default lr/10). */
  lrMin?: number;
  /** Fraction of the steps spent warming up linearly (default 0.05). */
  warmup?: number;
  schedule?: 'cosine' | 'linear' | 'constant';
  weightDecay?: number;
  optimizer?: 'adamw' | 'sgd';
  /** Tokens per training window (one example per window); default: fitted to the data. */
  window?: number;
  /** Upper bound of the fitted window (longer examples are truncated, their answer kept); default 512. */
  maxWindow?: number;
  /** Windows (examples) per optimizer step. */
  batch?: number;
  /** Physical batch in tokens (default = window). */
  ubatch?: number;
  /** Fraction of the training file held out for validation when no validation file is given. */
  valSplit?: number;
  /** Evaluate on the validation set every N steps (0: only at the end of each epoch). */
  evalEvery?: number;
  maxSteps?: number;
  seed?: number;
  threads?: number;
  /** Also train the token embeddings (useful when pre-training from random weights). */
  trainEmbeddings?: boolean;
  /** false: train on every token, prompt included (default true: answer tokens only). */
  maskPrompt?: boolean;
  /** Seconds between progress lines (default 1). */
  progressEvery?: number;
}

export interface RunSftOptions extends SpawnOptions, SftHyperparameters {
  sftPath: string;
  model: string;
  /** JSONL: {"prompt","answer"} | {"text"} | {"prompt_ids","answer_ids"} | {"ids"} */
  data: string;
  valData?: string;
  out: string;
  onEvent?: (e: TrainerEvent) => void;
  onProgress?: (p: TrainerProgress) => void;
  /** Every stderr line (llama.cpp log), e.g. for a debug log. */
  onLog?: (line: string) => void;
  /** The exact command about to run (a job logs it, so a run can be reproduced or compared). */
  onCommand?: (bin: string, args: string[]) => void;
}

export interface SftResult {
  status: 'done' | 'cancelled';
  start: TrainerStart | null;
  done: TrainerDone | null;
  epochs: TrainerEpoch[];
  progress: TrainerProgress[];
  lastStderr: string[];
}

export function sftArgs(
  o: Omit<RunSftOptions, 'sftPath' | 'onEvent' | 'onProgress' | 'onLog' | 'onCommand'>,
): string[] {
  const a = ['train', '--model', o.model, '--data', o.data, '--out', o.out];
  const opt = (flag: string, v: number | string | undefined) => {
    if (v !== undefined) a.push(flag, String(v));
  };
  if (o.valData) a.push('--val-data', o.valData);
  opt('--epochs', o.epochs);
  opt('--lr', o.lr);
  opt('--lr-min', o.lrMin);
  opt('--warmup', o.warmup);
  opt('--schedule', o.schedule);
  opt('--wd', o.weightDecay);
  opt('--optimizer', o.optimizer);
  opt('--window', o.window);
  opt('--max-window', o.maxWindow);
  opt('--accum', o.batch);
  opt('--ubatch', o.ubatch);
  opt('--val-split', o.valSplit);
  opt('--eval-every', o.evalEvery);
  opt('--max-steps', o.maxSteps);
  opt('--seed', o.seed);
  opt('--threads', o.threads ?? defaultThreads());
  opt('--progress-every', o.progressEvery);
  if (o.trainEmbeddings) a.push('--train-embeddings');
  if (o.maskPrompt === false) a.push('--no-mask-prompt');
  return a;
}

export function defaultThreads(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

/** Parses one stdout line of tw-sft; null for anything that is not a known event. */
export function parseTrainerLine(line: string): TrainerEvent | null {
  const t = line.trim();
  if (!t.startsWith('{')) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(t);
  } catch {
    return null;
  }
  const r = TrainerEventSchema.safeParse(raw);
  return r.success ? r.data : null;
}

/**
 * llama.cpp's model saver leaves the chat template out of the trained file; without it a runtime guesses the
 * turn format (node-llama-cpp picks Llama 2's for our models) and the model answers prompts it was never
 * trained on. The base's template is written back into the output.
 */
export async function keepChatTemplate(base: string, out: string): Promise<void> {
  const template = chatTemplateOf(await readGgufHeader(base, { allowUnknownArchitecture: true }));
  if (template === null) return;
  if (chatTemplateOf(await readGgufHeader(out, { allowUnknownArchitecture: true })) === template) return;
  setGgufString(out, 'tokenizer.chat_template', template);
}

/** Trains with tw-sft. Resolves on success or cancel; rejects with TrainerError (REFUSED, FAILED, ...). */
export async function runSft(opts: RunSftOptions): Promise<SftResult> {
  const result: SftResult = { status: 'done', start: null, done: null, epochs: [], progress: [], lastStderr: [] };
  let errorEvent: Extract<TrainerEvent, { type: 'error' }> | null = null;
  let cancelled = false;
  const args = sftArgs(opts);
  opts.onCommand?.(opts.sftPath, args);
  const proc = await runProcess(opts.sftPath, args, {
    ...opts,
    onStdoutLine: (line) => {
      const e = parseTrainerLine(line);
      if (!e) return;
      switch (e.type) {
        case 'start':
          result.start = e;
          break;
        case 'progress':
          result.progress.push(e);
          opts.onProgress?.(e);
          break;
        case 'epoch':
          result.epochs.push(e);
          break;
        case 'done':
          result.done = e;
          break;
        case 'cancelled':
          cancelled = true;
          break;
        case 'error':
          errorEvent = e;
          break;
        default:
          break;
      }
      opts.onEvent?.(e);
    },
    onStderrLine: opts.onLog,
  });
  result.lastStderr = proc.lastStderr;
  const err = errorEvent as Extract<TrainerEvent, { type: 'error' }> | null;
  if (err?.kind === 'refused' || proc.code === 2) {
    throw new TrainerError('REFUSED', err?.message ?? 'the trainer refused the job', proc.lastStderr, proc.code);
  }
  if (cancelled || proc.code === 3 || (proc.aborted && proc.code !== 0)) {
    result.status = 'cancelled';
    return result;
  }
  if (proc.code !== 0 || !result.done) {
    const why = err?.message ?? (proc.signal ? `killed by ${proc.signal}` : `exit code ${proc.code}`);
    const oom = proc.signal === 'SIGKILL' && !proc.aborted;
    throw new TrainerError(
      oom ? 'MEMORY' : 'FAILED',
      oom ? `the trainer was killed (${why}); the machine probably ran out of memory` : `the trainer failed: ${why}`,
      proc.lastStderr,
      proc.code,
    );
  }
  await keepChatTemplate(opts.model, opts.out);
  return result;
}

// ---------------------------------------------------------------------------------------------
// tw-sft inspect / eval

async function runJsonCommand(sftPath: string, args: string[], opts: SpawnOptions = {}): Promise<TrainerEvent[]> {
  const events: TrainerEvent[] = [];
  let err: string | null = null;
  const proc = await runProcess(sftPath, args, {
    ...opts,
    onStdoutLine: (l) => {
      const e = parseTrainerLine(l);
      if (!e) return;
      if (e.type === 'error') err = e.message;
      events.push(e);
    },
  });
  if (proc.code === 2) throw new TrainerError('REFUSED', err ?? 'refused', proc.lastStderr, proc.code);
  if (proc.aborted) throw new TrainerError('CANCELLED', 'cancelled', proc.lastStderr, proc.code);
  if (proc.code !== 0) throw new TrainerError('FAILED', err ?? `exit code ${proc.code}`, proc.lastStderr, proc.code);
  return events;
}

/** Reads the GGUF header: architecture, sizes, tensor types (nothing is loaded). */
export async function inspectModel(sftPath: string, model: string): Promise<ModelInspect> {
  const events = await runJsonCommand(sftPath, ['inspect', '--model', model]);
  const m = events.find((e) => e.type === 'model');
  if (!m || m.type !== 'model') throw new TrainerError('FAILED', 'no model description from the trainer');
  const { type: _t, checksums: _c, ...info } = m;
  return info;
}

/** A checksum of every tensor's data (to tell which weights a run changed). */
export async function tensorChecksums(sftPath: string, model: string): Promise<Record<string, string>> {
  const events = await runJsonCommand(sftPath, ['inspect', '--model', model, '--checksum']);
  const m = events.find((e) => e.type === 'model');
  if (!m || m.type !== 'model' || !m.checksums) throw new TrainerError('FAILED', 'no checksums from the trainer');
  return m.checksums;
}

export interface GreedyOptions extends SpawnOptions {
  maxTokens?: number;
  threads?: number;
  /** Stop a completion once its text contains this. */
  stop?: string;
}

/** Greedy completions of each prompt (one JSON line {"prompt": ...} per prompt in `promptsFile`). */
export async function greedyComplete(
  sftPath: string,
  model: string,
  promptsFile: string,
  o: GreedyOptions = {},
): Promise<string[]> {
  const args = ['eval', '--model', model, '--data', promptsFile, '--max-tokens', String(o.maxTokens ?? 32)];
  // default one thread: greedy decoding of small models is per-token work too small to share
  args.push('--threads', String(o.threads ?? 1));
  if (o.stop) args.push('--stop', o.stop);
  const events = await runJsonCommand(sftPath, args, o);
  const out: string[] = [];
  for (const e of events) if (e.type === 'prediction') out[e.index] = e.text;
  return out;
}

// ---------------------------------------------------------------------------------------------
// pre-flight: F32 only, memory estimate

export interface MemoryEstimate {
  bytes: number;
  weights: number;
  gradients: number;
  optimizer: number;
  activations: number;
}

/**
 * Full fine-tune memory: weights + gradients (+ an accumulator when batch > 1) + AdamW's two moments,
 * 4 bytes each per parameter, plus activations kept for the backward pass and the logits of one window.
 */
export function estimateTrainingMemory(
  m: Pick<ModelInspect, 'params' | 'n_embd' | 'n_layer' | 'n_ff' | 'n_vocab'> & { n_head?: number },
  o: { window: number; batch?: number; optimizer?: 'adamw' | 'sgd' },
): MemoryEstimate {
  const weights = m.params * 4;
  const gradients = m.params * 4 * ((o.batch ?? 1) > 1 ? 2 : 1);
  const optimizer = o.optimizer === 'sgd' ? 0 : m.params * 8;
  const heads = m.n_head ?? Math.max(1, Math.round(m.n_embd / 64));
  const perTokenLayer = 24 * m.n_embd + 6 * m.n_ff + 3 * heads * o.window;
  const activations = (o.window * (m.n_layer * perTokenLayer + 4 * m.n_vocab) * 4 * 2 + 64 * 1024 * 1024) | 0;
  return { bytes: weights + gradients + optimizer + activations, weights, gradients, optimizer, activations };
}

export interface PreflightResult {
  ok: boolean;
  /** Why training must not start (quantized base, not enough memory). */
  refusal: string | null;
  warnings: string[];
  model: ModelInspect;
  memory: MemoryEstimate;
  totalMemory: number;
  freeMemory: number;
}

const GiB = 1024 ** 3;

export async function preflight(
  sftPath: string,
  model: string,
  o: { window?: number; batch?: number; optimizer?: 'adamw' | 'sgd'; totalMemory?: number; freeMemory?: number },
): Promise<PreflightResult> {
  const info = await inspectModel(sftPath, model);
  const memory = estimateTrainingMemory(info, { window: o.window ?? 256, batch: o.batch, optimizer: o.optimizer });
  const totalMemory = o.totalMemory ?? os.totalmem();
  const freeMemory = o.freeMemory ?? os.freemem();
  const warnings: string[] = [];
  let refusal: string | null = null;
  if (!info.f32) {
    const types = Object.keys(info.tensor_types)
      .filter((t) => t.toUpperCase() !== 'F32')
      .map((t) => t.toUpperCase());
    refusal =
      `The base model is not F32 (it has ${types.join(', ')} tensors). llama.cpp trains F32 weights only — its backward ` +
      'pass has no quantized or F16 matrix products — so a quantized model cannot be fine-tuned. Use the F32 original.';
  } else if (memory.bytes > totalMemory * 0.9) {
    refusal = `Training this model needs about ${(memory.bytes / GiB).toFixed(1)} GiB, more than this machine has (${(totalMemory / GiB).toFixed(1)} GiB).`;
  } else if (memory.bytes > freeMemory * 0.8) {
    warnings.push(
      `Training needs about ${(memory.bytes / GiB).toFixed(1)} GiB and only ${(freeMemory / GiB).toFixed(1)} GiB is free: close other programs or expect swapping.`,
    );
  }
  return { ok: refusal === null, refusal, warnings, model: info, memory, totalMemory, freeMemory };
}

// ---------------------------------------------------------------------------------------------
// stock llama-finetune

export interface FinetuneProgress {
  phase: 'train' | 'val';
  done: number;
  total: number;
  loss: number;
  lossUnc: number | null;
  /** Token accuracy in [0, 1]. */
  acc: number;
  accUnc: number | null;
  elapsedS: number;
  etaS: number;
  /** When the line arrived (ms since the epoch), for throughput measurements finer than `t=`. */
  receivedAt?: number;
}

function hms(s: string): number {
  const p = s.split(':').map(Number);
  return p.reduce((a, b) => a * 60 + b, 0);
}

const FT_LINE =
  /(train|val):\s*\[[^\]]*\]\s*data=(\d+)\/(\d+)\s+loss=([\d.eE+-]+|nan|inf)(?:±([\d.eE+-]+|nan|inf))?\s+acc=([\d.eE+-]+|nan)(?:±([\d.eE+-]+|nan))?%\s+t=([\d:]+)\s+ETA=([\d:]+)/;

/** Parses one `train: [...] data=… loss=…±… acc=…±…% t=… ETA=…` progress line (carriage-return separated). */
export function parseFinetuneProgressLine(line: string): FinetuneProgress | null {
  const m = FT_LINE.exec(line);
  if (!m) return null;
  const f = (s: string | undefined) => (s === undefined || s === 'nan' ? null : Number(s));
  return {
    phase: m[1] as 'train' | 'val',
    done: Number(m[2]),
    total: Number(m[3]),
    loss: Number(m[4]),
    lossUnc: f(m[5]),
    acc: Number(m[6]) / 100,
    accUnc: f(m[7]) === null ? null : f(m[7])! / 100,
    elapsedS: hms(m[8]!),
    etaS: hms(m[9]!),
  };
}

export interface RunFinetuneOptions extends SpawnOptions {
  finetunePath: string;
  model: string;
  /** Plain text file (the stock trainer cuts it into context-sized windows, stride half a context). */
  textFile: string;
  out: string;
  ctx?: number;
  batch?: number;
  ubatch?: number;
  epochs?: number;
  lr?: number;
  lrMin?: number;
  decayEpochs?: number;
  weightDecay?: number;
  optimizer?: 'adamw' | 'sgd';
  valSplit?: number;
  threads?: number;
  onProgress?: (p: FinetuneProgress) => void;
}

export interface FinetuneResult {
  status: 'done' | 'cancelled';
  /** The last train and val line of each epoch (`firstTrain`: the first train line). */
  epochs: { train: FinetuneProgress | null; val: FinetuneProgress | null; firstTrain: FinetuneProgress | null }[];
  lastStderr: string[];
  wallSeconds: number;
}

export async function runStockFinetune(o: RunFinetuneOptions): Promise<FinetuneResult> {
  const args = ['-m', o.model, '-f', o.textFile, '-o', o.out, '-c', String(o.ctx ?? 256)];
  args.push('-b', String(o.batch ?? o.ctx ?? 256), '-ub', String(o.ubatch ?? o.batch ?? o.ctx ?? 256));
  args.push('--epochs', String(o.epochs ?? 1), '-t', String(o.threads ?? defaultThreads()));
  if (o.lr !== undefined) args.push('-lr', String(o.lr));
  if (o.lrMin !== undefined) args.push('-lr-min', String(o.lrMin));
  if (o.decayEpochs !== undefined) args.push('-decay-epochs', String(o.decayEpochs));
  if (o.weightDecay !== undefined) args.push('-wd', String(o.weightDecay));
  if (o.optimizer) args.push('-opt', o.optimizer);
  if (o.valSplit !== undefined) args.push('-val-split', String(o.valSplit));
  const epochs: FinetuneResult['epochs'] = [];
  let cur: FinetuneResult['epochs'][number] = { train: null, val: null, firstTrain: null };
  const t0 = Date.now();
  const proc = await runProcess(o.finetunePath, args, {
    ...o,
    onStderrLine: (line) => {
      const p = parseFinetuneProgressLine(line);
      if (!p) return;
      p.receivedAt = Date.now();
      if (p.phase === 'train') {
        if (cur.val || (cur.train && p.done < cur.train.done)) {
          epochs.push(cur);
          cur = { train: null, val: null, firstTrain: null };
        }
        cur.firstTrain ??= p;
        cur.train = p;
      } else cur.val = p;
      o.onProgress?.(p);
    },
  });
  if (cur.train) epochs.push(cur);
  const wallSeconds = (Date.now() - t0) / 1000;
  if (proc.aborted) return { status: 'cancelled', epochs, lastStderr: proc.lastStderr, wallSeconds };
  if (proc.code !== 0) {
    throw new TrainerError(
      'FAILED',
      `llama-finetune failed (${proc.signal ?? `exit ${proc.code}`})`,
      proc.lastStderr,
      proc.code,
    );
  }
  return { status: 'done', epochs, lastStderr: proc.lastStderr, wallSeconds };
}

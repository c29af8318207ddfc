import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkbenchError } from '../../contract/index';
import type { Logger } from '../../core/logger';
import type { ChatOptions, ChatResult, ChatTurn } from '../provider';
import {
  FromWorkerSchema,
  type FromWorker,
  type LoadedInfo,
  type LoadOptions,
  type ToWorker,
  type WorkerResult,
  type WORKER_ERROR_CODES,
} from './workerProtocol';

type WorkerErrorCode = (typeof WORKER_ERROR_CODES)[number];

/** A running worker process, whatever started it. */
export interface WorkerHandle {
  readonly pid: number | undefined;
  send(msg: ToWorker): void;
  onMessage(cb: (msg: unknown) => void): void;
  onExit(cb: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

/** Starts worker processes: `child_process.fork` here; the Electron shell passes one built on utilityProcess. */
export interface WorkerLauncher {
  launch(): WorkerHandle;
}

/**
 * Where the worker entry is: the built `out/main/modelWorker.js` (this module is bundled into out/main or one
 * of its chunks/), or the TS source next to this file in dev and tests, run through tsx.
 */
export function workerEntry(): { file: string; execArgv: string[] } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const dir of [here, path.dirname(here)]) {
    const built = path.join(dir, 'modelWorker.js');
    if (fs.existsSync(built)) return { file: built, execArgv: [] };
  }
  const source = path.join(here, 'modelWorker.ts');
  if (fs.existsSync(source)) return { file: source, execArgv: ['--import', 'tsx'] };
  throw new Error('model worker entry not found next to the worker client');
}

/**
 * Environment of every model worker. One libuv pool thread: node-llama-cpp runs each decode step as an async
 * task on that pool, and with libuv's default four threads consecutive steps land on different threads and
 * llama.cpp's compute threads lose their footing — on a 2-core machine a 104M-parameter Q4_K_M model decoded
 * 60 tokens/s with two llama.cpp threads, against 220 tokens/s with this setting (llama-bench: 250).
 * The worker does one thing at a time, so the pool has nothing else to run in parallel.
 */
export const WORKER_ENV: Readonly<Record<string, string>> = { UV_THREADPOOL_SIZE: '1' };

/** child_process.fork launcher (headless host, CLI, tests). The worker's stdout/stderr go to the log. */
export function forkLauncher(
  opts: { log?: Logger; env?: NodeJS.ProcessEnv; entry?: { file: string; execArgv: string[] } } = {},
): WorkerLauncher {
  return {
    launch() {
      const entry = opts.entry ?? workerEntry();
      const child = fork(entry.file, [], {
        execArgv: entry.execArgv,
        env: { ...process.env, ...opts.env, ...WORKER_ENV },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        serialization: 'json',
      });
      const pipeLog = (stream: NodeJS.ReadableStream | null) => {
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => {
          for (const line of chunk.split('\n'))
            if (line.trim()) opts.log?.warn('model worker output', { line: line.slice(0, 500) });
        });
      };
      pipeLog(child.stdout);
      pipeLog(child.stderr);
      // A send to a worker that just died raises asynchronously; the exit handler reports it.
      child.on('error', (err) => opts.log?.warn('model worker process error', { error: String(err) }));
      return {
        get pid() {
          return child.pid;
        },
        send(msg) {
          if (child.connected) child.send(msg);
        },
        onMessage(cb) {
          child.on('message', cb);
        },
        onExit(cb) {
          child.on('exit', cb);
        },
        kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        },
      };
    },
  };
}

let defaultLauncher: WorkerLauncher | null = null;

/** The Electron shell calls this before creating the workbench so workers run as utility processes. */
export function setDefaultWorkerLauncher(launcher: WorkerLauncher | null): void {
  defaultLauncher = launcher;
}

export interface RuntimeDefaults {
  threads: number;
  contextSize: number;
  gpuLayers: number;
  gpu: boolean;
}

/** Below this many parameters one thread decodes fastest: there is too little work per token to share. */
const SMALL_MODEL_PARAMS = 50_000_000;

/**
 * Automatic defaults: CPU only, up to 4 threads (more rarely helps and starves the UI), and one thread for
 * small models. llama.cpp's threads busy-wait at every step; when the cores are shared, a tiny model decoded
 * at ~2 ms/token on one thread and ~230 ms/token on two on a 2-core machine. Small models also get a larger
 * context (their KV cache is small), so a whole alert fits.
 */
export function automaticRuntimeDefaults(parameterCount?: number | null): RuntimeDefaults {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const small = parameterCount !== undefined && parameterCount !== null && parameterCount < SMALL_MODEL_PARAMS;
  return {
    threads: small ? 1 : Math.max(1, Math.min(cores, 4)),
    contextSize: small ? 8192 : 4096,
    gpuLayers: 0,
    gpu: false,
  };
}

export interface LocalRuntimeOptions {
  launcher?: WorkerLauncher;
  log?: Logger;
  /** A load that takes longer is treated as hung: the worker is killed (default 120 s). */
  loadTimeoutMs?: number;
  /** The worker must say it is ready within this (default 30 s). */
  startTimeoutMs?: number;
  /** After an abort, the worker gets this long to return the partial answer before it is killed (default 5 s). */
  abortGraceMs?: number;
}

export interface LocalChatRequest {
  modelPath: string;
  /** Size of the model file, for the memory check before loading. */
  modelBytes?: number;
  /** The context length the model was trained with; the context is never made larger. */
  trainContextLength?: number | null;
  /** From the GGUF header; picks the automatic thread count. */
  parameterCount?: number | null;
  runtime?: Partial<RuntimeDefaults>;
  seed?: number;
}

/** One prompt of a batch; `key` names it in `onItem`. */
export interface LocalBatchItem {
  key: string;
  turns: ChatTurn[];
  temperature?: number;
  maxTokens?: number;
  stop?: string[];
  jsonSchema?: Record<string, unknown>;
  seed?: number;
}

export interface LocalBatchOptions {
  /** Sequences decoded together (the worker uses fewer when memory is short). */
  parallel: number;
  signal?: AbortSignal;
  onItem(key: string, outcome: ChatResult | WorkbenchError): void;
}

export interface LocalBatchOutcome {
  /** Sequences the worker used (0 when nothing ran). */
  parallel: number;
  stopped: boolean;
}

interface Pending {
  onMessage(msg: FromWorker): void;
  onWorkerGone(err: WorkbenchError): void;
}

const CRASHED =
  'The local model process stopped unexpectedly (a crash or running out of memory). Nothing else was affected; the next request starts a fresh one.';

const GIB = 1024 ** 3;

/**
 * The workbench side of the model worker: starts it on demand, serialises requests, loads and reuses one
 * model at a time, and turns a dead or hung worker into a WorkbenchError for the caller.
 */
export class LocalModelRuntime {
  private worker: WorkerHandle | null = null;
  private ready: Promise<WorkerHandle> | null = null;
  private loadedKey: string | null = null;
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private tail: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private readonly opts: Required<Omit<LocalRuntimeOptions, 'launcher' | 'log'>> & LocalRuntimeOptions;

  constructor(opts: LocalRuntimeOptions = {}) {
    this.opts = { loadTimeoutMs: 120_000, startTimeoutMs: 30_000, abortGraceMs: 5_000, ...opts };
  }

  /** The worker's process id, when one runs (diagnostics and tests). */
  get workerPid(): number | undefined {
    return this.worker?.pid;
  }

  /** Runs one chat completion; requests run one after another. */
  chat(req: LocalChatRequest, turns: ChatTurn[], opts: ChatOptions): Promise<ChatResult> {
    const run = this.tail.then(
      () => this.runChat(req, turns, opts),
      () => this.runChat(req, turns, opts),
    );
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Answers independent prompts on `parallel` sequences of one context (evaluation). Each item's answer (or
   * failure) goes to `onItem` as it arrives; the batch waits its turn behind other requests like `chat`.
   */
  chatBatch(req: LocalChatRequest, items: LocalBatchItem[], opts: LocalBatchOptions): Promise<LocalBatchOutcome> {
    const run = this.tail.then(
      () => this.runBatch(req, items, opts),
      () => this.runBatch(req, items, opts),
    );
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Frees the loaded model (the worker stays up). */
  async unload(): Promise<void> {
    if (!this.worker || !this.loadedKey) return;
    const worker = this.worker;
    this.loadedKey = null;
    await this.request(worker, { type: 'unload', id: this.newId() }, (msg) => msg.type === 'unloaded', 30_000).catch(
      () => {
        this.killWorker();
      },
    );
  }

  /** Stops the worker process. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.killWorker();
  }

  private newId(): string {
    return `r${this.nextId++}`;
  }

  private loadOptions(req: LocalChatRequest): LoadOptions {
    const auto = automaticRuntimeDefaults(req.parameterCount);
    const r = { ...auto, ...stripUndefined(req.runtime ?? {}) };
    const train = req.trainContextLength ?? null;
    const contextSize = Math.max(64, train ? Math.min(r.contextSize, train) : r.contextSize);
    return {
      modelPath: req.modelPath,
      contextSize,
      threads: r.threads,
      gpuLayers: r.gpu ? r.gpuLayers : 0,
      gpu: r.gpu,
    };
  }

  private async runChat(req: LocalChatRequest, turns: ChatTurn[], opts: ChatOptions): Promise<ChatResult> {
    if (this.disposed) throw new WorkbenchError('cancelled', 'The workbench is shutting down.');
    if (opts.signal?.aborted) return emptyStopped();
    const worker = await this.ensureLoaded(req);
    if (opts.signal?.aborted) return emptyStopped();
    return this.generate(worker, turns, opts, opts.seed ?? req.seed);
  }

  private async runBatch(
    req: LocalChatRequest,
    items: LocalBatchItem[],
    opts: LocalBatchOptions,
  ): Promise<LocalBatchOutcome> {
    if (this.disposed) throw new WorkbenchError('cancelled', 'The workbench is shutting down.');
    if (opts.signal?.aborted || !items.length) return { parallel: 0, stopped: opts.signal?.aborted ?? false };
    const worker = await this.ensureLoaded(req);
    if (opts.signal?.aborted) return { parallel: 0, stopped: true };
    const id = this.newId();
    return new Promise<LocalBatchOutcome>((resolve, reject) => {
      let graceTimer: NodeJS.Timeout | null = null;
      const onAbort = () => {
        worker.send({ type: 'abort', id });
        // Items finish at their next token; a batch stuck in native code is ended by stopping the process.
        graceTimer = setTimeout(() => {
          finish();
          this.killWorker();
          resolve({ parallel: 0, stopped: true });
        }, this.opts.abortGraceMs);
      };
      const finish = () => {
        this.pending.delete(id);
        opts.signal?.removeEventListener('abort', onAbort);
        if (graceTimer) clearTimeout(graceTimer);
      };
      const deliver = (key: string, outcome: ChatResult | WorkbenchError) => {
        try {
          opts.onItem(key, outcome);
        } catch {
          // A listener's failure must not break the batch.
        }
      };
      this.pending.set(id, {
        onMessage: (msg) => {
          if (msg.type === 'batchItem') deliver(msg.key, toChatResult(msg.result));
          else if (msg.type === 'batchItemError') deliver(msg.key, new WorkbenchError('model_failed', msg.message));
          else if (msg.type === 'batchDone') {
            finish();
            resolve({ parallel: msg.parallel, stopped: opts.signal?.aborted ?? false });
          } else if (msg.type === 'error') {
            finish();
            if (msg.code === 'not_loaded') this.loadedKey = null;
            reject(workerError(msg.code, msg.message));
          }
        },
        onWorkerGone: (err) => {
          finish();
          reject(err);
        },
      });
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      worker.send({
        type: 'batch',
        id,
        parallel: Math.max(1, Math.min(64, opts.parallel)),
        items: items.map((it) => ({
          key: it.key,
          turns: it.turns.map((t) => ({ role: t.role, content: t.content })),
          options: stripUndefined({
            temperature: it.temperature,
            maxTokens: it.maxTokens,
            stop: it.stop?.length ? it.stop : undefined,
            jsonSchema: it.jsonSchema,
            seed: it.seed ?? req.seed,
          }),
        })),
      });
    });
  }

  /** Starts the worker if needed and loads the request's model unless it is the one loaded. */
  private async ensureLoaded(req: LocalChatRequest): Promise<WorkerHandle> {
    const load = this.loadOptions(req);
    checkMemory(req.modelBytes, load);
    const worker = await this.ensureWorker();
    const key = JSON.stringify(load);
    if (this.loadedKey !== key) {
      this.loadedKey = null;
      await this.request<LoadedInfo>(
        worker,
        { type: 'load', id: this.newId(), options: load },
        (msg) => (msg.type === 'loaded' ? msg.info : undefined),
        this.opts.loadTimeoutMs,
        () =>
          new WorkbenchError(
            'model_failed',
            `Loading the model took longer than ${Math.round(this.opts.loadTimeoutMs / 1000)} s; the model process was stopped.`,
          ),
      );
      this.loadedKey = key;
    }
    return worker;
  }

  private generate(
    worker: WorkerHandle,
    turns: ChatTurn[],
    opts: ChatOptions,
    seed: number | undefined,
  ): Promise<ChatResult> {
    const id = this.newId();
    let partial = '';
    let firstTokenMs: number | null = null;
    const started = performance.now();
    return new Promise<ChatResult>((resolve, reject) => {
      let graceTimer: NodeJS.Timeout | null = null;
      const onAbort = () => {
        worker.send({ type: 'abort', id });
        // A generation stuck in native code cannot be interrupted: stop the process, keep the partial text.
        graceTimer = setTimeout(() => {
          finish();
          this.killWorker();
          resolve({
            text: partial,
            structured: null,
            promptTokens: 0,
            completionTokens: 0,
            latencyMs: Math.round(performance.now() - started),
            firstTokenMs,
            stopped: true,
          });
        }, this.opts.abortGraceMs);
      };
      const finish = () => {
        this.pending.delete(id);
        opts.signal?.removeEventListener('abort', onAbort);
        if (graceTimer) clearTimeout(graceTimer);
      };
      this.pending.set(id, {
        onMessage: (msg) => {
          if (msg.type === 'token') {
            if (firstTokenMs === null) firstTokenMs = Math.round(performance.now() - started);
            partial += msg.text;
            try {
              opts.onToken?.(msg.text);
            } catch {
              // A listener's failure must not break the stream.
            }
          } else if (msg.type === 'result') {
            finish();
            resolve(toChatResult(msg.result));
          } else if (msg.type === 'error') {
            finish();
            if (msg.code === 'not_loaded') this.loadedKey = null;
            reject(workerError(msg.code, msg.message));
          }
        },
        onWorkerGone: (err) => {
          finish();
          reject(err);
        },
      });
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      worker.send({
        type: 'chat',
        id,
        turns: turns.map((t) => ({ role: t.role, content: t.content })),
        options: stripUndefined({
          temperature: opts.temperature,
          maxTokens: opts.maxTokens,
          stop: opts.stop?.length ? opts.stop : undefined,
          jsonSchema: opts.jsonSchema,
          seed,
        }),
      });
    });
  }

  private request<T>(
    worker: WorkerHandle,
    msg: ToWorker,
    match: (msg: FromWorker) => T | undefined | boolean,
    timeoutMs: number,
    onTimeout?: () => WorkbenchError,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(msg.id);
        this.killWorker();
        reject(
          onTimeout?.() ??
            new WorkbenchError('model_failed', 'The local model process stopped answering; it was restarted.'),
        );
      }, timeoutMs);
      this.pending.set(msg.id, {
        onMessage: (m) => {
          if (m.type === 'error') {
            clearTimeout(timer);
            this.pending.delete(msg.id);
            reject(workerError(m.code, m.message));
            return;
          }
          const value = match(m);
          if (value !== undefined && value !== false) {
            clearTimeout(timer);
            this.pending.delete(msg.id);
            resolve(value as T);
          }
        },
        onWorkerGone: (err) => {
          clearTimeout(timer);
          this.pending.delete(msg.id);
          reject(err);
        },
      });
      worker.send(msg);
    });
  }

  private ensureWorker(): Promise<WorkerHandle> {
    if (this.ready) return this.ready;
    const launcher = this.opts.launcher ?? defaultLauncher ?? forkLauncher(this.opts.log ? { log: this.opts.log } : {});
    const attempt = new Promise<WorkerHandle>((resolve, reject) => {
      let handle: WorkerHandle;
      try {
        handle = launcher.launch();
      } catch (err) {
        this.opts.log?.error('model worker failed to start', { error: String(err) });
        reject(new WorkbenchError('model_failed', 'The local model process could not be started.'));
        return;
      }
      this.worker = handle;
      this.loadedKey = null;
      let started = false;
      const timer = setTimeout(() => {
        if (started) return;
        this.killWorker();
        reject(new WorkbenchError('model_failed', 'The local model process did not start in time.'));
      }, this.opts.startTimeoutMs);
      handle.onMessage((raw) => {
        const parsed = FromWorkerSchema.safeParse(raw);
        if (!parsed.success) {
          this.opts.log?.warn('malformed message from model worker', { issue: parsed.error.issues[0]?.message });
          return;
        }
        const msg = parsed.data;
        if (msg.type === 'ready') {
          started = true;
          clearTimeout(timer);
          resolve(handle);
          return;
        }
        if (msg.type === 'log') {
          this.opts.log?.[msg.level]('model worker', { message: msg.message });
          return;
        }
        const id = 'id' in msg ? msg.id : null;
        if (id === null) {
          if (msg.type === 'error')
            this.opts.log?.error('model worker error', { code: msg.code, message: msg.message });
          return;
        }
        this.pending.get(id)?.onMessage(msg);
      });
      handle.onExit((code, signal) => {
        clearTimeout(timer);
        if (this.worker === handle) {
          this.worker = null;
          this.ready = null;
          this.loadedKey = null;
        }
        this.opts.log?.warn('model worker exited', { code, signal });
        const gone = this.disposed
          ? new WorkbenchError('cancelled', 'The workbench is shutting down.')
          : new WorkbenchError('model_failed', CRASHED);
        if (!started) {
          reject(
            this.disposed ? gone : new WorkbenchError('model_failed', 'The local model process exited while starting.'),
          );
        }
        for (const p of [...this.pending.values()]) p.onWorkerGone(gone);
      });
    });
    this.ready = attempt;
    attempt.catch(() => {
      if (this.ready === attempt) this.ready = null;
    });
    return attempt;
  }

  private killWorker(): void {
    const w = this.worker;
    this.worker = null;
    this.ready = null;
    this.loadedKey = null;
    if (!w) return;
    w.kill();
    // The exit handler reports to whoever still waits; do it now too in case the exit event never comes.
    const gone = this.disposed
      ? new WorkbenchError('cancelled', 'The workbench is shutting down.')
      : new WorkbenchError('model_failed', CRASHED);
    for (const p of [...this.pending.values()]) p.onWorkerGone(gone);
  }
}

function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function emptyStopped(): ChatResult {
  return {
    text: '',
    structured: null,
    promptTokens: 0,
    completionTokens: 0,
    latencyMs: 0,
    firstTokenMs: null,
    stopped: true,
  };
}

function toChatResult(r: WorkerResult): ChatResult {
  return {
    text: r.text,
    structured: r.structured ?? null,
    promptTokens: r.promptTokens,
    completionTokens: r.completionTokens,
    latencyMs: r.latencyMs,
    firstTokenMs: r.firstTokenMs,
    stopped: r.stopped,
  };
}

function workerError(code: WorkerErrorCode, message: string): WorkbenchError {
  switch (code) {
    case 'out_of_memory':
      return new WorkbenchError('model_failed', `Not enough memory to load or run this model. ${message}`.trim());
    case 'model_invalid':
      return new WorkbenchError('model_invalid', `Not a usable model: ${message}`);
    case 'model_failed':
      return new WorkbenchError('model_failed', message);
    case 'not_loaded':
      return new WorkbenchError('model_failed', 'The model was not loaded; try again.');
    default:
      return new WorkbenchError('model_failed', `The local model failed: ${message}`);
  }
}

/** Refuses a model that cannot fit in this machine's memory before the native loader tries. */
function checkMemory(modelBytes: number | undefined, load: LoadOptions): void {
  if (!modelBytes || load.gpu) return;
  const total = os.totalmem();
  // Weights plus a rough allowance for the context and compute buffers.
  const needed = modelBytes * 1.1 + 64 * 1024 * 1024;
  if (needed > total) {
    throw new WorkbenchError(
      'model_failed',
      `This model needs about ${(needed / GIB).toFixed(1)} GiB of memory; this machine has ${(total / GIB).toFixed(1)} GiB in total.`,
    );
  }
}

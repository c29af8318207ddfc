/**
 * The model worker: its own process (child_process.fork in Node, utilityProcess in Electron) running
 * node-llama-cpp. A native crash or out-of-memory here ends this process only; the workbench notices
 * the exit and starts a fresh worker for the next request.
 */
import {
  getLlama,
  InsufficientMemoryError,
  LlamaChat,
  LlamaGrammarEvaluationState,
  LlamaLogLevel,
  type ChatHistoryItem,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type GbnfJsonSchema,
  type LlamaJsonSchemaGrammar,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import { TINY_CHAT_TEMPLATE } from '../../gguf/tinyModel';
import { TurnTagChatWrapper } from './turnTagChatWrapper';
import {
  FromWorkerSchema,
  ToWorkerSchema,
  type BatchItem,
  type FromWorker,
  type GenerateOptions,
  type LoadOptions,
  type ToWorker,
} from './workerProtocol';

interface ParentPort {
  on(event: 'message', cb: (e: { data: unknown }) => void): void;
  postMessage(msg: unknown): void;
}

// Electron's utilityProcess exposes process.parentPort; child_process.fork gives process.send.
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function post(msg: FromWorker): void {
  const parsed = FromWorkerSchema.parse(msg);
  if (parentPort) parentPort.postMessage(parsed);
  else process.send?.(parsed);
}

function log(level: 'info' | 'warn' | 'error', message: string): void {
  post({ type: 'log', level, message: message.slice(0, 4000) });
}

interface Loaded {
  key: string;
  options: LoadOptions;
  model: LlamaModel;
  context: LlamaContext;
  sequence: LlamaContextSequence;
  chat: LlamaChat;
  /** A second context with several sequences for batches (evaluation); made on first use, kept while loaded. */
  batch?: { parallel: number; context: LlamaContext; chats: LlamaChat[] };
}

let llamaPromise: Promise<Llama> | null = null;
let llamaGpu: boolean | null = null;
let loaded: Loaded | null = null;
type JsonGrammar = LlamaJsonSchemaGrammar<GbnfJsonSchema>;
const grammars = new Map<string, JsonGrammar>();
const running = new Map<string, AbortController>();
/** Work is done one request at a time, in arrival order (one model, one context sequence). */
let queue: Promise<void> = Promise.resolve();

function llamaFor(gpu: boolean): Promise<Llama> {
  if (!llamaPromise || llamaGpu !== gpu) {
    llamaGpu = gpu;
    llamaPromise = getLlama({
      gpu: gpu ? 'auto' : false,
      // The prebuilt binaries ship in the package; building from source at run time is never wanted.
      build: 'never',
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        const text = message.trim();
        if (!text) return;
        log(level === LlamaLogLevel.error || level === LlamaLogLevel.fatal ? 'error' : 'warn', text);
      },
    });
  }
  return llamaPromise;
}

function keyOf(o: LoadOptions): string {
  return JSON.stringify([o.modelPath, o.contextSize, o.threads, o.gpuLayers, o.gpu]);
}

async function unload(): Promise<void> {
  const current = loaded;
  loaded = null;
  grammars.clear();
  if (!current) return;
  await disposeBatch(current);
  current.chat.dispose();
  await current.context.dispose();
  await current.model.dispose();
}

async function load(id: string, options: LoadOptions): Promise<void> {
  const key = keyOf(options);
  if (loaded?.key === key) {
    post({ type: 'loaded', id, info: infoOf(loaded, true, 0) });
    return;
  }
  await unload();
  const started = Date.now();
  const llama = await llamaFor(options.gpu);
  const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: options.gpu ? options.gpuLayers : 0 });
  try {
    const context = await model.createContext({ contextSize: options.contextSize, threads: options.threads });
    const sequence = context.getSequence();
    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: chatWrapperFor(model) });
    loaded = { key, options, model, context, sequence, chat };
  } catch (err) {
    await model.dispose();
    throw err;
  }
  post({ type: 'loaded', id, info: infoOf(loaded, false, Date.now() - started) });
}

function infoOf(l: Loaded, reused: boolean, loadMs: number) {
  return {
    reused,
    loadMs,
    contextSize: l.context.contextSize,
    threads: l.options.threads,
    gpu: String(l.model.llama.gpu),
    gpuLayers: l.model.gpuLayers,
  };
}

function toHistory(turns: { role: string; content: string }[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  for (const t of turns) {
    if (t.role === 'system') history.push({ type: 'system', text: t.content });
    else if (t.role === 'assistant') history.push({ type: 'model', response: [t.content] });
    else history.push({ type: 'user', text: t.content });
  }
  history.push({ type: 'model', response: [] });
  return history;
}

async function grammarFor(schema: Record<string, unknown>): Promise<JsonGrammar> {
  const key = JSON.stringify(schema);
  let g = grammars.get(key);
  if (!g) {
    const llama = await llamaFor(loaded?.options.gpu ?? false);
    // The schema arrives as data; node-llama-cpp validates its shape when it builds the grammar.
    g = (await llama.createGrammarForJsonSchema<GbnfJsonSchema>(schema as GbnfJsonSchema)) as JsonGrammar;
    if (grammars.size >= 8) grammars.clear();
    grammars.set(key, g);
  }
  return g;
}

async function chat(id: string, turns: { role: string; content: string }[], options: GenerateOptions): Promise<void> {
  const current = loaded;
  if (!current) {
    post({ type: 'error', id, code: 'not_loaded', message: 'No model is loaded.' });
    return;
  }
  // Interactive use again: give back the batch context's memory (an evaluation makes a new one when it needs it).
  await disposeBatch(current);
  const abort = running.get(id) ?? new AbortController();
  running.set(id, abort);
  const started = performance.now();
  let firstTokenMs: number | null = null;
  const meterBefore = current.sequence.tokenMeter.getState();
  try {
    const grammar = options.jsonSchema ? await grammarFor(options.jsonSchema) : undefined;
    const response = await current.chat.generateResponse(toHistory(turns), {
      maxTokens: options.maxTokens ?? 512,
      temperature: options.temperature ?? 0.7,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.stop?.length ? { customStopTriggers: options.stop } : {}),
      ...(grammar ? { grammar } : {}),
      signal: abort.signal,
      stopOnAbortSignal: true,
      onTextChunk: (text) => {
        if (firstTokenMs === null) firstTokenMs = Math.round(performance.now() - started);
        post({ type: 'token', id, text });
      },
    });
    const meterAfter = current.sequence.tokenMeter.getState();
    const completionTokens = meterAfter.usedOutputTokens - meterBefore.usedOutputTokens;
    const text = response.response;
    let structured: unknown = null;
    if (grammar && !abort.signal.aborted) {
      try {
        structured = grammar.parse(text);
      } catch {
        structured = null;
      }
    }
    post({
      type: 'result',
      id,
      result: {
        text,
        structured,
        // Tokens in the context before the answer: the whole prompt, whether or not it was evaluated anew.
        promptTokens: Math.max(0, current.sequence.nextTokenIndex - completionTokens),
        completionTokens,
        latencyMs: Math.round(performance.now() - started),
        firstTokenMs,
        stopped: abort.signal.aborted || response.metadata.stopReason === 'abort',
        stopReason: response.metadata.stopReason,
      },
    });
  } finally {
    running.delete(id);
  }
}

async function disposeBatch(l: Loaded): Promise<void> {
  const b = l.batch;
  l.batch = undefined;
  if (!b) return;
  for (const c of b.chats) c.dispose();
  await b.context.dispose();
}

function chatWrapperFor(model: LlamaModel) {
  return model.fileInfo.metadata.tokenizer?.chat_template === TINY_CHAT_TEMPLATE ? new TurnTagChatWrapper() : 'auto';
}

/** A context with `parallel` sequences (fewer when memory is short), each with its own LlamaChat. */
async function batchContext(l: Loaded, parallel: number): Promise<NonNullable<Loaded['batch']>> {
  if (l.batch?.parallel === parallel) return l.batch;
  await disposeBatch(l);
  for (let n = parallel; ; n = Math.max(1, Math.floor(n / 2))) {
    try {
      const context = await l.model.createContext({
        contextSize: l.options.contextSize,
        sequences: n,
        threads: l.options.threads,
      });
      const chats = Array.from(
        { length: n },
        () => new LlamaChat({ contextSequence: context.getSequence(), chatWrapper: chatWrapperFor(l.model) }),
      );
      l.batch = { parallel: n, context, chats };
      if (n < parallel) log('warn', `parallel sequences reduced from ${parallel} to ${n}: not enough memory`);
      return l.batch;
    } catch (err) {
      if (n === 1 || !(err instanceof InsufficientMemoryError)) throw err;
    }
  }
}

/** Tokens of the answer the repeat penalty looks back on, as LlamaChat's default (its last 64, newlines spared). */
const PENALTY_LAST_TOKENS = 64;

/**
 * One prompt on one sequence of the batch context, decoded with `sequence.evaluate` directly rather than
 * through LlamaChat: the prompt is the chat wrapper's rendering of the same history, sampling is the same
 * (temperature, seed, grammar, LlamaChat's default repeat penalty), and generation stops at an end-of-generation
 * token, a stop trigger of the chat template, a caller's stop string, `maxTokens` or the end of the context.
 * LlamaChat's per-token bookkeeping (segments, function calls, text streaming) cost more than the decode
 * itself for small models, so parallel sequences could not win. The prompt's prefix shared with the sequence's
 * previous item (the system prompt) is kept in the KV cache.
 */
async function generateOn(
  chat: LlamaChat,
  turns: { role: string; content: string }[],
  options: GenerateOptions,
  signal: AbortSignal,
) {
  const started = performance.now();
  let firstTokenMs: number | null = null;
  const sequence = chat.sequence;
  const model = sequence.model;
  const grammar = options.jsonSchema ? await grammarFor(options.jsonSchema) : undefined;
  const state = chat.chatWrapper.generateContextState({ chatHistory: toHistory(turns) });
  const prompt = state.contextText.tokenize(model.tokenizer);
  if (prompt.length >= sequence.contextSize)
    throw new Error(
      `The conversation does not fit in the model's context window (${prompt.length} prompt tokens, context ${sequence.contextSize}).`,
    );
  const stopTokens = new Set<Token>();
  const stopTexts = [...(options.stop ?? [])].filter(Boolean);
  for (const trigger of state.stopGenerationTriggers) {
    const tokens = trigger.tokenize(model.tokenizer, 'trimLeadingSpace');
    if (tokens.length === 1) stopTokens.add(tokens[0]!);
    else if (tokens.length > 1) stopTexts.push(trigger.toString());
  }
  const longestStop = Math.max(0, ...stopTexts.map((t) => t.length));

  // Keep the prefix this sequence already holds; at least one prompt token is evaluated to get the next logits.
  await sequence.adaptStateToTokens(prompt, false);
  if (sequence.nextTokenIndex >= prompt.length)
    await sequence.eraseContextTokenRanges([{ start: prompt.length - 1, end: sequence.nextTokenIndex }]);

  const maxTokens = options.maxTokens ?? 512;
  const room = sequence.contextSize - prompt.length;
  const nl = model.tokens.nl;
  const out: Token[] = [];
  let stopReason: 'eogToken' | 'stopGenerationTrigger' | 'maxTokens' | 'abort' = 'maxTokens';
  let cut: number | null = null;
  const iterator = sequence.evaluate(prompt.slice(sequence.nextTokenIndex), {
    temperature: options.temperature ?? 0.7,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(grammar ? { grammarEvaluationState: new LlamaGrammarEvaluationState({ model, grammar }) } : {}),
    repeatPenalty: {
      punishTokens: () => out.slice(-PENALTY_LAST_TOKENS).filter((t) => t !== nl),
      maxPunishTokens: PENALTY_LAST_TOKENS,
    },
    yieldEogToken: true,
  });
  for await (const token of iterator) {
    if (signal.aborted) {
      stopReason = 'abort';
      break;
    }
    if (model.isEogToken(token) || stopTokens.has(token)) {
      stopReason = stopTokens.has(token) && !model.isEogToken(token) ? 'stopGenerationTrigger' : 'eogToken';
      break;
    }
    if (firstTokenMs === null) firstTokenMs = Math.round(performance.now() - started);
    out.push(token);
    if (longestStop > 0) {
      // Detokenize a tail long enough to hold any stop string (a token is at least one character or byte).
      const tail = model.detokenize(out.slice(-(longestStop + 4)));
      const hit = stopTexts.map((t) => tail.indexOf(t)).filter((i) => i >= 0);
      if (hit.length) {
        cut = tail.length - Math.min(...hit);
        stopReason = 'stopGenerationTrigger';
        break;
      }
    }
    if (out.length >= maxTokens || out.length >= room) break;
  }
  if (signal.aborted) stopReason = 'abort';
  let text = model.detokenize(out);
  if (cut !== null) text = text.slice(0, text.length - cut);
  let structured: unknown = null;
  if (grammar && stopReason !== 'abort') {
    try {
      structured = grammar.parse(text);
    } catch {
      structured = null;
    }
  }
  return {
    text,
    structured,
    promptTokens: prompt.length,
    completionTokens: out.length,
    latencyMs: Math.round(performance.now() - started),
    firstTokenMs,
    stopped: stopReason === 'abort',
    stopReason,
  };
}

/**
 * Answers every item, `parallel` at a time, each on its own sequence of one context: node-llama-cpp puts
 * the tokens of sequences that are generating at the same time into one decode batch.
 */
async function batch(id: string, items: BatchItem[], parallel: number): Promise<void> {
  const current = loaded;
  if (!current) {
    post({ type: 'error', id, code: 'not_loaded', message: 'No model is loaded.' });
    return;
  }
  const abort = running.get(id) ?? new AbortController();
  running.set(id, abort);
  try {
    const b = await batchContext(current, Math.min(parallel, items.length));
    // Waves: every sequence starts its prompt together and the next wave starts when all are done. llama.cpp
    // splits a batch of several sequences into equal shares per sequence, so a prompt evaluated next to
    // sequences that are generating would go one token per step.
    for (let at = 0; at < items.length && !abort.signal.aborted; at += b.chats.length) {
      const wave = items.slice(at, at + b.chats.length);
      await Promise.all(
        wave.map(async (item, i) => {
          try {
            const result = await generateOn(b.chats[i]!, item.turns, item.options, abort.signal);
            post({ type: 'batchItem', id, key: item.key, result });
          } catch (err) {
            if (err instanceof InsufficientMemoryError) throw err;
            post({ type: 'batchItemError', id, key: item.key, message: describe(err).slice(0, 2000) });
          }
        }),
      );
    }
    post({ type: 'batchDone', id, parallel: b.parallel });
  } finally {
    running.delete(id);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function fail(id: string | null, err: unknown, during: 'load' | 'chat' | 'request'): void {
  if (err instanceof InsufficientMemoryError) {
    post({ type: 'error', id, code: 'out_of_memory', message: describe(err) || 'Not enough memory.' });
    return;
  }
  const message = describe(err);
  if (during === 'chat' && /compress chat history|context size|too long prompt/i.test(message)) {
    post({
      type: 'error',
      id,
      code: 'model_failed',
      message:
        "The conversation does not fit in the model's context window. Start a new conversation, shorten the alert, or raise the context size (runtime.local.contextSize).",
    });
    return;
  }
  if (during === 'load') {
    post({ type: 'error', id, code: 'model_failed', message: `llama.cpp could not load the model: ${message}` });
    return;
  }
  post({ type: 'error', id, code: during === 'chat' ? 'model_failed' : 'internal', message });
}

function enqueue(id: string, during: 'load' | 'chat' | 'request', work: () => Promise<void>): void {
  queue = queue.then(work).catch((err: unknown) => fail(id, err, during));
}

function handle(raw: unknown): void {
  const parsed = ToWorkerSchema.safeParse(raw);
  if (!parsed.success) {
    log('error', `worker got a malformed message: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const id = (raw as { id?: unknown } | null)?.id;
    post({
      type: 'error',
      id: typeof id === 'string' && id.length <= 64 && id ? id : null,
      code: 'bad_request',
      message: 'Malformed request.',
    });
    return;
  }
  const msg: ToWorker = parsed.data;
  switch (msg.type) {
    case 'ping':
      post({ type: 'pong', id: msg.id, loaded: loaded?.options.modelPath ?? null });
      return;
    case 'abort':
      // Abort is handled out of band so it can reach a generation that is running now.
      running.get(msg.id)?.abort();
      if (!running.has(msg.id)) {
        const pre = new AbortController();
        pre.abort();
        running.set(msg.id, pre);
      }
      return;
    case 'load':
      enqueue(msg.id, 'load', () => load(msg.id, msg.options));
      return;
    case 'chat':
      enqueue(msg.id, 'chat', () => chat(msg.id, msg.turns, msg.options));
      return;
    case 'batch':
      enqueue(msg.id, 'chat', () => batch(msg.id, msg.items, msg.parallel));
      return;
    case 'unload':
      enqueue(msg.id, 'request', async () => {
        await unload();
        post({ type: 'unloaded', id: msg.id });
      });
      return;
  }
}

if (parentPort) parentPort.on('message', (e) => handle(e.data));
else process.on('message', handle);

// Without a parent there is nobody to serve: leave rather than linger as an orphan holding memory.
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (err) => {
  try {
    post({ type: 'error', id: null, code: 'internal', message: describe(err) });
  } finally {
    process.exit(1);
  }
});
process.on('unhandledRejection', (err) => {
  log('error', `unhandled rejection in model worker: ${describe(err)}`);
});

post({ type: 'ready', pid: process.pid });

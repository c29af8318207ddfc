import fs from 'node:fs';
import { z } from 'zod';
import {
  TRIAGE_ANSWER_JSON_SCHEMA,
  TriageAnswerSchema,
  WorkbenchError,
  toErrorPayload,
  triageGrammarSchema,
  type ChatSendResult,
  type ParsedRequest,
  type Task,
} from '../contract/index';
import type { Capability, HandlerContext } from '../core/capability';
import type { Db } from '../db/connection';
import { appendMessage, getConversation, updateMessage } from '../conversations/conversationsRepo';
import { ensureDemoModel } from '../models/demoModel';
import { activeModelIds, getModelRecord, type ModelRecord } from '../models/modelsRepo';
import { localProvider } from '../runtime/local/localProvider';
import { LocalModelRuntime, type RuntimeDefaults } from '../runtime/local/workerClient';
import type { ChatProvider, ChatResult } from '../runtime/provider';
import { getSetting } from '../settings/settingsRepo';
import { taskPreset } from '../tasks/taskPresets';
import { buildTurns } from './buildTurns';
import { attackTechniqueIds } from './techniqueIds';

declare module '../core/capability' {
  interface Services {
    /** The local model runtime (one worker process), shared by chat, evaluation and the CLI. */
    localRuntime: LocalModelRuntime;
  }
}

/** `runtime.local` setting: overrides of the automatic thread, context and GPU defaults. */
const RuntimeSetting = z
  .object({
    threads: z.number().int().min(1).max(256).optional(),
    contextSize: z.number().int().min(256).max(1_048_576).optional(),
    gpuLayers: z.number().int().min(0).max(10_000).optional(),
    gpu: z.boolean().optional(),
  })
  .strip();

const DEFAULT_MAX_TOKENS = 1024;
/** Token events are coalesced over this many ms so a fast model does not flood the renderer. */
const TOKEN_FLUSH_MS = 25;

interface Running {
  abort: AbortController;
  done: Promise<void>;
}

export interface ChatCapabilityOptions {
  /** A runtime to use instead of creating one (tests, or a host that shares one). */
  runtime?: LocalModelRuntime;
}

function runtimeSettings(db: Db): Partial<RuntimeDefaults> {
  const parsed = RuntimeSetting.safeParse(getSetting(db, 'runtime.local') ?? {});
  if (!parsed.success) return {};
  return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as Partial<RuntimeDefaults>;
}

/** The chat service: stores the turn, streams the answer as events, keeps partial answers when stopped. */
export function createChatCapability(opts: ChatCapabilityOptions = {}): Capability {
  let runtime: LocalModelRuntime | null = opts.runtime ?? null;
  const running = new Map<number, Running>();
  let stopping = false;

  function localRuntime(ctx: Pick<HandlerContext, 'log'>): LocalModelRuntime {
    if (!runtime) runtime = new LocalModelRuntime({ log: ctx.log });
    return runtime;
  }

  function providerFor(model: ModelRecord, ctx: HandlerContext): ChatProvider {
    if (model.kind === 'local_gguf') {
      if (!model.path) throw new WorkbenchError('model_invalid', `"${model.name}" has no model file.`);
      if (!fs.existsSync(model.path)) {
        throw new WorkbenchError(
          'not_found',
          `The file of "${model.name}" is missing; add the model again or archive it.`,
        );
      }
      return localProvider(localRuntime(ctx), {
        modelPath: model.path,
        modelBytes: model.info?.sizeBytes,
        trainContextLength: model.info?.contextLength ?? null,
        parameterCount: model.info?.parameterCount ?? null,
        runtime: runtimeSettings(ctx.db),
      });
    }
    let remote;
    try {
      remote = ctx.services.get('remoteProviders');
    } catch {
      throw new WorkbenchError(
        'provider_error',
        'Remote models are not available: no OpenAI-compatible provider is set up in this build.',
      );
    }
    return remote.forModel({
      id: model.id,
      kind: model.kind,
      endpointId: model.endpointId,
      remoteModel: model.remoteModel,
    });
  }

  async function pickModel(
    db: Db,
    ctx: HandlerContext,
    task: Task,
    requested: number | undefined,
  ): Promise<ModelRecord> {
    if (requested !== undefined) {
      const m = getModelRecord(db, requested);
      if (!m) throw new WorkbenchError('not_found', `Model ${requested} does not exist.`);
      if (m.archived) throw new WorkbenchError('conflict', `"${m.name}" is archived; restore it to chat with it.`);
      return m;
    }
    const active = activeModelIds(db);
    const id = active.get(task) ?? active.get('chat');
    const m = id !== undefined ? getModelRecord(db, id) : null;
    if (m && !m.archived) return m;
    // Nothing usable is active: fall back to the demo model so the chat works out of the box.
    const demoId = await ensureDemoModel(db, ctx.dataDir, ctx.log, { revive: true });
    return getModelRecord(db, demoId)!;
  }

  async function send(args: ParsedRequest<'chat.send'>, ctx: HandlerContext): Promise<ChatSendResult> {
    const { db, bus, log } = ctx;
    if (stopping) throw new WorkbenchError('cancelled', 'The workbench is shutting down.');
    const conversation = getConversation(db, args.conversationId);
    if (!conversation) throw new WorkbenchError('not_found', `Conversation ${args.conversationId} does not exist.`);
    if (running.has(args.conversationId)) {
      throw new WorkbenchError('conflict', 'The model is still answering in this conversation. Stop it or wait.');
    }
    const task = args.task ?? conversation.task;
    const preset = taskPreset(task);
    const model = await pickModel(db, ctx, task, args.modelId);
    const provider = providerFor(model, ctx);
    const structured = args.structured ?? false;
    const turns = buildTurns(conversation, args.content, { systemPrompt: preset.systemPrompt, structured });

    // Re-checked after the awaits above: two sends for one conversation must not both start.
    if (running.has(args.conversationId)) {
      throw new WorkbenchError('conflict', 'The model is still answering in this conversation. Stop it or wait.');
    }
    const { userMessageId, messageId } = db.transaction(() => ({
      userMessageId: appendMessage(db, args.conversationId, { role: 'user', content: args.content }),
      messageId: appendMessage(db, args.conversationId, { role: 'assistant', content: '', modelId: model.id }),
    }))();
    bus.emit('conversations.changed', { ids: [args.conversationId] });
    if (ctx.audit) {
      ctx.audit.subject = String(args.conversationId);
      ctx.audit.details = { messageId, modelId: model.id, task, structured, chars: args.content.length };
    }

    const abort = new AbortController();
    const onHostAbort = () => abort.abort();
    ctx.signal.addEventListener('abort', onHostAbort, { once: true });
    const conversationId = args.conversationId;

    let pendingText = '';
    let flushTimer: NodeJS.Timeout | null = null;
    let streamed = '';
    const flush = () => {
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = null;
      if (!pendingText) return;
      const text = pendingText;
      pendingText = '';
      bus.emit('chat.token', { conversationId, messageId, text });
    };

    const run = async () => {
      let result: ChatResult | null = null;
      let error: string | undefined;
      try {
        result = await provider.chat(turns, {
          temperature: args.temperature ?? preset.temperature,
          maxTokens: args.maxTokens ?? DEFAULT_MAX_TOKENS,
          ...(args.stop ? { stop: args.stop } : {}),
          ...(structured
            ? {
                jsonSchema:
                  provider.kind === 'local_gguf'
                    ? triageGrammarSchema(attackTechniqueIds())
                    : { ...TRIAGE_ANSWER_JSON_SCHEMA },
              }
            : {}),
          signal: abort.signal,
          onToken: (text) => {
            streamed += text;
            pendingText += text;
            if (!flushTimer) flushTimer = setTimeout(flush, TOKEN_FLUSH_MS);
          },
        });
      } catch (err) {
        error = toErrorPayload(err).message;
        if (!(err instanceof WorkbenchError)) log.error('chat failed', { error: String((err as Error)?.stack ?? err) });
      }
      flush();
      let answer: unknown = null;
      if (result && structured && !result.stopped) {
        const candidate = result.structured ?? tryJson(result.text);
        const parsed = TriageAnswerSchema.safeParse(candidate);
        if (parsed.success) answer = parsed.data;
        else error = 'The answer did not follow the triage answer schema.';
      }
      const stopped = result?.stopped ?? abort.signal.aborted;
      const content = result?.text ?? streamed;
      try {
        updateMessage(db, messageId, {
          content,
          structured: answer,
          promptTokens: result?.promptTokens ?? null,
          completionTokens: result?.completionTokens ?? null,
          latencyMs: result?.latencyMs ?? null,
          stopped,
          error: error ?? null,
        });
      } catch (err) {
        // The DB may be closing under a shutdown; the answer is lost but nothing else is.
        log.error('could not store the answer', { error: String(err) });
      }
      bus.emit('chat.done', {
        conversationId,
        messageId,
        stopped,
        ...(error ? { error } : {}),
        ...(result
          ? {
              promptTokens: result.promptTokens,
              completionTokens: result.completionTokens,
              latencyMs: result.latencyMs,
            }
          : {}),
      });
      bus.emit('conversations.changed', { ids: [conversationId] });
    };

    const done = run()
      .catch((err: unknown) => log.error('chat run failed', { error: String(err) }))
      .finally(() => {
        ctx.signal.removeEventListener('abort', onHostAbort);
        running.delete(conversationId);
      });
    running.set(conversationId, { abort, done });
    return { messageId, userMessageId, modelId: model.id };
  }

  return {
    name: 'chat',
    start({ db, log, services }) {
      services.set('localRuntime', localRuntime({ log }));
      // Answers cut off by a crash or a quit while streaming: say so rather than show an empty message.
      db.prepare(
        `UPDATE messages SET error = 'The app stopped before this answer finished.', stopped = 1
         WHERE role = 'assistant' AND model_id IS NOT NULL AND latency_ms IS NULL AND error IS NULL AND content = ''`,
      ).run();
    },
    async stop() {
      stopping = true;
      for (const r of running.values()) r.abort.abort();
      const settle = (ms: number) =>
        Promise.race([
          Promise.all([...running.values()].map((r) => r.done)),
          new Promise((resolve) => setTimeout(resolve, ms).unref()),
        ]);
      // Answers being written stop within a token or two and are stored; a model still loading cannot be
      // interrupted, so the worker is stopped and those requests end as cancelled, before the DB closes.
      await settle(3_000);
      await runtime?.dispose();
      await settle(2_000);
    },
    handlers: {
      'chat.send': (args, ctx) => send(args, ctx),
      'chat.stop': (args, { audit }) => {
        const r = running.get(args.conversationId);
        if (audit) audit.subject = String(args.conversationId);
        if (!r) return { stopped: false };
        r.abort.abort();
        return { stopped: true };
      },
    },
  };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

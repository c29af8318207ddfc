import OpenAI, { APIUserAbortError } from 'openai';
import { z } from 'zod';
import type { Logger } from '../../core/logger';
import type { ChatOptions, ChatProvider, ChatResult, ChatTurn } from '../provider';
import { ProviderCallError, scrubServerText, toProviderError, type ErrorContext } from './openaiErrors';

export interface OpenAIEndpointConfig {
  kind: 'openai' | 'openai_compatible';
  /** Shown in messages ("The key was rejected by "OpenAI""). */
  endpointName: string;
  baseUrl: string;
  /** Lives only in this object and the SDK client; never logged, never returned. */
  apiKey: string;
  /** Per request (connect + headers, and idle time between stream chunks), ms. Default 60 s. */
  timeoutMs?: number;
  /** SDK retries on 408/409/429/5xx/connection errors; default 2 (3 attempts in all). */
  maxRetries?: number;
  log?: Logger;
}

export interface OpenAIProviderConfig extends OpenAIEndpointConfig {
  model: string;
  /** 401: the endpoint's key should be marked invalid. */
  onKeyRejected?(message: string): void;
  /** A call succeeded: the key works. */
  onKeyAccepted?(): void;
  /** Any other failure, for the endpoint's "last error". */
  onFailure?(message: string): void;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 2;

const Usage = z.looseObject({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0) });

// OpenAI answers enter as unknown and are checked here: a proxy's HTML page or a truncated body
// must become a clear error, not a crash further down.
const Completion = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        message: z.looseObject({
          content: z.string().nullable().optional(),
          refusal: z.string().nullable().optional(),
        }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: Usage.nullable().optional(),
});

const Chunk = z.looseObject({
  choices: z.array(
    z.looseObject({
      delta: z
        .looseObject({ content: z.string().nullable().optional(), refusal: z.string().nullable().optional() })
        .optional(),
      finish_reason: z.string().nullable().optional(),
    }),
  ),
  usage: Usage.nullable().optional(),
});

const ModelList = z.looseObject({ data: z.array(z.looseObject({ id: z.string() })) });

class UnexpectedAnswer extends Error {}

/** Host and port only: a URL path in a message would be scrubbed as if it were a file path. */
export function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return 'the configured address';
  }
}

function sdkFields(cfg: OpenAIEndpointConfig, msg: unknown): Record<string, unknown> {
  return { endpoint: cfg.endpointName, msg: scrubServerText(String(msg), cfg.apiKey, 500) };
}

export function createOpenAIClient(cfg: OpenAIEndpointConfig): OpenAI {
  const log = cfg.log;
  return new OpenAI({
    apiKey: cfg.apiKey,
    baseURL: cfg.baseUrl,
    // Not from OPENAI_ORG_ID / OPENAI_PROJECT_ID: those would be sent to third-party servers too.
    organization: null,
    project: null,
    timeout: cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxRetries: cfg.maxRetries ?? DEFAULT_MAX_RETRIES,
    // The SDK's retry and failure notes go to our log (which masks secrets), not to the console.
    // Only its first argument is kept: later ones can hold raw response data.
    logLevel: 'info',
    logger: {
      debug: () => {},
      info: (msg: string) => {
        if (/retr|fail|error/i.test(String(msg))) log?.info('openai sdk', sdkFields(cfg, msg));
      },
      warn: (msg: string) => log?.warn('openai sdk', sdkFields(cfg, msg)),
      error: (msg: string) => log?.warn('openai sdk', sdkFields(cfg, msg)),
    },
    // Our main process talks to the endpoint; never a browser.
    dangerouslyAllowBrowser: false,
  });
}

function errorContext(cfg: OpenAIEndpointConfig, op: ErrorContext['op'], model?: string): ErrorContext {
  return {
    endpointName: cfg.endpointName,
    host: hostOf(cfg.baseUrl),
    apiKey: cfg.apiKey,
    op,
    attempts: (cfg.maxRetries ?? DEFAULT_MAX_RETRIES) + 1,
    timeoutMs: cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(model ? { model } : {}),
  };
}

/** Lists the endpoint's models (the connection test). */
export async function listRemoteModels(
  cfg: OpenAIEndpointConfig,
  signal?: AbortSignal,
): Promise<{ models: string[]; latencyMs: number }> {
  const client = createOpenAIClient(cfg);
  const start = performance.now();
  try {
    const { data: page, response } = await client.models.list({ signal }).withResponse();
    // The SDK hands back an empty page for a body that is not JSON (an HTML page, say).
    if (!/json/i.test(response.headers.get('content-type') ?? '')) throw new UnexpectedAnswer();
    const parsed = ModelList.safeParse({ data: page.data });
    if (!parsed.success) throw new UnexpectedAnswer();
    return {
      models: parsed.data.data.map((m) => m.id).slice(0, 200),
      latencyMs: Math.round(performance.now() - start),
    };
  } catch (err) {
    throw toProviderError(err, errorContext(cfg, 'listModels'));
  }
}

/** OpenAI's structured-output name: letters, digits, `_` and `-`, at most 64. */
function schemaName(schema: Record<string, unknown>): string {
  const title = typeof schema.title === 'string' ? schema.title : 'answer';
  const clean = title.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 64);
  return clean || 'answer';
}

type ApiMessage = { role: 'system' | 'user' | 'assistant'; content: string };

function toApiMessages(turns: ChatTurn[]): ApiMessage[] {
  return turns.map((t) =>
    // A bare tool turn has no tool_call_id here; give it to the model as plain context.
    t.role === 'tool' ? { role: 'user', content: `Tool output:\n${t.content}` } : { role: t.role, content: t.content },
  );
}

async function estimateTokens(text: string): Promise<number> {
  if (!text) return 0;
  const { countTokens } = await import('gpt-tokenizer');
  return countTokens(text);
}

function parseStructured(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/**
 * A ChatProvider for OpenAI and OpenAI-compatible servers through the `openai` SDK.
 * Streams when the caller passes `onToken`; otherwise one plain request.
 */
export function createOpenAIProvider(cfg: OpenAIProviderConfig): ChatProvider {
  const client = createOpenAIClient(cfg);
  const timeoutMs = cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  function report(err: ProviderCallError): ProviderCallError {
    try {
      if (err.keyRejected) cfg.onKeyRejected?.(err.message);
      else cfg.onFailure?.(err.message);
    } catch (hookErr) {
      cfg.log?.error('endpoint status update failed', { error: String(hookErr) });
    }
    cfg.log?.warn('openai call failed', {
      endpoint: cfg.endpointName,
      model: cfg.model,
      code: err.code,
      message: err.message,
    });
    return err;
  }

  function accepted(): void {
    try {
      cfg.onKeyAccepted?.();
    } catch (hookErr) {
      cfg.log?.error('endpoint status update failed', { error: String(hookErr) });
    }
  }

  function buildParams(turns: ChatTurn[], opts: ChatOptions) {
    if (opts.stop && opts.stop.length > 4) {
      throw new ProviderCallError('bad_input', 'At most 4 stop sequences can be sent to an OpenAI-compatible model.');
    }
    return {
      model: cfg.model,
      messages: toApiMessages(turns),
      ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
      // OpenAI's newer models only take max_completion_tokens; compatible servers widely know max_tokens.
      ...(opts.maxTokens !== undefined
        ? cfg.kind === 'openai'
          ? { max_completion_tokens: opts.maxTokens }
          : { max_tokens: opts.maxTokens }
        : {}),
      ...(opts.stop && opts.stop.length ? { stop: opts.stop } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.jsonSchema
        ? {
            response_format: {
              type: 'json_schema' as const,
              json_schema: { name: schemaName(opts.jsonSchema), schema: opts.jsonSchema, strict: true },
            },
          }
        : {}),
    };
  }

  async function finish(
    text: string,
    usage: z.infer<typeof Usage> | null | undefined,
    turns: ChatTurn[],
    opts: ChatOptions,
    timing: { start: number; firstToken: number | null },
    stopped: boolean,
  ): Promise<ChatResult> {
    const end = performance.now();
    return {
      text,
      structured: opts.jsonSchema && !stopped ? parseStructured(text) : null,
      // Usage is missing when a stream is stopped or a server ignores include_usage: estimate then.
      promptTokens: usage?.prompt_tokens ?? (await estimateTokens(turns.map((t) => t.content).join('\n'))),
      completionTokens: usage?.completion_tokens ?? (await estimateTokens(text)),
      latencyMs: Math.round(end - timing.start),
      firstTokenMs: timing.firstToken === null ? null : Math.round(timing.firstToken - timing.start),
      stopped,
    };
  }

  async function chatOnce(turns: ChatTurn[], opts: ChatOptions): Promise<ChatResult> {
    const start = performance.now();
    const ctx = errorContext(cfg, 'chat', cfg.model);
    const params = buildParams(turns, opts);
    let raw: unknown;
    try {
      raw = await client.chat.completions.create({ ...params, stream: false }, { signal: opts.signal });
    } catch (err) {
      if (err instanceof APIUserAbortError || opts.signal?.aborted) {
        return finish('', null, turns, opts, { start, firstToken: null }, true);
      }
      throw report(toProviderError(err, ctx));
    }
    const parsed = Completion.safeParse(raw);
    if (!parsed.success) throw report(toProviderError(new UnexpectedAnswer(), ctx));
    const choice = parsed.data.choices[0]!;
    const text = choice.message.content ?? choice.message.refusal ?? '';
    accepted();
    return finish(text, parsed.data.usage, turns, opts, { start, firstToken: null }, false);
  }

  async function chatStream(turns: ChatTurn[], opts: ChatOptions): Promise<ChatResult> {
    const start = performance.now();
    const params = buildParams(turns, opts);
    let firstToken: number | null = null;
    let text = '';
    let usage: z.infer<typeof Usage> | null = null;
    let finishReason: string | null = null;
    // Our own controller: the caller's abort and the idle watchdog both end the request.
    const ctrl = new AbortController();
    let idleTimedOut = false;
    const onCallerAbort = () => ctrl.abort();
    if (opts.signal?.aborted) ctrl.abort();
    opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
    let idle: ReturnType<typeof setTimeout> | null = null;
    const armIdle = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => {
        idleTimedOut = true;
        ctrl.abort();
      }, timeoutMs);
    };
    const ctx = () => ({ ...errorContext(cfg, 'chat', cfg.model), partialText: text });
    try {
      const stream: AsyncIterable<unknown> = await client.chat.completions.create(
        { ...params, stream: true, stream_options: { include_usage: true } },
        { signal: ctrl.signal },
      );
      armIdle();
      for await (const raw of stream) {
        armIdle();
        const chunk = Chunk.safeParse(raw);
        if (!chunk.success) throw new UnexpectedAnswer();
        if (chunk.data.usage) usage = chunk.data.usage;
        for (const choice of chunk.data.choices) {
          const piece = choice.delta?.content ?? choice.delta?.refusal ?? '';
          if (piece) {
            if (firstToken === null) firstToken = performance.now();
            text += piece;
            opts.onToken?.(piece);
          }
          if (choice.finish_reason) finishReason = choice.finish_reason;
        }
      }
    } catch (err) {
      if (!(err instanceof APIUserAbortError) && !ctrl.signal.aborted) throw report(toProviderError(err, ctx()));
    } finally {
      if (idle) clearTimeout(idle);
      opts.signal?.removeEventListener('abort', onCallerAbort);
    }
    // The SDK ends an aborted stream quietly; find out who stopped it.
    if (opts.signal?.aborted) return finish(text, usage, turns, opts, { start, firstToken }, true);
    if (idleTimedOut) {
      throw report(
        new ProviderCallError(
          'provider_error',
          `"${cfg.endpointName}" stopped sending for ${Math.round(timeoutMs / 100) / 10} s (timeout)${text ? `; the partial answer (${text.length} characters) was kept` : ''}.`,
          { partialText: text },
        ),
      );
    }
    if (finishReason === null) {
      // No finish_reason and no [DONE]: the body ended early (or was not an event stream at all).
      const err = text
        ? new ProviderCallError(
            'provider_error',
            `The connection to "${cfg.endpointName}" dropped mid-answer; the partial answer (${text.length} characters) was kept.`,
            { partialText: text },
          )
        : toProviderError(new UnexpectedAnswer(), ctx());
      throw report(err);
    }
    accepted();
    return finish(text, usage, turns, opts, { start, firstToken }, false);
  }

  return {
    kind: cfg.kind,
    chat(turns, opts) {
      return opts.onToken ? chatStream(turns, opts) : chatOnce(turns, opts);
    },
  };
}

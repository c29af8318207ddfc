/**
 * A stand-in for the OpenAI API: a real HTTP server on 127.0.0.1 (random port) that speaks the
 * shapes in ../shared/specs/openai-fine-tuning.md, so tests can run the real `openai` SDK against it.
 *
 * - Routes live in a table (`standin.route(method, '/v1/things/:id', handler)`), so the fine-tuning
 *   work can add files and fine_tuning jobs without touching the chat routes.
 * - Faults are queued per test (`standin.fail(fault, { times, route })`) and consumed in order by
 *   the next matching requests: HTTP errors (401/403/429 with retry-after/-ms/500…), HTML error pages,
 *   truncated JSON, delays, dropped connections, and mid-stream disconnects, stalls or bad chunks.
 * - Every request is logged (`standin.requests`) for assertions.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { addFineTuningRoutes, type FineTuningOptions, type FineTuningStandin } from './fineTuningRoutes';

// ---------------------------------------------------------------------------------------------
// Types

export type Fault =
  /** An OpenAI-style JSON error: `{ error: { message, type, param, code } }`. */
  | { type: 'status'; status: number; code?: string | null; message?: string; headers?: Record<string, string> }
  /** An HTML page (a proxy's error page, or 200 from a server that is not an API at all). */
  | { type: 'html'; status?: number }
  /** 200 with `application/json` (or an event stream) whose body stops half-way. */
  | { type: 'truncatedJson' }
  /** Wait before answering normally (a slow server); the timer stops if the client gives up. */
  | { type: 'delay'; ms: number }
  /** Close the socket without any answer. */
  | { type: 'disconnect' }
  /** Streaming only: send `afterChunks` content chunks, then cut the connection. */
  | { type: 'midStreamDisconnect'; afterChunks?: number }
  /** Streaming only: send `afterChunks` content chunks, then go silent with the connection open. */
  | { type: 'stall'; afterChunks?: number }
  /** Streaming only: after `afterChunks` chunks, send a `data:` line that is not JSON. */
  | { type: 'badChunk'; afterChunks?: number };

export type StreamFault = Extract<Fault, { type: 'midStreamDisconnect' | 'stall' | 'badChunk' | 'truncatedJson' }>;

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, or null when there was none or it was not JSON (see rawBody). */
  body: unknown;
  rawBody: Buffer;
  /** Status sent, or null when the connection was dropped / is still streaming. */
  status: number | null;
  fault: Fault['type'] | null;
  at: number;
}

export interface RouteContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  rawBody: Buffer;
  log: LoggedRequest;
  /** A streaming fault queued for this request, for handlers that stream. */
  streamFault: StreamFault | null;
  standin: OpenAIStandin;
  json(status: number, value: unknown, headers?: Record<string, string>): void;
  error(status: number, message: string, opts?: { type?: string; code?: string | null; param?: string | null }): void;
}

export type RouteHandler = (ctx: RouteContext) => void | Promise<void>;

export interface StandinOptions {
  /** The one key accepted as `Authorization: Bearer <key>`. */
  apiKey?: string;
  models?: string[];
  /** Plain-text answer for chat completions without a schema. */
  reply?: string | ((body: ChatRequestBody) => string);
  /** Pause between stream chunks, ms (abort tests need the stream to take a while). */
  chunkDelayMs?: number;
  /**
   * A careless or hostile server: error bodies quote the presented key in full.
   * (OpenAI itself quotes a masked form, `sk-abcd****wxyz`, which is always sent.)
   */
  echoKeyInErrors?: boolean;
  /** Whether the usage chunk is sent when `stream_options.include_usage` is set (default true). */
  streamUsage?: boolean;
  /** Files and fine-tuning jobs (see fineTuningRoutes.ts). */
  fineTuning?: FineTuningOptions;
}

export interface ChatRequestBody {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown } | null;
  temperature?: unknown;
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  stop?: unknown;
  response_format?: { type?: unknown; json_schema?: { name?: unknown; schema?: unknown; strict?: unknown } } | null;
}

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  names: string[];
  handler: RouteHandler;
}

interface QueuedFault {
  fault: Fault;
  remaining: number;
  /** `METHOD /pattern` or a pattern; null matches any route. */
  route: string | null;
}

// ---------------------------------------------------------------------------------------------
// Helpers shared with routes added elsewhere

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Word-ish pieces with their trailing spaces, so joining them gives the text back. */
export function splitIntoTokens(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** A deterministic, rough token count (words + per-message overhead, like the cookbook's 3 per message). */
export function roughTokenCount(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let n = 3;
  for (const m of messages) {
    const content = (m as { content?: unknown })?.content;
    n += 3 + (typeof content === 'string' ? splitIntoTokens(content).length : 0);
  }
  return n;
}

function maskKey(key: string): string {
  return key.length > 8 ? `${key.slice(0, 3)}*****${key.slice(-4)}` : '*****';
}

type JsonSchema = Record<string, unknown>;

function resolveRef(ref: string, root: JsonSchema): JsonSchema {
  // Only local refs (#/$defs/x, #/definitions/x) appear in structured-output schemas.
  const parts = ref.replace(/^#\/?/, '').split('/').filter(Boolean);
  let node: unknown = root;
  for (const p of parts)
    node = (node as Record<string, unknown> | undefined)?.[p.replace(/~1/g, '/').replace(/~0/g, '~')];
  return (node && typeof node === 'object' ? node : {}) as JsonSchema;
}

/**
 * A deterministic value that satisfies the schema subset OpenAI's strict mode allows: objects with
 * every property, arrays (minItems, at least 1), enums/consts (first value), strings (minLength),
 * numbers/integers (minimum), booleans, null, anyOf/oneOf (first branch), local $ref.
 */
export function exampleFromSchema(schema: JsonSchema, root: JsonSchema = schema, depth = 0): unknown {
  if (depth > 20) return null;
  if (typeof schema.$ref === 'string') return exampleFromSchema(resolveRef(schema.$ref, root), root, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(branches) && branches.length) {
    const nonNull = branches.find((b) => b.type !== 'null') ?? branches[0]!;
    return exampleFromSchema(nonNull, root, depth + 1);
  }
  let type = schema.type;
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0];
  switch (type) {
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(props)) out[k] = exampleFromSchema(v, root, depth + 1);
      return out;
    }
    case 'array': {
      const items = (schema.items ?? {}) as JsonSchema;
      const min = typeof schema.minItems === 'number' ? schema.minItems : 1;
      const max = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(min, 1);
      const n = Math.min(Math.max(min, 1), max);
      return Array.from({ length: n }, () => exampleFromSchema(items, root, depth + 1));
    }
    case 'string': {
      const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
      const base = schema.format === 'date-time' ? '2026-01-01T00:00:00Z' : 'example';
      return base.length >= min ? base : base.padEnd(min, 'x');
    }
    case 'integer':
    case 'number': {
      if (typeof schema.minimum === 'number') return type === 'integer' ? Math.ceil(schema.minimum) : schema.minimum;
      if (typeof schema.exclusiveMinimum === 'number') return Math.floor(schema.exclusiveMinimum) + 1;
      if (typeof schema.maximum === 'number' && schema.maximum < 0) return schema.maximum;
      return 0;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return {};
  }
}

// ---------------------------------------------------------------------------------------------
// The server

export class OpenAIStandin {
  readonly apiKey: string;
  models: string[];
  reply: NonNullable<StandinOptions['reply']>;
  chunkDelayMs: number;
  echoKeyInErrors: boolean;
  streamUsage: boolean;
  readonly requests: LoggedRequest[] = [];
  /** Files and fine-tuning jobs: their state, and faults of their own. */
  readonly fineTuning: FineTuningStandin;
  private readonly routes: Route[] = [];
  private readonly faults: QueuedFault[] = [];
  private server: http.Server | null = null;
  private port = 0;
  private seq = 0;

  constructor(opts: StandinOptions = {}) {
    this.apiKey = opts.apiKey ?? 'sk-standin-test-key-0000';
    this.models = opts.models ?? ['gpt-4o-mini-2024-07-18', 'standin-small'];
    this.reply =
      opts.reply ?? 'Verdict: benign. The login burst comes from the backup service account on its usual schedule.';
    this.chunkDelayMs = opts.chunkDelayMs ?? 0;
    this.echoKeyInErrors = opts.echoKeyInErrors ?? false;
    this.streamUsage = opts.streamUsage ?? true;
    this.route('GET', '/v1/models', (ctx) => this.handleModels(ctx));
    this.route('GET', '/v1/models/:id', (ctx) => this.handleModel(ctx));
    this.route('POST', '/v1/chat/completions', (ctx) => this.handleChat(ctx));
    this.fineTuning = addFineTuningRoutes(this, opts.fineTuning);
  }

  /** Base URL for the SDK's `baseURL` (ends in /v1). */
  get url(): string {
    if (!this.server) throw new Error('stand-in not started');
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Adds (or replaces) a route. Patterns use `:name` segments. */
  route(method: string, pattern: string, handler: RouteHandler): this {
    const names: string[] = [];
    const source = pattern
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          names.push(seg.slice(1));
          return '([^/]+)';
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    const existing = this.routes.findIndex((r) => r.method === method.toUpperCase() && r.pattern === pattern);
    const route: Route = { method: method.toUpperCase(), pattern, regex: new RegExp(`^${source}/?$`), names, handler };
    if (existing >= 0) this.routes[existing] = route;
    else this.routes.push(route);
    return this;
  }

  /**
   * Queues a fault for the next `times` requests (default 1) that match `route`
   * (`'POST /v1/chat/completions'`, `'/v1/models'`, or any route when omitted).
   */
  fail(fault: Fault, opts: { times?: number; route?: string } = {}): this {
    this.faults.push({ fault, remaining: opts.times ?? 1, route: opts.route ?? null });
    return this;
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Requests to one route, e.g. `standin.requestsTo('POST', '/v1/chat/completions')`. */
  requestsTo(method: string, path: string): LoggedRequest[] {
    return this.requests.filter((r) => r.method === method.toUpperCase() && r.path === path);
  }

  nextId(prefix: string): string {
    this.seq += 1;
    return `${prefix}${this.seq.toString(36).padStart(6, '0')}`;
  }

  async start(): Promise<this> {
    if (this.server) return this;
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.sendError(res, 500, `stand-in bug: ${String(err)}`, 'server_error', null);
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.fineTuning.stop();
    // Stalled streams would keep close() waiting forever.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // -------------------------------------------------------------------------------------------

  private takeFault(method: string, route: Route | null, path: string): Fault | null {
    const idx = this.faults.findIndex((q) => {
      if (q.remaining <= 0) return false;
      if (q.route === null) return true;
      const [m, p] = q.route.includes(' ') ? q.route.split(' ', 2) : [null, q.route];
      if (m && m.toUpperCase() !== method) return false;
      return p === path || (route !== null && p === route.pattern);
    });
    if (idx < 0) return null;
    const q = this.faults[idx]!;
    q.remaining -= 1;
    if (q.remaining <= 0) this.faults.splice(idx, 1);
    return q.fault;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks);
    let body: unknown = null;
    if (rawBody.length && /json/i.test(req.headers['content-type'] ?? '')) {
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        body = null;
      }
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const log: LoggedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      rawBody,
      status: null,
      fault: null,
      at: Date.now(),
    };
    this.requests.push(log);
    res.on('finish', () => {
      log.status = res.statusCode;
    });

    let match: { route: Route; params: Record<string, string> } | null = null;
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.regex.exec(url.pathname);
      if (m) {
        match = { route: r, params: Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
        break;
      }
    }

    // Authentication first, as OpenAI does.
    const auth = req.headers.authorization ?? '';
    const presented = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (presented !== this.apiKey) {
      const shown = this.echoKeyInErrors ? presented : maskKey(presented);
      this.sendError(
        res,
        401,
        presented
          ? `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`
          : "You didn't provide an API key.",
        'invalid_request_error',
        'invalid_api_key',
      );
      return;
    }

    let fault = this.takeFault(method, match?.route ?? null, url.pathname);
    log.fault = fault?.type ?? null;
    if (fault?.type === 'delay') {
      const closed = await this.wait(fault.ms, res);
      if (closed) return;
      fault = null;
    }
    if (fault) {
      switch (fault.type) {
        case 'status': {
          const message =
            fault.message ??
            (this.echoKeyInErrors
              ? `Request with key ${presented} failed (${fault.status}).`
              : `Stand-in fault ${fault.status}.`);
          const type =
            fault.status === 429 ? 'requests' : fault.status >= 500 ? 'server_error' : 'invalid_request_error';
          this.sendError(res, fault.status, message, type, fault.code ?? null, fault.headers);
          return;
        }
        case 'html': {
          const status = fault.status ?? 502;
          const page = `<!DOCTYPE html>\n<html><head><title>${status} Bad Gateway</title></head><body><center><h1>${status} Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n`;
          res.writeHead(status, {
            'content-type': 'text/html; charset=utf-8',
            'content-length': Buffer.byteLength(page),
          });
          res.end(page);
          return;
        }
        case 'disconnect':
          req.socket.destroy();
          return;
        case 'truncatedJson': {
          if ((body as ChatRequestBody | null)?.stream === true && match) break; // the streaming handler truncates its first event
          const full = JSON.stringify(
            this.completionBody('standin-model', 'An answer that will be cut off.', 10, 7, 'stop'),
          );
          const cut = full.slice(0, Math.floor(full.length / 2));
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(cut) });
          res.end(cut);
          return;
        }
        default:
          break; // stream faults go to the handler
      }
    }

    if (!match) {
      this.sendError(res, 404, `Invalid URL (${method} ${url.pathname})`, 'invalid_request_error', null);
      return;
    }
    const streamFault =
      fault &&
      (fault.type === 'midStreamDisconnect' ||
        fault.type === 'stall' ||
        fault.type === 'badChunk' ||
        fault.type === 'truncatedJson')
        ? fault
        : null;
    const ctx: RouteContext = {
      req,
      res,
      params: match.params,
      query: log.query,
      body,
      rawBody,
      log,
      streamFault,
      standin: this,
      json: (status, value, headers) => this.sendJson(res, status, value, headers),
      error: (status, message, opts = {}) =>
        this.sendError(
          res,
          status,
          message,
          opts.type ?? 'invalid_request_error',
          opts.code ?? null,
          undefined,
          opts.param ?? null,
        ),
    };
    await match.route.handler(ctx);
  }

  /** Resolves true when the client went away before `ms` passed. */
  private wait(ms: number, res: http.ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        res.off('close', onClose);
        resolve(false);
      }, ms);
      const onClose = () => {
        clearTimeout(timer);
        resolve(true);
      };
      res.once('close', onClose);
    });
  }

  sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(value);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-request-id': `req_${this.nextId('')}`,
      ...headers,
    });
    res.end(text);
  }

  sendError(
    res: http.ServerResponse,
    status: number,
    message: string,
    type: string,
    code: string | null,
    headers: Record<string, string> = {},
    param: string | null = null,
  ): void {
    this.sendJson(res, status, { error: { message, type, param, code } }, headers);
  }

  // -------------------------------------------------------------------------------------------
  // Built-in routes

  private handleModels(ctx: RouteContext): void {
    ctx.json(200, {
      object: 'list',
      data: this.models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'standin' })),
    });
  }

  private handleModel(ctx: RouteContext): void {
    const id = ctx.params.id!;
    if (!this.models.includes(id)) {
      ctx.error(404, `The model '${id}' does not exist`, { code: 'model_not_found' });
      return;
    }
    ctx.json(200, { id, object: 'model', created: 1_700_000_000, owned_by: 'standin' });
  }

  completionBody(model: string, content: string, promptTokens: number, completionTokens: number, finish: string) {
    return {
      id: this.nextId('chatcmpl-standin'),
      object: 'chat.completion',
      created: nowSeconds(),
      model,
      system_fingerprint: null,
      choices: [
        { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finish },
      ],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    };
  }

  private async handleChat(ctx: RouteContext): Promise<void> {
    const body = (ctx.body ?? {}) as ChatRequestBody;
    if (typeof body.model !== 'string' || !body.model) {
      ctx.error(400, 'you must provide a model parameter', { param: 'model' });
      return;
    }
    if (!this.models.includes(body.model)) {
      ctx.error(404, `The model \`${body.model}\` does not exist or you do not have access to it.`, {
        code: 'model_not_found',
      });
      return;
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      ctx.error(400, "Invalid value for 'messages': expected a non-empty array.", { param: 'messages' });
      return;
    }
    const rf = body.response_format;
    let text: string;
    if (rf && rf.type === 'json_schema') {
      const js = rf.json_schema;
      if (
        !js ||
        typeof js.name !== 'string' ||
        !/^[A-Za-z0-9_-]{1,64}$/.test(js.name) ||
        typeof js.schema !== 'object' ||
        !js.schema
      ) {
        ctx.error(400, "Invalid 'response_format.json_schema': name and schema are required.", {
          param: 'response_format',
        });
        return;
      }
      text = JSON.stringify(exampleFromSchema(js.schema as JsonSchema));
    } else {
      text = typeof this.reply === 'function' ? this.reply(body) : this.reply;
    }
    let finish = 'stop';
    if (Array.isArray(body.stop) || typeof body.stop === 'string') {
      const stops = (Array.isArray(body.stop) ? body.stop : [body.stop]).filter(
        (s): s is string => typeof s === 'string' && s !== '',
      );
      for (const s of stops) {
        const at = text.indexOf(s);
        if (at >= 0) text = text.slice(0, at);
      }
    }
    let pieces = splitIntoTokens(text);
    const limit =
      typeof body.max_completion_tokens === 'number'
        ? body.max_completion_tokens
        : typeof body.max_tokens === 'number'
          ? body.max_tokens
          : null;
    if (limit !== null && pieces.length > limit) {
      pieces = pieces.slice(0, limit);
      finish = 'length';
    }
    const promptTokens = roughTokenCount(body.messages);
    if (body.stream !== true) {
      ctx.json(200, this.completionBody(body.model, pieces.join(''), promptTokens, pieces.length, finish));
      return;
    }
    await this.streamChat(ctx, body, pieces, promptTokens, finish);
  }

  private async streamChat(
    ctx: RouteContext,
    body: ChatRequestBody,
    pieces: string[],
    promptTokens: number,
    finish: string,
  ): Promise<void> {
    const { res, streamFault } = ctx;
    const id = this.nextId('chatcmpl-standin');
    const created = nowSeconds();
    const includeUsage = body.stream_options?.include_usage === true && this.streamUsage;
    const chunk = (delta: Record<string, unknown>, finishReason: string | null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: body.model,
      system_fingerprint: null,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
    });
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-request-id': `req_${this.nextId('')}`,
    });
    let gone = false;
    res.on('close', () => {
      gone = true;
    });
    const send = (data: unknown) => {
      if (!gone) res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    };
    if (streamFault?.type === 'truncatedJson') {
      const full = JSON.stringify(chunk({ role: 'assistant', content: pieces[0] ?? '' }, null));
      res.end(`data: ${full.slice(0, Math.floor(full.length / 2))}`);
      return;
    }
    send(chunk({ role: 'assistant', content: '', refusal: null }, null));
    for (let i = 0; i < pieces.length; i++) {
      if (gone) return;
      const after = streamFault && 'afterChunks' in streamFault ? (streamFault.afterChunks ?? 2) : -1;
      if (streamFault && i === after) {
        if (streamFault.type === 'midStreamDisconnect') {
          // Let the chunks already written reach the client first, then cut the socket.
          await new Promise((r) => setTimeout(r, 30));
          res.socket?.destroy();
          return;
        }
        if (streamFault.type === 'stall') return; // the connection stays open, silent
        if (streamFault.type === 'badChunk') {
          send('{"id": "chatcmpl-broken", "choices": [ {"delta": ');
          res.end();
          return;
        }
      }
      if (this.chunkDelayMs > 0 && i > 0) {
        if (await this.wait(this.chunkDelayMs, res)) return;
      }
      send(chunk({ content: pieces[i] }, null));
    }
    send(chunk({}, finish));
    if (includeUsage) {
      send({
        id,
        object: 'chat.completion.chunk',
        created,
        model: body.model,
        system_fingerprint: null,
        choices: [],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: pieces.length,
          total_tokens: promptTokens + pieces.length,
        },
      });
    }
    send('[DONE]');
    if (!gone) res.end();
  }
}

/** Starts a stand-in on a random loopback port. */
export async function startOpenAIStandin(opts: StandinOptions = {}): Promise<OpenAIStandin> {
  return new OpenAIStandin(opts).start();
}

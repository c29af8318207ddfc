import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from 'openai';
import { WorkbenchError, type ErrorCode } from '../../contract/errors';
import { maskSecrets } from '../../core/logger';

/** A provider failure; `partialText` is what had streamed in before it (kept, never thrown away). */
export class ProviderCallError extends WorkbenchError {
  readonly partialText: string;
  /** True for a 401: the caller marks the endpoint's key invalid. */
  readonly keyRejected: boolean;
  constructor(code: ErrorCode, message: string, opts: { partialText?: string; keyRejected?: boolean } = {}) {
    super(code, message);
    this.name = 'ProviderCallError';
    this.partialText = opts.partialText ?? '';
    this.keyRejected = opts.keyRejected ?? false;
  }
}

export interface ErrorContext {
  endpointName: string;
  /** host[:port] only: a URL path would be scrubbed from messages as if it were a file path. */
  host: string;
  apiKey: string;
  model?: string;
  op: 'chat' | 'listModels';
  attempts: number;
  timeoutMs: number;
  partialText?: string;
}

/**
 * Removes the key, anything that looks like part of it (OpenAI echoes `sk-abcd****wxyz`), and other
 * secret-looking tokens from text that came from a server, then bounds its length.
 */
export function scrubServerText(text: string, apiKey: string, max = 300): string {
  let s = text;
  if (apiKey) s = s.split(apiKey).join('[redacted]');
  if (apiKey.length >= 12) {
    const head = apiKey.slice(0, 8);
    const tail = apiKey.slice(-6);
    s = s
      .split(/(\s+)/)
      .map((word) => (word.includes(head) || word.includes(tail) ? '[redacted]' : word))
      .join('');
  }
  s = maskSecrets(s)
    .replace(/[\p{Cc}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function serverSaid(err: APIError, ctx: ErrorContext): string {
  const raw = typeof err.error === 'object' && err.error !== null ? (err.error as { message?: unknown }).message : null;
  if (typeof raw !== 'string' || !raw.trim()) return '';
  return ` The server said: "${scrubServerText(raw, ctx.apiKey, 200)}"`;
}

/** The body was not JSON (an HTML error page from a proxy, say). */
function bodyWasNotJson(err: APIError): boolean {
  return err.error === undefined || err.error === null;
}

const quote = (s: string) => `"${s}"`;

/** Maps anything the SDK (or our own response checks) threw to an error fit for people. */
export function toProviderError(err: unknown, ctx: ErrorContext): ProviderCallError {
  const name = quote(ctx.endpointName);
  const partial = { partialText: ctx.partialText ?? '' };
  const tries = ctx.attempts === 1 ? '1 attempt' : `${ctx.attempts} attempts`;
  if (err instanceof ProviderCallError) return err;
  if (err instanceof AuthenticationError) {
    return new ProviderCallError(
      'unauthorized',
      `The key was rejected by ${name} (401 Unauthorized). Set a new key for this endpoint in Settings → Endpoints.`,
      { ...partial, keyRejected: true },
    );
  }
  if (err instanceof PermissionDeniedError) {
    return new ProviderCallError(
      'forbidden',
      `${name} refused the request (403 Forbidden): this key or account is not allowed to do this${ctx.model ? ` with model ${quote(ctx.model)}` : ''}.${serverSaid(err, ctx)}`,
      partial,
    );
  }
  if (err instanceof RateLimitError) {
    if (err.code === 'insufficient_quota') {
      return new ProviderCallError(
        'provider_error',
        `${name} says the account has no quota left (429 insufficient_quota). Check the plan and billing for this key.`,
        partial,
      );
    }
    return new ProviderCallError(
      'provider_error',
      `${name} is rate limiting requests (429 rate limit) and still refused after ${tries}. Wait a minute and try again.`,
      partial,
    );
  }
  if (err instanceof InternalServerError) {
    const html = bodyWasNotJson(err)
      ? ' It sent an unexpected answer (an error page, not JSON).'
      : serverSaid(err, ctx);
    return new ProviderCallError(
      'provider_error',
      `${name} had a server error (${err.status}) on all ${tries}. Try again later.${html}`,
      partial,
    );
  }
  if (err instanceof NotFoundError) {
    const what =
      ctx.op === 'chat' && ctx.model
        ? `does not know model ${quote(ctx.model)} (404), or the base URL is wrong`
        : 'answered 404: check the base URL (for most servers it ends in /v1)';
    return new ProviderCallError('provider_error', `${name} ${what}.${serverSaid(err, ctx)}`, partial);
  }
  if (err instanceof BadRequestError || err instanceof UnprocessableEntityError) {
    return new ProviderCallError(
      'provider_error',
      `${name} rejected the request (${err.status}).${serverSaid(err, ctx)}`,
      partial,
    );
  }
  if (err instanceof APIConnectionTimeoutError) {
    return new ProviderCallError(
      'provider_error',
      `${name} did not answer within ${Math.round(ctx.timeoutMs / 100) / 10} s (timeout after ${tries}).`,
      partial,
    );
  }
  if (err instanceof APIConnectionError) {
    return new ProviderCallError(
      'provider_error',
      `Could not reach ${name} at ${ctx.host} after ${tries}. Check the base URL and the network.`,
      partial,
    );
  }
  if (err instanceof APIError && err.status === undefined) {
    // An `error` object inside the event stream.
    return new ProviderCallError(
      'provider_error',
      `${name} reported an error mid-answer.${serverSaid(err, ctx)}`,
      partial,
    );
  }
  if (err instanceof APIError) {
    return new ProviderCallError(
      'provider_error',
      `${name} answered with an unexpected status (${String(err.status)}).${serverSaid(err, ctx)}`,
      partial,
    );
  }
  if (isDisconnect(err)) {
    return new ProviderCallError(
      'provider_error',
      ctx.partialText
        ? `The connection to ${name} dropped mid-answer; the partial answer (${ctx.partialText.length} characters) was kept.`
        : `The connection to ${name} dropped before it answered.`,
      partial,
    );
  }
  // Truncated JSON, a page of HTML where JSON belongs, a chunk of the wrong shape.
  return new ProviderCallError(
    'provider_error',
    `${name} sent an unexpected answer (not a valid ${ctx.op === 'chat' ? 'chat completion' : 'model list'}). If it is an OpenAI-compatible server, check that the base URL points at its API.`,
    partial,
  );
}

/** undici reports a socket closed mid-body as `TypeError: terminated` (cause: SocketError). */
function isDisconnect(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof SyntaxError) return false;
  const cause = (err as { cause?: unknown }).cause;
  const causeCode = cause && typeof cause === 'object' ? (cause as { code?: unknown }).code : undefined;
  return (
    err.message === 'terminated' ||
    /socket|ECONNRESET|other side closed|premature close/i.test(err.message) ||
    causeCode === 'UND_ERR_SOCKET' ||
    causeCode === 'ECONNRESET'
  );
}

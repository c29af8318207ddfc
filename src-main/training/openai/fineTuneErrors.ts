import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from 'openai';
import { OPENAI_FINE_TUNING_END } from '../../contract/index';
import { scrubServerText } from '../../runtime/openai/openaiErrors';

/** A fine-tuning answer that is not what OpenAI documents (an HTML page, a truncated or odd body). */
export class UnexpectedAnswerError extends Error {
  constructor(what: string) {
    super(`sent an unexpected answer to ${what}`);
    this.name = 'UnexpectedAnswerError';
  }
}

export type FailureKind =
  /** 401: the key is wrong or revoked. Never retried; the endpoint's key is marked invalid. */
  | 'key_rejected'
  /** 403: not allowed (on create: OpenAI no longer accepts new fine-tuning jobs here). */
  | 'forbidden'
  /** 429 without quota left: retrying will not help. */
  | 'quota'
  /** 400/404/409/422: the request itself was refused. */
  | 'refused'
  /** 429, 5xx, timeouts, dropped connections, malformed answers: worth another try. */
  | 'transient'
  /** The request was aborted by us (cancel or shut-down). */
  | 'aborted';

export interface ClassifiedFailure {
  kind: FailureKind;
  status: number | null;
  /** What the server said, scrubbed of the key and secrets, bounded; '' when nothing useful. */
  serverSaid: string;
  /** Seconds the server asked us to wait (429), when it said. */
  retryAfterS: number | null;
  /** No answer, or one we could not read: the request may or may not have taken effect. */
  ambiguous: boolean;
}

function retryAfter(err: APIError): number | null {
  const h = err.headers;
  if (!h) return null;
  const ms = Number(h.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms >= 0 && h.get('retry-after-ms') !== null) return ms / 1000;
  const raw = h.get('retry-after');
  if (raw === null) return null;
  const s = Number(raw);
  if (Number.isFinite(s)) return Math.max(0, s);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, (at - Date.now()) / 1000);
}

function said(err: APIError, apiKey: string): string {
  const raw = typeof err.error === 'object' && err.error !== null ? (err.error as { message?: unknown }).message : null;
  return typeof raw === 'string' && raw.trim() ? scrubServerText(raw, apiKey, 300) : '';
}

/** Sorts anything the SDK (or our answer checks) threw into what the runner should do about it. */
export function classifyFailure(err: unknown, apiKey: string): ClassifiedFailure {
  const base = { status: null, serverSaid: '', retryAfterS: null, ambiguous: false };
  if (err instanceof APIUserAbortError) return { ...base, kind: 'aborted' };
  if (err instanceof AuthenticationError)
    return { ...base, kind: 'key_rejected', status: 401, serverSaid: said(err, apiKey) };
  if (err instanceof PermissionDeniedError)
    return { ...base, kind: 'forbidden', status: 403, serverSaid: said(err, apiKey) };
  if (err instanceof RateLimitError) {
    return {
      ...base,
      kind: err.code === 'insufficient_quota' ? 'quota' : 'transient',
      status: 429,
      serverSaid: said(err, apiKey),
      retryAfterS: retryAfter(err),
    };
  }
  if (err instanceof InternalServerError) {
    return { ...base, kind: 'transient', status: err.status, serverSaid: said(err, apiKey), ambiguous: true };
  }
  if (
    err instanceof BadRequestError ||
    err instanceof NotFoundError ||
    err instanceof ConflictError ||
    err instanceof UnprocessableEntityError
  ) {
    return { ...base, kind: 'refused', status: err.status, serverSaid: said(err, apiKey) };
  }
  // Timeouts are connection errors too: no answer came back.
  if (err instanceof APIConnectionTimeoutError || err instanceof APIConnectionError) {
    return { ...base, kind: 'transient', ambiguous: true };
  }
  if (err instanceof APIError) {
    const status = typeof err.status === 'number' ? err.status : null;
    if (status !== null && status >= 400 && status < 500 && status !== 408) {
      return { ...base, kind: 'refused', status, serverSaid: said(err, apiKey) };
    }
    return { ...base, kind: 'transient', status, serverSaid: said(err, apiKey), ambiguous: true };
  }
  // A truncated JSON body (SyntaxError), an HTML page where JSON belongs, a socket cut mid-body.
  return { ...base, kind: 'transient', ambiguous: true };
}

/** How a failure reads in the job's log and error line. `endpoint` is the endpoint's name. */
export function describeFailure(f: ClassifiedFailure, endpoint: string, what: string): string {
  const name = `"${endpoint}"`;
  const server = f.serverSaid ? ` The server said: "${f.serverSaid}"` : '';
  switch (f.kind) {
    case 'key_rejected':
      return `${name} rejected the key (401 Unauthorized) while ${what}. Set a new key in Settings → Endpoints, then press Retry: the job's uploads and remote job are kept.`;
    case 'forbidden':
      return `${name} refused ${what} (403 Forbidden): this key or organisation is not allowed to do it.${server}`;
    case 'quota':
      return `${name} says the account has no quota left (429 insufficient_quota) while ${what}. Check the plan and billing, then press Retry.`;
    case 'refused':
      return `${name} refused ${what} (${f.status ?? 'error'}).${server}`;
    case 'transient':
      if (f.status === 429) return `${name} is rate limiting requests (429) while ${what}.`;
      if (f.status !== null && f.status >= 500)
        return `${name} had a server error (${f.status}) while ${what}.${server}`;
      return `${name} did not answer, or answered with something unreadable, while ${what}.`;
    case 'aborted':
      return `Stopped while ${what}.`;
  }
}

/** What the job says when OpenAI refuses to create a fine-tuning job (403 on create). */
export function creationRefusedMessage(endpoint: string, f: ClassifiedFailure): string {
  const server = f.serverSaid ? ` (The server said: "${f.serverSaid}")` : '';
  return (
    `OpenAI no longer accepts new fine-tuning jobs for this organisation: "${endpoint}" refused to create the job (403 Forbidden). ` +
    `OpenAI is winding self-serve fine-tuning down and stops all new fine-tuning jobs on ${OPENAI_FINE_TUNING_END}. ` +
    `Train locally instead (Start job → Backend: Local); models you already fine-tuned on OpenAI keep working for chat and evaluation.${server}`
  );
}

import { z } from 'zod';
import { query, action } from '../define';
import { Empty, Id } from '../common';
import type { ErrorPayload } from '../errors';

export const ENDPOINT_KINDS = ['openai', 'openai_compatible'] as const;
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];

/** `invalid`: the endpoint answered 401 to this key; `ok`: the last test or call was accepted. */
export const KEY_STATUSES = ['unknown', 'ok', 'invalid'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** An endpoint as the UI sees it. The key itself never leaves the main process. */
export interface EndpointSummary {
  id: number;
  name: string;
  kind: EndpointKind;
  baseUrl: string;
  hasKey: boolean;
  /** Where the key comes from: the key store, an environment variable, or nowhere. */
  keySource: 'store' | 'env' | null;
  keyStatus: KeyStatus;
  keyCheckedAt: number | null;
  /** The last failure talking to the endpoint, as shown to people (never contains the key). */
  lastError: string | null;
  createdAt: number;
}

export interface EndpointTestResult {
  ok: boolean;
  /** Model ids the endpoint lists (first 200). */
  models: string[];
  latencyMs: number;
  error: ErrorPayload | null;
  endpoint: EndpointSummary;
}

/** A write-only key: never echoed back, never logged (the audit sanitizer redacts `apiKey`). */
const ApiKey = z
  .string()
  .trim()
  .min(8, 'the key looks too short')
  .max(4096)
  .regex(/^[\x21-\x7e]+$/, 'the key must be printable ASCII without spaces');

const BaseUrl = z
  .string()
  .trim()
  .max(2000)
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'the base URL must be an http:// or https:// URL')
  .refine((s) => {
    try {
      const u = new URL(s);
      return !u.username && !u.password;
    } catch {
      return true;
    }
  }, 'put the key in the key field, not in the URL')
  .refine((s) => {
    try {
      const u = new URL(s);
      return !u.search && !u.hash;
    } catch {
      return true;
    }
  }, 'the base URL cannot carry a query or fragment');

const EndpointName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]+$/u, 'the name cannot contain control characters');

export const endpointCommands = {
  'endpoints.list': query<{ items: EndpointSummary[]; keyStorage: { ok: boolean; reason: string | null } }>()(Empty),
  'endpoints.add': action<EndpointSummary>()(
    z
      .object({
        name: EndpointName,
        kind: z.enum(ENDPOINT_KINDS),
        /** Optional for `openai` (defaults to the public API); required for compatible servers. */
        baseUrl: BaseUrl.optional(),
        apiKey: ApiKey.optional(),
      })
      .strict()
      .refine((v) => v.kind === 'openai' || v.baseUrl !== undefined, {
        message: 'an OpenAI-compatible endpoint needs a base URL',
        path: ['baseUrl'],
      }),
  ),
  'endpoints.setKey': action<EndpointSummary>()(z.object({ id: Id, apiKey: ApiKey }).strict()),
  'endpoints.clearKey': action<EndpointSummary>()(z.object({ id: Id }).strict()),
  'endpoints.remove': action<{ id: number }>()(z.object({ id: Id }).strict()),
  'endpoints.test': action<EndpointTestResult>()(z.object({ id: Id }).strict()),
} as const;

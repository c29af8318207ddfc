import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkbenchError } from '../../src-main/contract/index';
import {
  createOpenAIProvider,
  listRemoteModels,
  type OpenAIProviderConfig,
} from '../../src-main/runtime/openai/openaiProvider';
import { ProviderCallError } from '../../src-main/runtime/openai/openaiErrors';
import type { ChatResult, ChatTurn } from '../../src-main/runtime/provider';
import { startOpenAIStandin, type OpenAIStandin } from '../standin/openaiStandin';

const KEY = 'sk-provider-test-key-5678';
const TURNS: ChatTurn[] = [
  { role: 'system', content: 'You are a SOC analyst.' },
  { role: 'user', content: 'Triage: 40 failed logons for svc_backup from 10.0.0.5 within a minute.' },
];
const LONG_REPLY = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');

const TRIAGE_SCHEMA = {
  title: 'triage answer',
  type: 'object',
  additionalProperties: false,
  required: ['verdict', 'threat_type', 'severity', 'techniques', 'rationale'],
  properties: {
    verdict: { type: 'string', enum: ['true_positive', 'benign', 'false_positive'] },
    threat_type: { type: 'string' },
    severity: { type: 'string', enum: ['info', 'low', 'medium', 'high', 'critical'] },
    techniques: { type: 'array', items: { type: 'string' } },
    rationale: { type: 'string' },
  },
};

let standin: OpenAIStandin;
beforeEach(async () => {
  standin = await startOpenAIStandin({ apiKey: KEY });
});
afterEach(async () => {
  await standin.close();
});

function provider(over: Partial<OpenAIProviderConfig> = {}) {
  const hooks = { rejected: vi.fn(), accepted: vi.fn(), failed: vi.fn() };
  const p = createOpenAIProvider({
    kind: 'openai_compatible',
    endpointName: 'Stand-in',
    baseUrl: standin.url,
    apiKey: KEY,
    model: 'standin-small',
    timeoutMs: 5_000,
    onKeyRejected: hooks.rejected,
    onKeyAccepted: hooks.accepted,
    onFailure: hooks.failed,
    ...over,
  });
  return { p, hooks };
}

async function failure(promise: Promise<unknown>): Promise<ProviderCallError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderCallError);
  expect(err).toBeInstanceOf(WorkbenchError);
  return err as ProviderCallError;
}

const chatCalls = () => standin.requestsTo('POST', '/v1/chat/completions');
const fast429 = { type: 'status', status: 429, headers: { 'retry-after-ms': '10' } } as const;

describe('OpenAI provider: chat', () => {
  it('answers without streaming, passing per-call options and reporting usage', async () => {
    const { p, hooks } = provider();
    const r = await p.chat(TURNS, { temperature: 0.1, maxTokens: 200, stop: ['###'], seed: 7 });
    expect(p.kind).toBe('openai_compatible');
    expect(r.text).toBe(standin.reply);
    expect(r.stopped).toBe(false);
    expect(r.structured).toBeNull();
    expect(r.firstTokenMs).toBeNull();
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(r.completionTokens).toBe(15);
    expect(r.promptTokens).toBeGreaterThan(10);
    const body = chatCalls()[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'standin-small', temperature: 0.1, max_tokens: 200, stop: ['###'], seed: 7 });
    expect(body.stream).toBe(false);
    expect(chatCalls()[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(hooks.accepted).toHaveBeenCalledTimes(1);
  });

  it('sends max_completion_tokens to OpenAI itself', async () => {
    const { p } = provider({ kind: 'openai' });
    const r = await p.chat(TURNS, { maxTokens: 3 });
    expect(r.text).toBe('Verdict: benign. The ');
    expect(chatCalls()[0]!.body).toMatchObject({ max_completion_tokens: 3 });
    expect(chatCalls()[0]!.body).not.toHaveProperty('max_tokens');
  });

  it('streams tokens through onToken with usage, latency and time to first token', async () => {
    standin.chunkDelayMs = 5;
    const { p } = provider();
    const tokens: string[] = [];
    const r = await p.chat(TURNS, { onToken: (t) => tokens.push(t) });
    expect(tokens.length).toBeGreaterThan(5);
    expect(tokens.join('')).toBe(standin.reply);
    expect(r.text).toBe(standin.reply);
    expect(r.completionTokens).toBe(15);
    expect(r.promptTokens).toBeGreaterThan(10);
    expect(r.firstTokenMs).not.toBeNull();
    expect(r.firstTokenMs!).toBeLessThanOrEqual(r.latencyMs);
    expect(r.latencyMs).toBeGreaterThanOrEqual(5 * 10);
    expect(chatCalls()[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('estimates token counts when a server sends no usage', async () => {
    standin.streamUsage = false;
    const { p } = provider();
    const r = await p.chat(TURNS, { onToken: () => {} });
    expect(r.completionTokens).toBeGreaterThan(5);
    expect(r.promptTokens).toBeGreaterThan(10);
  });

  it('keeps the partial text when the caller aborts mid-stream', async () => {
    standin.reply = LONG_REPLY;
    standin.chunkDelayMs = 15;
    const { p, hooks } = provider();
    const ctrl = new AbortController();
    const tokens: string[] = [];
    const r: ChatResult = await p.chat(TURNS, {
      signal: ctrl.signal,
      onToken: (t) => {
        tokens.push(t);
        if (tokens.length === 5) ctrl.abort();
      },
    });
    expect(r.stopped).toBe(true);
    expect(r.text).toBe(tokens.join(''));
    expect(r.text.startsWith('word0 word1 word2 word3 ')).toBe(true);
    expect(r.text.length).toBeLessThan(LONG_REPLY.length);
    expect(r.completionTokens).toBeGreaterThan(0);
    expect(hooks.failed).not.toHaveBeenCalled();
    // The server saw the client go away.
    await vi.waitFor(() => expect(chatCalls()).toHaveLength(1));
  });

  it('returns stopped with no text when aborted before the answer starts', async () => {
    standin.fail({ type: 'delay', ms: 2_000 });
    const { p } = provider();
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 50);
    const streamed = await p.chat(TURNS, { signal: ctrl.signal, onToken: () => {} });
    expect(streamed).toMatchObject({ stopped: true, text: '' });
    const ctrl2 = new AbortController();
    ctrl2.abort();
    const plain = await p.chat(TURNS, { signal: ctrl2.signal });
    expect(plain).toMatchObject({ stopped: true, text: '' });
  });

  it('asks for strict structured output and returns the parsed object', async () => {
    const { p } = provider();
    const r = await p.chat(TURNS, { jsonSchema: TRIAGE_SCHEMA, temperature: 0.1 });
    expect(r.structured).toEqual({
      verdict: 'true_positive',
      threat_type: 'example',
      severity: 'info',
      techniques: ['example'],
      rationale: 'example',
    });
    expect(chatCalls()[0]!.body).toMatchObject({
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'triage_answer', strict: true, schema: TRIAGE_SCHEMA },
      },
    });
    // Streaming parses too.
    const streamed = await p.chat(TURNS, { jsonSchema: TRIAGE_SCHEMA, onToken: () => {} });
    expect(streamed.structured).toEqual(r.structured);
  });

  it('refuses more than 4 stop sequences before calling out', async () => {
    const { p } = provider();
    const err = await failure(p.chat(TURNS, { stop: ['a', 'b', 'c', 'd', 'e'] }));
    expect(err.code).toBe('bad_input');
    expect(chatCalls()).toHaveLength(0);
  });
});

describe('OpenAI provider: faults', () => {
  it('401: no retry, "the key was rejected", and the key is reported invalid', async () => {
    const { p, hooks } = provider({ apiKey: 'sk-wrong-key-for-this-test' });
    const err = await failure(p.chat(TURNS, {}));
    expect(err.code).toBe('unauthorized');
    expect(err.message).toMatch(/the key was rejected/i);
    expect(err.keyRejected).toBe(true);
    expect(chatCalls()).toHaveLength(1);
    expect(hooks.rejected).toHaveBeenCalledTimes(1);
    expect(hooks.failed).not.toHaveBeenCalled();
    // Streaming gets the same treatment.
    const err2 = await failure(p.chat(TURNS, { onToken: () => {} }));
    expect(err2.code).toBe('unauthorized');
    expect(chatCalls()).toHaveLength(2);
  });

  it('403: forbidden, no retry, key not marked invalid', async () => {
    standin.fail({ type: 'status', status: 403, message: 'Project does not have access to model standin-small' });
    const { p, hooks } = provider();
    const err = await failure(p.chat(TURNS, {}));
    expect(err.code).toBe('forbidden');
    expect(err.message).toMatch(/403/);
    expect(err.message).toContain('Project does not have access');
    expect(chatCalls()).toHaveLength(1);
    expect(hooks.rejected).not.toHaveBeenCalled();
    expect(hooks.failed).toHaveBeenCalledTimes(1);
  });

  it('429 with retry-after: retried, then succeeds', async () => {
    standin.fail({ type: 'status', status: 429, headers: { 'retry-after': '0.05' } }, { times: 2 });
    const { p } = provider();
    const r = await p.chat(TURNS, { onToken: () => {} });
    expect(r.text).toBe(standin.reply);
    expect(chatCalls().map((c) => c.status)).toEqual([429, 429, 200]);
    // Waited as told (about 50 ms twice).
    expect(chatCalls()[2]!.at - chatCalls()[0]!.at).toBeGreaterThanOrEqual(90);
  });

  it('429 retried to exhaustion: a clear rate-limit error after 3 attempts', async () => {
    standin.fail(fast429, { times: 3 });
    const { p, hooks } = provider();
    const err = await failure(p.chat(TURNS, {}));
    expect(err.code).toBe('provider_error');
    expect(err.message).toMatch(/rate limit/i);
    expect(err.message).toMatch(/3 attempts/);
    expect(chatCalls()).toHaveLength(3);
    expect(hooks.failed).toHaveBeenCalledTimes(1);
  });

  it('429 insufficient_quota says so', async () => {
    standin.fail({ ...fast429, code: 'insufficient_quota' }, { times: 3 });
    const err = await failure(provider().p.chat(TURNS, {}));
    expect(err.message).toMatch(/no quota left/);
  });

  it('500 burst: recovers within the retry budget, fails clearly beyond it', async () => {
    standin.fail({ type: 'status', status: 500, headers: { 'retry-after-ms': '10' } }, { times: 2 });
    const { p } = provider();
    expect((await p.chat(TURNS, {})).text).toBe(standin.reply);
    standin.fail({ type: 'status', status: 503, headers: { 'retry-after-ms': '10' } }, { times: 3 });
    const err = await failure(p.chat(TURNS, { onToken: () => {} }));
    expect(err.code).toBe('provider_error');
    expect(err.message).toMatch(/server error \(503\) on all 3 attempts/);
    expect(chatCalls()).toHaveLength(6);
  });

  it('slow response: a timeout error after bounded retries', async () => {
    standin.fail({ type: 'delay', ms: 3_000 }, { times: 2 });
    const { p } = provider({ timeoutMs: 150, maxRetries: 1 });
    const err = await failure(p.chat(TURNS, {}));
    expect(err.code).toBe('provider_error');
    expect(err.message).toMatch(/did not answer within 0\.2 s \(timeout after 2 attempts\)/);
    await vi.waitFor(() => expect(chatCalls()).toHaveLength(2));
  });

  it('a stream that stalls: timeout, partial answer kept', async () => {
    standin.fail({ type: 'stall', afterChunks: 4 });
    const { p } = provider({ timeoutMs: 300 });
    const err = await failure(p.chat(TURNS, { onToken: () => {} }));
    expect(err.code).toBe('provider_error');
    expect(err.message).toMatch(/stopped sending .*timeout/);
    expect(err.partialText).toBe('Verdict: benign. The login ');
  });

  it('HTML error page: retried as a server error, then "unexpected answer"', async () => {
    standin.fail({ type: 'html', status: 502 }, { times: 3 });
    const { p } = provider();
    const err = await failure(p.chat(TURNS, {}));
    expect(err.code).toBe('provider_error');
    expect(err.message).toMatch(/server error \(502\)/);
    expect(err.message).toMatch(/unexpected answer/);
    expect(err.message).not.toMatch(/<html|nginx/i);
  });

  it('HTML page with 200 (not an API at all): "unexpected answer", streaming or not', async () => {
    standin.fail({ type: 'html', status: 200 }, { times: 2 });
    const { p } = provider();
    const plain = await failure(p.chat(TURNS, {}));
    expect(plain.code).toBe('provider_error');
    expect(plain.message).toMatch(/unexpected answer/);
    const streamed = await failure(p.chat(TURNS, { onToken: () => {} }));
    expect(streamed.message).toMatch(/unexpected answer/);
    expect(chatCalls()).toHaveLength(2);
  });

  it('truncated JSON: "unexpected answer", streaming or not', async () => {
    standin.fail({ type: 'truncatedJson' }, { times: 2 });
    const { p } = provider();
    const plain = await failure(p.chat(TURNS, {}));
    expect(plain.code).toBe('provider_error');
    expect(plain.message).toMatch(/unexpected answer/);
    const streamed = await failure(p.chat(TURNS, { onToken: () => {} }));
    expect(streamed.message).toMatch(/unexpected answer/);
  });

  it('a malformed chunk mid-stream: "unexpected answer", partial kept', async () => {
    standin.fail({ type: 'badChunk', afterChunks: 3 });
    const err = await failure(provider().p.chat(TURNS, { onToken: () => {} }));
    expect(err.message).toMatch(/unexpected answer/);
    expect(err.partialText).toBe('Verdict: benign. The ');
  });

  it('mid-stream disconnect: a clear error, partial answer kept', async () => {
    standin.fail({ type: 'midStreamDisconnect', afterChunks: 4 });
    const tokens: string[] = [];
    const { p, hooks } = provider();
    const err = await failure(p.chat(TURNS, { onToken: (t) => tokens.push(t) }));
    expect(err.code).toBe('provider_error');
    expect(err.message).toMatch(/dropped mid-answer; the partial answer \(\d+ characters\) was kept/);
    expect(err.partialText).toBe(tokens.join(''));
    expect(err.partialText).toBe('Verdict: benign. The login ');
    expect(hooks.failed).toHaveBeenCalledTimes(1);
  });

  it('a connection dropped before any answer is retried, then reported', async () => {
    standin.fail({ type: 'disconnect' }, { times: 3 });
    const err = await failure(provider().p.chat(TURNS, {}));
    expect(err.code).toBe('provider_error');
    expect(err.message).toMatch(/Could not reach "Stand-in" at 127\.0\.0\.1:\d+ after 3 attempts/);
  });

  it('unknown model: a clear 404 message', async () => {
    const err = await failure(provider({ model: 'gpt-nope' }).p.chat(TURNS, {}));
    expect(err.message).toMatch(/does not know model "gpt-nope" \(404\)/);
  });

  it('never puts the key into a message, even when the server quotes it', async () => {
    standin.echoKeyInErrors = true;
    standin.fail({ type: 'status', status: 400 });
    const { p } = provider();
    const err = await failure(p.chat(TURNS, {}));
    expect(err.message).toContain('[redacted]');
    expect(err.message).not.toContain(KEY);
    expect(err.message).not.toContain(KEY.slice(0, 10));
    const bad = provider({ apiKey: 'sk-another-wrong-key-9876' }).p;
    const e401 = await failure(bad.chat(TURNS, {}));
    expect(e401.message).not.toContain('9876');
  });
});

describe('OpenAI provider: listing models', () => {
  it('lists models and maps failures the same way', async () => {
    const cfg = { kind: 'openai_compatible' as const, endpointName: 'Stand-in', baseUrl: standin.url, apiKey: KEY };
    const ok = await listRemoteModels(cfg);
    expect(ok.models).toEqual(standin.models);
    const bad = await failure(listRemoteModels({ ...cfg, apiKey: 'sk-wrong-key-xxxxxxxx' }));
    expect(bad.code).toBe('unauthorized');
    const wrongPath = await failure(listRemoteModels({ ...cfg, baseUrl: standin.url.replace(/\/v1$/, '/nope') }));
    expect(wrongPath.message).toMatch(/check the base URL/);
    standin.fail({ type: 'html', status: 200 });
    const html = await failure(listRemoteModels(cfg));
    expect(html.message).toMatch(/unexpected answer \(not a valid model list\)/);
  });
});

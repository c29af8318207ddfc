import OpenAI, { AuthenticationError, InternalServerError, RateLimitError } from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleFromSchema, startOpenAIStandin, type OpenAIStandin } from './openaiStandin';

let standin: OpenAIStandin;
let client: OpenAI;

beforeEach(async () => {
  standin = await startOpenAIStandin({ apiKey: 'sk-standin-self-test-1234' });
  client = new OpenAI({ apiKey: 'sk-standin-self-test-1234', baseURL: standin.url, maxRetries: 2, logLevel: 'off' });
});
afterEach(async () => {
  await standin.close();
});

describe('OpenAI stand-in (driven by the real SDK)', () => {
  it('listens on loopback and lists models', async () => {
    expect(standin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['gpt-4o-mini-2024-07-18', 'standin-small']);
    expect(standin.requestsTo('GET', '/v1/models')).toHaveLength(1);
  });

  it('answers a chat completion and logs the request', async () => {
    const res = await client.chat.completions.create({
      model: 'standin-small',
      messages: [{ role: 'user', content: 'hello there' }],
      temperature: 0.2,
    });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]!.message.content).toContain('Verdict: benign');
    expect(res.usage!.completion_tokens).toBeGreaterThan(3);
    const [logged] = standin.requestsTo('POST', '/v1/chat/completions');
    expect(logged!.headers.authorization).toBe('Bearer sk-standin-self-test-1234');
    expect(logged!.body).toMatchObject({ model: 'standin-small', temperature: 0.2 });
  });

  it('streams SSE chunks ending in [DONE], with usage last when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'standin-small',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: unknown = null;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(standin.reply);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ completion_tokens: expect.any(Number), prompt_tokens: expect.any(Number) });
  });

  it('honours max_tokens and stop', async () => {
    const cut = await client.chat.completions.create({
      model: 'standin-small',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 2,
    });
    expect(cut.choices[0]!.finish_reason).toBe('length');
    expect(cut.choices[0]!.message.content).toBe('Verdict: benign. ');
    const stopped = await client.chat.completions.create({
      model: 'standin-small',
      messages: [{ role: 'user', content: 'hi' }],
      stop: ['.'],
    });
    expect(stopped.choices[0]!.message.content).toBe('Verdict: benign');
  });

  it('returns a schema-valid object for json_schema structured output', async () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      required: ['verdict', 'severity', 'techniques', 'confidence', 'nested'],
      properties: {
        verdict: { type: 'string', enum: ['true_positive', 'benign', 'false_positive'] },
        severity: { anyOf: [{ type: 'string', enum: ['low', 'high'] }, { type: 'null' }] },
        techniques: { type: 'array', items: { type: 'string', minLength: 9 }, minItems: 2 },
        confidence: { type: 'number', minimum: 0.5 },
        nested: { $ref: '#/$defs/inner' },
      },
      $defs: { inner: { type: 'object', properties: { ok: { type: 'boolean' } } } },
    };
    const res = await client.chat.completions.create({
      model: 'standin-small',
      messages: [{ role: 'user', content: 'triage' }],
      response_format: { type: 'json_schema', json_schema: { name: 'triage', schema, strict: true } },
    });
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual({
      verdict: 'true_positive',
      severity: 'low',
      techniques: ['examplexx', 'examplexx'],
      confidence: 0.5,
      nested: { ok: true },
    });
    expect(exampleFromSchema({ type: ['integer', 'null'], exclusiveMinimum: 3 })).toBe(4);
  });

  it('rejects a wrong key with 401 and never retries it', async () => {
    const bad = new OpenAI({ apiKey: 'sk-wrong-key-abcdefgh', baseURL: standin.url, maxRetries: 2, logLevel: 'off' });
    const err = await bad.models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).message).toContain('sk-*****efgh');
    expect(standin.requests).toHaveLength(1);
  });

  it('injects faults in order, per route, with retry headers the SDK honours', async () => {
    standin.fail(
      { type: 'status', status: 429, headers: { 'retry-after-ms': '20' } },
      { route: 'POST /v1/chat/completions' },
    );
    standin.fail({ type: 'status', status: 500, headers: { 'retry-after': '0' } }, { route: '/v1/chat/completions' });
    const res = await client.chat.completions.create({
      model: 'standin-small',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(res.choices[0]!.message.content).toBeTruthy();
    expect(standin.requests.map((r) => [r.status, r.fault])).toEqual([
      [429, 'status'],
      [500, 'status'],
      [200, null],
    ]);
    // The models route was not affected by faults aimed at chat.
    standin.fail({ type: 'status', status: 429, headers: { 'retry-after-ms': '5' } }, { times: 3 });
    await expect(client.models.list()).rejects.toBeInstanceOf(RateLimitError);
    standin.fail({ type: 'html' }, { times: 3 });
    await expect(client.models.list()).rejects.toBeInstanceOf(InternalServerError);
  });

  it('can be extended with new routes (files, fine-tuning jobs)', async () => {
    standin.route('GET', '/v1/fine_tuning/jobs/:id', (ctx) =>
      ctx.json(200, { id: ctx.params.id, object: 'fine_tuning.job', status: 'running' }),
    );
    const job = await client.fineTuning.jobs.retrieve('ftjob-abc');
    expect(job).toMatchObject({ id: 'ftjob-abc', status: 'running' });
    await expect(client.files.retrieve('file-nope')).rejects.toMatchObject({ status: 404 });
  });
});

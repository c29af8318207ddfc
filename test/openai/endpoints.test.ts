import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import type { InvokeResult } from '../../src-main/core/dispatcher';
import type { EndpointSummary, EndpointTestResult } from '../../src-main/contract/index';
import type { KeyStore } from '../../src-main/secrets/keyStore';
import { startOpenAIStandin, type OpenAIStandin } from '../standin/openaiStandin';

const KEY = 'sk-endpoints-test-key-4242';

let wb: Workbench | null = null;
let standin: OpenAIStandin;
const savedEnv = { ...process.env };

beforeEach(async () => {
  standin = await startOpenAIStandin({ apiKey: KEY });
});
afterEach(async () => {
  await wb?.close();
  wb = null;
  await standin.close();
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
});

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tw-endpoints-'));
}

function ok<T>(r: InvokeResult): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

function errorOf(r: InvokeResult): { code: string; message: string } {
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

async function open(): Promise<Workbench> {
  wb = await createWorkbench({ dataDir: tmpDir(), seed: false, actor: 'tester' });
  return wb;
}

describe('endpoints commands', () => {
  it('adds an endpoint with a key kept in a 0600 file, never in the DB or the answer', async () => {
    const w = await open();
    const added = ok<EndpointSummary>(
      await w.invoke('endpoints.add', {
        name: 'Local vLLM',
        kind: 'openai_compatible',
        baseUrl: `${standin.url}/`,
        apiKey: KEY,
      }),
    );
    expect(added).toMatchObject({
      name: 'Local vLLM',
      kind: 'openai_compatible',
      baseUrl: standin.url,
      hasKey: true,
      keySource: 'store',
      keyStatus: 'unknown',
    });
    expect(JSON.stringify(added)).not.toContain(KEY);
    const row = w.db.prepare('SELECT * FROM endpoints WHERE id = ?').get(added.id) as Record<string, unknown>;
    expect(row.key_ref).toBe(`endpoint-${added.id}`);
    expect(JSON.stringify(row)).not.toContain(KEY);
    const dir = path.join(w.dataDir, 'secrets');
    const file = path.join(dir, 'keys.json');
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ version: 1, keys: { [`endpoint-${added.id}`]: KEY } });

    const list = ok<{ items: EndpointSummary[]; keyStorage: { ok: boolean } }>(await w.invoke('endpoints.list', {}));
    expect(list.keyStorage.ok).toBe(true);
    expect(list.items).toHaveLength(1);
    expect(Object.keys(list.items[0]!).sort()).toEqual(
      [
        'baseUrl',
        'createdAt',
        'hasKey',
        'id',
        'keyCheckedAt',
        'keySource',
        'keyStatus',
        'kind',
        'lastError',
        'name',
      ].sort(),
    );
  });

  it('validates names, kinds and base URLs', async () => {
    const w = await open();
    const bad = async (args: unknown) => errorOf(await w.invoke('endpoints.add', args));
    expect((await bad({ name: 'x', kind: 'openai_compatible', baseUrl: 'ftp://example.com/v1' })).message).toMatch(
      /http:\/\/ or https:\/\//,
    );
    expect((await bad({ name: 'x', kind: 'openai_compatible', baseUrl: 'not a url' })).code).toBe('invalid_request');
    expect(
      (await bad({ name: 'x', kind: 'openai_compatible', baseUrl: 'https://me:sk-secret@example.com/v1' })).message,
    ).toMatch(/key field, not in the URL/);
    expect((await bad({ name: 'x', kind: 'openai_compatible' })).message).toMatch(/needs a base URL/);
    expect((await bad({ name: 'x', kind: 'azure', baseUrl: 'https://example.com' })).code).toBe('invalid_request');
    expect((await bad({ name: 'x', kind: 'openai', apiKey: 'short' })).message).toMatch(/too short/);
    expect((await bad({ name: 'x', kind: 'openai', extra: 1 })).code).toBe('invalid_request');
    // OpenAI itself needs no base URL.
    const openai = ok<EndpointSummary>(await w.invoke('endpoints.add', { name: 'OpenAI', kind: 'openai' }));
    expect(openai).toMatchObject({ baseUrl: 'https://api.openai.com/v1', hasKey: false, keySource: null });
    expect(errorOf(await w.invoke('endpoints.add', { name: 'OpenAI', kind: 'openai' })).code).toBe('conflict');
    // Nothing invalid was stored.
    expect(w.db.prepare('SELECT COUNT(*) AS n FROM endpoints').get()).toEqual({ n: 1 });
  });

  it('sets, tests, rotates and clears keys; a 401 marks the key invalid', async () => {
    const w = await open();
    const ep = ok<EndpointSummary>(
      await w.invoke('endpoints.add', { name: 'Stand-in', kind: 'openai_compatible', baseUrl: standin.url }),
    );
    expect(ep.hasKey).toBe(false);
    const noKey = ok<EndpointTestResult>(await w.invoke('endpoints.test', { id: ep.id }));
    expect(noKey).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(standin.requests).toHaveLength(0);

    ok(await w.invoke('endpoints.setKey', { id: ep.id, apiKey: 'sk-wrong-key-000000000' }));
    const rejected = ok<EndpointTestResult>(await w.invoke('endpoints.test', { id: ep.id }));
    expect(rejected.ok).toBe(false);
    expect(rejected.error).toMatchObject({ code: 'unauthorized' });
    expect(rejected.error!.message).toMatch(/key was rejected/);
    expect(rejected.endpoint).toMatchObject({ keyStatus: 'invalid', hasKey: true });
    expect(rejected.endpoint.lastError).toMatch(/key was rejected/);
    expect(standin.requests).toHaveLength(1);

    const fixed = ok<EndpointSummary>(await w.invoke('endpoints.setKey', { id: ep.id, apiKey: KEY }));
    expect(fixed).toMatchObject({ keyStatus: 'unknown', lastError: null });
    const passed = ok<EndpointTestResult>(await w.invoke('endpoints.test', { id: ep.id }));
    expect(passed).toMatchObject({ ok: true, models: standin.models, error: null, endpoint: { keyStatus: 'ok' } });
    expect(standin.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);

    // A server error says nothing about the key.
    standin.fail({ type: 'status', status: 500, headers: { 'retry-after-ms': '5' } }, { times: 3 });
    const down = ok<EndpointTestResult>(await w.invoke('endpoints.test', { id: ep.id }));
    expect(down.endpoint).toMatchObject({ keyStatus: 'ok' });
    expect(down.endpoint.lastError).toMatch(/server error \(500\)/);

    const cleared = ok<EndpointSummary>(await w.invoke('endpoints.clearKey', { id: ep.id }));
    expect(cleared).toMatchObject({ hasKey: false, keySource: null });
    expect(w.db.prepare('SELECT key_ref FROM endpoints').get()).toEqual({ key_ref: null });
    expect(errorOf(await w.invoke('endpoints.setKey', { id: 999, apiKey: KEY })).code).toBe('not_found');
  });

  it('takes keys from the environment: TW_ENDPOINT_<ID>_KEY, and TW_OPENAI_API_KEY for OpenAI', async () => {
    const w = await open();
    const compat = ok<EndpointSummary>(
      await w.invoke('endpoints.add', { name: 'Stand-in', kind: 'openai_compatible', baseUrl: standin.url }),
    );
    const openai = ok<EndpointSummary>(await w.invoke('endpoints.add', { name: 'OpenAI', kind: 'openai' }));
    process.env[`TW_ENDPOINT_${compat.id}_KEY`] = KEY;
    process.env.TW_OPENAI_API_KEY = 'sk-openai-from-env-123456';
    const items = ok<{ items: EndpointSummary[] }>(await w.invoke('endpoints.list', {})).items;
    expect(items.find((e) => e.id === compat.id)).toMatchObject({ hasKey: true, keySource: 'env' });
    expect(items.find((e) => e.id === openai.id)).toMatchObject({ hasKey: true, keySource: 'env' });
    expect(ok<EndpointTestResult>(await w.invoke('endpoints.test', { id: compat.id })).ok).toBe(true);
    // Nothing was written to the key file for environment keys.
    expect(fs.existsSync(path.join(w.dataDir, 'secrets', 'keys.json'))).toBe(false);
  });

  it('refuses to store a key when the key store cannot keep it safely, and stores nothing', async () => {
    const w = await open();
    const writes: string[] = [];
    const unavailable: KeyStore = {
      get: () => null,
      set: (name) => writes.push(name),
      delete: () => {},
      available: () => ({ ok: false, reason: 'No desktop keyring was found. Nothing was saved.' }),
    };
    w.services.set('keyStore', unavailable);
    const r = errorOf(
      await w.invoke('endpoints.add', { name: 'S', kind: 'openai_compatible', baseUrl: standin.url, apiKey: KEY }),
    );
    expect(r).toEqual({ code: 'forbidden', message: 'No desktop keyring was found. Nothing was saved.' });
    expect(writes).toEqual([]);
    expect(w.db.prepare('SELECT COUNT(*) AS n FROM endpoints').get()).toEqual({ n: 0 });
    const list = ok<{ keyStorage: { ok: boolean; reason: string | null } }>(await w.invoke('endpoints.list', {}));
    expect(list.keyStorage).toEqual({ ok: false, reason: 'No desktop keyring was found. Nothing was saved.' });
  });

  it('removes an endpoint and its key, unless a registered model uses it', async () => {
    const w = await open();
    const ep = ok<EndpointSummary>(
      await w.invoke('endpoints.add', { name: 'S', kind: 'openai_compatible', baseUrl: standin.url, apiKey: KEY }),
    );
    const model = w.db
      .prepare(
        "INSERT INTO models (name, kind, endpoint_id, remote_model, created_at) VALUES ('m', 'openai_compatible', ?, 'standin-small', 1)",
      )
      .run(ep.id);
    expect(errorOf(await w.invoke('endpoints.remove', { id: ep.id }))).toMatchObject({ code: 'conflict' });
    w.db.prepare('DELETE FROM models WHERE id = ?').run(model.lastInsertRowid);
    expect(ok(await w.invoke('endpoints.remove', { id: ep.id }))).toEqual({ id: ep.id });
    expect(JSON.parse(fs.readFileSync(path.join(w.dataDir, 'secrets', 'keys.json'), 'utf8')).keys).toEqual({});
    expect(errorOf(await w.invoke('endpoints.remove', { id: ep.id })).code).toBe('not_found');
  });
});

describe('remoteProviders service', () => {
  it('gives a working ChatProvider for a registered model and keeps the endpoint status current', async () => {
    const w = await open();
    const ep = ok<EndpointSummary>(
      await w.invoke('endpoints.add', {
        name: 'Stand-in',
        kind: 'openai_compatible',
        baseUrl: standin.url,
        apiKey: KEY,
      }),
    );
    const remote = w.services.get('remoteProviders');
    const provider = remote.forModel({
      id: 1,
      kind: 'openai_compatible',
      endpointId: ep.id,
      remoteModel: 'standin-small',
    });
    const tokens: string[] = [];
    const r = await provider.chat([{ role: 'user', content: 'hi' }], { onToken: (t) => tokens.push(t) });
    expect(r.text).toBe(standin.reply);
    expect(tokens.join('')).toBe(r.text);
    const list = async () => ok<{ items: EndpointSummary[] }>(await w.invoke('endpoints.list', {}));
    expect((await list()).items[0]).toMatchObject({ keyStatus: 'ok' });

    // The key is rotated on the server: the next call is rejected and the endpoint marked.
    ok(await w.invoke('endpoints.setKey', { id: ep.id, apiKey: 'sk-revoked-key-11111111' }));
    const stale = remote.forModel({
      id: 1,
      kind: 'openai_compatible',
      endpointId: ep.id,
      remoteModel: 'standin-small',
    });
    await expect(stale.chat([{ role: 'user', content: 'hi' }], {})).rejects.toMatchObject({ code: 'unauthorized' });
    const after = (await list()).items[0]!;
    expect(after.keyStatus).toBe('invalid');
    expect(after.lastError).toMatch(/key was rejected/);
  });

  it('explains what is missing: no endpoint, no key, no remote model name', async () => {
    const w = await open();
    const remote = w.services.get('remoteProviders');
    expect(() => remote.forModel({ id: 7, kind: 'openai_compatible', endpointId: 42, remoteModel: 'x' })).toThrow(
      /Endpoint 42 of model 7 does not exist/,
    );
    expect(() => remote.forModel({ id: 7, kind: 'openai', endpointId: null, remoteModel: 'gpt-4o-mini' })).toThrow(
      /not linked to an endpoint/,
    );
    const ep = ok<EndpointSummary>(
      await w.invoke('endpoints.add', { name: 'S', kind: 'openai_compatible', baseUrl: standin.url }),
    );
    expect(() => remote.forModel({ id: 7, kind: 'openai_compatible', endpointId: ep.id, remoteModel: 'x' })).toThrow(
      /No key is set for endpoint "S"/,
    );
    expect(() => remote.forModel({ id: 7, kind: 'openai_compatible', endpointId: ep.id, remoteModel: null })).toThrow(
      /no remote model name/,
    );
  });

  it('uses a keyStore registered by the host instead of the file', async () => {
    const w = await open();
    const mem = new Map<string, string>();
    w.services.set('keyStore', {
      get: (n) => mem.get(n) ?? null,
      set: (n, v) => void mem.set(n, v),
      delete: (n) => void mem.delete(n),
      available: () => ({ ok: true }),
    });
    const ep = ok<EndpointSummary>(
      await w.invoke('endpoints.add', { name: 'S', kind: 'openai_compatible', baseUrl: standin.url, apiKey: KEY }),
    );
    expect(mem.get(`endpoint-${ep.id}`)).toBe(KEY);
    expect(fs.existsSync(path.join(w.dataDir, 'secrets', 'keys.json'))).toBe(false);
    expect(ok<EndpointTestResult>(await w.invoke('endpoints.test', { id: ep.id })).ok).toBe(true);
  });
});

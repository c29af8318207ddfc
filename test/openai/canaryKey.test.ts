import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import type { InvokeResult } from '../../src-main/core/dispatcher';
import type { EndpointSummary } from '../../src-main/contract/index';
import { startOpenAIStandin, type OpenAIStandin } from '../standin/openaiStandin';

// E13: a planted key must show up nowhere but the key store.
const CANARY = 'sk-canary-DO-NOT-LEAK-7f3a9c2e1b5d';
const FRAGMENTS = [CANARY, 'DO-NOT-LEAK', CANARY.slice(0, 12), CANARY.slice(-8)];

let wb: Workbench | null = null;
let standin: OpenAIStandin | null = null;
afterEach(async () => {
  await wb?.close();
  wb = null;
  await standin?.close();
  standin = null;
});

function dumpDb(w: Workbench): string {
  const tables = w.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as {
    name: string;
  }[];
  const out: string[] = [];
  for (const { name } of tables) {
    // Table names come from sqlite_schema itself, quoted as identifiers.
    const rows = w.db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`).all();
    out.push(`${name}: ${JSON.stringify(rows)}`);
  }
  return out.join('\n');
}

function expectNoCanary(where: string, text: string): void {
  for (const f of FRAGMENTS) expect(text.includes(f), `${where} contains "${f}"`).toBe(false);
}

describe('planted canary key', () => {
  it('appears in no command response, event, log line or DB row', async () => {
    standin = await startOpenAIStandin({ apiKey: CANARY, echoKeyInErrors: true });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-canary-'));
    wb = await createWorkbench({ dataDir, actor: 'tester' });
    const w = wb;
    const events: string[] = [];
    w.bus.onAny((name, payload) => events.push(`${name} ${JSON.stringify(payload)}`));
    const responses: InvokeResult[] = [];
    const call = async (name: string, args: unknown) => {
      const r = await w.invoke(name, args);
      responses.push(r);
      return r;
    };
    // Fast retries so the fault paths stay quick.
    await call('settings.set', { key: 'endpoints.max_retries', value: 1 });
    await call('settings.set', { key: 'endpoints.timeout_ms', value: 400 });

    const added = await call('endpoints.add', {
      name: 'Canary',
      kind: 'openai_compatible',
      baseUrl: standin.url,
      apiKey: CANARY,
    });
    expect(added.ok).toBe(true);
    const id = (added as { value: EndpointSummary }).value.id;
    await call('endpoints.add', { name: 'OpenAI', kind: 'openai', apiKey: CANARY });
    expect((await call('endpoints.test', { id })).ok).toBe(true);
    await call('endpoints.setKey', { id, apiKey: CANARY });
    // Invalid requests carrying the key must not echo it either.
    expect((await call('endpoints.setKey', { id, apiKey: CANARY, extra: CANARY })).ok).toBe(false);
    expect((await call('endpoints.setKey', { id, apiKey: `${CANARY} with spaces` })).ok).toBe(false);
    expect(
      (
        await call('endpoints.add', {
          name: 'Bad',
          kind: 'openai_compatible',
          baseUrl: `https://u:${CANARY}@x.example/v1`,
        })
      ).ok,
    ).toBe(false);

    // Servers that quote the key back in errors (500 and 400 bodies here) and a 401.
    standin.fail({ type: 'status', status: 500, headers: { 'retry-after-ms': '5' } }, { times: 2 });
    await call('endpoints.test', { id });
    standin.fail({ type: 'status', status: 400 });
    await call('endpoints.test', { id });
    standin.fail({ type: 'status', status: 401, message: `Incorrect API key provided: ${CANARY}.` });
    await call('endpoints.test', { id });

    // Chats through the service, with each kind of fault.
    const errors: string[] = [];
    const provider = () =>
      w.services
        .get('remoteProviders')
        .forModel({ id: 1, kind: 'openai_compatible', endpointId: id, remoteModel: 'standin-small' });
    const turns = [{ role: 'user' as const, content: 'triage this alert' }];
    const chatResults: unknown[] = [];
    chatResults.push(await provider().chat(turns, { onToken: () => {} }));
    chatResults.push(
      await provider().chat(turns, { jsonSchema: { type: 'object', properties: { verdict: { type: 'string' } } } }),
    );
    const faults = [
      { type: 'status', status: 401, message: `Incorrect API key provided: ${CANARY}.` },
      { type: 'status', status: 403 },
      { type: 'status', status: 429, headers: { 'retry-after-ms': '5' } },
      { type: 'status', status: 503, headers: { 'retry-after-ms': '5' } },
      { type: 'html' },
      { type: 'truncatedJson' },
      { type: 'midStreamDisconnect', afterChunks: 2 },
      { type: 'badChunk', afterChunks: 1 },
      { type: 'delay', ms: 2_000 },
    ] as const;
    for (const fault of faults) {
      standin.fail(fault, { times: 2 });
      for (const stream of [false, true]) {
        try {
          chatResults.push(await provider().chat(turns, stream ? { onToken: () => {} } : {}));
        } catch (err) {
          errors.push(`${(err as Error).message} ${JSON.stringify(err)}`);
        }
      }
      standin.clearFaults();
    }
    expect(errors.length).toBeGreaterThanOrEqual(faults.length);
    await call('endpoints.list', {});
    await call('audit.list', { limit: 500 });
    await call('endpoints.clearKey', { id });
    await call('endpoints.remove', { id });

    // The key did reach the server, so the test really exercised it.
    expect(standin.requests.some((r) => r.headers.authorization === `Bearer ${CANARY}`)).toBe(true);
    // Every stored action redacted its key.
    const audit = w.db
      .prepare("SELECT details FROM audit_log WHERE action IN ('endpoints.add', 'endpoints.setKey')")
      .all() as {
      details: string;
    }[];
    expect(audit.length).toBeGreaterThanOrEqual(3);
    for (const a of audit) expect(JSON.parse(a.details)).toMatchObject({ apiKey: '[redacted]' });

    expectNoCanary('command responses', JSON.stringify(responses));
    expectNoCanary('events', events.join('\n'));
    expectNoCanary('provider errors', errors.join('\n'));
    expectNoCanary('chat results', JSON.stringify(chatResults));
    const logFile = path.join(dataDir, 'logs', 'workbench.log');
    const log = fs.readFileSync(logFile, 'utf8');
    expect(log).toMatch(/openai call failed/);
    expectNoCanary('log', log);
    expectNoCanary('DB rows', dumpDb(w));
    // And not in the DB files' bytes either (free pages, WAL).
    w.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const f of fs.readdirSync(dataDir).filter((n) => n.startsWith('workbench.db'))) {
      expectNoCanary(f, fs.readFileSync(path.join(dataDir, f)).toString('latin1'));
    }
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpHost, type HttpHost } from '../../src-main/hosts/http/httpHost';
import { createUploadRoute, uploadsDir } from '../../src-main/importers/uploads';
import type { Workbench } from '../../src-main/core/workbench';
import { FINETUNE, newWorkbench } from './helpers';

let wb: Workbench | null = null;
let host: HttpHost | null = null;
afterEach(async () => {
  await host?.close();
  await wb?.close();
  host = null;
  wb = null;
});

async function start(maxBytes?: number) {
  wb = await newWorkbench({ host: 'http' });
  host = await startHttpHost({
    workbench: wb,
    rendererDir: null,
    token: 'tok',
    extraRoutes: createUploadRoute(wb.dataDir, { maxBytes }),
  });
  return { wb, host };
}

async function invoke(h: HttpHost, command: string, args: unknown) {
  const res = await fetch(`${h.origin}/api/invoke`, {
    method: 'POST',
    headers: { authorization: 'Bearer tok', 'content-type': 'application/json' },
    body: JSON.stringify({ command, args }),
  });
  return (await res.json()) as {
    ok: boolean;
    value?: Record<string, unknown>;
    error?: { code: string; message: string };
  };
}

describe('POST /api/upload (headless host)', () => {
  it('needs the token, streams the file to the data dir, and the import deletes it', async () => {
    const { wb, host } = await start();
    const body = fs.readFileSync(path.join(FINETUNE, 'security-triage-openai-chat.jsonl'));
    const anon = await fetch(`${host.origin}/api/upload?name=x.jsonl`, { method: 'POST', body });
    expect(anon.status).toBe(401);
    const res = await fetch(`${host.origin}/api/upload?name=${encodeURIComponent('../../etc/triage.jsonl')}`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok', 'content-type': 'application/octet-stream' },
      body,
    });
    expect(res.status).toBe(200);
    const { value } = (await res.json()) as { value: { uploadId: string; bytes: number } };
    expect(value.uploadId).toMatch(/^[a-f0-9]{32}$/);
    expect(value.bytes).toBe(body.length);
    const stored = path.join(uploadsDir(wb.dataDir), value.uploadId);
    expect(fs.readFileSync(stored).equals(body)).toBe(true);
    expect(fs.statSync(stored).mode & 0o777).toBe(0o600);

    const det = await invoke(host, 'imports.detect', { uploadId: value.uploadId });
    expect(det.value).toMatchObject({ fileName: 'triage.jsonl', format: 'openai_chat', bytes: body.length });
    const finished = new Promise<void>((resolve) => wb.bus.on('import.finished', () => resolve()));
    const started = await invoke(host, 'imports.start', { uploadId: value.uploadId });
    expect(started.ok).toBe(true);
    await finished;
    const report = await invoke(host, 'imports.get', { importId: started.value!.importId });
    expect(report.value).toMatchObject({ status: 'done', recordsOk: 60, fileName: 'triage.jsonl' });
    expect(fs.existsSync(stored)).toBe(false);
    expect(await invoke(host, 'imports.start', { uploadId: value.uploadId })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });

  it('refuses server paths in the headless host and bodies over the size cap', async () => {
    const { wb, host } = await start(1000);
    const byPath = await invoke(host, 'imports.start', { path: path.join(FINETUNE, 'security-triage-alpaca.json') });
    expect(byPath).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const big = await fetch(`${host.origin}/api/upload?name=big.jsonl`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok' },
      body: Buffer.alloc(5000, 'x'),
    });
    expect(big.status).toBe(413);
    const dir = uploadsDir(wb.dataDir);
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
    // Without a declared length the cap is enforced while streaming, and the partial file is removed.
    const chunked = new ReadableStream({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(1000));
        c.close();
      },
    });
    const streamed = await fetch(`${host.origin}/api/upload?name=big.jsonl`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok' },
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
    const cross = await fetch(`${host.origin}/api/upload?name=a`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok', origin: 'https://evil.example' },
      body: 'x',
    });
    expect(cross.status).toBe(403);
    expect(await invoke(host, 'imports.detect', { uploadId: '../../../../etc/passwd' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
  });
});

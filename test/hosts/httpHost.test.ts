import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { startHttpHost, type HttpHost } from '../../src-main/hosts/http/httpHost';

let wb: Workbench;
let host: HttpHost;
let rendererDir: string;

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-http-'));
  rendererDir = path.join(dir, 'renderer');
  fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>tw</title>');
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'do not serve');
  wb = await createWorkbench({ dataDir: path.join(dir, 'data') });
  host = await startHttpHost({ workbench: wb, rendererDir });
});
afterAll(async () => {
  await host.close();
  await wb.close();
});

/** Raw request so tests control Host/Origin exactly (fetch forbids setting Host). */
function request(
  p: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const url = new URL(host.origin);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: p, method: opts.method ?? 'GET', headers: opts.headers },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    if (opts.body) req.write(opts.body);
    req.end();
  });
}

const auth = () => ({ authorization: `Bearer ${host.token}`, 'content-type': 'application/json' });

describe('headless host', () => {
  it('binds loopback and prints a URL carrying the token', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
  });

  it('requires the token on every endpoint', async () => {
    for (const p of ['/', '/index.html', '/assets/app.js', '/api/events', '/api/nothing']) {
      expect((await request(p)).status, p).toBe(401);
    }
    const r = await request('/api/invoke', { method: 'POST', body: JSON.stringify({ command: 'app.info', args: {} }) });
    expect(r.status).toBe(401);
    const wrong = await request('/api/invoke', {
      method: 'POST',
      headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(wrong.status).toBe(401);
  });

  it('refuses a foreign Origin and a foreign Host (DNS rebinding)', async () => {
    const body = JSON.stringify({ command: 'app.info', args: {} });
    const foreign = await request('/api/invoke', {
      method: 'POST',
      headers: { ...auth(), origin: 'http://evil.example' },
      body,
    });
    expect(foreign.status).toBe(403);
    const lookalike = await request('/api/invoke', {
      method: 'POST',
      headers: { ...auth(), origin: `${host.origin}.evil.example` },
      body,
    });
    expect(lookalike.status).toBe(403);
    const rebinding = await request('/api/invoke', {
      method: 'POST',
      headers: { ...auth(), host: 'evil.example' },
      body,
    });
    expect(rebinding.status).toBe(403);
    const same = await request('/api/invoke', { method: 'POST', headers: { ...auth(), origin: host.origin }, body });
    expect(same.status).toBe(200);
  });

  it('serves the contract: results, typed errors, nothing changed on errors', async () => {
    const ok = await request('/api/invoke', {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ command: 'app.info', args: {} }),
    });
    expect(JSON.parse(ok.body)).toMatchObject({ ok: true, value: { host: 'http' } });
    const auditBefore = wb.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get();
    const unknown = await request('/api/invoke', {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ command: 'rm.rf', args: {} }),
    });
    expect(JSON.parse(unknown.body)).toEqual({
      ok: false,
      error: { code: 'unknown_command', message: 'Unknown command: rm.rf' },
    });
    const invalid = await request('/api/invoke', {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ command: 'conversations.create', args: { title: '' } }),
    });
    const parsed = JSON.parse(invalid.body) as { ok: boolean; error: { code: string; message: string } };
    expect(parsed.ok).toBe(false);
    expect(parsed.error.code).toBe('invalid_request');
    expect(Object.keys(parsed.error).sort()).toEqual(['code', 'message']);
    const garbage = await request('/api/invoke', { method: 'POST', headers: auth(), body: '{not json' });
    expect(garbage.status).toBe(400);
    expect(wb.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get()).toEqual(auditBefore);
  });

  it('serves the renderer with a CSP and refuses paths outside it', async () => {
    const page = await request(`/?token=${host.token}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe-eval');
    expect(String(page.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    const asset = await request('/assets/app.js', { headers: { cookie: `tw_token=${host.token}` } });
    expect(asset.status).toBe(200);
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/a%00.js']) {
      const r = await request(p, { headers: auth() });
      expect(r.body, p).not.toContain('do not serve');
    }
  });

  it('streams contract events over SSE', async () => {
    const url = new URL(host.origin);
    const got = new Promise<string>((resolve, reject) => {
      const req = http.get(
        { host: url.hostname, port: url.port, path: '/api/events', headers: { authorization: `Bearer ${host.token}` } },
        (res) => {
          res.on('data', (c: Buffer) => {
            const s = c.toString();
            if (s.includes('conversations.changed')) {
              resolve(s);
              req.destroy();
            }
          });
        },
      );
      req.on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 50));
    await wb.invoke('conversations.create', { title: 'SSE check' });
    expect(await got).toContain('"name":"conversations.changed"');
  });

  it('refuses to bind a non-loopback address without the explicit flag', async () => {
    await expect(startHttpHost({ workbench: wb, rendererDir, host: '0.0.0.0' })).rejects.toThrow(/allow-remote/);
  });
});

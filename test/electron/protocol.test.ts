import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RENDERER_CSP } from '../../src-main/hosts/csp';
import {
  createAppProtocolHandler,
  registerAppProtocol,
  registerAppScheme,
  resolveRendererFile,
} from '../../src-main/electron/protocol';

let root: string;
let bundle: string;
const SECRET = 'TOP-SECRET-OUTSIDE-THE-BUNDLE';

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-electron-protocol-'));
  bundle = path.join(root, 'renderer');
  fs.mkdirSync(path.join(bundle, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(bundle, 'index.html'), '<!doctype html><title>tw</title>');
  fs.writeFileSync(path.join(bundle, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(root, 'secret.txt'), SECRET);
  fs.writeFileSync(path.join(root, 'secret.js'), SECRET);
  fs.symlinkSync(path.join(root, 'secret.txt'), path.join(bundle, 'leak.txt'));
  fs.symlinkSync(root, path.join(bundle, 'up'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function get(url: string, method = 'GET') {
  const res = await createAppProtocolHandler(bundle)({ url, method });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

describe('app:// protocol (E3, E9)', () => {
  it('serves bundle files with the renderer CSP', async () => {
    const index = await get('app://workbench/index.html');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<title>tw</title>');
    expect(index.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    const js = await get('app://workbench/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    // Client-side routes get index.html.
    expect((await get('app://workbench/')).body).toContain('<title>tw</title>');
    expect((await get('app://workbench/review/queue')).body).toContain('<title>tw</title>');
  });

  it('refuses .., %2e%2e, encoded slashes, NUL and symlinks out of the bundle', async () => {
    const attempts: [string, number][] = [
      ['app://workbench/../secret.txt', 404],
      ['app://workbench/assets/../../secret.txt', 404],
      ['app://workbench/%2e%2e/secret.txt', 404],
      ['app://workbench/assets/%2E%2E/%2e%2e/secret.js', 404],
      ['app://workbench/..%2fsecret.txt', 403],
      ['app://workbench/assets/..%2F..%2Fsecret.js', 403],
      ['app://workbench/..%5csecret.txt', 403],
      ['app://workbench/%2e%2e%2fsecret.txt', 403],
      ['app://workbench/%252e%252e/secret.txt', 404],
      ['app://workbench/index.html%00.js', 400],
      ['app://workbench/%00', 400],
      ['app://workbench/%E0%A4%A.js', 400],
      ['app://workbench/leak.txt', 404],
      ['app://workbench/up/secret.txt', 404],
    ];
    for (const [url, status] of attempts) {
      const res = await get(url);
      expect([url, res.status]).toEqual([url, status]);
      expect(res.body).not.toContain(SECRET);
    }
  });

  it('resolveRendererFile refuses raw traversal and NUL before touching the file system', () => {
    expect(resolveRendererFile(bundle, '/../secret.txt')).toEqual({ ok: false, status: 403 });
    expect(resolveRendererFile(bundle, '/%2e%2e/secret.txt')).toEqual({ ok: false, status: 403 });
    expect(resolveRendererFile(bundle, '/assets/%2E%2E/%2E%2E/secret.txt')).toEqual({ ok: false, status: 403 });
    expect(resolveRendererFile(bundle, '/..')).toEqual({ ok: false, status: 403 });
    expect(resolveRendererFile(bundle, '/a\0.js')).toEqual({ ok: false, status: 400 });
    expect(resolveRendererFile(bundle, '/a%00.js')).toEqual({ ok: false, status: 400 });
    expect(resolveRendererFile(bundle, '/assets/app.js')).toEqual({
      ok: true,
      path: fs.realpathSync(path.join(bundle, 'assets', 'app.js')),
    });
    expect(resolveRendererFile(path.join(root, 'missing'), '/index.html')).toEqual({ ok: false, status: 404 });
  });

  it('only answers our host, GET and HEAD', async () => {
    expect((await get('app://workbench.evil.tld/index.html')).status).toBe(403);
    expect((await get('app://evil/index.html')).status).toBe(403);
    expect((await get('app://workbench:81/index.html')).status).toBe(403);
    expect((await get('app://x@workbench/index.html')).status).toBe(403);
    expect((await get('https://workbench/index.html')).status).toBe(403);
    expect((await get('app://workbench/index.html', 'POST')).status).toBe(405);
    const head = await get('app://workbench/index.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('registers app: as a standard, secure scheme that does not bypass CSP', () => {
    const protocol = { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() };
    registerAppScheme(protocol);
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      {
        scheme: 'app',
        privileges: expect.objectContaining({ standard: true, secure: true, bypassCSP: false, corsEnabled: false }),
      },
    ]);
    registerAppProtocol(protocol, bundle);
    expect(protocol.handle).toHaveBeenCalledWith('app', expect.any(Function));
  });
});

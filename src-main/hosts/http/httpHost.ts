import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Workbench } from '../../core/workbench';
import { RENDERER_CSP } from '../csp';

export interface HttpHostOptions {
  workbench: Workbench;
  /** Built renderer folder (index.html + assets). */
  rendererDir: string | null;
  host?: string;
  port?: number;
  /** Binding anything but loopback must be asked for explicitly. */
  allowRemote?: boolean;
  /** Fixed token (tests); a random one is made per start otherwise. */
  token?: string;
  /** Largest request body accepted, bytes. */
  maxBodyBytes?: number;
  /** Extra routes (uploads); return true when handled. */
  extraRoutes?: (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<boolean> | boolean;
}

export interface HttpHost {
  url: string;
  origin: string;
  token: string;
  server: http.Server;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb);
}

function readCookie(req: http.IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(data);
}

/** Resolves a request path inside root, refusing anything that escapes it (encoded `..`, links out). */
export function resolveStatic(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const realRoot = fs.realpathSync(root);
  const candidate = path.resolve(realRoot, '.' + path.posix.normalize('/' + decoded));
  let real: string;
  try {
    real = fs.realpathSync(candidate);
  } catch {
    return null;
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return null;
  if (!fs.statSync(real).isFile()) return null;
  return real;
}

async function readBody(req: http.IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The headless host: the same contract as the Electron IPC, over HTTP + server-sent events.
 * Loopback by default; every request needs the per-start token (header, cookie or ?token=);
 * Host and Origin must be this host's own, which blocks DNS rebinding and cross-site requests.
 */
export async function startHttpHost(opts: HttpHostOptions): Promise<HttpHost> {
  const bindHost = opts.host ?? '127.0.0.1';
  if (!LOOPBACK.has(bindHost) && !opts.allowRemote) {
    throw new Error(`Refusing to bind ${bindHost}: only loopback is allowed without --allow-remote.`);
  }
  const token = opts.token ?? crypto.randomBytes(24).toString('base64url');
  const maxBody = opts.maxBodyBytes ?? 8 * 1024 * 1024;
  const { workbench } = opts;
  const sseClients = new Set<http.ServerResponse>();
  let allowedHosts = new Set<string>();
  let origin = '';

  const unsubscribe = workbench.bus.onAny((name, payload) => {
    const frame = `event: message\ndata: ${JSON.stringify({ name, payload })}\n\n`;
    for (const res of sseClients) res.write(frame);
  });

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      const status = (err as { status?: number }).status ?? 500;
      if (!res.headersSent)
        sendJson(res, status, { ok: false, error: { code: 'internal', message: 'Request failed.' } });
      else res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(hostHeader)) {
      sendJson(res, 403, { ok: false, error: { code: 'forbidden', message: 'Unexpected Host header.' } });
      return;
    }
    const reqOrigin = req.headers.origin;
    if (reqOrigin !== undefined && !allowedOrigins().has(reqOrigin.toLowerCase())) {
      sendJson(res, 403, { ok: false, error: { code: 'forbidden', message: 'Cross-origin requests are refused.' } });
      return;
    }
    const url = new URL(req.url ?? '/', origin);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
    const presented = bearer ?? url.searchParams.get('token') ?? readCookie(req, 'tw_token');
    if (!presented || !safeEqual(presented, token)) {
      sendJson(res, 401, { ok: false, error: { code: 'unauthorized', message: 'Missing or wrong access token.' } });
      return;
    }

    if (url.pathname === '/api/invoke') {
      if (req.method !== 'POST') {
        sendJson(res, 405, { ok: false, error: { code: 'invalid_request', message: 'Use POST.' } });
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req, maxBody));
      } catch (err) {
        const status = (err as { status?: number }).status ?? 400;
        sendJson(res, status, {
          ok: false,
          error: { code: 'invalid_request', message: 'The request body is not valid JSON.' },
        });
        return;
      }
      const { command, args } = (body ?? {}) as { command?: unknown; args?: unknown };
      const result = await workbench.invoke(command, args);
      sendJson(res, 200, result);
      return;
    }

    if (url.pathname === '/api/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      sseClients.add(res);
      req.on('close', () => sseClients.delete(res));
      return;
    }

    if (opts.extraRoutes && (await opts.extraRoutes(req, res, url))) return;

    if (url.pathname.startsWith('/api/')) {
      sendJson(res, 404, { ok: false, error: { code: 'not_found', message: 'No such endpoint.' } });
      return;
    }
    serveStatic(req, res, url);
  }

  function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { ok: false, error: { code: 'invalid_request', message: 'Method not allowed.' } });
      return;
    }
    if (!opts.rendererDir) {
      sendJson(res, 404, {
        ok: false,
        error: { code: 'not_found', message: 'The renderer is not built (run npm run build).' },
      });
      return;
    }
    const isAsset = /\.[a-z0-9]+$/i.test(url.pathname);
    const file = resolveStatic(opts.rendererDir, isAsset ? url.pathname : '/index.html');
    if (!file) {
      sendJson(res, 404, { ok: false, error: { code: 'not_found', message: 'Not found.' } });
      return;
    }
    const headers: Record<string, string> = {
      'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'content-security-policy': RENDERER_CSP,
      'cache-control': 'no-store',
    };
    // The page URL carries the token once; a strict same-site cookie carries it for assets and SSE.
    if (url.searchParams.has('token')) {
      headers['set-cookie'] = `tw_token=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
    }
    res.writeHead(200, headers);
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  }

  function allowedOrigins(): Set<string> {
    return new Set([...allowedHosts].map((h) => `http://${h}`));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, bindHost, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  allowedHosts = new Set([`${hostForUrl}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`]);
  origin = `http://${hostForUrl}:${port}`;

  return {
    url: `${origin}/?token=${encodeURIComponent(token)}`,
    origin,
    token,
    server,
    async close() {
      unsubscribe();
      for (const res of sseClients) res.end();
      sseClients.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

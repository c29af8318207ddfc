import fs from 'node:fs/promises';
import path from 'node:path';
import type { Protocol } from 'electron';
import { resolveStatic } from '../hosts/http/httpHost';
import { RENDERER_CSP } from '../hosts/csp';
import { APP_HOST, APP_SCHEME } from './channels';

/** app: behaves like https: (standard, secure, fetch) so the renderer gets a real origin and its CSP. */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  corsEnabled: false,
  bypassCSP: false,
  allowServiceWorkers: false,
  stream: false,
} as const;

/** Must run before the app is ready. */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export type RendererFile = { ok: true; path: string } | { ok: false; status: 400 | 403 | 404 };

/**
 * Maps a request path (still percent-encoded) to a real file inside rendererDir. `..` in any
 * spelling, NUL, and anything whose real path (after symlinks) leaves the bundle are refused.
 * Paths without an extension are client-side routes and get index.html.
 */
export function resolveRendererFile(rendererDir: string, rawPath: string): RendererFile {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, status: 400 };
  }
  if (decoded.includes('\0')) return { ok: false, status: 400 };
  if (decoded.split(/[\\/]/).some((segment) => segment === '..')) return { ok: false, status: 403 };
  const isAsset = /\.[a-z0-9]+$/i.test(decoded);
  let file: string | null;
  try {
    file = resolveStatic(rendererDir, isAsset ? rawPath : '/index.html');
  } catch {
    file = null; // the renderer folder itself is missing
  }
  return file ? { ok: true, path: file } : { ok: false, status: 404 };
}

function refuse(status: number): Response {
  return new Response(null, {
    status,
    headers: {
      'content-security-policy': RENDERER_CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    },
  });
}

/** The `protocol.handle('app', …)` handler serving out/renderer with the renderer's CSP. */
export function createAppProtocolHandler(rendererDir: string, csp: string = RENDERER_CSP) {
  return async (request: { url: string; method: string }): Promise<Response> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405);
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return refuse(400);
    }
    if (
      url.protocol !== `${APP_SCHEME}:` ||
      url.hostname !== APP_HOST ||
      url.port !== '' ||
      url.username !== '' ||
      url.password !== ''
    ) {
      return refuse(403);
    }
    const file = resolveRendererFile(rendererDir, url.pathname);
    if (!file.ok) return refuse(file.status);
    let body: Buffer;
    try {
      body = await fs.readFile(file.path);
    } catch {
      return refuse(404);
    }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: {
        'content-type': MIME[path.extname(file.path).toLowerCase()] ?? 'application/octet-stream',
        'content-security-policy': csp,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      },
    });
  };
}

/** After ready: serve the built renderer on app://workbench/. */
export function registerAppProtocol(protocol: Pick<Protocol, 'handle'>, rendererDir: string): void {
  protocol.handle(APP_SCHEME, createAppProtocolHandler(rendererDir));
}

import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type http from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UploadId, WorkbenchError } from '../contract/index';

/** Largest upload the headless host accepts (the importers stream, so this bounds disk, not memory). */
export const DEFAULT_UPLOAD_MAX_BYTES = 8 * 1024 * 1024 * 1024;
/** Uploads never imported are removed after this long. */
const STALE_UPLOAD_MS = 24 * 60 * 60 * 1000;

interface UploadMeta {
  fileName: string;
  bytes: number;
  createdAt: number;
}

export function uploadsDir(dataDir: string): string {
  return path.join(dataDir, 'uploads');
}

/** A display name from whatever the browser sent: base name only, no control characters, bounded. */
export function cleanFileName(raw: string | null | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const clean = stripControls(base).trim().slice(0, 200);
  return clean || 'upload';
}

// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f]/g;
const stripControls = (s: string) => s.replace(CONTROLS, '');

export class UploadTooLargeError extends Error {}

/** Streams a request body to <dataDir>/uploads/<id> (0600), refusing more than `maxBytes`. */
export async function saveUpload(
  dataDir: string,
  body: Readable,
  opts: { fileName: string; maxBytes: number },
): Promise<{ uploadId: string; bytes: number }> {
  const dir = uploadsDir(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const uploadId = crypto.randomBytes(16).toString('hex');
  const partial = path.join(dir, `${uploadId}.part`);
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > opts.maxBytes) cb(new UploadTooLargeError('upload too large'));
      else cb(null, chunk);
    },
  });
  // The body is piped rather than put in the pipeline: a refused upload must not destroy the
  // request's socket before the 413 answer is written.
  body.on('error', (e) => counter.destroy(e));
  body.on('close', () => {
    if ((body as Readable & { complete?: boolean }).complete === false) counter.destroy(new Error('upload aborted'));
  });
  body.pipe(counter);
  try {
    await pipeline(counter, fs.createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
  } catch (e) {
    body.unpipe(counter);
    fs.rmSync(partial, { force: true });
    throw e;
  }
  fs.renameSync(partial, path.join(dir, uploadId));
  const meta: UploadMeta = { fileName: opts.fileName, bytes, createdAt: Date.now() };
  fs.writeFileSync(path.join(dir, `${uploadId}.json`), JSON.stringify(meta), { mode: 0o600 });
  return { uploadId, bytes };
}

/** The file behind an upload id; the id is checked against its pattern before any path is built. */
export function resolveUpload(dataDir: string, uploadId: string): { path: string; fileName: string } {
  if (!UploadId.safeParse(uploadId).success) throw new WorkbenchError('invalid_request', 'Not an upload id.');
  const dir = uploadsDir(dataDir);
  const file = path.join(dir, uploadId);
  let meta: UploadMeta;
  try {
    meta = JSON.parse(fs.readFileSync(path.join(dir, `${uploadId}.json`), 'utf8')) as UploadMeta;
  } catch {
    throw new WorkbenchError('not_found', 'That upload does not exist (uploads are removed once imported).');
  }
  if (!fs.existsSync(file))
    throw new WorkbenchError('not_found', 'That upload does not exist (uploads are removed once imported).');
  return { path: file, fileName: cleanFileName(meta.fileName) };
}

export function deleteUpload(dataDir: string, uploadId: string): void {
  if (!UploadId.safeParse(uploadId).success) return;
  const dir = uploadsDir(dataDir);
  fs.rmSync(path.join(dir, uploadId), { force: true });
  fs.rmSync(path.join(dir, `${uploadId}.json`), { force: true });
}

/** Removes partial uploads and uploads older than a day (left by a browser that never imported them). */
export function pruneUploads(dataDir: string, now = Date.now()): void {
  const dir = uploadsDir(dataDir);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    try {
      if (name.endsWith('.part') || now - fs.statSync(full).mtimeMs > STALE_UPLOAD_MS) fs.rmSync(full, { force: true });
    } catch {
      // already gone
    }
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(JSON.stringify(body));
}

/**
 * `POST /api/upload?name=<file name>` for the headless host's extraRoutes (so it runs after the
 * host's Host/Origin/token checks): streams the raw body to disk and answers `{ ok, value: { uploadId, bytes } }`.
 */
export function createUploadRoute(dataDir: string, opts: { maxBytes?: number } = {}) {
  const maxBytes = opts.maxBytes ?? DEFAULT_UPLOAD_MAX_BYTES;
  return async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== '/api/upload') return false;
    if (req.method !== 'POST') {
      send(res, 405, { ok: false, error: { code: 'invalid_request', message: 'Use POST.' } });
      return true;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      send(res, 413, {
        ok: false,
        error: { code: 'limit_exceeded', message: 'The file is larger than the upload limit.' },
      });
      req.resume();
      return true;
    }
    const fileName = cleanFileName(url.searchParams.get('name') ?? (req.headers['x-file-name'] as string | undefined));
    try {
      const saved = await saveUpload(dataDir, req, { fileName, maxBytes });
      send(res, 200, { ok: true, value: saved });
    } catch (e) {
      if (e instanceof UploadTooLargeError) {
        res.setHeader('connection', 'close');
        res.on('finish', () => req.destroy());
        send(res, 413, {
          ok: false,
          error: { code: 'limit_exceeded', message: 'The file is larger than the upload limit.' },
        });
      } else if (!res.headersSent) {
        send(res, 400, { ok: false, error: { code: 'bad_input', message: 'The upload did not complete.' } });
      }
    }
    return true;
  };
}

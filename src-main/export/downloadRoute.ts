import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { exportsDir } from './exportDataset';

const SAFE_NAME = /^[a-z0-9][a-z0-9._-]{0,200}$/i;

/**
 * For the headless host's `extraRoutes`: GET /api/exports/<file> sends a file from <dataDir>/exports
 * as a download. The host has already checked the token, Host and Origin; this only accepts a
 * plain file name (no folders, no dot-files, no `..`).
 */
export function exportDownloadRoute(dataDir: string) {
  return (req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean => {
    if (!url.pathname.startsWith('/api/exports/')) return false;
    const send = (status: number, message: string) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(
        JSON.stringify({ ok: false, error: { code: status === 404 ? 'not_found' : 'invalid_request', message } }),
      );
    };
    if (req.method !== 'GET') {
      send(405, 'Use GET.');
      return true;
    }
    let name: string;
    try {
      name = decodeURIComponent(url.pathname.slice('/api/exports/'.length));
    } catch {
      send(400, 'Bad file name.');
      return true;
    }
    if (!SAFE_NAME.test(name) || name.includes('..')) {
      send(400, 'Bad file name.');
      return true;
    }
    const file = path.join(exportsDir(dataDir), name);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(file);
    } catch {
      send(404, 'No such export.');
      return true;
    }
    if (!stat.isFile()) {
      send(404, 'No such export.');
      return true;
    }
    res.writeHead(200, {
      'content-type': name.endsWith('.md')
        ? 'text/markdown; charset=utf-8'
        : name.endsWith('.json')
          ? 'application/json'
          : 'application/x-ndjson',
      'content-length': String(stat.size),
      'content-disposition': `attachment; filename="${name}"`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    fs.createReadStream(file).pipe(res);
    return true;
  };
}

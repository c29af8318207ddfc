import path from 'node:path';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createWorkbench, defaultDataDir } from '../../core/workbench';
import { startHttpHost, type HttpHostOptions } from './httpHost';
import { createUploadRoute } from '../../importers/uploads';
import { exportDownloadRoute } from '../../export/downloadRoute';

/**
 * The routes the headless host adds to the contract: browser uploads for imports and export downloads.
 * Both run after the host's Host/Origin/token checks.
 */
export function headlessRoutes(dataDir: string): NonNullable<HttpHostOptions['extraRoutes']> {
  const routes = [createUploadRoute(dataDir), exportDownloadRoute(dataDir)];
  return async (req, res, url) => {
    for (const route of routes) if (await route(req, res, url)) return true;
    return false;
  };
}

/** `npm run serve -- --data-dir DIR [--port N] [--host H --allow-remote]` */
export async function serveMain(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'allow-remote': { type: 'boolean', default: false },
      'no-seed': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const host = values.host ?? '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    if (!values['allow-remote']) {
      console.error(`Refusing to listen on ${host}: pass --allow-remote to expose the workbench beyond this machine.`);
      process.exit(2);
    }
    console.warn(`WARNING: listening on ${host}. Anyone who can reach it and has the token can read this workspace.`);
  }
  const workbench = await createWorkbench({ dataDir, host: 'http', seed: !values['no-seed'] });
  const rendererDir = findRendererDir();
  const httpHost = await startHttpHost({
    workbench,
    rendererDir,
    host,
    port: values.port ? Number(values.port) : 0,
    allowRemote: values['allow-remote'],
    extraRoutes: headlessRoutes(workbench.dataDir),
  });
  console.log(`Triage Workbench (headless) — data in ${workbench.dataDir}`);
  console.log(`Open: ${httpHost.url}`);
  const shutdown = async () => {
    await httpHost.close();
    await workbench.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

/** out/renderer next to the built main, or the repo's out/renderer in dev. */
export function findRendererDir(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const c of [
    path.join(here, '../renderer'),
    path.join(here, '../../../out/renderer'),
    path.join(process.cwd(), 'out/renderer'),
  ]) {
    if (fs.existsSync(path.join(c, 'index.html'))) return c;
  }
  return null;
}

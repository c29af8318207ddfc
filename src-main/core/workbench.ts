import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../db/connection';
import type { AppInfo } from '../contract/index';
import { EventBus } from './eventBus';
import { createLogger, type Logger } from './logger';
import { createDispatcher, mergeHandlers, missingHandlers, type InvokeResult } from './dispatcher';
import type { Capability, Services, ServiceRegistry } from './capability';
import { allCapabilities } from './capabilities';
import { seedDemoWorkspace } from '../seed/seedDemoWorkspace';

export interface WorkbenchOptions {
  /** Folder holding the workspace DB, models, logs. Created (0700) when missing. */
  dataDir: string;
  host?: AppInfo['host'];
  /** The acting user for the audit log; defaults to the OS user name. */
  actor?: string;
  /** Seed demo conversations into a new workspace (default true). */
  seed?: boolean;
  /** Echo log lines to stderr. */
  echoLog?: boolean;
  /** Extra capabilities (tests); they are merged after the built-in ones. */
  extraCapabilities?: Capability[];
}

export interface Workbench {
  dataDir: string;
  db: Db;
  bus: EventBus;
  log: Logger;
  services: ServiceRegistry;
  invoke(name: unknown, args: unknown, actor?: string): Promise<InvokeResult>;
  close(): Promise<void>;
}

function createServiceRegistry(): ServiceRegistry {
  const map = new Map<string, unknown>();
  return {
    get(name) {
      if (!map.has(name)) throw new Error(`service ${String(name)} is not registered`);
      return map.get(name) as Services[typeof name];
    },
    set(name, service) {
      map.set(name, service);
    },
  };
}

/** Builds every service of the workbench in plain Node: no Electron here. */
export async function createWorkbench(opts: WorkbenchOptions): Promise<Workbench> {
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = createLogger(dataDir, { echo: opts.echoLog ?? false });
  const db = openDatabase(path.join(dataDir, 'workbench.db'));
  const bus = new EventBus();
  const services = createServiceRegistry();
  const abort = new AbortController();
  const capabilities = [...allCapabilities(opts.host ?? 'http'), ...(opts.extraCapabilities ?? [])];
  const handlers = mergeHandlers(capabilities);
  const missing = missingHandlers(handlers);
  if (missing.length) throw new Error(`commands without a handler: ${missing.join(', ')}`);
  const baseCtx = { db, bus, dataDir, log, services, signal: abort.signal };
  for (const cap of capabilities) await cap.start?.(baseCtx);
  for (const cap of capabilities) await cap.afterStart?.(baseCtx);

  if (opts.seed ?? true) seedDemoWorkspace(db, log);

  const defaultActor = opts.actor ?? safeUserName();
  const dispatch = createDispatcher(handlers, baseCtx);
  let closed = false;
  return {
    dataDir,
    db,
    bus,
    log,
    services,
    invoke: (name, args, actor) => dispatch(name, args, actor ?? defaultActor),
    async close() {
      if (closed) return;
      closed = true;
      abort.abort();
      for (const cap of [...capabilities].reverse()) {
        try {
          await cap.stop?.();
        } catch (err) {
          log.error('capability stop failed', { capability: cap.name, error: String(err) });
        }
      }
      db.close();
    },
  };
}

function safeUserName(): string {
  try {
    return os.userInfo().username || 'analyst';
  } catch {
    return 'analyst';
  }
}

/** Where a workspace lives when no --data-dir is given: $XDG_DATA_HOME/triage-workbench. */
export function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'triage-workbench');
}

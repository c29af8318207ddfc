import fs from 'node:fs';
import path from 'node:path';
import { TASKS, type Task } from '../contract/index';
import type { Db } from '../db/connection';
import type { Logger } from '../core/logger';
import { readGgufHeader } from '../gguf/ggufReader';
import { writeTinyModel } from '../gguf/tinyModel';
import { getSetting, setSetting } from '../settings/settingsRepo';
import { modelsDir, sha256File } from './modelFiles';
import { activeModelIds, getModelRecord, insertModel, setActiveModel, setModelArchived } from './modelsRepo';

export const DEMO_MODEL_FILE = 'tiny-demo.gguf';
export const DEMO_MODEL_NAME = 'Tiny demo model';
const DEMO_SETTING = 'models.demo_id';

export function demoModelPath(dataDir: string): string {
  return path.join(modelsDir(dataDir), DEMO_MODEL_FILE);
}

/** Generates the demo model file when it is missing (deterministic: same seed, same bytes). */
export function ensureDemoModelFile(dataDir: string): string {
  const file = demoModelPath(dataDir);
  if (!fs.existsSync(file)) writeTinyModel(file, { name: 'tiny-demo' });
  return file;
}

/**
 * Makes sure the demo model exists on disk and in the registry, and is the active model of every task that
 * has none. `revive` unarchives it (the analyst asked for it explicitly); on start-up an archived demo stays
 * archived.
 */
export async function ensureDemoModel(
  db: Db,
  dataDir: string,
  log: Logger,
  opts: { revive: boolean },
): Promise<number> {
  const file = ensureDemoModelFile(dataDir);
  const known = getSetting<number>(db, DEMO_SETTING);
  const existing = typeof known === 'number' ? getModelRecord(db, known) : null;
  let id: number;
  if (existing && existing.path === file) {
    id = existing.id;
    if (existing.archived && opts.revive) setModelArchived(db, id, false);
  } else {
    const header = await readGgufHeader(file);
    const sha256 = await sha256File(file);
    id = db.transaction(() => {
      const newId = insertModel(db, {
        name: DEMO_MODEL_NAME,
        kind: 'local_gguf',
        path: file,
        sha256,
        storage: 'generated',
        info: header.summary,
      });
      setSetting(db, DEMO_SETTING, newId);
      return newId;
    })();
    log.info('registered the demo model', { id });
  }
  const record = getModelRecord(db, id);
  if (record && !record.archived) {
    const active = activeModelIds(db);
    for (const task of TASKS as readonly Task[]) if (!active.has(task)) setActiveModel(db, task, id);
  }
  return id;
}

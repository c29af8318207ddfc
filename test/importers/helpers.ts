import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import type { EventPayload, ImportReport } from '../../src-main/contract/index';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SAMPLES = path.join(ROOT, 'resources/samples');
export const FINETUNE = path.join(ROOT, 'test/fixtures/finetune-formats');
export const BAD = path.join(ROOT, 'test/fixtures/bad-inputs');

export function tmpDir(prefix = 'tw-imp-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A desktop-mode workbench (paths allowed) with no demo data unless asked. */
export async function newWorkbench(
  opts: { seed?: boolean; host?: 'electron' | 'http'; dataDir?: string } = {},
): Promise<Workbench> {
  return createWorkbench({
    dataDir: opts.dataDir ?? tmpDir(),
    host: opts.host ?? 'electron',
    seed: opts.seed ?? false,
    actor: 'alice',
  });
}

export interface ImportRun {
  importId: number;
  report: ImportReport;
  progress: EventPayload<'import.progress'>[];
  finished: EventPayload<'import.finished'>;
}

function ok<T>(r: { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } }): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

/** Starts an import and waits for its end, collecting its events. */
export async function runImport(
  wb: Workbench,
  args: Record<string, unknown>,
  opts: { onProgress?: (p: EventPayload<'import.progress'>, id: number | null) => void } = {},
): Promise<ImportRun> {
  const progress: EventPayload<'import.progress'>[] = [];
  const finished = new Map<number, EventPayload<'import.finished'>>();
  let importId: number | null = null;
  const offP = wb.bus.on('import.progress', (p) => {
    progress.push(p);
    opts.onProgress?.(p, importId);
  });
  let wake: (() => void) | null = null;
  const offF = wb.bus.on('import.finished', (p) => {
    finished.set(p.importId, p);
    wake?.();
  });
  try {
    importId = ok<{ importId: number }>(await wb.invoke('imports.start', args)).importId;
    while (!finished.has(importId)) await new Promise<void>((r) => (wake = r));
    const report = ok<ImportReport>(await wb.invoke('imports.get', { importId }));
    return {
      importId,
      report,
      progress: progress.filter((p) => p.importId === importId),
      finished: finished.get(importId)!,
    };
  } finally {
    offP();
    offF();
  }
}

export function count(wb: Workbench, sql: string, ...params: unknown[]): number {
  return (wb.db.prepare(sql).get(...params) as { n: number }).n;
}

/** Every row of the tables an import writes, for "the DB is exactly as it was" checks. */
export function contentSnapshot(wb: Workbench): string {
  const tables = ['conversations', 'messages', 'training_labels', 'reviews'];
  const parts = tables.map((t) => JSON.stringify(wb.db.prepare(`SELECT * FROM ${t} ORDER BY id`).all()));
  parts.push(JSON.stringify(wb.db.prepare('SELECT rowid, title, body FROM conversations_fts ORDER BY rowid').all()));
  return parts.join('\n');
}

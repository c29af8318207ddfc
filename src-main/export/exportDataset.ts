import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Db } from '../db/connection';
import { WorkbenchError, type ExportFormat, type ExportResult, type Split } from '../contract/index';
import { getVersion, iterateExampleJson } from '../datasets/datasetsRepo';
import { cardJson, cardMarkdown } from './datasetCard';
import { recordEgress } from './egressLog';
import { converterFor } from './exportFormats';
import { readEncodedChunks } from './exportReader';
import {
  isDirectory,
  writeChunksAtomic,
  writeLinesAtomic,
  writeTextAtomic,
  type SinkFactory,
  type WriteResult,
} from './writeAtomic';

export interface ExportRequest {
  versionId: number;
  format: ExportFormat;
  split?: Split | undefined;
  destDir?: string | undefined;
}

export interface ExportContext {
  db: Db;
  dataDir: string;
  actor: string;
  signal?: AbortSignal;
  /** Tests: a sink that fails like a full disk. */
  sink?: SinkFactory;
}

export function exportsDir(dataDir: string): string {
  return path.join(dataDir, 'exports');
}

/**
 * OpenAI lines are the stored JSON as it is: a worker thread reads and encodes them while this
 * thread hashes and writes. The other formats convert row by row here, from a separate reader.
 */
async function writeExampleLines(
  ctx: ExportContext,
  versionId: number,
  req: ExportRequest,
  dest: string,
): Promise<WriteResult> {
  const file = ctx.db.memory ? null : ctx.db.name;
  if (req.format === 'openai' && file && fs.existsSync(file)) {
    return writeChunksAtomic(dest, readEncodedChunks({ dbFile: file, versionId, split: req.split }), {
      sink: ctx.sink,
      signal: ctx.signal,
    });
  }
  const convert = converterFor(req.format);
  const reader = openExportReader(ctx.db);
  try {
    const rows = iterateExampleJson(reader, versionId, req.split);
    const lines = (function* () {
      for (const json of rows) yield convert(json);
    })();
    return await writeLinesAtomic(dest, lines, { sink: ctx.sink, signal: ctx.signal });
  } finally {
    if (reader !== ctx.db) reader.close();
  }
}

/**
 * A separate read-only connection for the export's reads: memory-mapped (large exports read the
 * file without a copy per page) and off the main connection, which stays free for other commands.
 * Falls back to the main connection for in-memory databases.
 */
function openExportReader(db: Db): Db {
  if (db.memory || !db.name || !fs.existsSync(db.name)) return db;
  const reader = new BetterSqlite3(db.name, { readonly: true, fileMustExist: true, timeout: 5000 });
  // As much of the file as SQLite allows (it caps the request at its build's maximum, 2 GiB here).
  reader.pragma('mmap_size = 1099511627776');
  return reader;
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'dataset'
  );
}

/**
 * Step 9: writes one version (or one split of it) as OpenAI chat JSONL, ShareGPT or Alpaca JSONL,
 * with a dataset card (Markdown + JSON), all-or-nothing, and records it in the egress log.
 * Refused while the version's secrets scan is not clean.
 */
export async function exportDataset(req: ExportRequest, ctx: ExportContext): Promise<ExportResult> {
  const version = getVersion(ctx.db, req.versionId);
  if (!version) throw new WorkbenchError('not_found', `Dataset version ${req.versionId} does not exist.`);
  if (!version.report.secretsClean) {
    throw new WorkbenchError(
      'forbidden',
      `Version ${version.version} of "${version.datasetName}" holds secrets (${version.report.steps.redaction.blocking} examples). Build a new version that redacts or excludes them; this one cannot be exported.`,
    );
  }
  let dir: string;
  if (req.destDir !== undefined) {
    if (!path.isAbsolute(req.destDir) || !isDirectory(req.destDir)) {
      throw new WorkbenchError(
        'invalid_request',
        'The export folder must be an existing folder given by its full path.',
      );
    }
    dir = req.destDir;
  } else {
    dir = exportsDir(ctx.dataDir);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  const base = `${slug(version.datasetName)}-v${version.version}-${req.format}${req.split ? `-${req.split}` : ''}`;
  const fileName = `${base}.jsonl`;
  const dest = path.join(dir, fileName);
  const written = await writeExampleLines(ctx, version.id, req, dest);
  const exportedAt = Date.now();
  const card = {
    version,
    format: req.format,
    split: req.split ?? null,
    fileName,
    examples: written.lines,
    bytes: written.bytes,
    sha256: written.sha256,
    exportedAt,
  };
  const cardPath = path.join(dir, `${base}.card.md`);
  const cardJsonPath = path.join(dir, `${base}.card.json`);
  try {
    await writeTextAtomic(cardPath, cardMarkdown(card), { sink: ctx.sink });
    await writeTextAtomic(cardJsonPath, JSON.stringify(cardJson(card), null, 2), { sink: ctx.sink });
  } catch (err) {
    // Without its card the export is incomplete: take the data file back out too.
    for (const p of [dest, cardPath, cardJsonPath]) fs.rmSync(p, { force: true });
    throw err;
  }
  const egressId = recordEgress(ctx.db, {
    actor: ctx.actor,
    kind: 'export',
    destination: dest,
    contentHash: written.sha256,
    bytes: written.bytes,
    at: exportedAt,
    details: {
      versionId: version.id,
      dataset: version.datasetName,
      version: version.version,
      versionContentHash: version.contentHash,
      format: req.format,
      split: req.split ?? 'all',
      examples: written.lines,
      card: [path.basename(cardPath), path.basename(cardJsonPath)],
    },
  });
  const inExports = path.resolve(dir) === path.resolve(exportsDir(ctx.dataDir));
  return {
    versionId: version.id,
    format: req.format,
    split: req.split ?? null,
    path: dest,
    fileName,
    cardPath,
    cardJsonPath,
    downloadUrl: inExports ? `/api/exports/${encodeURIComponent(fileName)}` : null,
    examples: written.lines,
    bytes: written.bytes,
    sha256: written.sha256,
    egressId,
  };
}

import fs from 'node:fs';
import crypto from 'node:crypto';
import {
  IMPORT_FORMATS,
  WorkbenchError,
  type CsvMapping,
  type ImportContainer,
  type ImportDetection,
  type ImportFormat,
  type ImportRejection,
  type ImportReport,
} from '../contract/index';
import type { Db } from '../db/connection';
import type { EventBus } from '../core/eventBus';
import type { Logger } from '../core/logger';
import { appendAudit } from '../audit/auditLog';
import { IMPORT_LIMITS } from './limits';
import { FatalImportError } from './recordError';
import { containerMismatch, createPipeline } from './importPipeline';
import { detectFormat, previewLines, previewRecords } from './detectFormat';
import { FORMATS } from './formats/index';
import { ImportWriter, itemHash } from './importWriter';
import { createImport, deleteImportedRows, finishImport, getImport } from './importsRepo';

export type ImportLimits = typeof IMPORT_LIMITS;

export interface ImportSource {
  path: string;
  /** The name shown to people (uploads keep the browser's file name). */
  fileName: string;
  /** Called once the import is over, whatever the outcome (uploads delete their file). */
  release?: () => void;
}

export interface ImportOptions {
  format: ImportFormat | 'auto';
  keepValid: boolean;
  csvMapping?: CsvMapping | undefined;
  actor: string;
  limits?: Partial<ImportLimits>;
}

export interface ImportDeps {
  db: Db;
  bus: EventBus | null;
  log: Logger | null;
}

export interface ImportProgress {
  bytesRead: number;
  totalBytes: number;
  records: number;
  rejected: number;
  duplicates: number;
}

interface Prepared {
  format: ImportFormat;
  container: ImportContainer;
  bytes: number;
  limits: ImportLimits;
}

function readHead(file: string, max: number): { head: Buffer; bytes: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    throw new WorkbenchError('not_found', 'The file could not be opened.');
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new WorkbenchError('bad_input', 'That is not a regular file.');
    const head = Buffer.alloc(Math.min(max, st.size));
    const n = head.length ? fs.readSync(fd, head, 0, head.length, 0) : 0;
    return { head: head.subarray(0, n), bytes: st.size };
  } finally {
    fs.closeSync(fd);
  }
}

/** Detects the format of a file and previews its first records; reads at most `detectBytes`. */
export function detectFile(source: ImportSource, limits: Partial<ImportLimits> = {}): ImportDetection {
  const l = { ...IMPORT_LIMITS, ...limits };
  const { head, bytes } = readHead(source.path, l.detectBytes);
  const d = detectFormat(head, source.fileName);
  const spec = d.format ? FORMATS[d.format] : null;
  const preview =
    d.format && d.container
      ? previewRecords(head, head.length === bytes, d.format, d.container, d.suggestedCsvMapping, l.maxRecordBytes)
      : { records: [], problems: [] };
  return {
    fileName: source.fileName,
    bytes,
    format: d.format,
    container: d.container,
    sourceKind: spec?.sourceKind ?? null,
    reason: d.reason,
    csvColumns: d.csvColumns,
    needsCsvMapping: d.format === 'csv_examples',
    suggestedCsvMapping: d.suggestedCsvMapping,
    preview: { lines: previewLines(head), records: preview.records, problems: preview.problems },
  };
}

/** Checks what can be checked before anything is written; problems come back as command errors. */
function prepare(source: ImportSource, opts: ImportOptions): Prepared {
  const limits = { ...IMPORT_LIMITS, ...opts.limits };
  const { head, bytes } = readHead(source.path, limits.detectBytes);
  const detected = detectFormat(head, source.fileName);
  let format: ImportFormat;
  if (opts.format === 'auto') {
    if (!detected.format) throw new WorkbenchError('bad_input', `Could not tell the file's format: ${detected.reason}`);
    format = detected.format;
  } else {
    if (!(IMPORT_FORMATS as readonly string[]).includes(opts.format))
      throw new WorkbenchError('bad_input', 'Unknown format.');
    format = opts.format;
  }
  const spec = FORMATS[format];
  // The container follows the bytes. OpenAI's format is JSON Lines only: a JSON document is refused
  // with a hint; for other formats a chosen format that disagrees with the bytes reads them its own way.
  let container: ImportContainer = detected.container ?? spec.containers[0]!;
  if (!spec.containers.includes(container)) {
    if (format === 'openai_chat' && container === 'json')
      throw new WorkbenchError('bad_input', containerMismatch(format, container));
    container = spec.containers.includes('jsonl') ? 'jsonl' : spec.containers[0]!;
  }
  if (format === 'csv_examples' && !opts.csvMapping) {
    throw new WorkbenchError('bad_input', 'Choose which CSV columns hold the prompt and the answer.');
  }
  return { format, container, bytes, limits };
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface StartedImport {
  importId: number;
  format: ImportFormat;
  done: Promise<ImportReport>;
  progress(): ImportProgress;
}

/**
 * Starts an import: checks and records it synchronously (so the caller gets its id at once), then
 * streams the file in the background. Records are written in batches tagged with the import id;
 * a cancel, a fatal problem, an error, or a rejected record in all-or-nothing mode deletes every
 * row of this import, so the workspace is as it was.
 */
export function startImport(
  deps: ImportDeps,
  source: ImportSource,
  opts: ImportOptions,
  signal: AbortSignal,
  /** Called once the outcome is stored, just before `import.finished` goes out (a listener may start the next import). */
  onSettled?: () => void,
): StartedImport {
  const prep = prepare(source, opts);
  const importId = createImport(deps.db, {
    fileName: source.fileName,
    format: prep.format,
    bytes: prep.bytes,
    keepValid: opts.keepValid,
    actor: opts.actor,
  });
  const progress: ImportProgress = { bytesRead: 0, totalBytes: prep.bytes, records: 0, rejected: 0, duplicates: 0 };
  const settle = () => {
    source.release?.();
    onSettled?.();
  };
  const done = runImport(deps, source, opts, prep, importId, progress, signal, settle);
  return { importId, format: prep.format, done, progress: () => ({ ...progress }) };
}

async function runImport(
  deps: ImportDeps,
  source: ImportSource,
  opts: ImportOptions,
  prep: Prepared,
  importId: number,
  progress: ImportProgress,
  signal: AbortSignal,
  settle: () => void,
): Promise<ImportReport> {
  const { db, bus, log } = deps;
  const rejections: ImportRejection[] = [];
  const writer = new ImportWriter(db, {
    importId,
    actor: opts.actor,
    format: prep.format,
    batchSize: prep.limits.batchSize,
  });
  const writing = () => opts.keepValid || progress.rejected === 0;
  const pipeline = createPipeline({
    format: prep.format,
    container: prep.container,
    csvMapping: opts.csvMapping,
    maxRecordBytes: prep.limits.maxRecordBytes,
    onItem: (item) => {
      progress.records++;
      if (writing()) writer.add(item, itemHash(item));
    },
    onReject: (r) => {
      progress.rejected++;
      if (rejections.length < prep.limits.maxRejectionsKept) rejections.push(r);
      if (!opts.keepValid) writer.discard();
    },
  });
  const hash = crypto.createHash('sha256');
  let lastEmit = 0;
  const emitProgress = (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastEmit < prep.limits.progressIntervalMs) return;
    lastEmit = now;
    progress.duplicates = writer.duplicates;
    bus?.emit('import.progress', { importId, ...progress });
  };

  let status: 'done' | 'failed' | 'cancelled' = 'done';
  let error: string | null = null;
  // A bigger page cache for the duration: inserts into the content-hash index land at random pages.
  const cacheBefore = Number(db.pragma('cache_size', { simple: true }));
  const cacheWanted = -Math.abs(Math.trunc(prep.limits.importCacheKiB));
  const raiseCache = cacheBefore < 0 && cacheWanted < cacheBefore;
  if (raiseCache) db.pragma(`cache_size = ${cacheWanted}`);
  // Checkpoint (and fsync) every ~40 MB of WAL instead of every 4 MB: one batch commits per chunk.
  const checkpointBefore = Number(db.pragma('wal_autocheckpoint', { simple: true }));
  const raiseCheckpoint = checkpointBefore > 0 && checkpointBefore < prep.limits.importCheckpointPages;
  if (raiseCheckpoint) db.pragma(`wal_autocheckpoint = ${Math.trunc(prep.limits.importCheckpointPages)}`);
  emitProgress(true);
  const stream = fs.createReadStream(source.path, { highWaterMark: prep.limits.readBytes });
  let lastYield = performance.now();
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (signal.aborted) break;
      hash.update(chunk);
      for (let off = 0; off < chunk.length && !signal.aborted; off += prep.limits.chunkBytes) {
        const slice = chunk.subarray(off, off + prep.limits.chunkBytes);
        pipeline.push(slice);
        progress.bytesRead += slice.length;
        // Write what this slice held now: records never outlive a slice, so they die young in the JS
        // heap (holding a 2,000-record batch across reads grew the heap to ~160 MB on a 1 GB file).
        if (writing()) writer.flush();
        emitProgress(false);
        // Hand the event loop back regularly: cancel requests, other commands and the UI keep flowing.
        if (performance.now() - lastYield >= prep.limits.yieldEveryMs) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      }
    }
    if (signal.aborted) {
      status = 'cancelled';
      error = 'Cancelled; nothing from this import was kept.';
    } else {
      pipeline.end();
      if (writing()) writer.flush();
    }
  } catch (e) {
    status = 'failed';
    if (e instanceof FatalImportError) {
      error = e.reason;
      rejections.unshift({ line: e.line, offset: e.offset, reason: e.reason });
      progress.rejected++;
    } else if (e instanceof WorkbenchError) {
      error = e.message;
    } else {
      log?.error('import failed', { importId, error: String((e as Error)?.stack ?? e) });
      error = 'The import stopped on an unexpected error; nothing from it was kept. Details are in the local log.';
    }
  } finally {
    stream.destroy();
    if (raiseCache) db.pragma(`cache_size = ${cacheBefore}`);
    if (raiseCheckpoint) db.pragma(`wal_autocheckpoint = ${checkpointBefore}`);
  }

  if (status === 'done' && progress.rejected > 0 && !opts.keepValid) {
    status = 'failed';
    error = `${progress.rejected} record${progress.rejected === 1 ? ' was' : 's were'} rejected, so nothing was imported. Fix ${progress.rejected === 1 ? 'it' : 'them'}, or import again keeping the valid records.`;
  } else if (status === 'done' && progress.records === 0 && progress.rejected === 0) {
    status = 'failed';
    error = 'The file holds no records.';
  }
  if (status !== 'done') {
    try {
      deleteImportedRows(db, importId);
    } catch (e) {
      log?.error('import rollback failed', { importId, error: String(e) });
    }
  }
  progress.duplicates = status === 'done' ? writer.duplicates : 0;
  finishImport(db, importId, {
    status,
    fileHash: hash.digest('hex'),
    bytes: prep.bytes,
    recordsOk: status === 'done' ? writer.inserted : 0,
    recordsRejected: progress.rejected,
    recordsDuplicate: progress.duplicates,
    error,
    rejections,
    truncated: progress.rejected > rejections.length,
  });
  emitProgress(true);
  const recordsOk = status === 'done' ? writer.inserted : 0;
  appendAudit(db, {
    actor: opts.actor,
    action: 'imports.finished',
    subject: String(importId),
    details: {
      status,
      fileName: source.fileName,
      format: prep.format,
      recordsOk,
      rejected: progress.rejected,
      duplicates: progress.duplicates,
    },
  });
  bus?.emit('audit.appended', { action: 'imports.finished', subject: String(importId) });
  try {
    settle();
  } catch (e) {
    log?.warn('import clean-up failed', { importId, error: String(e) });
  }
  if (recordsOk > 0) bus?.emit('conversations.changed', { ids: writer.changedIds });
  bus?.emit('import.finished', {
    importId,
    status,
    recordsOk,
    rejected: progress.rejected,
    duplicates: progress.duplicates,
    error,
  });
  log?.info('import finished', { importId, status, format: prep.format, recordsOk, rejected: progress.rejected });
  return getImport(db, importId)!;
}

/** Synchronous import of bytes already in memory, inside the caller's transaction (demo seed). */
export function importBytesSync(
  db: Db,
  bytes: Buffer,
  opts: { fileName: string; format?: ImportFormat; actor: string; maxRecords?: number; maxRecordBytes?: number },
): { inserted: number; duplicates: number; rejections: ImportRejection[] } {
  const detected = detectFormat(bytes.subarray(0, IMPORT_LIMITS.detectBytes), opts.fileName);
  const format = opts.format ?? detected.format;
  if (!format || !detected.container) throw new Error(`cannot import ${opts.fileName}: ${detected.reason}`);
  const writer = new ImportWriter(db, {
    importId: null,
    actor: opts.actor,
    format,
    batchSize: IMPORT_LIMITS.batchSize,
  });
  const rejections: ImportRejection[] = [];
  const STOP = Symbol('stop');
  let n = 0;
  const pipeline = createPipeline({
    format,
    container: detected.container,
    maxRecordBytes: opts.maxRecordBytes ?? IMPORT_LIMITS.maxRecordBytes,
    onItem: (item) => {
      writer.add(item, itemHash(item));
      if (opts.maxRecords !== undefined && ++n >= opts.maxRecords) throw STOP;
    },
    onReject: (r) => rejections.push(r),
  });
  try {
    pipeline.push(bytes);
    pipeline.end();
  } catch (e) {
    if (e !== STOP) throw e;
  }
  writer.flush();
  return { inserted: writer.inserted, duplicates: writer.duplicates, rejections };
}

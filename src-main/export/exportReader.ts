import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Split } from '../contract/index';

export interface EncodedChunk {
  /** Whole lines, each ending in LF, UTF-8. */
  buf: Buffer;
  lines: number;
  /** Gives the chunk's memory back to the reader for reuse once it is written (optional). */
  release?: () => void;
}

export interface ChunkReaderOptions {
  dbFile: string;
  versionId: number;
  split?: Split | undefined;
  chunkBytes?: number;
  /** Chunks the reader may be ahead of the writer. */
  ahead?: number;
}

// Plain JS run with `eval: true`, so it needs no bundler entry: it opens its own read-only,
// memory-mapped connection, reads the version's rows by rowid in batches, checks each line and
// encodes them into chunk buffers that are handed over (transferred, not copied) to the writer.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.modulePath);
const { dbFile, versionId, split, chunkBytes, ahead } = workerData;
let acked = 0;
let sent = 0;
let wake = null;
// Written chunks come back to be filled again: fresh memory for every chunk costs a page fault per 4 KiB.
const free = [];
parentPort.on('message', (m) => {
  if (m === 'ack') { acked++; if (wake) { const w = wake; wake = null; w(); } }
  else if (m && m.type === 'return' && m.buf.byteLength === chunkBytes) free.push(m.buf);
});
const fresh = () => { const ab = free.pop(); return ab ? Buffer.from(ab) : Buffer.allocUnsafeSlow(chunkBytes); };
(async () => {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    db.pragma('mmap_size = 1099511627776');
    const sql = 'SELECT id, example FROM dataset_examples WHERE id > ? AND +dataset_version_id = ?' + (split ? ' AND split = ?' : '') + ' ORDER BY id LIMIT 4000';
    const stmt = db.prepare(sql).raw(true);
    let buf = fresh();
    let off = 0;
    let lines = 0;
    let total = 0;
    const flush = async () => {
      if (lines === 0) return;
      while (sent - acked >= ahead) await new Promise((r) => { wake = r; });
      // allocUnsafeSlow gives each chunk its own ArrayBuffer (never the shared pool): hand it over whole, uncopied.
      parentPort.postMessage({ type: 'chunk', buf: buf.buffer, offset: buf.byteOffset, length: off, lines }, [buf.buffer]);
      sent++;
      buf = fresh();
      off = 0;
      lines = 0;
    };
    let last = 0;
    for (;;) {
      const rows = split ? stmt.all(last, versionId, split) : stmt.all(last, versionId);
      if (rows.length === 0) break;
      for (const row of rows) {
        const line = row[1];
        total++;
        if (line.length === 0 || line.includes('\\n') || line.includes('\\r')) throw new Error('line ' + total + ' is empty or spans lines');
        if (line.length * 3 + 1 > chunkBytes - off) {
          await flush();
          if (line.length * 3 + 1 > chunkBytes) buf = Buffer.allocUnsafeSlow(line.length * 3 + 1);
        }
        off += buf.write(line, off, 'utf8');
        buf[off++] = 10;
        lines++;
      }
      last = rows[rows.length - 1][0];
    }
    await flush();
    parentPort.postMessage({ type: 'done', lines: total });
  } finally {
    db.close();
  }
})().catch((err) => parentPort.postMessage({ type: 'error', message: String(err && err.message || err) }));
`;

type WorkerMessage =
  | { type: 'chunk'; buf: ArrayBuffer; offset: number; length: number; lines: number }
  | { type: 'done'; lines: number }
  | { type: 'error'; message: string };

/**
 * Reads a version's stored OpenAI lines on a worker thread and yields them as encoded chunks: the
 * SQLite reads and the encoding run beside the hashing and writing, and off the thread that
 * serves the UI. Stopping early (a failed write) terminates the worker.
 */
export async function* readEncodedChunks(opts: ChunkReaderOptions): AsyncGenerator<EncodedChunk> {
  const modulePath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      modulePath,
      dbFile: opts.dbFile,
      versionId: opts.versionId,
      split: opts.split ?? null,
      chunkBytes: opts.chunkBytes ?? 4 << 20,
      ahead: opts.ahead ?? 3,
    },
  });
  const queue: WorkerMessage[] = [];
  let notify: (() => void) | null = null;
  const push = (m: WorkerMessage) => {
    queue.push(m);
    notify?.();
  };
  worker.on('message', (m: WorkerMessage) => push(m));
  worker.on('error', (err) => push({ type: 'error', message: err.message }));
  worker.on('exit', (code) => {
    if (code !== 0) push({ type: 'error', message: `reader stopped (exit ${code})` });
  });
  try {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((r) => (notify = r));
      notify = null;
      const m = queue.shift()!;
      if (m.type === 'error') {
        throw new Error(`Reading the dataset failed: ${m.message}`);
      }
      if (m.type === 'done') return;
      worker.postMessage('ack');
      const ab = m.buf;
      yield {
        buf: Buffer.from(ab, m.offset, m.length),
        lines: m.lines,
        release: () => worker.postMessage({ type: 'return', buf: ab }, [ab]),
      };
    }
  } finally {
    await worker.terminate();
  }
}

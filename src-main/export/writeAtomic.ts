import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { WorkbenchError } from '../contract/index';

/** Where the bytes go; the default is a file handle, tests swap in one that fails like a full disk. */
export interface ExportSink {
  write(chunk: Buffer): Promise<void>;
  /** Flushes to stable storage and closes. */
  close(): Promise<void>;
  /** Closes without flushing after a failure; never throws. */
  abort(): Promise<void>;
}

export type SinkFactory = (tempPath: string) => Promise<ExportSink>;

export const fileSink: SinkFactory = async (tempPath) => {
  // wx: the temp name is fresh; 0600: exports hold analysts' data.
  const fh = await fsp.open(tempPath, 'wx', 0o600);
  return {
    async write(chunk) {
      let off = 0;
      while (off < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
        off += bytesWritten;
      }
    },
    async close() {
      await fh.sync();
      await fh.close();
    },
    async abort() {
      await fh.close().catch(() => undefined);
    },
  };
};

export interface WriteResult {
  bytes: number;
  sha256: string;
  lines: number;
}

const CHUNK_BYTES = 4 << 20;
const MAX_IN_FLIGHT = 2;

/** Whole lines already encoded (each ending in LF), e.g. by the export reader thread. */
export interface LineChunk {
  buf: Buffer;
  lines: number;
  /** Called once the chunk is on its way to the disk and its memory may be reused. */
  release?: () => void;
}

interface Writer {
  /** Hashes the chunk and starts writing it; waits while too many writes are in flight. */
  emit(chunk: Buffer, slot?: number, release?: () => void): Promise<void>;
  /** Waits for every write that used this chunk buffer slot. */
  release(slot: number): Promise<void>;
  lines: number;
}

/**
 * Writes into a temp file next to `dest` and renames it into place. Any failure — a full disk, a
 * bad line, a reader error — removes the temp file, so `dest` is either the whole new file or untouched.
 */
async function writeAtomic(
  dest: string,
  opts: { sink?: SinkFactory; signal?: AbortSignal },
  body: (w: Writer) => Promise<void>,
): Promise<WriteResult> {
  const temp = path.join(path.dirname(dest), `.${path.basename(dest)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const sink = await (opts.sink ?? fileSink)(temp);
  const hash = crypto.createHash('sha256');
  const pending: { done: Promise<void>; slot: number | null }[] = [];
  let bytes = 0;
  const w: Writer = {
    lines: 0,
    async emit(chunk, slot, release) {
      while (pending.length >= MAX_IN_FLIGHT) await pending.shift()!.done;
      hash.update(chunk);
      bytes += chunk.length;
      const done = sink.write(chunk);
      // Awaited in order below; meanwhile a finished write frees its chunk, and a failure is not "unhandled".
      done.then(release, () => undefined);
      pending.push({ done, slot: slot ?? null });
      if (opts.signal?.aborted) throw new WorkbenchError('cancelled', 'The export was cancelled; nothing was written.');
    },
    async release(slot) {
      while (pending.some((p) => p.slot === slot)) await pending.shift()!.done;
    },
  };
  try {
    await body(w);
    while (pending.length) await pending.shift()!.done;
    await sink.close();
    await fsp.rename(temp, dest);
    return { bytes, sha256: hash.digest('hex'), lines: w.lines };
  } catch (err) {
    // Let any write still in flight settle before the file goes away.
    await Promise.allSettled(pending.map((p) => p.done));
    await sink.abort();
    await fsp.rm(temp, { force: true });
    if (err instanceof WorkbenchError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new WorkbenchError(
        'internal',
        'The disk is full: the export was not written and no partial file was left. Free some space and try again.',
      );
    }
    throw new WorkbenchError(
      'internal',
      `The export could not be written (${code ?? (err as Error).message ?? 'write error'}); no partial file was left.`,
    );
  }
}

/**
 * Streams lines (each gets one LF; no BOM, no blank lines) into `dest`, all or nothing. Lines are
 * encoded straight into one of two chunk buffers while the other is being written.
 */
export function writeLinesAtomic(
  dest: string,
  lines: Iterable<string>,
  opts: { sink?: SinkFactory; signal?: AbortSignal } = {},
): Promise<WriteResult> {
  return writeAtomic(dest, opts, async (w) => {
    const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
    let current = 0;
    let off = 0;
    const rotate = async () => {
      if (off === 0) return;
      await w.emit(buffers[current]!.subarray(0, off), current);
      current ^= 1;
      off = 0;
      await w.release(current);
    };
    for (const line of lines) {
      if (line.length === 0 || line.includes('\n') || line.includes('\r')) {
        throw new WorkbenchError(
          'internal',
          `Export line ${w.lines + 1} is empty or spans lines; nothing was written.`,
        );
      }
      w.lines++;
      // UTF-8 needs at most 3 bytes per UTF-16 unit; +1 for the LF.
      if (line.length * 3 + 1 > CHUNK_BYTES - off) {
        await rotate();
        if (line.length * 3 + 1 > CHUNK_BYTES) {
          await w.emit(Buffer.from(`${line}\n`, 'utf8'));
          continue;
        }
      }
      const buf = buffers[current]!;
      off += buf.write(line, off, 'utf8');
      buf[off++] = 0x0a;
    }
    await rotate();
  });
}

/** Writes chunks of whole, already checked lines into `dest`, all or nothing. */
export function writeChunksAtomic(
  dest: string,
  chunks: AsyncIterable<LineChunk>,
  opts: { sink?: SinkFactory; signal?: AbortSignal } = {},
): Promise<WriteResult> {
  return writeAtomic(dest, opts, async (w) => {
    for await (const c of chunks) {
      w.lines += c.lines;
      await w.emit(c.buf, undefined, c.release);
    }
  });
}

/** A small text file (the dataset card), written the same all-or-nothing way. */
export async function writeTextAtomic(
  dest: string,
  text: string,
  opts: { sink?: SinkFactory } = {},
): Promise<WriteResult> {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  // The card may have blank lines (Markdown): write it as one chunk rather than as JSONL lines.
  const temp = path.join(path.dirname(dest), `.${path.basename(dest)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const sink = await (opts.sink ?? fileSink)(temp);
  const buf = Buffer.from(body + '\n', 'utf8');
  try {
    await sink.write(buf);
    await sink.close();
    await fsp.rename(temp, dest);
  } catch (err) {
    await sink.abort();
    await fsp.rm(temp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new WorkbenchError(
      'internal',
      code === 'ENOSPC'
        ? 'The disk is full: the dataset card was not written.'
        : 'The dataset card could not be written.',
    );
  }
  return { bytes: buf.length, sha256: crypto.createHash('sha256').update(buf).digest('hex'), lines: 0 };
}

export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

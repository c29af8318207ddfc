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

const CHUNK_CHARS = 1 << 20;

/**
 * Streams lines (each gets one LF; no BOM, no blank lines) into a temp file next to `dest`, then
 * renames it into place. Any failure — a full disk, a converter error — removes the temp file, so
 * `dest` is either the whole new file or untouched.
 */
export async function writeLinesAtomic(
  dest: string,
  lines: Iterable<string>,
  opts: { sink?: SinkFactory; signal?: AbortSignal } = {},
): Promise<WriteResult> {
  const temp = path.join(path.dirname(dest), `.${path.basename(dest)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const sink = await (opts.sink ?? fileSink)(temp);
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  let count = 0;
  let pending = '';
  const flush = async () => {
    if (!pending) return;
    const buf = Buffer.from(pending, 'utf8');
    pending = '';
    hash.update(buf);
    bytes += buf.length;
    await sink.write(buf);
  };
  try {
    for (const line of lines) {
      if (line.length === 0 || line.includes('\n') || line.includes('\r')) {
        throw new WorkbenchError('internal', `Export line ${count + 1} is empty or spans lines; nothing was written.`);
      }
      pending += line + '\n';
      count++;
      if (pending.length >= CHUNK_CHARS) {
        await flush();
        if (opts.signal?.aborted)
          throw new WorkbenchError('cancelled', 'The export was cancelled; nothing was written.');
      }
    }
    await flush();
    await sink.close();
    await fsp.rename(temp, dest);
    return { bytes, sha256: hash.digest('hex'), lines: count };
  } catch (err) {
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
      `The export could not be written (${code ?? 'write error'}); no partial file was left.`,
    );
  }
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

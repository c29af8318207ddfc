import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

/** Where the workspace keeps model files it owns (copies, the demo model, trained models). */
export function modelsDir(dataDir: string): string {
  return path.join(dataDir, 'models');
}

/** SHA-256 of a file, streamed. */
export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(
    fs.createReadStream(file, { highWaterMark: 1 << 20 }),
    async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) hash.update(chunk);
    },
    signal ? { signal } : {},
  );
  return hash.digest('hex');
}

/** A file name safe to create inside the models folder. */
export function safeModelFileName(original: string): string {
  const base = path
    .basename(original)
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^\.+/, '');
  const name = base.slice(0, 120) || 'model';
  return name.toLowerCase().endsWith('.gguf') ? name : `${name}.gguf`;
}

/**
 * Copies a model into the workspace's models folder while hashing it, in one pass. The copy is written
 * under a temporary name and renamed when complete, so a failed copy leaves nothing behind.
 */
export async function copyModelIntoWorkspace(
  source: string,
  dataDir: string,
  signal?: AbortSignal,
): Promise<{ path: string; sha256: string }> {
  const dir = modelsDir(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.incoming-${process.pid}-${crypto.randomBytes(6).toString('hex')}.partial`);
  const hash = crypto.createHash('sha256');
  const tee = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(
      fs.createReadStream(source, { highWaterMark: 1 << 20 }),
      tee,
      fs.createWriteStream(tmp, { mode: 0o600 }),
      signal ? { signal } : {},
    );
    const sha256 = hash.digest('hex');
    let target = path.join(dir, safeModelFileName(source));
    if (fs.existsSync(target)) target = path.join(dir, `${sha256.slice(0, 12)}-${safeModelFileName(source)}`);
    fs.renameSync(tmp, target);
    return { path: target, sha256 };
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { WorkbenchError } from '../contract/errors';
import type { Logger } from '../core/logger';
import type { KeyStore } from './keyStore';

const KeyFile = z.object({ version: z.literal(1), keys: z.record(z.string(), z.string()) }).strict();
type KeyFileData = z.infer<typeof KeyFile>;

/**
 * The headless key store: one JSON file, mode 0600, in <dataDir>/secrets/ (0700). Never the DB.
 * Writes go to a temp file created 0600 and renamed over the old one, so a crash leaves one whole file.
 */
export function createFileKeyStore(dataDir: string, log?: Logger): KeyStore {
  const dir = path.join(dataDir, 'secrets');
  const file = path.join(dir, 'keys.json');

  function ensureDir(): void {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing folder's mode alone; tighten it if someone loosened it.
    if ((fs.statSync(dir).mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
  }

  function read(): KeyFileData {
    let text: string;
    try {
      const st = fs.statSync(file);
      if ((st.mode & 0o077) !== 0) {
        fs.chmodSync(file, 0o600);
        log?.warn('key file was readable by others; its mode was set to 0600');
      }
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, keys: {} };
      throw new WorkbenchError('internal', 'The key file could not be read.');
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      // Never echo the file's contents: it holds keys.
      throw new WorkbenchError('internal', 'The key file is damaged; it was left as it is.');
    }
    const parsed = KeyFile.safeParse(raw);
    if (!parsed.success) throw new WorkbenchError('internal', 'The key file is damaged; it was left as it is.');
    return parsed.data;
  }

  function write(data: KeyFileData): void {
    ensureDir();
    const tmp = path.join(dir, `.keys.${process.pid}.${Date.now()}.tmp`);
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(data));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.renameSync(tmp, file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }

  return {
    get(name) {
      try {
        const keys = read().keys;
        return Object.hasOwn(keys, name) ? (keys[name] ?? null) : null;
      } catch (err) {
        log?.error('key file unreadable', { error: (err as Error).message });
        return null;
      }
    },
    set(name, value) {
      const data = read();
      data.keys[name] = value;
      write(data);
    },
    delete(name) {
      const data = read();
      if (!Object.hasOwn(data.keys, name)) return;
      delete data.keys[name];
      write(data);
    },
    available() {
      return { ok: true };
    },
  };
}

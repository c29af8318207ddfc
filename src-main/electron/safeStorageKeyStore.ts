import fs from 'node:fs';
import path from 'node:path';
import type { SafeStorage } from 'electron';
import { WorkbenchError } from '../contract/index';
import type { KeyStore } from '../secrets/keyStore';

export type SafeStorageLike = Pick<
  SafeStorage,
  'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'
>;

export interface SafeStorageKeyStoreOptions {
  /** Folder for the ciphertext file (created 0700): <userData>/secrets. */
  dir: string;
  fileName?: string;
  /** process.platform; the Linux backend check only applies on linux. */
  platform?: NodeJS.Platform;
}

interface StoreFile {
  version: 1;
  /** name → base64 of safeStorage ciphertext. Never plain text. */
  entries: Record<string, string>;
}

const NAME = /^[a-z][a-z0-9_.-]{0,63}$/;
// Linux backends that keep the encryption key in a real keyring; basic_text is a hard-coded key.
const LINUX_KEYRINGS = new Set(['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6']);

function checkName(name: string): void {
  if (!NAME.test(name))
    throw new WorkbenchError('bad_input', 'Key names are lower-case letters, digits, dots, dashes or underscores.');
}

/**
 * KeyStore backed by Electron safeStorage (OS keychain). Values are encrypted before they touch
 * disk and kept in a 0600 file in userData; when the OS cannot encrypt, `set` refuses.
 */
export function createSafeStorageKeyStore(safeStorage: SafeStorageLike, opts: SafeStorageKeyStoreOptions): KeyStore {
  const file = path.join(opts.dir, opts.fileName ?? 'keys.safeStorage.json');
  const platform = opts.platform ?? process.platform;

  function available(): { ok: boolean; reason?: string } {
    if (!safeStorage.isEncryptionAvailable()) {
      return {
        ok: false,
        reason:
          'The operating system keychain is not available, so the key cannot be stored encrypted. Nothing was saved.',
      };
    }
    if (platform === 'linux') {
      const backend = safeStorage.getSelectedStorageBackend();
      if (!LINUX_KEYRINGS.has(backend)) {
        return {
          ok: false,
          reason:
            `No desktop keyring was found (backend: ${backend}), so the key would be stored with a fixed, public key. ` +
            'Install and unlock GNOME Keyring or KWallet, or run the headless host with the key in the environment. Nothing was saved.',
        };
      }
    }
    return { ok: true };
  }

  function read(): StoreFile {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: {} };
      throw err;
    }
    const parsed = JSON.parse(text) as Partial<StoreFile> | null;
    if (!parsed || parsed.version !== 1 || typeof parsed.entries !== 'object' || parsed.entries === null) {
      throw new WorkbenchError('bad_input', 'The encrypted key file is damaged; set the key again.');
    }
    const entries: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(parsed.entries)) if (NAME.test(k) && typeof v === 'string') entries[k] = v;
    return { version: 1, entries };
  }

  function write(data: StoreFile): void {
    fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
    fs.chmodSync(tmp, 0o600); // `mode` only applies when the file is created
    fs.renameSync(tmp, file);
  }

  return {
    available,
    get(name) {
      checkName(name);
      const stored = read().entries[name];
      if (stored === undefined) return null;
      if (!available().ok) return null;
      try {
        return safeStorage.decryptString(Buffer.from(stored, 'base64'));
      } catch {
        throw new WorkbenchError(
          'bad_input',
          `The stored ${name} could not be decrypted on this machine; set it again.`,
        );
      }
    },
    set(name, value) {
      checkName(name);
      if (typeof value !== 'string' || value.length === 0) throw new WorkbenchError('bad_input', 'The key is empty.');
      const status = available();
      if (!status.ok) throw new WorkbenchError('forbidden', status.reason ?? 'Encrypted storage is not available.');
      const data = read();
      data.entries[name] = safeStorage.encryptString(value).toString('base64');
      write(data);
    },
    delete(name) {
      checkName(name);
      const data = read();
      if (!(name in data.entries)) return;
      delete data.entries[name];
      write(data);
    },
  };
}

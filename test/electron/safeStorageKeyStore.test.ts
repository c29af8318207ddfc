import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSafeStorageKeyStore } from '../../src-main/electron/safeStorageKeyStore';
import { fakeSafeStorage } from './fakeElectron';

const CANARY = 'sk-canary-DO-NOT-STORE-IN-PLAIN-TEXT-1234567890';
let dir: string;
beforeEach(() => {
  dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tw-electron-keys-')), 'secrets');
});
afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

function filesUnder(d: string): string[] {
  if (!fs.existsSync(d)) return [];
  return fs.readdirSync(d, { recursive: true, encoding: 'utf8' }).map((f) => path.join(d, f));
}

function plainTextAnywhere(): boolean {
  return filesUnder(path.dirname(dir)).some(
    (f) => fs.statSync(f).isFile() && fs.readFileSync(f, 'utf8').includes(CANARY),
  );
}

describe('safeStorage KeyStore (E12)', () => {
  it('encrypts with safeStorage and keeps only ciphertext in a 0600 file', () => {
    const safe = fakeSafeStorage({ backend: 'gnome_libsecret' });
    const store = createSafeStorageKeyStore(safe, { dir, platform: 'linux' });
    expect(store.available()).toEqual({ ok: true });
    expect(store.get('openai')).toBeNull();
    store.set('openai', CANARY);
    expect(safe.encryptString).toHaveBeenCalledWith(CANARY);
    expect(store.get('openai')).toBe(CANARY);
    const [file] = filesUnder(dir);
    expect(file).toBeDefined();
    expect(fs.statSync(file!).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(plainTextAnywhere()).toBe(false);
    // A second store on the same folder reads it back; delete removes it.
    const again = createSafeStorageKeyStore(safe, { dir, platform: 'linux' });
    expect(again.get('openai')).toBe(CANARY);
    again.delete('openai');
    expect(store.get('openai')).toBeNull();
  });

  it('refuses to store anything when encryption is unavailable', () => {
    const safe = fakeSafeStorage({ available: false });
    const store = createSafeStorageKeyStore(safe, { dir, platform: 'darwin' });
    const status = store.available();
    expect(status.ok).toBe(false);
    expect(status.reason).toMatch(/keychain is not available/);
    expect(() => store.set('openai', CANARY)).toThrow(/keychain is not available.*Nothing was saved/);
    expect(safe.encryptString).not.toHaveBeenCalled();
    expect(filesUnder(dir)).toEqual([]);
    expect(plainTextAnywhere()).toBe(false);
  });

  it('refuses the Linux basic_text backend (and an unknown one)', () => {
    for (const backend of ['basic_text', 'unknown'] as const) {
      const safe = fakeSafeStorage({ available: true, backend });
      const store = createSafeStorageKeyStore(safe, { dir, platform: 'linux' });
      expect(store.available()).toMatchObject({ ok: false, reason: expect.stringContaining(backend) });
      expect(() => store.set('openai', CANARY)).toThrow(/No desktop keyring/);
      expect(safe.encryptString).not.toHaveBeenCalled();
    }
    expect(filesUnder(dir)).toEqual([]);
    // basic_text only matters on Linux.
    const mac = createSafeStorageKeyStore(fakeSafeStorage({ backend: 'basic_text' }), { dir, platform: 'darwin' });
    expect(mac.available()).toEqual({ ok: true });
  });

  it('stored keys are not handed out once encryption becomes unavailable', () => {
    const safe = fakeSafeStorage();
    const store = createSafeStorageKeyStore(safe, { dir, platform: 'linux' });
    store.set('openai', CANARY);
    safe.state.backend = 'basic_text';
    expect(store.get('openai')).toBeNull();
  });

  it('rejects odd key names', () => {
    const store = createSafeStorageKeyStore(fakeSafeStorage(), { dir, platform: 'linux' });
    for (const name of ['', '../x', '__proto__', 'A', 'a/b', 'x'.repeat(100)]) {
      expect(() => store.set(name, CANARY)).toThrow();
    }
    expect(filesUnder(dir)).toEqual([]);
  });
});

/**
 * Where API keys live. The desktop shell backs it with the OS keychain (Electron safeStorage);
 * the headless host with the environment or a 0600 file. Never the DB, never plain text silently.
 */
export interface KeyStore {
  /** The stored value, or null when there is none (or it cannot be read on this machine). */
  get(name: string): string | null;
  /** Stores the value; throws a clear error instead of falling back to plain text. */
  set(name: string, value: string): void;
  delete(name: string): void;
  /** Whether `set` can work here; `reason` is a sentence for the user when it cannot. */
  available(): { ok: boolean; reason?: string };
}

declare module '../core/capability' {
  interface Services {
    /** The key store in use: the Electron shell registers its safeStorage one; otherwise a 0600 file. */
    keyStore: KeyStore;
  }
}

/** A fake `electron` main-process module: records calls so tests can assert order; launches nothing. */
import { EventEmitter } from 'node:events';
import type { SafeStorage } from 'electron';
import { vi } from 'vitest';
import type { DesktopElectron } from '../../src-main/electron/desktopApp';
import type { FrameLike } from '../../src-main/electron/ipc';

export function fakeFrame(overrides: Partial<FrameLike> = {}): FrameLike {
  return {
    url: 'app://workbench/index.html',
    origin: 'app://workbench',
    parent: null,
    processId: 7,
    routingId: 1,
    ...overrides,
  };
}

export class FakeWebContents extends EventEmitter {
  mainFrame: FrameLike = fakeFrame();
  url = 'app://workbench/index.html';
  send = vi.fn();
  windowOpenHandler: ((d: { url: string }) => { action: string }) | null = null;
  session = fakeSession();
  getURL(): string {
    return this.url;
  }
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }): void {
    this.windowOpenHandler = h;
  }
}

export function fakeSession() {
  const s = {
    requestHandler: null as
      null | ((wc: unknown, permission: string, cb: (granted: boolean) => void, details: unknown) => void),
    checkHandler: null as null | ((wc: unknown, permission: string, origin: string, details: unknown) => boolean),
    setPermissionRequestHandler: vi.fn((h: typeof s.requestHandler) => {
      s.requestHandler = h;
    }),
    setPermissionCheckHandler: vi.fn((h: typeof s.checkHandler) => {
      s.checkHandler = h;
    }),
  };
  return s;
}

export interface FakeElectronOptions {
  lock?: boolean;
  isPackaged?: boolean;
  appPath?: string;
  userData?: string;
  calls?: string[];
}

export function createFakeElectron(opts: FakeElectronOptions = {}) {
  const calls = opts.calls ?? [];
  const appEvents = new EventEmitter();
  const windows: FakeBrowserWindow[] = [];

  class FakeBrowserWindow extends EventEmitter {
    readonly options: { webPreferences?: Record<string, unknown> } & Record<string, unknown>;
    readonly webContents = new FakeWebContents();
    loadedUrl: string | null = null;
    destroyed = false;
    minimized = false;
    focus = vi.fn();
    show = vi.fn();
    restore = vi.fn();
    constructor(options: FakeBrowserWindow['options']) {
      super();
      calls.push('new BrowserWindow');
      this.options = options;
      windows.push(this);
    }
    loadURL(url: string): Promise<void> {
      this.loadedUrl = url;
      return Promise.resolve();
    }
    isDestroyed(): boolean {
      return this.destroyed;
    }
    isMinimized(): boolean {
      return this.minimized;
    }
  }

  const app = {
    isPackaged: opts.isPackaged ?? false,
    requestSingleInstanceLock: vi.fn(() => {
      calls.push('requestSingleInstanceLock');
      return opts.lock ?? true;
    }),
    quit: vi.fn(() => {
      calls.push('quit');
    }),
    exit: vi.fn((code?: number) => {
      calls.push(`exit:${code}`);
    }),
    enableSandbox: vi.fn(() => {
      calls.push('enableSandbox');
    }),
    whenReady: vi.fn(() => {
      calls.push('whenReady');
      return Promise.resolve();
    }),
    getAppPath: vi.fn(() => opts.appPath ?? '/opt/triage-workbench'),
    getPath: vi.fn((name: string) => {
      calls.push(`getPath:${name}`);
      return opts.userData ?? '/nonexistent/userData';
    }),
    on(event: string, listener: (...args: unknown[]) => void) {
      appEvents.on(event, listener);
      return app;
    },
    emit: (event: string, ...args: unknown[]) => appEvents.emit(event, ...args),
    listenerCount: (event: string) => appEvents.listenerCount(event),
  };

  const ipcMain = {
    handlers: new Map<string, (...args: unknown[]) => unknown>(),
    handle: vi.fn((channel: string, fn: (...args: unknown[]) => unknown) => {
      if (ipcMain.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      ipcMain.handlers.set(channel, fn);
    }),
    removeHandler: vi.fn((channel: string) => {
      ipcMain.handlers.delete(channel);
    }),
  };

  const protocol = {
    registerSchemesAsPrivileged: vi.fn((_schemes: unknown) => {
      calls.push('registerSchemesAsPrivileged');
    }),
    handle: vi.fn((_scheme: string, _handler: unknown) => {
      calls.push('protocol.handle');
    }),
  };

  const electron = {
    app,
    BrowserWindow: FakeBrowserWindow,
    ipcMain,
    protocol,
    session: { defaultSession: fakeSession() },
    shell: { openExternal: vi.fn(async (_url: string) => undefined) },
    dialog: { showErrorBox: vi.fn() },
    safeStorage: fakeSafeStorage(),
  };
  return { electron, asElectron: electron as unknown as DesktopElectron, calls, windows };
}

/** Reversible stand-in for OS encryption: the ciphertext never contains the plain text. */
type Backend = ReturnType<SafeStorage['getSelectedStorageBackend']>;

export function fakeSafeStorage(opts: { available?: boolean; backend?: Backend } = {}) {
  const state: { available: boolean; backend: Backend } = {
    available: opts.available ?? true,
    backend: opts.backend ?? 'gnome_libsecret',
  };
  return {
    state,
    isEncryptionAvailable: vi.fn(() => state.available),
    getSelectedStorageBackend: vi.fn(() => state.backend),
    encryptString: vi.fn((plain: string) =>
      Buffer.concat([Buffer.from('v10'), Buffer.from(plain, 'utf8').map((b) => b ^ 0x5a)]),
    ),
    decryptString: vi.fn((buf: Buffer) => {
      if (buf.subarray(0, 3).toString() !== 'v10') throw new Error('bad ciphertext');
      return Buffer.from(buf.subarray(3).map((b) => b ^ 0x5a)).toString('utf8');
    }),
  };
}

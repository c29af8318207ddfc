import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkbenchError } from '../../src-main/contract/index';
import { EventBus } from '../../src-main/core/eventBus';
import { createWorkbench, type Workbench, type WorkbenchOptions } from '../../src-main/core/workbench';
import { INVOKE_CHANNEL } from '../../src-main/electron/channels';
import { rendererEntry, startDesktopApp } from '../../src-main/electron/desktopApp';
import { createFakeElectron, FakeWebContents } from './fakeElectron';

let userData: string;
beforeEach(() => {
  userData = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-electron-app-'));
});
afterEach(() => {
  vi.doUnmock('electron');
  fs.rmSync(userData, { recursive: true, force: true });
});

/** A stand-in workbench that records when it was created and closed. */
function recordingWorkbench(calls: string[]) {
  const services = new Map<string, unknown>();
  const wb = {
    dataDir: userData,
    bus: new EventBus(),
    log: { info: vi.fn(), warn: vi.fn(), error: vi.fn() },
    services: { get: (n: string) => services.get(n), set: (n: string, v: unknown) => services.set(n, v) },
    invoke: vi.fn(async () => ({ ok: true as const, value: 'ok' })),
    close: vi.fn(async () => {
      calls.push('workbench.close');
    }),
  };
  const create = vi.fn(async (opts: WorkbenchOptions) => {
    calls.push('createWorkbench');
    expect(opts).toEqual({ dataDir: userData, host: 'electron' });
    return wb as unknown as Workbench;
  });
  return { wb, services, create };
}

describe('desktop lifecycle (E14 and wiring)', () => {
  it('takes the single-instance lock before the workspace is opened, then wires everything', async () => {
    const { asElectron, electron, calls, windows } = createFakeElectron({ userData, appPath: '/opt/tw' });
    const { create, services } = recordingWorkbench(calls);
    const shell = await startDesktopApp(asElectron, { createWorkbench: create, env: {} });
    expect(shell).not.toBeNull();

    const at = (name: string) => calls.indexOf(name);
    expect(at('requestSingleInstanceLock')).toBe(0);
    expect(at('requestSingleInstanceLock')).toBeLessThan(at('createWorkbench'));
    expect(at('requestSingleInstanceLock')).toBeLessThan(at('getPath:userData'));
    expect(at('registerSchemesAsPrivileged')).toBeLessThan(at('whenReady'));
    expect(at('enableSandbox')).toBeLessThan(at('whenReady'));
    expect(at('whenReady')).toBeLessThan(at('protocol.handle'));
    expect(at('createWorkbench')).toBeLessThan(at('new BrowserWindow'));

    // One window, secure preferences, loading our protocol.
    expect(windows).toHaveLength(1);
    expect(windows[0]!.options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      devTools: true,
      preload: '/opt/tw/out/preload/index.cjs',
    });
    expect(windows[0]!.loadedUrl).toBe('app://workbench/index.html');
    expect(electron.protocol.handle).toHaveBeenCalledWith('app', expect.any(Function));
    expect(electron.session.defaultSession.requestHandler).not.toBeNull();
    expect(electron.session.defaultSession.checkHandler).not.toBeNull();
    // One IPC channel; the safeStorage key store replaces the headless one.
    expect([...electron.ipcMain.handlers.keys()]).toEqual([INVOKE_CHANNEL]);
    expect(services.get('keyStore')).toBe(shell!.keyStore);
  });

  it('a second instance quits without opening the DB', async () => {
    const { asElectron, electron, calls, windows } = createFakeElectron({ lock: false, userData });
    const { create } = recordingWorkbench(calls);
    expect(await startDesktopApp(asElectron, { createWorkbench: create })).toBeNull();
    expect(calls).toEqual(['requestSingleInstanceLock', 'quit']);
    expect(create).not.toHaveBeenCalled();
    expect(electron.app.getPath).not.toHaveBeenCalled();
    expect(windows).toHaveLength(0);
    expect(electron.ipcMain.handle).not.toHaveBeenCalled();
    expect(fs.readdirSync(userData)).toEqual([]);
  });

  it('the real entry (main.ts) also quits a second instance before any DB work', async () => {
    const { electron, calls } = createFakeElectron({ lock: false, userData });
    vi.resetModules();
    vi.doMock('electron', () => ({ ...electron, utilityProcess: { fork: vi.fn() }, default: electron }));
    await import('../../src-main/electron/main');
    await vi.waitFor(() => expect(calls).toContain('quit'));
    expect(calls).toEqual(['requestSingleInstanceLock', 'quit']);
    expect(fs.readdirSync(userData)).toEqual([]);
  });

  it('second-instance focuses the existing window', async () => {
    const { asElectron, electron, calls, windows } = createFakeElectron({ userData });
    const { create } = recordingWorkbench(calls);
    await startDesktopApp(asElectron, { createWorkbench: create, env: {} });
    windows[0]!.minimized = true;
    electron.app.emit('second-instance', {}, ['--flag'], '/');
    expect(windows[0]!.restore).toHaveBeenCalled();
    expect(windows[0]!.focus).toHaveBeenCalled();
  });

  it('every web contents created gets the hardening', async () => {
    const { asElectron, electron, calls } = createFakeElectron({ userData });
    const { create } = recordingWorkbench(calls);
    await startDesktopApp(asElectron, { createWorkbench: create, env: {} });
    const contents = new FakeWebContents();
    electron.app.emit('web-contents-created', {}, contents);
    for (const event of ['will-navigate', 'will-redirect', 'will-frame-navigate', 'will-attach-webview']) {
      expect([event, contents.listenerCount(event)]).toEqual([event, 1]);
    }
    expect(contents.windowOpenHandler?.({ url: 'https://evil.tld/' })).toEqual({ action: 'deny' });
    const e = { url: 'file:///etc/passwd', preventDefault: vi.fn() };
    contents.emit('will-navigate', e);
    expect(e.preventDefault).toHaveBeenCalled();
    expect(contents.session.requestHandler).not.toBeNull();
  });

  it('quitting closes the workspace first, then quits for real', async () => {
    const { asElectron, electron, calls } = createFakeElectron({ userData });
    const { create, wb } = recordingWorkbench(calls);
    await startDesktopApp(asElectron, { createWorkbench: create, env: {} });
    const first = { preventDefault: vi.fn() };
    electron.app.emit('will-quit', first);
    expect(first.preventDefault).toHaveBeenCalled();
    electron.app.emit('will-quit', { preventDefault: vi.fn() }); // a second request while closing
    await vi.waitFor(() => expect(calls).toContain('quit'));
    expect(wb.close).toHaveBeenCalledTimes(1);
    expect(calls.indexOf('workbench.close')).toBeLessThan(calls.lastIndexOf('quit'));
    expect(electron.ipcMain.handlers.size).toBe(0);
    const last = { preventDefault: vi.fn() };
    electron.app.emit('will-quit', last);
    expect(last.preventDefault).not.toHaveBeenCalled();
  });

  it('a workspace that cannot open is reported and the app exits', async () => {
    const { asElectron, electron, windows } = createFakeElectron({ userData });
    const failing = vi.fn(async () => {
      throw new WorkbenchError('db_too_new', 'This workspace was made by a newer version of the workbench.');
    });
    const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    expect(await startDesktopApp(asElectron, { createWorkbench: failing, env: {}, log })).toBeNull();
    expect(log.error).toHaveBeenCalledWith('workspace failed to open', expect.anything());
    expect(electron.dialog.showErrorBox).toHaveBeenCalledWith(
      expect.any(String),
      'This workspace was made by a newer version of the workbench.',
    );
    expect(electron.app.exit).toHaveBeenCalledWith(1);
    expect(windows).toHaveLength(0);
  });

  it('runs end to end on a real workspace in userData', async () => {
    const { asElectron, electron, windows } = createFakeElectron({ userData });
    const shell = await startDesktopApp(asElectron, {
      createWorkbench: (opts) => createWorkbench({ ...opts, seed: false }),
      env: {},
    });
    expect(fs.existsSync(path.join(userData, 'workbench.db'))).toBe(true);
    const win = windows[0]!;
    const handler = electron.ipcMain.handlers.get(INVOKE_CHANNEL)!;
    const ok = await handler({ sender: win.webContents, senderFrame: win.webContents.mainFrame }, 'app.info', {});
    expect(ok).toMatchObject({ ok: true, value: { host: 'electron' } });
    const refused = await handler({ sender: win.webContents, senderFrame: null }, 'app.info', {});
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    electron.app.emit('will-quit', { preventDefault: vi.fn() });
    await vi.waitFor(() => expect(electron.app.quit).toHaveBeenCalled());
    expect(shell!.workbench.db.open).toBe(false);
  });
});

describe('renderer entry', () => {
  it('uses app://workbench unless unpackaged with a loopback dev server', () => {
    const bundled = { origin: 'app://workbench', url: 'app://workbench/index.html' };
    expect(rendererEntry(true, {})).toEqual(bundled);
    expect(rendererEntry(true, { ELECTRON_RENDERER_URL: 'http://localhost:5173' })).toEqual(bundled);
    expect(rendererEntry(false, { ELECTRON_RENDERER_URL: 'http://localhost:5173/' })).toEqual({
      origin: 'http://localhost:5173',
      url: 'http://localhost:5173/',
    });
    expect(rendererEntry(false, { ELECTRON_RENDERER_URL: 'https://evil.tld/' })).toEqual(bundled);
    expect(rendererEntry(false, { ELECTRON_RENDERER_URL: 'http://localhost.evil.tld:5173/' })).toEqual(bundled);
    expect(rendererEntry(false, { ELECTRON_RENDERER_URL: 'not a url' })).toEqual(bundled);
  });
});

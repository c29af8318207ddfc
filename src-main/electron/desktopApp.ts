import path from 'node:path';
import type * as ElectronModule from 'electron';
import { toErrorPayload } from '../contract/index';
import { createLogger, type Logger } from '../core/logger';
import { createWorkbench as realCreateWorkbench, type Workbench } from '../core/workbench';
import type { KeyStore } from '../secrets/keyStore';
import { APP_ORIGIN } from './channels';
import { hardenSession, hardenWebContents, type HardeningOptions } from './hardenWebContents';
import { registerIpc } from './ipc';
import { registerAppProtocol, registerAppScheme } from './protocol';
import { createSafeStorageKeyStore } from './safeStorageKeyStore';
import { setDefaultWorkerLauncher } from '../runtime/local/workerClient';
import { utilityProcessLauncher } from './utilityLauncher';
import { createMainWindow, preloadPathFor } from './windowOptions';

/** The parts of the electron module the shell uses; tests pass a fake with the same shape. */
export type DesktopElectron = Pick<
  typeof ElectronModule,
  'app' | 'BrowserWindow' | 'dialog' | 'ipcMain' | 'protocol' | 'safeStorage' | 'session' | 'shell'
> &
  Partial<Pick<typeof ElectronModule, 'utilityProcess'>>;

export interface DesktopDeps {
  createWorkbench?: typeof realCreateWorkbench;
  env?: Record<string, string | undefined>;
  /** Where start-up problems go before the workspace log exists (default: stderr). */
  log?: Logger;
}

export interface DesktopApp {
  workbench: Workbench;
  keyStore: KeyStore;
  getWindow(): ElectronModule.BrowserWindow | null;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * What the window loads and the one origin it trusts: app://workbench, or electron-vite's dev
 * server when running unpackaged with ELECTRON_RENDERER_URL on loopback http.
 */
export function rendererEntry(
  isPackaged: boolean,
  env: Record<string, string | undefined>,
): { origin: string; url: string } {
  const dev = isPackaged ? undefined : env.ELECTRON_RENDERER_URL;
  if (dev) {
    try {
      const u = new URL(dev);
      if (u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname)) return { origin: u.origin, url: u.href };
    } catch {
      // fall through to the bundled renderer
    }
  }
  return { origin: APP_ORIGIN, url: `${APP_ORIGIN}/index.html` };
}

function focusWindow(win: ElectronModule.BrowserWindow | null): void {
  if (!win || win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

/**
 * The desktop app's lifecycle. The single-instance lock comes first, before the workspace DB is
 * opened; a second instance hands over to the first and quits without touching the DB.
 * Resolves to null when this process is not the one that runs the app.
 */
export async function startDesktopApp(electron: DesktopElectron, deps: DesktopDeps = {}): Promise<DesktopApp | null> {
  const { app } = electron;
  const createWorkbench = deps.createWorkbench ?? realCreateWorkbench;
  const env = deps.env ?? process.env;

  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }

  // Before ready: the privileged scheme, and the sandbox for every renderer.
  registerAppScheme(electron.protocol);
  app.enableSandbox();

  const entry = rendererEntry(app.isPackaged, env);
  let log: Logger = deps.log ?? createLogger(null, { echo: true });
  let mainWindow: ElectronModule.BrowserWindow | null = null;

  const hardening: HardeningOptions = {
    appOrigin: entry.origin,
    openExternal: (url) => electron.shell.openExternal(url),
    onRefused: (what, url) => log.warn('refused in renderer', { what, url: url.slice(0, 200) }),
  };
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, hardening));
  app.on('second-instance', () => focusWindow(mainWindow));
  app.on('window-all-closed', () => app.quit());

  await app.whenReady();
  hardenSession(electron.session.defaultSession);
  const appPath = app.getAppPath();
  registerAppProtocol(electron.protocol, path.join(appPath, 'out', 'renderer'));

  const userData = app.getPath('userData');
  // Model workers run as utility processes (RunAsNode is fused off, so no child_process.fork from main).
  if (electron.utilityProcess) setDefaultWorkerLauncher(utilityProcessLauncher(electron.utilityProcess, log));
  let workbench: Workbench;
  try {
    workbench = await createWorkbench({ dataDir: userData, host: 'electron' });
  } catch (err) {
    log.error('workspace failed to open', { error: String((err as Error)?.stack ?? err) });
    electron.dialog.showErrorBox('Triage Workbench could not open its workspace', toErrorPayload(err).message);
    app.exit(1);
    return null;
  }
  log = workbench.log;
  // API keys go to the OS keychain here, not the headless 0600 file; handlers look the store up per call.
  const keyStore = createSafeStorageKeyStore(electron.safeStorage, { dir: path.join(userData, 'secrets') });
  workbench.services.set('keyStore', keyStore);

  const unregisterIpc = registerIpc(electron.ipcMain, workbench, {
    getWindow: () => mainWindow,
    appOrigin: entry.origin,
    onRefused: (reason) => log.warn('ipc refused', { reason }),
  });

  mainWindow = createMainWindow(electron, { preloadPath: preloadPathFor(appPath), isPackaged: app.isPackaged });
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  mainWindow.loadURL(entry.url).catch((err: unknown) => log.error('renderer failed to load', { error: String(err) }));

  // Quit waits for the workspace to close (capabilities stopped, DB closed), then quits for real.
  let closed = false;
  let closing = false;
  app.on('will-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    if (closing) return;
    closing = true;
    unregisterIpc();
    workbench
      .close()
      .catch((err: unknown) => log.error('workspace close failed', { error: String(err) }))
      .finally(() => {
        closed = true;
        app.quit();
      });
  });

  return { workbench, keyStore, getWindow: () => mainWindow };
}

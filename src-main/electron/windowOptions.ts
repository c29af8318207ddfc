import path from 'node:path';
import type { BrowserWindow as ElectronWindow, BrowserWindowConstructorOptions, WebPreferences } from 'electron';

export interface WindowOptionsInput {
  /** Absolute path of the built preload (out/preload/index.cjs). */
  preloadPath: string;
  /** app.isPackaged: DevTools are off in packaged builds. */
  isPackaged: boolean;
}

/** Where electron-vite writes the preload, relative to app.getAppPath(). */
export function preloadPathFor(appPath: string): string {
  return path.join(appPath, 'out', 'preload', 'index.cjs');
}

/** The renderer's webPreferences: exactly Electron's security checklist, nothing more. */
export function secureWebPreferences(input: WindowOptionsInput): WebPreferences {
  return {
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    devTools: !input.isPackaged,
    preload: input.preloadPath,
  };
}

export function mainWindowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Triage Workbench',
    backgroundColor: '#111318',
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(input),
  };
}

/** The one window factory: the only place in the code base that constructs a BrowserWindow. */
export function createMainWindow(
  electron: { BrowserWindow: typeof ElectronWindow },
  input: WindowOptionsInput,
): ElectronWindow {
  const { BrowserWindow } = electron;
  const win = new BrowserWindow(mainWindowOptions(input));
  win.once('ready-to-show', () => win.show());
  return win;
}

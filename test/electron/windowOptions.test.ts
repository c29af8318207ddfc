import { describe, expect, it } from 'vitest';
import {
  createMainWindow,
  mainWindowOptions,
  preloadPathFor,
  secureWebPreferences,
} from '../../src-main/electron/windowOptions';
import { createFakeElectron } from './fakeElectron';

const PRELOAD = '/opt/tw/out/preload/index.cjs';

const SECURE = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
};

describe('window factory (E1, E2)', () => {
  it('webPreferences are exactly the secure set; DevTools only when not packaged', () => {
    expect(secureWebPreferences({ preloadPath: PRELOAD, isPackaged: true })).toStrictEqual({
      ...SECURE,
      devTools: false,
      preload: PRELOAD,
    });
    expect(secureWebPreferences({ preloadPath: PRELOAD, isPackaged: false })).toStrictEqual({
      ...SECURE,
      devTools: true,
      preload: PRELOAD,
    });
  });

  it('the factory passes those preferences to the one BrowserWindow it creates', () => {
    const { electron, windows } = createFakeElectron();
    const win = createMainWindow(electron as never, { preloadPath: PRELOAD, isPackaged: true });
    expect(windows).toHaveLength(1);
    expect(win).toBe(windows[0]);
    const options = windows[0]!.options;
    expect(options).toStrictEqual(mainWindowOptions({ preloadPath: PRELOAD, isPackaged: true }));
    expect(options.webPreferences).toStrictEqual({ ...SECURE, devTools: false, preload: PRELOAD });
    expect(Object.keys(options.webPreferences ?? {})).not.toContain('enableBlinkFeatures');
    expect(Object.keys(options.webPreferences ?? {})).not.toContain('experimentalFeatures');
    // Shown once painted, not before.
    expect(options.show).toBe(false);
    windows[0]!.emit('ready-to-show');
    expect(windows[0]!.show).toHaveBeenCalledTimes(1);
  });

  it('the preload is the CommonJS bundle electron-vite writes', () => {
    expect(preloadPathFor('/opt/tw')).toBe(PRELOAD);
  });
});

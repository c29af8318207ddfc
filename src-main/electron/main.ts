/** Electron main entry (out/main/index.js). All logic is in desktopApp.ts, tested with a fake electron. */
import { app, BrowserWindow, dialog, ipcMain, protocol, safeStorage, session, shell, utilityProcess } from 'electron';
import { startDesktopApp } from './desktopApp';

startDesktopApp({ app, BrowserWindow, dialog, ipcMain, protocol, safeStorage, session, shell, utilityProcess }).catch(
  (err: unknown) => {
    console.error('Triage Workbench failed to start:', err);
    app.exit(1);
  },
);

/**
 * The sandboxed preload (built as CommonJS to out/preload/index.cjs). It exposes one object,
 * `window.workbench`, with three named functions; never ipcRenderer, require, process or a raw send.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { BRIDGE_KEY, isCommandName, isEventName, type InvokeResult, type WorkbenchBridge } from '../contract/index';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './channels';

function unknownCommand(name: unknown): InvokeResult<never> {
  const shown = typeof name === 'string' ? name.slice(0, 80) : typeof name;
  return { ok: false, error: { code: 'unknown_command', message: `Unknown command: ${shown}` } };
}

const bridge: WorkbenchBridge = {
  invoke(name, args) {
    if (!isCommandName(name)) return Promise.resolve(unknownCommand(name));
    return ipcRenderer.invoke(INVOKE_CHANNEL, name, args);
  },
  on(name, cb) {
    if (!isEventName(name)) throw new TypeError(`Unknown event: ${String(name).slice(0, 80)}`);
    if (typeof cb !== 'function') throw new TypeError('on() needs a callback');
    // Only the payload reaches the page: the IPC event (and its sender) never does.
    const listener = (_event: unknown, message: unknown) => {
      const m = message as { name?: unknown; payload?: unknown } | null;
      if (m && m.name === name) cb(m.payload as Parameters<typeof cb>[0]);
    };
    ipcRenderer.on(EVENT_CHANNEL, listener);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, listener);
    };
  },
  pathForFile(file) {
    // Only a real File the user picked has a path; anything else is refused by Electron with an error.
    return webUtils.getPathForFile(file as Parameters<typeof webUtils.getPathForFile>[0]);
  },
};

contextBridge.exposeInMainWorld(BRIDGE_KEY, bridge);

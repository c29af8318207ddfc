import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../../src-main/electron/channels';
import type { WorkbenchBridge } from '../../src-main/contract/index';

class FakeIpcRenderer extends EventEmitter {
  invoke = vi.fn(async (..._args: unknown[]) => ({ ok: true, value: 'from-main' }));
  send = vi.fn();
  sendSync = vi.fn();
}

let exposed: Map<string, unknown>;
let ipcRenderer: FakeIpcRenderer;
const webUtils = { getPathForFile: vi.fn((file: { fakePath?: string }) => file.fakePath ?? '') };

async function loadPreload(): Promise<WorkbenchBridge> {
  vi.resetModules();
  exposed = new Map();
  ipcRenderer = new FakeIpcRenderer();
  const contextBridge = {
    exposeInMainWorld: vi.fn((key: string, api: unknown) => {
      exposed.set(key, api);
    }),
  };
  vi.doMock('electron', () => ({
    contextBridge,
    ipcRenderer,
    webUtils,
    default: { contextBridge, ipcRenderer, webUtils },
  }));
  await import('../../src-main/electron/preload');
  expect(contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
  return exposed.get('workbench') as WorkbenchBridge;
}

let bridge: WorkbenchBridge;
beforeEach(async () => {
  bridge = await loadPreload();
});
afterEach(() => {
  vi.doUnmock('electron');
});

/** Every value reachable from the exposed object (own properties, depth-first). */
function reachable(value: unknown, seen = new Set<unknown>()): unknown[] {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return [];
  seen.add(value);
  const out: unknown[] = [value];
  for (const key of Reflect.ownKeys(value as object)) {
    const d = Object.getOwnPropertyDescriptor(value as object, key);
    if (d && 'value' in d) out.push(...reachable(d.value, seen));
  }
  return out;
}

describe('preload (E8)', () => {
  it('exposes exactly one key, workbench, with exactly invoke, on and pathForFile', () => {
    expect([...exposed.keys()]).toEqual(['workbench']);
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'on', 'pathForFile']);
    expect(typeof bridge.invoke).toBe('function');
    expect(typeof bridge.on).toBe('function');
  });

  it('pathForFile only asks Electron for the path of a picked file', () => {
    expect(bridge.pathForFile!({ fakePath: '/home/analyst/cloudtrail.json' })).toBe('/home/analyst/cloudtrail.json');
    expect(webUtils.getPathForFile).toHaveBeenCalledTimes(1);
  });

  it('never exposes ipcRenderer, require, process or a generic send', () => {
    const everything = reachable(bridge);
    expect(everything).not.toContain(ipcRenderer);
    expect(everything).not.toContain(ipcRenderer.send);
    expect(everything).not.toContain(ipcRenderer.invoke);
    expect(everything).not.toContain(process);
    const keys = everything.flatMap((v) => Reflect.ownKeys(v as object).map(String));
    for (const banned of ['ipcRenderer', 'require', 'process', 'send', 'sendSync', 'emit'])
      expect(keys).not.toContain(banned);
  });

  it('invoke forwards contract commands on the one invoke channel', async () => {
    const result = await bridge.invoke('conversations.create', { title: 'x' });
    expect(result).toEqual({ ok: true, value: 'from-main' });
    expect(ipcRenderer.invoke).toHaveBeenCalledWith(INVOKE_CHANNEL, 'conversations.create', { title: 'x' });
  });

  it('invoke refuses names that are not in the contract without touching IPC', async () => {
    const call = bridge.invoke as (name: unknown, args: unknown) => Promise<unknown>;
    for (const name of ['nope.nothing', '__proto__', 'constructor', 'toString', '', 42, null, { name: 'app.info' }]) {
      expect(await call(name, {})).toMatchObject({ ok: false, error: { code: 'unknown_command' } });
    }
    expect(ipcRenderer.invoke).not.toHaveBeenCalled();
  });

  it('on delivers only the payload of the named event and returns an unsubscribe function', () => {
    const seen: unknown[][] = [];
    const off = bridge.on('settings.changed', (...args: unknown[]) => seen.push(args));
    expect(typeof off).toBe('function');
    expect(ipcRenderer.listenerCount(EVENT_CHANNEL)).toBe(1);
    const ipcEvent = { sender: ipcRenderer, senderId: 0 };
    ipcRenderer.emit(EVENT_CHANNEL, ipcEvent, { name: 'settings.changed', payload: { key: 'ui.theme' } });
    ipcRenderer.emit(EVENT_CHANNEL, ipcEvent, { name: 'audit.appended', payload: { action: 'x', subject: null } });
    ipcRenderer.emit(EVENT_CHANNEL, ipcEvent, null);
    ipcRenderer.emit(EVENT_CHANNEL, ipcEvent, 'garbage');
    expect(seen).toEqual([[{ key: 'ui.theme' }]]);
    off();
    expect(ipcRenderer.listenerCount(EVENT_CHANNEL)).toBe(0);
    ipcRenderer.emit(EVENT_CHANNEL, ipcEvent, { name: 'settings.changed', payload: { key: 'later' } });
    expect(seen).toHaveLength(1);
  });

  it('on refuses event names that are not in the contract', () => {
    const on = bridge.on as (name: unknown, cb: unknown) => () => void;
    for (const name of ['nope', '__proto__', 'hasOwnProperty', 'tw:event', 42]) {
      expect(() => on(name, () => undefined)).toThrow(/Unknown event/);
    }
    expect(() => on('settings.changed', 'not a function')).toThrow(TypeError);
    expect(ipcRenderer.listenerCount(EVENT_CHANNEL)).toBe(0);
  });
});

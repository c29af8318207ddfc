import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import type { InvokeResult } from '../../src-main/core/dispatcher';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../../src-main/electron/channels';
import {
  guardIpcHandler,
  registerIpc,
  senderRefusal,
  type SenderEvent,
  type SenderPolicy,
} from '../../src-main/electron/ipc';
import { createFakeElectron, fakeFrame, FakeWebContents } from './fakeElectron';

let wb: Workbench;
let dir: string;
let win: { isDestroyed(): boolean; webContents: FakeWebContents };
let policy: SenderPolicy;
let invoke: Mock<(name: unknown, args: unknown) => Promise<InvokeResult>>;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-electron-ipc-'));
  wb = await createWorkbench({ dataDir: dir, host: 'electron', seed: false, actor: 'tester' });
  win = { isDestroyed: () => false, webContents: new FakeWebContents() };
  policy = { getWindow: () => win, appOrigin: 'app://workbench', onRefused: vi.fn() };
  invoke = vi.fn((name: unknown, args: unknown) => wb.invoke(name, args));
});

afterEach(async () => {
  await wb.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function handler() {
  return guardIpcHandler(policy, (name, args) => invoke(name, args));
}

function goodEvent() {
  return { sender: win.webContents, senderFrame: win.webContents.mainFrame };
}

function auditCount(): number {
  return (wb.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
}

const FORBIDDEN = {
  ok: false,
  error: { code: 'forbidden', message: 'This request did not come from the workbench window.' },
};

describe('IPC wrapper (E7)', () => {
  it('passes valid calls through to the real workbench', async () => {
    const h = handler();
    const info = await h(goodEvent(), 'app.info', {});
    expect(info).toMatchObject({ ok: true, value: { host: 'electron' } });
    const created = await h(goodEvent(), 'conversations.create', { title: 'Beaconing to a rare domain' });
    expect(created).toMatchObject({ ok: true, value: { title: 'Beaconing to a rare domain', task: 'triage' } });
    expect(invoke).toHaveBeenCalledWith('conversations.create', { title: 'Beaconing to a rare domain' });
    expect(auditCount()).toBe(1);
  });

  const refusals: [string, () => SenderEvent][] = [
    ['a null sender frame', () => ({ sender: win.webContents, senderFrame: null })],
    [
      'a subframe',
      () => ({ sender: win.webContents, senderFrame: fakeFrame({ parent: win.webContents.mainFrame, routingId: 2 }) }),
    ],
    [
      'a subframe that claims our origin',
      () => ({ sender: win.webContents, senderFrame: fakeFrame({ parent: fakeFrame() }) }),
    ],
    [
      'a top frame that is not our window’s',
      () => ({ sender: win.webContents, senderFrame: fakeFrame({ processId: 99, routingId: 5 }) }),
    ],
    ['another web contents', () => ({ sender: new FakeWebContents(), senderFrame: fakeFrame() })],
    [
      'a foreign origin',
      () => ({
        sender: win.webContents,
        senderFrame: fakeFrame({ origin: 'https://evil.tld', url: 'https://evil.tld/' }),
      }),
    ],
    [
      'a look-alike origin',
      () => ({
        sender: win.webContents,
        senderFrame: fakeFrame({ origin: 'app://workbench.evil.tld', url: 'app://workbench.evil.tld/' }),
      }),
    ],
    [
      'an origin that does not match its URL',
      () => ({ sender: win.webContents, senderFrame: fakeFrame({ url: 'file:///etc/passwd' }) }),
    ],
    [
      'a file: page',
      () => ({ sender: win.webContents, senderFrame: fakeFrame({ origin: 'file://', url: 'file:///tmp/x.html' }) }),
    ],
  ];
  for (const [what, event] of refusals) {
    it(`refuses ${what} before any handler runs`, async () => {
      const before = auditCount();
      const result = await handler()(event(), 'conversations.create', { title: 'should not exist' });
      expect(result).toEqual(FORBIDDEN);
      expect(invoke).not.toHaveBeenCalled();
      expect(policy.onRefused).toHaveBeenCalledTimes(1);
      expect(auditCount()).toBe(before);
    });
  }

  it('refuses when the window is gone', async () => {
    policy.getWindow = () => null;
    expect(await handler()(goodEvent(), 'app.info', {})).toEqual(FORBIDDEN);
    win.isDestroyed = () => true;
    policy.getWindow = () => win;
    expect(senderRefusal(goodEvent(), policy)).toMatch(/window/);
  });

  it('unknown commands and invalid payloads come back as {code, message} with no stack or paths', async () => {
    const h = handler();
    const results = [
      await h(goodEvent(), 'nope.nothing', {}),
      await h(goodEvent(), { toString: () => 'x' }, {}),
      await h(goodEvent(), 'conversations.create', { title: 42 }),
      await h(goodEvent(), 'conversations.create', { title: 'x', evil: true }),
      await h(goodEvent(), 'conversations.create', 'not an object'),
      await h(goodEvent(), 'conversations.get', { id: -1 }),
      await h(goodEvent(), 'conversations.get', { id: 987654 }),
    ];
    const codes = results.map((r) => (r.ok ? 'ok' : r.error.code));
    expect(codes).toEqual([
      'unknown_command',
      'unknown_command',
      'invalid_request',
      'invalid_request',
      'invalid_request',
      'invalid_request',
      'not_found',
    ]);
    for (const r of results) {
      if (r.ok) throw new Error('expected an error');
      expect(Object.keys(r).sort()).toEqual(['error', 'ok']);
      expect(Object.keys(r.error).sort()).toEqual(['code', 'message']);
      const text = JSON.stringify(r);
      expect(text).not.toContain(dir);
      expect(text).not.toMatch(/\n\s+at |\.ts:\d+|node_modules|\/tmp\//);
    }
    expect(auditCount()).toBe(0);
  });

  it('a handler that throws comes back as a generic internal error', async () => {
    const h = guardIpcHandler(policy, async () => {
      throw new Error(`boom in ${dir}/workbench.db`);
    });
    const r = await h(goodEvent());
    expect(r).toEqual({ ok: false, error: { code: 'internal', message: expect.any(String) } });
    expect(JSON.stringify(r)).not.toContain(dir);
  });
});

describe('IPC registration', () => {
  it('registers one invoke channel and forwards bus events on one event channel', async () => {
    const { electron } = createFakeElectron();
    const undo = registerIpc(electron.ipcMain as never, wb, policy);
    expect([...electron.ipcMain.handlers.keys()]).toEqual([INVOKE_CHANNEL]);
    const h = electron.ipcMain.handlers.get(INVOKE_CHANNEL)!;
    expect(await h(goodEvent(), 'app.info', {})).toMatchObject({ ok: true });
    expect(await h({ sender: win.webContents, senderFrame: null }, 'app.info', {})).toEqual(FORBIDDEN);

    wb.bus.emit('settings.changed', { key: 'ui.theme' });
    expect(win.webContents.send).toHaveBeenCalledWith(EVENT_CHANNEL, {
      name: 'settings.changed',
      payload: { key: 'ui.theme' },
    });

    // Never pushed to a page that is not ours.
    win.webContents.send.mockClear();
    win.webContents.url = 'https://evil.tld/';
    wb.bus.emit('settings.changed', { key: 'ui.theme' });
    expect(win.webContents.send).not.toHaveBeenCalled();

    win.webContents.url = 'app://workbench/index.html';
    undo();
    expect(electron.ipcMain.handlers.size).toBe(0);
    wb.bus.emit('settings.changed', { key: 'ui.theme' });
    expect(win.webContents.send).not.toHaveBeenCalled();
  });
});

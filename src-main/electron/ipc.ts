import type { IpcMain } from 'electron';
import type { ErrorPayload } from '../contract/index';
import type { InvokeResult } from '../core/dispatcher';
import type { Workbench } from '../core/workbench';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './channels';
import { isAppUrl } from './navigation';

/** The parts of WebFrameMain the sender check reads. */
export interface FrameLike {
  readonly url: string;
  readonly origin: string;
  readonly parent: FrameLike | null;
  readonly processId: number;
  readonly routingId: number;
}

export interface WindowLike {
  isDestroyed(): boolean;
  readonly webContents: {
    readonly mainFrame: FrameLike;
    getURL(): string;
    send(channel: string, ...args: unknown[]): void;
  };
}

export interface SenderEvent {
  readonly senderFrame: FrameLike | null;
  readonly sender: unknown;
}

export interface SenderPolicy {
  /** The workbench window; IPC from any other web contents is refused. */
  getWindow(): WindowLike | null;
  /** Serialized origin of our pages: app://workbench (or the dev server's origin in development). */
  appOrigin: string;
  onRefused?: (reason: string) => void;
}

const FORBIDDEN: ErrorPayload = { code: 'forbidden', message: 'This request did not come from the workbench window.' };
const INTERNAL: ErrorPayload = {
  code: 'internal',
  message: 'Something went wrong inside the workbench. Details are in the local log.',
};

/** Why a message must be refused, or null when it comes from the top frame of our window on our origin. */
export function senderRefusal(event: SenderEvent, policy: SenderPolicy): string | null {
  const frame = event.senderFrame;
  if (!frame) return 'no sender frame (navigated away or destroyed)';
  const win = policy.getWindow();
  if (!win || win.isDestroyed()) return 'no workbench window';
  if (event.sender !== win.webContents) return 'sender is not the workbench window';
  const top = win.webContents.mainFrame;
  if (frame.parent !== null || frame.processId !== top.processId || frame.routingId !== top.routingId) {
    return 'sender is not the top frame';
  }
  if (frame.origin !== policy.appOrigin || !isAppUrl(frame.url, policy.appOrigin)) return 'sender origin is not ours';
  return null;
}

/**
 * The one wrapper every IPC handler goes through: the sender is checked before the handler
 * sees anything, and what comes back is always `{ok, value}` or `{ok:false, error:{code, message}}`.
 */
export function guardIpcHandler(
  policy: SenderPolicy,
  handler: (...args: unknown[]) => Promise<InvokeResult>,
): (event: SenderEvent, ...args: unknown[]) => Promise<InvokeResult> {
  return async (event, ...args) => {
    const reason = senderRefusal(event, policy);
    if (reason) {
      policy.onRefused?.(reason);
      return { ok: false, error: FORBIDDEN };
    }
    try {
      return await handler(...args);
    } catch {
      return { ok: false, error: INTERNAL };
    }
  };
}

/** Pushes every bus event to the window's top frame, only while it shows one of our pages. */
export function forwardEvents(bus: Pick<Workbench['bus'], 'onAny'>, policy: SenderPolicy): () => void {
  return bus.onAny((name, payload) => {
    const win = policy.getWindow();
    if (!win || win.isDestroyed()) return;
    if (!isAppUrl(win.webContents.getURL(), policy.appOrigin)) return;
    win.webContents.send(EVENT_CHANNEL, { name, payload });
  });
}

/** Wires the contract onto IPC: one invoke channel, one event channel. Returns the undo. */
export function registerIpc(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  workbench: Pick<Workbench, 'invoke' | 'bus'>,
  policy: SenderPolicy,
): () => void {
  // zod validation, unknown names and error scrubbing happen in workbench.invoke (the dispatcher).
  ipcMain.handle(
    INVOKE_CHANNEL,
    guardIpcHandler(policy, (name, args) => workbench.invoke(name, args)),
  );
  const stopEvents = forwardEvents(workbench.bus, policy);
  return () => {
    ipcMain.removeHandler(INVOKE_CHANNEL);
    stopEvents();
  };
}

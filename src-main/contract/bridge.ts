/**
 * What the renderer sees as `window.workbench` in the desktop app (exposed by the preload).
 * The headless host's HTTP client implements the same interface, so pages never know which they have.
 */
import type { CommandName } from './commands/index';
import type { CommandRequest, CommandResponse } from './index';
import type { ErrorPayload } from './errors';
import { events, type EventName, type EventPayload } from './events';

/** The global name the preload exposes. */
export const BRIDGE_KEY = 'workbench';

export type InvokeResult<T = unknown> = { ok: true; value: T } | { ok: false; error: ErrorPayload };

export interface WorkbenchBridge {
  invoke<K extends CommandName>(name: K, args: CommandRequest<K>): Promise<InvokeResult<CommandResponse<K>>>;
  /** Subscribes to one contract event; returns the unsubscribe function. */
  on<K extends EventName>(name: K, cb: (payload: EventPayload<K>) => void): () => void;
  /**
   * Desktop only: the path of a file the user picked in an <input type=file> (Electron's webUtils), so
   * imports read it in place instead of uploading it. Absent in the headless host.
   */
  pathForFile?(file: unknown): string;
}

/** Every event name in the contract, for runtime checks (the preload refuses anything else). */
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}

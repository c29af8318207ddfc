/**
 * The renderer's only way to talk to the core. It picks a transport once at start — Electron IPC
 * when the preload exposed `window.workbench`, otherwise the headless host's HTTP + server-sent
 * events — and the rest of the app never knows which one it has.
 */
import {
  BRIDGE_KEY,
  ERROR_CODES,
  events,
  type CommandName,
  type CommandRequest,
  type CommandResponse,
  type ErrorCode,
  type EventName,
  type EventPayload,
  type WorkbenchBridge,
} from './contract';

/** `unreachable`: the host could not be reached at all (not a contract error). */
export type ApiErrorCode = ErrorCode | 'unreachable';

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  constructor(code: ApiErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

export type ConnectionState = 'connecting' | 'open' | 'reconnecting';

/** A way to reach the core; results come back raw (`unknown`) and are checked by the client. */
export interface Transport {
  readonly kind: 'ipc' | 'http';
  invoke(command: string, args: unknown): Promise<unknown>;
  subscribe(event: string, cb: (payload: unknown) => void): () => void;
  onConnection(cb: (state: ConnectionState) => void): () => void;
}

export interface Api {
  readonly transportKind: Transport['kind'];
  invoke<K extends CommandName>(name: K, args: CommandRequest<K>): Promise<CommandResponse<K>>;
  on<K extends EventName>(name: K, cb: (payload: EventPayload<K>) => void): () => void;
  /** Connection changes; after a drop, `open` again means events may have been missed: refetch. */
  onConnection(cb: (state: ConnectionState) => void): () => void;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function isErrorCode(v: unknown): v is ErrorCode {
  return typeof v === 'string' && (ERROR_CODES as readonly string[]).includes(v);
}

/** Unwraps `{ok,value}` or throws the `{ok:false,error}` as an ApiError; anything else is a bug. */
export function unwrapResult(raw: unknown): unknown {
  if (isRecord(raw) && raw.ok === true && 'value' in raw) return raw.value;
  if (isRecord(raw) && raw.ok === false && isRecord(raw.error)) {
    const { code, message } = raw.error;
    throw new ApiError(
      isErrorCode(code) ? code : 'internal',
      typeof message === 'string' ? message : 'The workbench reported an error.',
    );
  }
  throw new ApiError('internal', 'The workbench sent a reply this app does not understand.');
}

export function createApi(transport: Transport): Api {
  return {
    transportKind: transport.kind,
    async invoke(name, args) {
      return unwrapResult(await transport.invoke(name, args)) as never;
    },
    on(name, cb) {
      const schema = events[name];
      return transport.subscribe(name, (payload) => {
        const parsed = schema.safeParse(payload);
        if (parsed.success) cb(parsed.data as EventPayload<typeof name>);
        else console.warn(`Ignored a malformed ${name} event`);
      });
    },
    onConnection: (cb) => transport.onConnection(cb),
  };
}

// ---------------------------------------------------------------------------------------------
// IPC (Electron)

/** The preload's `window.workbench`, checked rather than trusted to be there. */
function findBridge(): WorkbenchBridge | null {
  const candidate = (globalThis as Record<string, unknown>)[BRIDGE_KEY];
  if (isRecord(candidate) && typeof candidate.invoke === 'function' && typeof candidate.on === 'function') {
    return candidate as unknown as WorkbenchBridge;
  }
  return null;
}

export function ipcTransport(bridge: WorkbenchBridge): Transport {
  return {
    kind: 'ipc',
    // Names and payloads are checked again on the far side (preload, then main), as they must be.
    invoke: (command, args) => bridge.invoke(command as CommandName, args as never),
    subscribe: (event, cb) => bridge.on(event as EventName, cb as never),
    onConnection(cb) {
      // IPC cannot drop while the window lives.
      cb('open');
      return () => {};
    },
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP + server-sent events (headless host)

/** Reads `?token=` from the page URL once and removes it so it is not left in the address bar. */
function takeTokenFromLocation(): string | null {
  if (typeof location === 'undefined') return null;
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token !== null) {
    url.searchParams.delete('token');
    // The HttpOnly cookie set with the page keeps reloads working without the token in the URL.
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  }
  return token;
}

const UNREACHABLE = 'Cannot reach the workbench host. Is `npm run serve` still running?';

export function httpTransport(opts: { token?: string | null; baseUrl?: string } = {}): Transport {
  const token = opts.token ?? null;
  const base = opts.baseUrl ?? '';
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'connecting';
  let source: EventSource | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let retryDelay = 1000;

  function setState(next: ConnectionState): void {
    if (next === state) return;
    state = next;
    for (const cb of connectionListeners) cb(next);
  }

  function open(): void {
    if (source || typeof EventSource === 'undefined') return;
    // Same-origin EventSource sends the tw_token cookie; it cannot carry an Authorization header.
    const es = new EventSource(`${base}/api/events`, { withCredentials: true });
    source = es;
    es.onopen = () => {
      retryDelay = 1000;
      setState('open');
    };
    es.onmessage = (ev: MessageEvent<string>) => {
      let frame: unknown;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!isRecord(frame) || typeof frame.name !== 'string') return;
      for (const cb of listeners.get(frame.name) ?? []) cb(frame.payload);
    };
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. the host restarted and refused us): retry with back-off.
        es.close();
        source = null;
        setState('reconnecting');
        retryTimer = setTimeout(() => {
          retryTimer = null;
          open();
        }, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30_000);
      } else {
        setState('reconnecting');
      }
    };
  }

  function maybeClose(): void {
    const any = [...listeners.values()].some((s) => s.size > 0) || connectionListeners.size > 0;
    if (any) return;
    source?.close();
    source = null;
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    state = 'connecting';
  }

  return {
    kind: 'http',
    async invoke(command, args) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      let res: Response;
      try {
        res = await fetch(`${base}/api/invoke`, {
          method: 'POST',
          credentials: 'same-origin',
          headers,
          body: JSON.stringify({ command, args }),
        });
      } catch {
        throw new ApiError('unreachable', UNREACHABLE);
      }
      let body: unknown;
      try {
        body = await res.json();
      } catch {
        throw new ApiError(
          res.status === 401 ? 'unauthorized' : 'internal',
          `The workbench host answered ${res.status} without a readable body.`,
        );
      }
      return body;
    },
    subscribe(event, cb) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(cb);
      open();
      return () => {
        set.delete(cb);
        maybeClose();
      };
    },
    onConnection(cb) {
      connectionListeners.add(cb);
      open();
      cb(state);
      return () => {
        connectionListeners.delete(cb);
        maybeClose();
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The app-wide client

let client: Api | null = null;

/** Chooses the transport; call once before the first render (also done lazily on first use). */
export function getApi(): Api {
  if (!client) {
    const bridge = findBridge();
    client = createApi(bridge ? ipcTransport(bridge) : httpTransport({ token: takeTokenFromLocation() }));
  }
  return client;
}

/**
 * A stand-in that resolves the real client on first use, so stores can be created at import
 * time (and imported by Node tests) without touching `window`.
 */
export const api: Api = {
  get transportKind() {
    return getApi().transportKind;
  },
  invoke: (name, args) => getApi().invoke(name, args),
  on: (name, cb) => getApi().on(name, cb),
  onConnection: (cb) => getApi().onConnection(cb),
};

/** A message fit for the UI from anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return 'Something went wrong. Details are in the developer console.';
}

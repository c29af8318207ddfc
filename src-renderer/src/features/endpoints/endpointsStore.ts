import { create } from 'zustand';
import { api as defaultApi, errorMessage, type Api } from '../../api/client';
import type { CommandRequest, CommandResponse } from '../../api/contract';

export type EndpointSummary = CommandResponse<'endpoints.list'>['items'][number];
export type EndpointTestResult = CommandResponse<'endpoints.test'>;
export type EndpointKind = EndpointSummary['kind'];
export type NewEndpoint = CommandRequest<'endpoints.add'>;

interface EndpointsState {
  items: EndpointSummary[];
  /** Whether keys can be stored here (false when the OS keychain is unavailable). */
  keyStorage: { ok: boolean; reason: string | null } | null;
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: string | null;
  /** Endpoint ids with a request in flight (test, key change, removal). */
  busy: Record<number, boolean>;
  /** The last connection test per endpoint. */
  tests: Record<number, EndpointTestResult>;
  /** The last failed action per endpoint, shown next to it. */
  rowErrors: Record<number, string>;
}

interface EndpointsActions {
  load(): Promise<void>;
  /** Resolves to an error message, or null when the endpoint was added. */
  add(input: NewEndpoint): Promise<string | null>;
  setKey(id: number, apiKey: string): Promise<string | null>;
  clearKey(id: number): Promise<void>;
  remove(id: number): Promise<void>;
  test(id: number): Promise<void>;
}

export type EndpointsStore = EndpointsState & EndpointsActions;

const INITIAL: EndpointsState = {
  items: [],
  keyStorage: null,
  status: 'idle',
  error: null,
  busy: {},
  tests: {},
  rowErrors: {},
};

function without<T>(rec: Record<number, T>, id: number): Record<number, T> {
  const next = { ...rec };
  delete next[id];
  return next;
}

export function createEndpointsStore(api: Pick<Api, 'invoke'>) {
  return create<EndpointsStore>()((set, get) => {
    const replace = (ep: EndpointSummary) => set((s) => ({ items: s.items.map((e) => (e.id === ep.id ? ep : e)) }));

    /** Runs an action for one endpoint, marking it busy and keeping its error next to it. */
    async function forRow(id: number, fn: () => Promise<void>): Promise<string | null> {
      set((s) => ({ busy: { ...s.busy, [id]: true }, rowErrors: without(s.rowErrors, id) }));
      try {
        await fn();
        return null;
      } catch (err) {
        const message = errorMessage(err);
        set((s) => ({ rowErrors: { ...s.rowErrors, [id]: message } }));
        return message;
      } finally {
        set((s) => ({ busy: without(s.busy, id) }));
      }
    }

    return {
      ...INITIAL,
      async load() {
        set({ status: get().items.length ? 'ready' : 'loading' });
        try {
          const res = await api.invoke('endpoints.list', {});
          set({ items: res.items, keyStorage: res.keyStorage, status: 'ready', error: null });
        } catch (err) {
          set({ status: 'error', error: errorMessage(err) });
        }
      },
      async add(input) {
        try {
          const ep = await api.invoke('endpoints.add', input);
          set((s) => ({ items: [...s.items, ep].sort((a, b) => a.name.localeCompare(b.name)) }));
          return null;
        } catch (err) {
          return errorMessage(err);
        }
      },
      setKey: (id, apiKey) => forRow(id, async () => replace(await api.invoke('endpoints.setKey', { id, apiKey }))),
      async clearKey(id) {
        await forRow(id, async () => replace(await api.invoke('endpoints.clearKey', { id })));
      },
      async remove(id) {
        await forRow(id, async () => {
          await api.invoke('endpoints.remove', { id });
          set((s) => ({ items: s.items.filter((e) => e.id !== id), tests: without(s.tests, id) }));
        });
      },
      async test(id) {
        await forRow(id, async () => {
          const result = await api.invoke('endpoints.test', { id });
          replace(result.endpoint);
          set((s) => ({ tests: { ...s.tests, [id]: result } }));
        });
      },
    };
  });
}

export const useEndpointsStore = createEndpointsStore(defaultApi);

import { create } from 'zustand';
import { api as defaultApi, errorMessage, type Api } from '../../api/client';
import type { GgufSummary, ModelSummary, Task, TaskPreset } from '../../api/contract';

type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

interface ModelsState {
  models: ModelSummary[];
  tasks: TaskPreset[];
  status: LoadStatus;
  error: string | null;
  showArchived: boolean;
  /** Model ids with an action in flight. */
  busy: Record<number, boolean>;
  /** The last failed action per model, shown on its row. */
  rowErrors: Record<number, string>;
}

interface ModelsActions {
  load(): Promise<void>;
  setShowArchived(show: boolean): Promise<void>;
  /** Header summary of a file, without registering it. Resolves to the summary or an error message. */
  inspect(path: string): Promise<{ info: GgufSummary } | { error: string }>;
  /** Resolves to an error message, or null when the model was added. */
  addLocal(input: { path: string; mode: 'reference' | 'copy'; name?: string }): Promise<string | null>;
  ensureDemo(): Promise<string | null>;
  setArchived(id: number, archived: boolean): Promise<void>;
  setActive(task: Task, modelId: number): Promise<void>;
}

export type ModelsStore = ModelsState & ModelsActions;

const INITIAL: ModelsState = {
  models: [],
  tasks: [],
  status: 'idle',
  error: null,
  showArchived: false,
  busy: {},
  rowErrors: {},
};

export function createModelsStore(api: Pick<Api, 'invoke'>) {
  let seq = 0;
  return create<ModelsStore>()((set, get) => {
    async function perRow(id: number, work: () => Promise<unknown>): Promise<void> {
      set((s) => ({ busy: { ...s.busy, [id]: true }, rowErrors: omit(s.rowErrors, id) }));
      try {
        await work();
        await get().load();
      } catch (err) {
        set((s) => ({ rowErrors: { ...s.rowErrors, [id]: errorMessage(err) } }));
      } finally {
        set((s) => ({ busy: omit(s.busy, id) }));
      }
    }

    return {
      ...INITIAL,
      async load() {
        const mine = ++seq;
        set((s) => ({ status: s.status === 'ready' ? 'ready' : 'loading', error: null }));
        try {
          const [models, tasks] = await Promise.all([
            api.invoke('models.list', { includeArchived: get().showArchived }),
            api.invoke('tasks.list', {}),
          ]);
          if (mine !== seq) return;
          set({ models: models.items, tasks: tasks.items, status: 'ready' });
        } catch (err) {
          if (mine !== seq) return;
          set({ status: 'error', error: errorMessage(err) });
        }
      },
      async setShowArchived(show) {
        set({ showArchived: show });
        await get().load();
      },
      async inspect(path) {
        try {
          return { info: await api.invoke('models.inspect', { path }) };
        } catch (err) {
          return { error: errorMessage(err) };
        }
      },
      async addLocal(input) {
        try {
          await api.invoke('models.addLocal', input);
          await get().load();
          return null;
        } catch (err) {
          return errorMessage(err);
        }
      },
      async ensureDemo() {
        try {
          await api.invoke('models.ensureDemo', {});
          await get().load();
          return null;
        } catch (err) {
          return errorMessage(err);
        }
      },
      setArchived: (id, archived) => perRow(id, () => api.invoke('models.archive', { id, archived })),
      setActive: (task, modelId) => perRow(modelId, () => api.invoke('models.setActive', { task, modelId })),
    };
  });
}

function omit<T>(rec: Record<number, T>, id: number): Record<number, T> {
  const next = { ...rec };
  delete next[id];
  return next;
}

export const useModelsStore = createModelsStore(defaultApi);

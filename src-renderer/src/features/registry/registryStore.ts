import { create } from 'zustand';
import { api as defaultApi, errorMessage, type Api } from '../../api/client';
import type {
  ActiveModelEntry,
  ModelCard,
  RegistryHistoryEntry,
  RegistryVersion,
  Task,
  TriggerNotice,
  TriggerRules,
} from '../../api/contract';

interface RegistryState {
  versions: RegistryVersion[];
  active: ActiveModelEntry[];
  history: RegistryHistoryEntry[];
  notices: TriggerNotice[];
  rules: TriggerRules | null;
  trainingAvailable: boolean;
  card: ModelCard | null;
  showArchived: boolean;
  /** What a promote acts on, per row. */
  promoteTask: Task;
  busy: boolean;
  error: string | null;
  checkMessage: string | null;
}

interface RegistryActions {
  load(): Promise<void>;
  loadNotices(): Promise<void>;
  setPromoteTask(task: Task): void;
  setShowArchived(show: boolean): Promise<void>;
  promote(modelId: number): Promise<void>;
  rollback(task: Task): Promise<void>;
  archive(modelId: number, archived: boolean): Promise<void>;
  openCard(modelId: number | null): Promise<void>;
  check(): Promise<void>;
  dismiss(id: number): Promise<void>;
  saveRules(rules: TriggerRules): Promise<void>;
}

export type RegistryStore = RegistryState & RegistryActions;

export const INITIAL_REGISTRY_STATE: RegistryState = {
  versions: [],
  active: [],
  history: [],
  notices: [],
  rules: null,
  trainingAvailable: false,
  card: null,
  showArchived: false,
  promoteTask: 'triage',
  busy: false,
  error: null,
  checkMessage: null,
};

export function createRegistryStore(api: Pick<Api, 'invoke'>) {
  return create<RegistryStore>()((set, get) => {
    async function act(work: () => Promise<unknown>): Promise<void> {
      set({ busy: true, error: null });
      try {
        await work();
        await get().load();
      } catch (err) {
        set({ error: errorMessage(err) });
      } finally {
        set({ busy: false });
      }
    }
    return {
      ...INITIAL_REGISTRY_STATE,
      async load() {
        try {
          const [versions, active, history, rules] = await Promise.all([
            api.invoke('registry.versions', { includeArchived: get().showArchived }),
            api.invoke('registry.active', {}),
            api.invoke('registry.history', { limit: 20 }),
            api.invoke('triggers.rules', {}),
          ]);
          set({ versions: versions.items, active: active.items, history: history.items, rules });
          await get().loadNotices();
        } catch (err) {
          set({ error: errorMessage(err) });
        }
      },
      async loadNotices() {
        try {
          const r = await api.invoke('triggers.list', {});
          set({ notices: r.items, trainingAvailable: r.trainingAvailable });
        } catch (err) {
          set({ error: errorMessage(err) });
        }
      },
      setPromoteTask(task) {
        set({ promoteTask: task });
      },
      async setShowArchived(show) {
        set({ showArchived: show });
        await get().load();
      },
      promote: (modelId) => act(() => api.invoke('registry.promote', { task: get().promoteTask, modelId })),
      rollback: (task) => act(() => api.invoke('registry.rollback', { task })),
      archive: (modelId, archived) => act(() => api.invoke('models.archive', { id: modelId, archived })),
      async openCard(modelId) {
        if (modelId === null) {
          set({ card: null });
          return;
        }
        try {
          set({ card: await api.invoke('registry.card', { modelId }) });
        } catch (err) {
          set({ error: errorMessage(err) });
        }
      },
      async check() {
        try {
          const r = await api.invoke('triggers.check', {});
          set({
            notices: r.open,
            trainingAvailable: r.trainingAvailable,
            checkMessage: r.raised.length
              ? `${r.raised.length} new notice${r.raised.length === 1 ? '' : 's'}.`
              : 'Nothing new.',
          });
        } catch (err) {
          set({ error: errorMessage(err) });
        }
      },
      async dismiss(id) {
        try {
          await api.invoke('triggers.dismiss', { id });
          await get().loadNotices();
        } catch (err) {
          set({ error: errorMessage(err) });
        }
      },
      saveRules: (rules) => act(() => api.invoke('triggers.setRules', rules)),
    };
  });
}

export const useRegistryStore = createRegistryStore(defaultApi);

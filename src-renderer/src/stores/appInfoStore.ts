import { create } from 'zustand';
import { api as defaultApi, errorMessage, type Api } from '../api/client';
import type { AppInfo } from '../api/contract';

interface AppInfoState {
  info: AppInfo | null;
  error: string | null;
  loading: boolean;
}

interface AppInfoActions {
  load(): Promise<void>;
}

export type AppInfoStore = AppInfoState & AppInfoActions;

export function createAppInfoStore(api: Pick<Api, 'invoke'>) {
  let seq = 0;
  return create<AppInfoStore>()((set) => ({
    info: null,
    error: null,
    loading: false,
    async load() {
      const mine = ++seq;
      set({ loading: true });
      try {
        const info = await api.invoke('app.info', {});
        if (mine === seq) set({ info, error: null, loading: false });
      } catch (err) {
        if (mine === seq) set({ error: errorMessage(err), loading: false });
      }
    },
  }));
}

export const useAppInfoStore = createAppInfoStore(defaultApi);

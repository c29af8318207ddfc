import { create } from 'zustand';
import { api as defaultApi, errorMessage, type Api } from '../../api/client';
import type {
  BuildOptionsInput,
  BuildReport,
  DatasetFilter,
  DatasetSummary,
  DatasetVersionDetail,
  ExportFormat,
  ExportResult,
  SecretFix,
  StratifyBy,
} from './datasetsContract';

/** The builder form: the filter plus the options a person usually changes. */
export interface BuilderOptions {
  targetKind: 'openai' | 'local_gguf';
  targetModel: string;
  seed: number;
  validation: number;
  test: number;
  stratifyBy: StratifyBy;
  min: number;
  max: number;
  keepPerCluster: number;
  threshold: number;
  pseudonymise: boolean;
  labelHints: boolean;
  secretFix: SecretFix;
  perConversation: Record<string, 'redact' | 'exclude'>;
  allowlist: string;
}

export const DEFAULT_OPTIONS: BuilderOptions = {
  targetKind: 'openai',
  targetModel: 'gpt-4o-mini-2024-07-18',
  seed: 42,
  validation: 0.2,
  test: 0.1,
  stratifyBy: 'verdict',
  min: 50,
  max: 1000,
  keepPerCluster: 1,
  threshold: 0.9,
  pseudonymise: true,
  labelHints: false,
  secretFix: 'block',
  perConversation: {},
  allowlist: '',
};

export function toBuildOptions(o: BuilderOptions): BuildOptionsInput {
  return {
    target: { kind: o.targetKind, model: o.targetModel },
    seed: o.seed,
    split: { validation: o.validation, test: o.test, stratifyBy: o.stratifyBy },
    limits: { min: o.min, max: o.max },
    dedup: { keepPerCluster: o.keepPerCluster, threshold: o.threshold },
    pseudonymise: o.pseudonymise,
    labelHints: o.labelHints,
    secrets: { fix: o.secretFix, perConversation: o.perConversation },
    allowlist: o.allowlist
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

type Status = 'idle' | 'loading' | 'ready' | 'error';

interface DatasetsState {
  filter: DatasetFilter;
  options: BuilderOptions;
  preview: BuildReport | null;
  previewStatus: Status;
  previewError: string | null;
  stage: string | null;
  creating: boolean;
  createError: string | null;
  datasets: DatasetSummary[];
  selected: DatasetVersionDetail | null;
  exporting: ExportFormat | null;
  exportResult: ExportResult | null;
  exportError: string | null;
}

interface DatasetsActions {
  setFilter(patch: Partial<DatasetFilter>): void;
  setOptions(patch: Partial<BuilderOptions>): void;
  setSecretFix(conversationId: number, fix: SecretFix): void;
  setStage(stage: string | null): void;
  runPreview(): Promise<void>;
  createVersion(name: string, description: string): Promise<DatasetVersionDetail | null>;
  loadVersions(): Promise<void>;
  openVersion(id: number): Promise<void>;
  exportVersion(versionId: number, format: ExportFormat): Promise<void>;
}

export type DatasetsStore = DatasetsState & DatasetsActions;

export const INITIAL: DatasetsState = {
  filter: { task: 'triage' },
  options: DEFAULT_OPTIONS,
  preview: null,
  previewStatus: 'idle',
  previewError: null,
  stage: null,
  creating: false,
  createError: null,
  datasets: [],
  selected: null,
  exporting: null,
  exportResult: null,
  exportError: null,
};

export function createDatasetsStore(api: Pick<Api, 'invoke'>) {
  let previewSeq = 0;
  return create<DatasetsStore>()((set, get) => ({
    ...INITIAL,
    setFilter: (patch) => set((s) => ({ filter: { ...s.filter, ...patch } })),
    setOptions: (patch) => set((s) => ({ options: { ...s.options, ...patch } })),
    setSecretFix: (conversationId, fix) =>
      set((s) => {
        const perConversation = { ...s.options.perConversation };
        if (fix === 'block') delete perConversation[String(conversationId)];
        else perConversation[String(conversationId)] = fix;
        return { options: { ...s.options, perConversation } };
      }),
    setStage: (stage) => set({ stage }),
    async runPreview() {
      const seq = ++previewSeq;
      set({ previewStatus: 'loading', previewError: null });
      try {
        const { filter, options } = get();
        const preview = await api.invoke('datasets.preview', { filter, options: toBuildOptions(options) });
        if (seq === previewSeq) set({ preview, previewStatus: 'ready', stage: null });
      } catch (err) {
        if (seq === previewSeq) set({ previewStatus: 'error', previewError: errorMessage(err), stage: null });
      }
    },
    async createVersion(name, description) {
      set({ creating: true, createError: null });
      try {
        const { filter, options } = get();
        const v = await api.invoke('datasets.createVersion', {
          name,
          description,
          filter,
          options: toBuildOptions(options),
        });
        set({ selected: v, creating: false, stage: null, exportResult: null, exportError: null });
        await get().loadVersions();
        return v;
      } catch (err) {
        set({ creating: false, stage: null, createError: errorMessage(err) });
        return null;
      }
    },
    async loadVersions() {
      try {
        const { items } = await api.invoke('datasets.list', {});
        set({ datasets: items });
      } catch (err) {
        set({ createError: errorMessage(err) });
      }
    },
    async openVersion(id) {
      try {
        const selected = await api.invoke('datasets.getVersion', { id });
        set({ selected, exportResult: null, exportError: null });
      } catch (err) {
        set({ exportError: errorMessage(err) });
      }
    },
    async exportVersion(versionId, format) {
      set({ exporting: format, exportError: null, exportResult: null });
      try {
        const exportResult = await api.invoke('datasets.export', { versionId, format });
        set({ exportResult, exporting: null });
      } catch (err) {
        set({ exportError: errorMessage(err), exporting: null });
      }
    },
  }));
}

export const useDatasetsStore = createDatasetsStore(defaultApi);

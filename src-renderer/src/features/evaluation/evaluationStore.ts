import { create } from 'zustand';
import { api as defaultApi, errorMessage, type Api } from '../../api/client';
import type {
  CommandRequest,
  DatasetSummary,
  EvalField,
  EvaluationDetail,
  EvaluationHistoryPoint,
  EvaluationResultRow,
  EvaluationSummary,
  EventPayload,
  ModelSummary,
} from '../../api/contract';

export type StartInput = CommandRequest<'evaluation.start'>;

/** One confusion-matrix cell the analyst opened. */
export interface Cell {
  modelId: number;
  field: EvalField;
  expected: string;
  predicted: string;
}

interface EvaluationState {
  runs: EvaluationSummary[];
  models: ModelSummary[];
  datasets: DatasetSummary[];
  history: EvaluationHistoryPoint[];
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: string | null;
  selectedId: number | null;
  detail: EvaluationDetail | null;
  field: EvalField;
  cell: Cell | null;
  cellRows: EvaluationResultRow[];
  cellTotal: number;
  cellLoading: boolean;
  actionError: string | null;
  starting: boolean;
}

interface EvaluationActions {
  load(): Promise<void>;
  select(id: number | null): Promise<void>;
  refreshDetail(): Promise<void>;
  onProgress(e: EventPayload<'evaluation.progress'>): void;
  /** Resolves to an error message, or null when the run was queued (it is then selected). */
  start(input: StartInput): Promise<string | null>;
  cancel(id: number): Promise<void>;
  resume(id: number): Promise<void>;
  setField(field: EvalField): void;
  openCell(cell: Cell | null): Promise<void>;
}

export type EvaluationStore = EvaluationState & EvaluationActions;

export const INITIAL_EVALUATION_STATE: EvaluationState = {
  runs: [],
  models: [],
  datasets: [],
  history: [],
  status: 'idle',
  error: null,
  selectedId: null,
  detail: null,
  field: 'verdict',
  cell: null,
  cellRows: [],
  cellTotal: 0,
  cellLoading: false,
  actionError: null,
  starting: false,
};

export function createEvaluationStore(api: Pick<Api, 'invoke'>) {
  let detailSeq = 0;
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;
  return create<EvaluationStore>()((set, get) => ({
    ...INITIAL_EVALUATION_STATE,
    async load() {
      set((s) => ({ status: s.status === 'ready' ? 'ready' : 'loading', error: null }));
      try {
        const [runs, models, datasets, history] = await Promise.all([
          api.invoke('evaluation.list', { limit: 100 }),
          api.invoke('models.list', { includeArchived: false }),
          api.invoke('datasets.list', {}),
          api.invoke('evaluation.history', { limit: 500 }),
        ]);
        set({
          runs: runs.items,
          models: models.items,
          datasets: datasets.items,
          history: history.items,
          status: 'ready',
        });
        const { selectedId } = get();
        if (selectedId === null && runs.items.length) await get().select(runs.items[0]!.id);
      } catch (err) {
        set({ status: 'error', error: errorMessage(err) });
      }
    },
    async select(id) {
      set({ selectedId: id, cell: null, cellRows: [], cellTotal: 0, actionError: null });
      if (id === null) {
        set({ detail: null });
        return;
      }
      await get().refreshDetail();
    },
    async refreshDetail() {
      const id = get().selectedId;
      if (id === null) return;
      const mine = ++detailSeq;
      try {
        const detail = await api.invoke('evaluation.get', { id });
        if (mine === detailSeq && get().selectedId === id) set({ detail });
      } catch (err) {
        if (mine === detailSeq) set({ actionError: errorMessage(err) });
      }
    },
    onProgress(e) {
      set((s) => ({
        runs: s.runs.map((r) =>
          r.id === e.evaluationId
            ? { ...r, status: e.status, progress: e.total ? { done: e.done, total: e.total } : r.progress }
            : r,
        ),
      }));
      const final = e.status === 'succeeded' || e.status === 'failed' || e.status === 'cancelled';
      if (final) void get().load();
      if (e.evaluationId === get().selectedId) {
        // Coalesce: metrics are recomputed on the server from every stored answer.
        if (final) void get().refreshDetail();
        else if (!refreshTimer) {
          refreshTimer = setTimeout(() => {
            refreshTimer = null;
            void get().refreshDetail();
          }, 500);
        }
      }
    },
    async start(input) {
      set({ starting: true });
      try {
        const d = await api.invoke('evaluation.start', input);
        set((s) => ({
          runs: [d, ...s.runs.filter((r) => r.id !== d.id)],
          selectedId: d.id,
          detail: d,
          cell: null,
          cellRows: [],
        }));
        return null;
      } catch (err) {
        return errorMessage(err);
      } finally {
        set({ starting: false });
      }
    },
    async cancel(id) {
      try {
        await api.invoke('evaluation.cancel', { id });
        await get().load();
      } catch (err) {
        set({ actionError: errorMessage(err) });
      }
    },
    async resume(id) {
      try {
        await api.invoke('evaluation.resume', { id });
        await get().load();
        if (get().selectedId === id) await get().refreshDetail();
      } catch (err) {
        set({ actionError: errorMessage(err) });
      }
    },
    setField(field) {
      set({ field, cell: null, cellRows: [], cellTotal: 0 });
    },
    async openCell(cell) {
      const id = get().selectedId;
      set({ cell, cellRows: [], cellTotal: 0 });
      if (!cell || id === null) return;
      set({ cellLoading: true });
      try {
        const r = await api.invoke('evaluation.results', { id, ...cell, limit: 100 });
        if (get().cell === cell) set({ cellRows: r.items, cellTotal: r.total });
      } catch (err) {
        set({ actionError: errorMessage(err) });
      } finally {
        set({ cellLoading: false });
      }
    },
  }));
}

export const useEvaluationStore = createEvaluationStore(defaultApi);

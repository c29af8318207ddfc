import { create } from 'zustand';
import { api as defaultApi, errorMessage, type Api } from '../../api/client';
import type {
  AbVote,
  AnalystCount,
  CompareSide,
  CompareStarted,
  EventPayload,
  ModelSummary,
  PairStats,
  Side,
  Task,
} from '../../api/contract';

interface Answer {
  text: string;
  done: boolean;
  error: string | null;
  latencyMs: number | null;
  completionTokens: number | null;
}

const EMPTY: Answer = { text: '', done: false, error: null, latencyMs: null, completionTokens: null };

interface CompareState {
  models: ModelSummary[];
  modelA: number | null;
  modelB: number | null;
  prompt: string;
  task: Task;
  blind: boolean;
  structured: boolean;
  current: CompareStarted | null;
  answers: Record<Side, Answer>;
  vote: AbVote | null;
  revealed: [CompareSide, CompareSide] | null;
  stats: { pairs: PairStats[]; analysts: AnalystCount[]; total: number } | null;
  busy: boolean;
  error: string | null;
}

interface CompareActions {
  load(): Promise<void>;
  set(patch: Partial<Pick<CompareState, 'modelA' | 'modelB' | 'prompt' | 'task' | 'blind' | 'structured'>>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  castVote(vote: AbVote): Promise<void>;
  onToken(e: EventPayload<'compare.token'>): void;
  onDone(e: EventPayload<'compare.done'>): void;
}

export type CompareStore = CompareState & CompareActions;

export const INITIAL_COMPARE_STATE: CompareState = {
  models: [],
  modelA: null,
  modelB: null,
  prompt: '',
  task: 'triage',
  blind: true,
  structured: false,
  current: null,
  answers: { a: EMPTY, b: EMPTY },
  vote: null,
  revealed: null,
  stats: null,
  busy: false,
  error: null,
};

export function createCompareStore(api: Pick<Api, 'invoke'>) {
  return create<CompareStore>()((set, get) => ({
    ...INITIAL_COMPARE_STATE,
    async load() {
      try {
        const [models, stats] = await Promise.all([
          api.invoke('models.list', { includeArchived: false }),
          api.invoke('abtest.stats', {}),
        ]);
        const ids = models.items.map((m) => m.id);
        set((s) => ({
          models: models.items,
          stats,
          modelA: s.modelA !== null && ids.includes(s.modelA) ? s.modelA : (ids[0] ?? null),
          modelB: s.modelB !== null && ids.includes(s.modelB) ? s.modelB : (ids[1] ?? null),
        }));
      } catch (err) {
        set({ error: errorMessage(err) });
      }
    },
    set(patch) {
      set(patch);
    },
    async start() {
      const { modelA, modelB, prompt, task, blind, structured } = get();
      if (modelA === null || modelB === null || !prompt.trim()) return;
      set({
        busy: true,
        error: null,
        vote: null,
        revealed: null,
        answers: { a: { ...EMPTY }, b: { ...EMPTY } },
        current: null,
      });
      try {
        const current = await api.invoke('compare.start', {
          prompt,
          task,
          modelAId: modelA,
          modelBId: modelB,
          blind,
          structured,
        });
        set({ current });
      } catch (err) {
        set({ error: errorMessage(err) });
      } finally {
        set({ busy: false });
      }
    },
    async stop() {
      const c = get().current;
      if (!c) return;
      try {
        await api.invoke('compare.stop', { comparisonId: c.comparisonId });
      } catch (err) {
        set({ error: errorMessage(err) });
      }
    },
    async castVote(vote) {
      const c = get().current;
      if (!c) return;
      try {
        const r = await api.invoke('abtest.vote', { comparisonId: c.comparisonId, vote });
        set({ vote: r.vote, revealed: r.sides });
        const stats = await api.invoke('abtest.stats', {});
        set({ stats });
      } catch (err) {
        set({ error: errorMessage(err) });
      }
    },
    onToken(e) {
      if (e.comparisonId !== get().current?.comparisonId) return;
      set((s) => ({
        answers: { ...s.answers, [e.side]: { ...s.answers[e.side], text: s.answers[e.side].text + e.text } },
      }));
    },
    onDone(e) {
      if (e.comparisonId !== get().current?.comparisonId) return;
      const id = e.comparisonId;
      set((s) => ({
        answers: {
          ...s.answers,
          [e.side]: {
            ...s.answers[e.side],
            done: true,
            error: e.error,
            latencyMs: e.latencyMs,
            completionTokens: e.completionTokens,
          },
        },
      }));
      // The final text is the server's (a token event can arrive after a reconnect gap).
      void api.invoke('compare.get', { comparisonId: id }).then(
        (state) => {
          if (get().current?.comparisonId !== id) return;
          set((s) => ({
            answers: { ...s.answers, [e.side]: { ...s.answers[e.side], text: state.answers[e.side].text } },
          }));
        },
        () => undefined,
      );
    },
  }));
}

export const useCompareStore = createCompareStore(defaultApi);

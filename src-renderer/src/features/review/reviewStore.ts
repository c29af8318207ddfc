import { create } from 'zustand';
import { api as defaultApi, ApiError, errorMessage, type Api } from '../../api/client';
import type {
  AttackTactic,
  CommandRequest,
  DecisionResult,
  ReviewDecision,
  ReviewDetail,
  ReviewItem,
  ReviewOverview,
  ReviewStatus,
} from '../../api/contract';

/** Rows per page fetch; the list asks for the pages its visible rows fall in. */
export const PAGE = 100;
const TEXT_DEBOUNCE_MS = 250;
const OVERVIEW_DEBOUNCE_MS = 300;
const DETAIL_DEBOUNCE_MS = 60;

/** What a `review.changed` event says (see the contract's event map). */
export interface ReviewChange {
  kind: 'labelled' | 'decided' | 'undone';
  batchId: number | null;
}

/** How long after this window's own change its echo events are expected. */
const OWN_ECHO_MS = 2000;

export type QueueFilter = Omit<NonNullable<CommandRequest<'review.list'>['filter']>, 'status'>;

export interface UndoEntry {
  batchId: number;
  decision: ReviewDecision;
  changed: number;
}

type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

interface ReviewQueueState {
  tab: ReviewStatus;
  filter: QueueFilter;
  counts: Record<ReviewStatus, number>;
  /** Rows in the open tab with the filter; the list's length. */
  total: number;
  /** Loaded pages by page number; a reload replaces the whole map. */
  pages: Record<number, ReviewItem[]>;
  /** The keyset cursor after each loaded page, so the next page is a cheap keyset read. */
  cursors: Record<number, string | null>;
  generation: number;
  status: LoadStatus;
  error: string | null;
  current: number;
  /** Selected label ids (x, shift+x, shift+click). */
  selected: Record<number, true>;
  anchor: number | null;
  detail: ReviewDetail | null;
  detailStatus: LoadStatus;
  overview: ReviewOverview | null;
  facets: { labellers: string[]; threatTypes: string[] };
  tactics: AttackTactic[];
  undo: UndoEntry[];
  busy: boolean;
  /** Rows the list shows now; a reload fetches their pages before swapping, so nothing flickers. */
  visible: [number, number];
  /** When this window last changed the queue itself (its own review.changed events are then skipped). */
  ownChangeAt: number;
}

interface ReviewQueueActions {
  init(): Promise<void>;
  setTab(tab: ReviewStatus): void;
  setFilter(patch: Partial<QueueFilter>): void;
  clearFilters(): void;
  /** Reloads counts and pages, keeping the cursor row where it is (the next example slides in). */
  reload(): Promise<void>;
  loadPage(page: number): Promise<void>;
  setVisible(start: number, end: number): void;
  /**
   * A `review.changed` event (or a reconnect, with no event): reload unless it was this window's own
   * decision or undo. One that comes just after this window's own change is looked at again when the
   * 2 s echo window closes, so another labeller's change then is not lost.
   */
  changedElsewhere(event?: ReviewChange): void;
  itemAt(index: number): ReviewItem | undefined;
  setCurrent(index: number): void;
  move(delta: number): void;
  toggleSelect(index: number): void;
  /** Selects from the anchor (the last x) to `index`, among loaded rows. */
  selectRange(index: number): void;
  clearSelection(): void;
  /** The selection, or the current row when nothing is selected. */
  targets(): number[];
  decide(decision: ReviewDecision, reason?: string): Promise<DecisionResult | null>;
  countMatching(): Promise<number>;
  decideAllMatching(decision: ReviewDecision, expectedCount: number, reason?: string): Promise<DecisionResult>;
  undoLast(): Promise<{ restored: number; skipped: number } | null>;
  loadOverview(): Promise<void>;
}

export type ReviewQueueStore = ReviewQueueState & ReviewQueueActions;

const INITIAL: ReviewQueueState = {
  tab: 'pending',
  filter: {},
  counts: { pending: 0, approved: 0, rejected: 0 },
  total: 0,
  pages: {},
  cursors: {},
  generation: 0,
  status: 'idle',
  error: null,
  current: 0,
  selected: {},
  anchor: null,
  detail: null,
  detailStatus: 'idle',
  overview: null,
  facets: { labellers: [], threatTypes: [] },
  tactics: [],
  undo: [],
  busy: false,
  visible: [0, 0],
  ownChangeAt: 0,
};

/** Drops empty values so the request carries only the filters in use. */
export function cleanFilter(f: QueueFilter): QueueFilter {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined && v !== null && v !== '') out[k] = v;
  return out as QueueFilter;
}

export function createReviewQueueStore(api: Pick<Api, 'invoke'>) {
  let detailSeq = 0;
  let textTimer: ReturnType<typeof setTimeout> | null = null;
  let overviewTimer: ReturnType<typeof setTimeout> | null = null;
  let detailTimer: ReturnType<typeof setTimeout> | null = null;
  const inflight = new Set<string>();
  // Decisions and undos this window made (`decided:7`, `undone:7`): their events are echoes, not news.
  const ownEvents = new Set<string>();
  let echoWindowEvents: (ReviewChange | null)[] = [];
  let echoTimer: ReturnType<typeof setTimeout> | null = null;

  return create<ReviewQueueStore>()((set, get) => {
    const requestFilter = () => ({ ...cleanFilter(get().filter), status: get().tab });

    async function loadDetail(): Promise<void> {
      const item = get().itemAt(get().current);
      const mine = ++detailSeq;
      if (!item) {
        set({ detail: null, detailStatus: get().total ? 'loading' : 'idle' });
        return;
      }
      if (get().detail?.labelId !== item.labelId) set({ detailStatus: 'loading' });
      try {
        const detail = await api.invoke('review.get', { labelId: item.labelId });
        if (mine === detailSeq) set({ detail, detailStatus: 'ready' });
      } catch {
        if (mine === detailSeq) set({ detailStatus: 'error' });
      }
    }

    function scheduleOverview(): void {
      if (overviewTimer) clearTimeout(overviewTimer);
      overviewTimer = setTimeout(() => void get().loadOverview(), OVERVIEW_DEBOUNCE_MS);
    }

    const applyFilter = (filter: QueueFilter) => {
      set({ filter, current: 0, selected: {}, anchor: null });
      void get().reload();
    };

    return {
      ...INITIAL,
      async init() {
        if (get().status === 'idle') set({ status: 'loading' });
        const facets = api.invoke('review.facets', {}).then(
          (f) =>
            set({
              facets: { labellers: f.labellers.map((x) => x.name), threatTypes: f.threatTypes.map((x) => x.name) },
            }),
          () => undefined,
        );
        const tactics = api.invoke('attack.tactics', {}).then(
          (t) => set({ tactics: [...t.items].sort((a, b) => a.name.localeCompare(b.name)) }),
          () => undefined,
        );
        await Promise.all([get().reload(), get().loadOverview(), facets, tactics]);
      },
      setTab(tab) {
        if (tab === get().tab) return;
        set({ tab, current: 0, selected: {}, anchor: null });
        void get().reload();
      },
      setFilter(patch) {
        const filter = { ...get().filter, ...patch };
        if ('text' in patch && Object.keys(patch).length === 1) {
          set({ filter });
          if (textTimer) clearTimeout(textTimer);
          textTimer = setTimeout(() => applyFilter(get().filter), TEXT_DEBOUNCE_MS);
          return;
        }
        applyFilter(filter);
      },
      clearFilters: () => applyFilter({}),
      async reload() {
        const generation = get().generation + 1;
        set({ generation, error: null });
        inflight.clear();
        try {
          const { byStatus } = await api.invoke('review.countByFilter', { filter: cleanFilter(get().filter) });
          if (generation !== get().generation) return;
          const total = byStatus[get().tab];
          const current = Math.max(0, Math.min(get().current, total - 1));
          // Fetch what is on screen (and the cursor row) first, then swap it in at once.
          const [start, end] = get().visible;
          const wanted = new Set<number>([Math.floor(current / PAGE)]);
          for (let p = Math.floor(start / PAGE); p <= Math.floor(Math.max(start, end) / PAGE); p++) wanted.add(p);
          const filter = requestFilter();
          const fetched = await Promise.all(
            [...wanted]
              .filter((p) => p * PAGE < Math.max(total, 1))
              .map(
                async (p) => [p, await api.invoke('review.list', { filter, limit: PAGE, offset: p * PAGE })] as const,
              ),
          );
          if (generation !== get().generation) return;
          const pages: Record<number, ReviewItem[]> = {};
          const cursors: Record<number, string | null> = {};
          for (const [p, r] of fetched) {
            pages[p] = r.items;
            cursors[p] = r.nextCursor;
          }
          set({ counts: byStatus, total, current, pages, cursors, status: 'ready' });
          void loadDetail();
        } catch (err) {
          if (generation === get().generation) set({ status: 'error', error: errorMessage(err) });
        }
      },
      setVisible(start, end) {
        const [a, b] = get().visible;
        if (a !== start || b !== end) set({ visible: [start, end] });
      },
      changedElsewhere(event) {
        const own = (e: ReviewChange | null) => !!e && e.batchId !== null && ownEvents.has(`${e.kind}:${e.batchId}`);
        if (event && own(event)) return;
        const wait = get().ownChangeAt + OWN_ECHO_MS - Date.now();
        if (wait <= 0) {
          void get().reload();
          scheduleOverview();
          return;
        }
        // Our own echo may arrive before our request returns its batch id: decide once the window closes.
        echoWindowEvents.push(event ?? null);
        if (echoTimer) return;
        echoTimer = setTimeout(() => {
          echoTimer = null;
          const foreign = echoWindowEvents.some((e) => !own(e));
          echoWindowEvents = [];
          if (foreign) {
            void get().reload();
            scheduleOverview();
          }
        }, wait);
      },
      async loadPage(page) {
        const { generation, pages, cursors, total } = get();
        const key = `${generation}:${page}`;
        if (pages[page] || inflight.has(key) || page * PAGE >= Math.max(total, 1)) return;
        inflight.add(key);
        const cursor = page > 0 ? cursors[page - 1] : undefined;
        try {
          const r = await api.invoke('review.list', {
            filter: requestFilter(),
            limit: PAGE,
            ...(cursor ? { cursor } : { offset: page * PAGE }),
          });
          if (generation !== get().generation) return;
          set((s) => ({ pages: { ...s.pages, [page]: r.items }, cursors: { ...s.cursors, [page]: r.nextCursor } }));
          if (!get().detail || get().detailStatus !== 'ready') void loadDetail();
        } catch (err) {
          if (generation === get().generation) set({ error: errorMessage(err) });
        } finally {
          inflight.delete(key);
        }
      },
      itemAt(index) {
        return get().pages[Math.floor(index / PAGE)]?.[index % PAGE];
      },
      setCurrent(index) {
        const { total } = get();
        if (!total) return;
        const current = Math.max(0, Math.min(index, total - 1));
        set({ current });
        // Holding j/k: fetch the detail once the cursor rests, not for every row it passes.
        if (detailTimer) clearTimeout(detailTimer);
        detailTimer = setTimeout(() => {
          detailTimer = null;
          const at = get().current;
          if (!get().itemAt(at))
            void get()
              .loadPage(Math.floor(at / PAGE))
              .then(loadDetail);
          else void loadDetail();
        }, DETAIL_DEBOUNCE_MS);
      },
      move(delta) {
        get().setCurrent(get().current + delta);
      },
      toggleSelect(index) {
        const item = get().itemAt(index);
        if (!item) return;
        const selected = { ...get().selected };
        if (selected[item.labelId]) delete selected[item.labelId];
        else selected[item.labelId] = true;
        set({ selected, anchor: index, current: index });
      },
      selectRange(index) {
        const anchor = get().anchor ?? get().current;
        const [from, to] = anchor <= index ? [anchor, index] : [index, anchor];
        const selected = { ...get().selected };
        for (let i = from; i <= to; i++) {
          const item = get().itemAt(i);
          if (item) selected[item.labelId] = true;
        }
        set({ selected, current: index });
        void loadDetail();
      },
      clearSelection: () => set({ selected: {}, anchor: null }),
      targets() {
        const ids = Object.keys(get().selected).map(Number);
        if (ids.length) return ids;
        const item = get().itemAt(get().current);
        return item ? [item.labelId] : [];
      },
      async decide(decision, reason) {
        const labelIds = get().targets();
        if (!labelIds.length || get().busy) return null;
        set({ busy: true });
        try {
          const r = await api.invoke('review.decide', { labelIds, decision, ...(reason ? { reason } : {}) });
          if (r.batchId) ownEvents.add(`decided:${r.batchId}`);
          set({ ownChangeAt: Date.now() });
          if (r.batchId) set((s) => ({ undo: [...s.undo, { batchId: r.batchId!, decision, changed: r.changed }] }));
          set({ selected: {}, anchor: null });
          await get().reload();
          scheduleOverview();
          return r;
        } finally {
          set({ busy: false });
        }
      },
      async countMatching() {
        const r = await api.invoke('review.countByFilter', { filter: requestFilter() });
        return r.count;
      },
      async decideAllMatching(decision, expectedCount, reason) {
        set({ busy: true });
        try {
          const r = await api.invoke('review.bulkByFilter', {
            filter: requestFilter(),
            decision,
            expectedCount,
            ...(reason ? { reason } : {}),
          });
          if (r.batchId) ownEvents.add(`decided:${r.batchId}`);
          set({ ownChangeAt: Date.now() });
          if (r.batchId) set((s) => ({ undo: [...s.undo, { batchId: r.batchId!, decision, changed: r.changed }] }));
          set({ selected: {}, anchor: null });
          await get().reload();
          scheduleOverview();
          return r;
        } finally {
          set({ busy: false });
        }
      },
      async undoLast() {
        const last = get().undo[get().undo.length - 1];
        if (!last || get().busy) return null;
        set({ busy: true });
        try {
          const r = await api.invoke('review.undo', { batchId: last.batchId });
          ownEvents.add(`undone:${last.batchId}`);
          set({ ownChangeAt: Date.now() });
          set((s) => ({ undo: s.undo.filter((u) => u.batchId !== last.batchId) }));
          await get().reload();
          scheduleOverview();
          return r;
        } catch (err) {
          // An undo that can no longer happen (already undone elsewhere, too old) leaves the stack.
          if (err instanceof ApiError && err.code === 'conflict') {
            set((s) => ({ undo: s.undo.filter((u) => u.batchId !== last.batchId) }));
          }
          throw err;
        } finally {
          set({ busy: false });
        }
      },
      async loadOverview() {
        try {
          set({ overview: await api.invoke('review.overview', {}) });
        } catch {
          // The strip keeps its last figures; the queue itself reports errors.
        }
      },
    };
  });
}

export const useReviewQueueStore = createReviewQueueStore(defaultApi);

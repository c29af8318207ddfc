import { create } from 'zustand';
import { api as defaultApi, errorMessage, type Api } from '../api/client';
import type { ConversationDetail, ConversationSummary, ReviewStatus, SourceKind, Task } from '../api/contract';

export const PAGE_SIZE = 100;
/** The contract's largest page; a refresh reloads at most this many rows. */
const MAX_PAGE = 500;
export const SEARCH_DEBOUNCE_MS = 250;

export interface ConversationFilters {
  text: string;
  sourceKind: SourceKind | null;
  reviewStatus: ReviewStatus | null;
}

export const NO_FILTERS: ConversationFilters = { text: '', sourceKind: null, reviewStatus: null };

type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

interface ConversationsState {
  filters: ConversationFilters;
  items: ConversationSummary[];
  total: number;
  status: LoadStatus;
  loadingMore: boolean;
  error: string | null;
  selectedId: number | null;
  detail: ConversationDetail | null;
  detailStatus: LoadStatus;
  detailError: string | null;
}

interface ConversationsActions {
  /** Updates the search box at once and reloads the list after a short pause in typing. */
  setText(text: string): void;
  setSourceKind(sourceKind: SourceKind | null): void;
  setReviewStatus(reviewStatus: ReviewStatus | null): void;
  clearFilters(): void;
  /** Loads the first page for the current filters. */
  load(): Promise<void>;
  loadMore(): Promise<void>;
  /** Reloads what is on screen after a change elsewhere; the open conversation too when it is affected. */
  refresh(changedIds?: readonly number[]): Promise<void>;
  select(id: number | null): Promise<void>;
  /** Moves the selection by `delta` rows in the loaded list. */
  selectRelative(delta: number): void;
  create(title: string, task?: Task): Promise<ConversationDetail>;
}

export type ConversationsStore = ConversationsState & ConversationsActions;

const INITIAL: ConversationsState = {
  filters: NO_FILTERS,
  items: [],
  total: 0,
  status: 'idle',
  loadingMore: false,
  error: null,
  selectedId: null,
  detail: null,
  detailStatus: 'idle',
  detailError: null,
};

function listArgs(f: ConversationFilters, limit: number, offset: number) {
  const text = f.text.trim();
  return {
    limit,
    offset,
    ...(text ? { text } : {}),
    ...(f.sourceKind ? { sourceKind: f.sourceKind } : {}),
    ...(f.reviewStatus ? { reviewStatus: f.reviewStatus } : {}),
  };
}

export function createConversationsStore(api: Pick<Api, 'invoke'>) {
  // Responses that arrive after a newer request was made are dropped.
  let listSeq = 0;
  let detailSeq = 0;
  let searchTimer: ReturnType<typeof setTimeout> | null = null;

  const cancelSearch = () => {
    if (searchTimer) clearTimeout(searchTimer);
    searchTimer = null;
  };

  return create<ConversationsStore>()((set, get) => {
    async function fetchList(limit: number, opts: { quiet: boolean }): Promise<void> {
      const mine = ++listSeq;
      if (!opts.quiet) set({ status: 'loading', error: null });
      try {
        const page = await api.invoke('conversations.list', listArgs(get().filters, limit, 0));
        if (mine !== listSeq) return;
        set({ items: page.items, total: page.total, status: 'ready', error: null, loadingMore: false });
      } catch (err) {
        if (mine !== listSeq) return;
        set({ status: 'error', error: errorMessage(err), loadingMore: false });
      }
    }

    async function fetchDetail(id: number, opts: { quiet: boolean }): Promise<void> {
      const mine = ++detailSeq;
      if (!opts.quiet) set({ detailStatus: 'loading', detailError: null });
      try {
        const detail = await api.invoke('conversations.get', { id });
        if (mine !== detailSeq) return;
        set({ detail, detailStatus: 'ready', detailError: null });
      } catch (err) {
        if (mine !== detailSeq) return;
        set({ detailStatus: 'error', detailError: errorMessage(err) });
      }
    }

    const setFilters = (patch: Partial<ConversationFilters>) => {
      cancelSearch();
      set((s) => ({ filters: { ...s.filters, ...patch } }));
      void get().load();
    };

    return {
      ...INITIAL,
      setText(text) {
        set((s) => ({ filters: { ...s.filters, text } }));
        cancelSearch();
        searchTimer = setTimeout(() => {
          searchTimer = null;
          void get().load();
        }, SEARCH_DEBOUNCE_MS);
      },
      setSourceKind: (sourceKind) => setFilters({ sourceKind }),
      setReviewStatus: (reviewStatus) => setFilters({ reviewStatus }),
      clearFilters: () => setFilters(NO_FILTERS),
      load: () => fetchList(PAGE_SIZE, { quiet: false }),
      async loadMore() {
        const { items, total, loadingMore, status, filters } = get();
        if (loadingMore || status !== 'ready' || items.length >= total) return;
        const mine = listSeq;
        set({ loadingMore: true });
        try {
          const page = await api.invoke('conversations.list', listArgs(filters, PAGE_SIZE, items.length));
          if (mine !== listSeq) return;
          set((s) => {
            const seen = new Set(s.items.map((c) => c.id));
            return {
              items: [...s.items, ...page.items.filter((c) => !seen.has(c.id))],
              total: page.total,
              loadingMore: false,
            };
          });
        } catch (err) {
          if (mine !== listSeq) return;
          set({ loadingMore: false, error: errorMessage(err) });
        }
      },
      async refresh(changedIds) {
        const { items, selectedId } = get();
        const limit = Math.min(Math.max(items.length, PAGE_SIZE), MAX_PAGE);
        const reloadDetail = selectedId !== null && (!changedIds || changedIds.includes(selectedId));
        await Promise.all([
          fetchList(limit, { quiet: true }),
          reloadDetail ? fetchDetail(selectedId, { quiet: true }) : Promise.resolve(),
        ]);
      },
      async select(id) {
        if (id === null) {
          detailSeq++;
          set({ selectedId: null, detail: null, detailStatus: 'idle', detailError: null });
          return;
        }
        if (id === get().selectedId && get().detailStatus !== 'error') return;
        set({ selectedId: id });
        await fetchDetail(id, { quiet: false });
      },
      selectRelative(delta) {
        const { items, selectedId } = get();
        if (!items.length) return;
        const at = items.findIndex((c) => c.id === selectedId);
        const next = at < 0 ? (delta > 0 ? 0 : items.length - 1) : Math.min(Math.max(at + delta, 0), items.length - 1);
        const target = items[next];
        if (target) void get().select(target.id);
      },
      async create(title, task = 'triage') {
        const created = await api.invoke('conversations.create', { title, task });
        // A new chat must be visible, whatever the list was filtered by.
        cancelSearch();
        set({ filters: NO_FILTERS, selectedId: created.id, detail: created, detailStatus: 'ready', detailError: null });
        detailSeq++;
        await get().load();
        return created;
      },
    };
  });
}

export const useConversationsStore = createConversationsStore(defaultApi);

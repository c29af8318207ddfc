import { create } from 'zustand';
import { api as defaultApi, errorMessage, type Api } from '../../api/client';
import { pointsFrom, type MetricPoint } from './jobFormat';
import type {
  CommandRequest,
  EventPayload,
  Job,
  JobEvent,
  TrainingJobDetail,
  TrainingOptions,
  TrainingOverview,
} from './jobsContract';

export type StartLocalInput = CommandRequest<'training.startLocal'>;
export type StartOpenAIInput = CommandRequest<'training.startOpenAI'>;

/** Events kept for the open job (the log and the charts); older ones are dropped from memory, not from the DB. */
const EVENTS_KEPT = 5000;

interface JobsState {
  overview: TrainingOverview | null;
  options: TrainingOptions | null;
  jobs: Job[];
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: string | null;
  selectedId: number | null;
  detail: TrainingJobDetail | null;
  /** Every event of the open job, oldest first; `points` are its metrics as chart points. */
  events: JobEvent[];
  points: MetricPoint[];
  /** Job ids with a cancel or retry in flight. */
  busy: Record<number, boolean>;
  /** The last failed cancel/retry, shown on the job page. */
  actionError: string | null;
  formOpen: boolean;
}

interface JobsActions {
  load(): Promise<void>;
  refreshJobs(): Promise<void>;
  refreshOverview(): Promise<void>;
  loadOptions(): Promise<void>;
  select(id: number | null): Promise<void>;
  refreshDetail(): Promise<void>;
  onJobUpdated(p: EventPayload<'job.updated'>): void;
  onJobEvent(e: EventPayload<'job.event'>): void;
  /** Draws the events received since the last time (called on a short timer; tests call it directly). */
  flushEvents(): void;
  cancel(id: number): Promise<void>;
  retry(id: number): Promise<void>;
  /** Resolve to an error message, or null when the job was queued (it is then selected). */
  startLocal(input: StartLocalInput): Promise<string | null>;
  startOpenAI(input: StartOpenAIInput): Promise<string | null>;
  setFormOpen(open: boolean): void;
}

export type JobsStore = JobsState & JobsActions;

export const INITIAL_JOBS_STATE: JobsState = {
  overview: null,
  options: null,
  jobs: [],
  status: 'idle',
  error: null,
  selectedId: null,
  detail: null,
  events: [],
  points: [],
  busy: {},
  actionError: null,
  formOpen: false,
};

function without<T>(rec: Record<number, T>, id: number): Record<number, T> {
  const next = { ...rec };
  delete next[id];
  return next;
}

/** Runs `fn` at most once per `ms`, trailing call included (many job events arrive in bursts). */
function throttle(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => {
      timer = null;
      last = Date.now();
      fn();
    }, wait);
  };
}

export function createJobsStore(api: Pick<Api, 'invoke'>, opts: { throttleMs?: number } = {}) {
  return create<JobsStore>()((set, get) => {
    const throttleMs = opts.throttleMs ?? 400;
    const laterJobs = throttle(() => void get().refreshJobs(), throttleMs);
    const laterOverview = throttle(() => void get().refreshOverview(), throttleMs * 2);
    const laterDetail = throttle(() => void get().refreshDetail(), throttleMs);
    let pending: JobEvent[] = [];
    let flushTimer: ReturnType<typeof setTimeout> | null = null;

    async function loadEvents(id: number): Promise<void> {
      const res = await api.invoke('jobs.events', { id, afterId: 0, limit: EVENTS_KEPT });
      if (get().selectedId !== id) return;
      // Events that arrived live while this page loaded are kept (merged by id).
      const live = get().events.filter((e) => e.jobId === id);
      const byId = new Map<number, JobEvent>();
      for (const e of [...res.items, ...live]) byId.set(e.id, e);
      const events = [...byId.values()].sort((a, b) => a.id - b.id).slice(-EVENTS_KEPT);
      set({ events, points: pointsFrom(events) });
    }

    async function act(id: number, fn: () => Promise<Job>): Promise<void> {
      set((s) => ({ busy: { ...s.busy, [id]: true }, actionError: null }));
      try {
        const job = await fn();
        set((s) => ({ jobs: s.jobs.map((j) => (j.id === job.id ? job : j)) }));
        if (get().selectedId === id) await get().refreshDetail();
      } catch (err) {
        set({ actionError: errorMessage(err) });
      } finally {
        set((s) => ({ busy: without(s.busy, id) }));
        laterJobs();
      }
    }

    async function start(fn: () => Promise<Job>): Promise<string | null> {
      try {
        const job = await fn();
        set((s) => ({ jobs: [job, ...s.jobs.filter((j) => j.id !== job.id)], formOpen: false }));
        await get().select(job.id);
        laterOverview();
        return null;
      } catch (err) {
        return errorMessage(err);
      }
    }

    return {
      ...INITIAL_JOBS_STATE,
      async load() {
        set({ status: get().jobs.length ? 'ready' : 'loading' });
        try {
          const [jobs, overview] = await Promise.all([
            api.invoke('jobs.list', { limit: 200 }),
            api.invoke('training.overview', {}),
          ]);
          set({ jobs: jobs.items, overview, status: 'ready', error: null });
          const selected = get().selectedId;
          if (selected === null && jobs.items.length) await get().select(jobs.items[0]!.id);
          else if (selected !== null) await get().refreshDetail();
        } catch (err) {
          set({ status: 'error', error: errorMessage(err) });
        }
      },
      async refreshJobs() {
        try {
          const res = await api.invoke('jobs.list', { limit: 200 });
          set({ jobs: res.items, error: null, status: 'ready' });
        } catch (err) {
          set({ error: errorMessage(err) });
        }
      },
      async refreshOverview() {
        try {
          set({ overview: await api.invoke('training.overview', {}) });
        } catch {
          // The figures are a convenience: a failed refresh keeps the last ones.
        }
      },
      async loadOptions() {
        try {
          set({ options: await api.invoke('training.options', {}) });
        } catch (err) {
          set({ error: errorMessage(err) });
        }
      },
      async select(id) {
        pending = [];
        set({ selectedId: id, detail: null, events: [], points: [], actionError: null });
        if (id === null) return;
        await Promise.all([get().refreshDetail(), loadEvents(id).catch(() => undefined)]);
      },
      async refreshDetail() {
        const id = get().selectedId;
        if (id === null) return;
        try {
          const detail = await api.invoke('training.jobDetail', { id });
          if (get().selectedId === id) set({ detail });
        } catch (err) {
          if (get().selectedId === id) set({ actionError: errorMessage(err) });
        }
      },
      onJobUpdated(p) {
        const before = get().jobs.find((j) => j.id === p.id);
        set((s) => ({
          jobs: s.jobs.map((j) =>
            j.id === p.id
              ? {
                  ...j,
                  status: p.status as Job['status'],
                  progress: p.progress,
                  etaSeconds: p.etaSeconds,
                  error: p.error,
                }
              : j,
          ),
          detail:
            s.detail && s.detail.job.id === p.id
              ? {
                  ...s.detail,
                  job: {
                    ...s.detail.job,
                    status: p.status as Job['status'],
                    progress: p.progress,
                    etaSeconds: p.etaSeconds,
                    error: p.error,
                  },
                }
              : s.detail,
        }));
        // Queue positions, attempts and new jobs come with the full list; lineage with the detail.
        laterJobs();
        // The overview counts jobs by status: refresh it when a status changes, not on every progress tick.
        if (!before || before.status !== p.status) laterOverview();
        if (p.id === get().selectedId) laterDetail();
      },
      onJobEvent(e) {
        if (e.jobId !== get().selectedId) return;
        // Events come in bursts (a poll can bring a hundred): they are drawn a few times a second, not one by one.
        pending.push(e);
        if (!flushTimer) flushTimer = setTimeout(() => get().flushEvents(), Math.min(250, throttleMs));
      },
      flushEvents() {
        if (flushTimer) clearTimeout(flushTimer);
        flushTimer = null;
        const id = get().selectedId;
        const fresh = pending.filter((e) => e.jobId === id);
        pending = [];
        if (!fresh.length) return;
        const events = get().events;
        const seen = new Set(events.map((x) => x.id));
        const added = fresh.filter((e) => !seen.has(e.id) && (seen.add(e.id), true));
        if (!added.length) return;
        const next = [...events, ...added].sort((a, b) => a.id - b.id).slice(-EVENTS_KEPT);
        set({ events: next, points: added.some((e) => e.type === 'metrics') ? pointsFrom(next) : get().points });
      },
      cancel: (id) => act(id, () => api.invoke('jobs.cancel', { id })),
      retry: (id) => act(id, () => api.invoke('jobs.retry', { id })),
      startLocal: (input) => start(() => api.invoke('training.startLocal', input)),
      startOpenAI: (input) => start(() => api.invoke('training.startOpenAI', input)),
      setFormOpen(open) {
        set({ formOpen: open });
        if (open) void get().loadOptions();
      },
    };
  });
}

export const useJobsStore = createJobsStore(defaultApi);

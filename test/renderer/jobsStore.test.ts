import { describe, expect, it, vi } from 'vitest';
import { ApiError, type Api } from '../../src-renderer/src/api/client';
import { createJobsStore } from '../../src-renderer/src/features/jobs/jobsStore';
import {
  canCancel,
  canRetry,
  formatEta,
  ordinal,
  pointsFrom,
  toPoint,
} from '../../src-renderer/src/features/jobs/jobFormat';
import type { Job, JobEvent, TrainingJobDetail, TrainingOverview } from '../../src-main/contract/index';

function job(id: number, over: Partial<Job> = {}): Job {
  return {
    id,
    kind: 'openai_finetune',
    status: 'running',
    params: { task: 'threat_detection', baseModel: 'gpt-4o-mini-2024-07-18' },
    baseModelId: null,
    datasetVersionId: 1,
    remoteId: null,
    progress: 0,
    etaSeconds: null,
    attempts: 1,
    error: null,
    result: null,
    createdAt: 1,
    startedAt: 1,
    finishedAt: null,
    queuePosition: null,
    ...over,
  };
}

function ev(
  id: number,
  jobId: number,
  metrics: Record<string, number | null> | null,
  type: JobEvent['type'] = 'metrics',
): JobEvent {
  return {
    id,
    jobId,
    level: 'info',
    type,
    message: type === 'metrics' ? 'metrics' : `event ${id}`,
    metrics,
    createdAt: id,
  };
}

const overview: TrainingOverview = {
  total: 10,
  approved: 6,
  pending: 3,
  rejected: 1,
  highQuality: 5,
  approvedHighQuality: 4,
  datasetVersions: 1,
  jobs: { queued: 0, running: 1, succeeded: 0, failed: 0 },
};

function fakeApi(jobs: Job[], events: JobEvent[] = []) {
  const invoke = vi.fn(async (name: string, args: Record<string, unknown>) => {
    switch (name) {
      case 'jobs.list':
        return { items: jobs };
      case 'training.overview':
        return overview;
      case 'jobs.events':
        return { items: events.filter((e) => e.jobId === args.id) };
      case 'training.jobDetail': {
        const j = jobs.find((x) => x.id === args.id)!;
        return {
          job: j,
          task: 'threat_detection',
          backend: 'openai',
          hyperparameters: {},
          lineage: { baseModel: null, datasetVersion: null, producedModel: null },
          openai: null,
        } satisfies TrainingJobDetail;
      }
      case 'jobs.cancel': {
        const j = jobs.find((x) => x.id === args.id)!;
        if (j.status === 'succeeded') throw new ApiError('conflict', `Job ${j.id} already succeeded.`);
        j.status = 'cancelled';
        return j;
      }
      case 'jobs.retry': {
        const j = jobs.find((x) => x.id === args.id)!;
        j.status = 'queued';
        return j;
      }
      case 'training.startOpenAI': {
        const j = job(jobs.length + 1, { status: 'queued' });
        jobs.unshift(j);
        return j;
      }
      case 'training.startLocal':
        throw new ApiError(
          'conflict',
          'Local training is not available in this build yet (no local trainer is registered).',
        );
      default:
        throw new Error(`unexpected ${name}`);
    }
  });
  return { invoke: invoke as unknown as Api['invoke'], calls: invoke };
}

describe('jobs store', () => {
  it('loads jobs and the overview, opens the newest job with its events and chart points', async () => {
    const api = fakeApi(
      [job(2), job(1, { status: 'succeeded' })],
      [
        ev(1, 2, { step: 1, train_loss: 2 }),
        ev(2, 2, null, 'message'),
        ev(3, 2, { step: 2, train_loss: 1.5, valid_loss: 1.8 }),
      ],
    );
    const store = createJobsStore(api, { throttleMs: 0 });
    await store.getState().load();
    const s = store.getState();
    expect(s.status).toBe('ready');
    expect(s.overview).toEqual(overview);
    expect(s.selectedId).toBe(2);
    expect(s.detail?.job.id).toBe(2);
    expect(s.events).toHaveLength(3);
    expect(s.points).toEqual([
      { step: 1, trainLoss: 2, validLoss: null, trainAccuracy: null, validAccuracy: null },
      { step: 2, trainLoss: 1.5, validLoss: 1.8, trainAccuracy: null, validAccuracy: null },
    ]);
  });

  it('adds live metrics of the open job in batches, ignores other jobs and repeats', async () => {
    const api = fakeApi([job(1), job(2)]);
    const store = createJobsStore(api, { throttleMs: 0 });
    await store.getState().select(1);
    const { onJobEvent, flushEvents } = store.getState();
    onJobEvent(ev(10, 1, { step: 1, train_loss: 2.1, train_mean_token_accuracy: 0.4 }));
    onJobEvent(ev(11, 2, { step: 1, train_loss: 9 }));
    onJobEvent(ev(12, 1, { step: 2, train_loss: 1.9 }));
    onJobEvent(ev(12, 1, { step: 2, train_loss: 1.9 }));
    expect(store.getState().points).toHaveLength(0);
    flushEvents();
    expect(store.getState().events.map((e) => e.id)).toEqual([10, 12]);
    expect(store.getState().points.map((p) => p.trainLoss)).toEqual([2.1, 1.9]);
    expect(store.getState().points[0]!.trainAccuracy).toBe(0.4);
  });

  it('patches a job from job.updated and refetches the list for queue positions', async () => {
    const api = fakeApi([job(1)]);
    const store = createJobsStore(api, { throttleMs: 0 });
    await store.getState().load();
    api.calls.mockClear();
    store
      .getState()
      .onJobUpdated({ id: 1, kind: 'openai_finetune', status: 'running', progress: 0.5, etaSeconds: 30, error: null });
    expect(store.getState().jobs[0]).toMatchObject({ progress: 0.5, etaSeconds: 30 });
    expect(store.getState().detail?.job.progress).toBe(0.5);
    await new Promise((r) => setTimeout(r, 10));
    expect(api.calls.mock.calls.map((c) => c[0])).toContain('jobs.list');
  });

  it('cancel and retry update the job; a refused action is shown, not thrown', async () => {
    const jobs = [job(1), job(2, { status: 'succeeded' })];
    const store = createJobsStore(fakeApi(jobs), { throttleMs: 0 });
    await store.getState().load();
    await store.getState().cancel(1);
    expect(store.getState().jobs.find((j) => j.id === 1)!.status).toBe('cancelled');
    await store.getState().retry(1);
    expect(store.getState().jobs.find((j) => j.id === 1)!.status).toBe('queued');
    await store.getState().cancel(2);
    expect(store.getState().actionError).toBe('Job 2 already succeeded.');
    expect(store.getState().busy).toEqual({});
  });

  it('starting a job closes the form and opens the job; a refusal comes back as a message', async () => {
    const store = createJobsStore(fakeApi([]), { throttleMs: 0 });
    store.setState({ formOpen: true });
    const err = await store.getState().startLocal({ task: 'log_analysis', baseModelId: 1, datasetVersionId: 1 });
    expect(err).toMatch(/not available/);
    expect(store.getState().formOpen).toBe(true);
    const ok = await store.getState().startOpenAI({
      task: 'threat_detection',
      endpointId: 1,
      baseModel: 'gpt-4o-mini-2024-07-18',
      datasetVersionId: 1,
    });
    expect(ok).toBeNull();
    expect(store.getState().formOpen).toBe(false);
    expect(store.getState().selectedId).toBe(1);
    expect(store.getState().jobs).toHaveLength(1);
  });
});

describe('job formatting', () => {
  it('reads every trainer’s metric names and keeps unknown values as null', () => {
    expect(toPoint(ev(1, 1, { step: 3, train_loss: 1, val_loss: 2, answer_acc: 0.5, val_acc: 0.4 }), 0)).toEqual({
      step: 3,
      trainLoss: 1,
      validLoss: 2,
      trainAccuracy: 0.5,
      validAccuracy: 0.4,
    });
    expect(toPoint(ev(1, 1, { step: 3, total_steps: 10 }), 0)).toBeNull();
    expect(toPoint(ev(1, 1, { train_loss: 1 }), 7)!.step).toBe(7);
    // A later report of the same step fills in what the first lacked.
    expect(pointsFrom([ev(1, 1, { step: 1, train_loss: 1 }), ev(2, 1, { step: 1, valid_loss: 2 })])).toEqual([
      { step: 1, trainLoss: 1, validLoss: 2, trainAccuracy: null, validAccuracy: null },
    ]);
  });

  it('formats ETA, ordinals and which buttons a status offers', () => {
    expect(formatEta(null)).toBe('—');
    expect(formatEta(42)).toBe('42s');
    expect(formatEta(75)).toBe('1m 15s');
    expect(formatEta(3725)).toBe('1h 2m');
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '101st',
    ]);
    expect(canRetry('interrupted')).toBe(true);
    expect(canRetry('failed')).toBe(true);
    expect(canRetry('cancelled')).toBe(true);
    expect(canRetry('running')).toBe(false);
    expect(canCancel('queued')).toBe(true);
    expect(canCancel('succeeded')).toBe(false);
  });
});

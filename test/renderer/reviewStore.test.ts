import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createReviewQueueStore } from '../../src-renderer/src/features/review/reviewStore';
import type { Api } from '../../src-renderer/src/api/client';

/** A fake core: an empty-ish queue; counts how often the queue was reloaded (countByFilter calls). */
function fakeApi() {
  const calls: string[] = [];
  const invoke = vi.fn(async (name: string) => {
    calls.push(name);
    switch (name) {
      case 'review.countByFilter':
        return { count: 1, byStatus: { pending: 1, approved: 0, rejected: 0 } };
      case 'review.list':
        return { items: [], nextCursor: null, total: null };
      case 'review.bulkByFilter':
        return { batchId: 7, decision: 'approve', matched: 1, changed: 1 };
      default:
        throw new Error(`unexpected ${name}`);
    }
  });
  const reloads = () => calls.filter((c) => c === 'review.countByFilter').length;
  return { api: { invoke } as unknown as Pick<Api, 'invoke'>, reloads };
}

describe('review queue store: changes made elsewhere', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("skips the echo of its own bulk decision but reloads for another labeller's change right after it", async () => {
    const { api, reloads } = fakeApi();
    const store = createReviewQueueStore(api);
    await store.getState().decideAllMatching('approve', 1);
    const afterOwn = reloads();
    // The echo of our own batch, then someone else labelling an example, both within the echo window.
    store.getState().changedElsewhere({ kind: 'decided', batchId: 7 });
    store.getState().changedElsewhere({ kind: 'labelled', batchId: null });
    await vi.advanceTimersByTimeAsync(100);
    expect(reloads()).toBe(afterOwn);
    await vi.advanceTimersByTimeAsync(2000);
    expect(reloads()).toBe(afterOwn + 1);
  });

  it('only its own echo in the window: no extra reload; outside the window any change reloads at once', async () => {
    const { api, reloads } = fakeApi();
    const store = createReviewQueueStore(api);
    await store.getState().decideAllMatching('approve', 1);
    const afterOwn = reloads();
    store.getState().changedElsewhere({ kind: 'decided', batchId: 7 });
    await vi.advanceTimersByTimeAsync(2500);
    expect(reloads()).toBe(afterOwn);
    store.getState().changedElsewhere({ kind: 'decided', batchId: 8 });
    await vi.advanceTimersByTimeAsync(0);
    expect(reloads()).toBe(afterOwn + 1);
    // Our batch undone from another window is news, not an echo.
    store.getState().changedElsewhere({ kind: 'undone', batchId: 7 });
    await vi.advanceTimersByTimeAsync(0);
    expect(reloads()).toBe(afterOwn + 2);
  });
});

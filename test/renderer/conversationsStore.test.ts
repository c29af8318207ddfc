import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createConversationsStore,
  NO_FILTERS,
  SEARCH_DEBOUNCE_MS,
} from '../../src-renderer/src/stores/conversationsStore';
import { ApiError, type Api } from '../../src-renderer/src/api/client';
import type { ConversationDetail, ConversationSummary } from '../../src-main/contract/index';

function summary(id: number, title = `Alert ${id}`): ConversationSummary {
  return {
    id,
    title,
    sourceKind: 'imported_alert',
    sourceFormat: 'cloudtrail',
    task: 'triage',
    keyFields: { rule: 'Rule', severity: 'high' },
    messageCount: 0,
    reviewStatus: null,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
  };
}

function detail(id: number, title = `Alert ${id}`): ConversationDetail {
  return { ...summary(id, title), alertPayload: { id }, messages: [] };
}

interface Call {
  name: string;
  args: Record<string, unknown>;
}

/** A fake core: records calls and answers from a list of conversations. */
function fakeApi(all: ConversationSummary[]) {
  const calls: Call[] = [];
  const invoke = vi.fn(async (name: string, args: Record<string, unknown>) => {
    calls.push({ name, args });
    if (name === 'conversations.list') {
      const text = typeof args.text === 'string' ? args.text.toLowerCase() : '';
      const hits = all.filter((c) => c.title.toLowerCase().includes(text));
      const offset = (args.offset as number) ?? 0;
      const limit = (args.limit as number) ?? 100;
      return { items: hits.slice(offset, offset + limit), total: hits.length };
    }
    if (name === 'conversations.get') {
      const c = all.find((x) => x.id === args.id);
      if (!c) throw new ApiError('not_found', `Conversation ${String(args.id)} does not exist.`);
      return { ...c, alertPayload: {}, messages: [] };
    }
    if (name === 'conversations.create') {
      const c = summary(all.length + 1, args.title as string);
      all.unshift({ ...c, sourceKind: 'triage_chat' });
      return detail(c.id, c.title);
    }
    throw new Error(`unexpected ${name}`);
  });
  return { api: { invoke } as unknown as Pick<Api, 'invoke'>, calls, invoke };
}

describe('conversationsStore', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('loads the first page and pages on', async () => {
    const all = Array.from({ length: 250 }, (_, i) => summary(250 - i));
    const { api } = fakeApi(all);
    const store = createConversationsStore(api);
    await store.getState().load();
    expect(store.getState()).toMatchObject({ status: 'ready', total: 250 });
    expect(store.getState().items).toHaveLength(100);
    await store.getState().loadMore();
    await store.getState().loadMore();
    expect(store.getState().items).toHaveLength(250);
    expect(new Set(store.getState().items.map((c) => c.id)).size).toBe(250);
  });

  it('debounces search and sends only the last text, trimmed', async () => {
    const { api, calls } = fakeApi([summary(1, 'Brute force login'), summary(2, 'AMI made public')]);
    const store = createConversationsStore(api);
    store.getState().setText('b');
    store.getState().setText('br');
    store.getState().setText(' brute ');
    expect(store.getState().filters.text).toBe(' brute ');
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args).toMatchObject({ text: 'brute', offset: 0 });
    expect(store.getState().items.map((c) => c.id)).toEqual([1]);
  });

  it('sends filters only when set and reloads at once when they change', async () => {
    const { api, calls } = fakeApi([summary(1)]);
    const store = createConversationsStore(api);
    store.getState().setSourceKind('imported_alert');
    store.getState().setReviewStatus('pending');
    await vi.runAllTimersAsync();
    expect(calls.at(-1)!.args).toEqual({
      limit: 100,
      offset: 0,
      sourceKind: 'imported_alert',
      reviewStatus: 'pending',
    });
    store.getState().clearFilters();
    await vi.runAllTimersAsync();
    expect(store.getState().filters).toEqual(NO_FILTERS);
    expect(calls.at(-1)!.args).toEqual({ limit: 100, offset: 0 });
  });

  it('drops a slow answer that arrives after a newer one', async () => {
    let release: (v: unknown) => void = () => {};
    const invoke = vi
      .fn()
      .mockImplementationOnce(() => new Promise((r) => (release = r)))
      .mockResolvedValueOnce({ items: [summary(2)], total: 1 });
    const store = createConversationsStore({ invoke } as unknown as Pick<Api, 'invoke'>);
    const first = store.getState().load();
    await store.getState().load();
    release({ items: [summary(1)], total: 1 });
    await first;
    expect(store.getState().items.map((c) => c.id)).toEqual([2]);
  });

  it('selects, moves the selection, and reports a missing conversation', async () => {
    const { api } = fakeApi([summary(3), summary(2), summary(1)]);
    const store = createConversationsStore(api);
    await store.getState().load();
    store.getState().selectRelative(1);
    await vi.runAllTimersAsync();
    expect(store.getState().selectedId).toBe(3);
    expect(store.getState().detail?.id).toBe(3);
    store.getState().selectRelative(1);
    await vi.runAllTimersAsync();
    expect(store.getState().detail?.id).toBe(2);
    await store.getState().select(99);
    expect(store.getState()).toMatchObject({ detailStatus: 'error', detailError: 'Conversation 99 does not exist.' });
  });

  it('refreshes the open conversation only when it changed', async () => {
    const { api, calls } = fakeApi([summary(2), summary(1)]);
    const store = createConversationsStore(api);
    await store.getState().load();
    await store.getState().select(1);
    calls.length = 0;
    await store.getState().refresh([2]);
    expect(calls.map((c) => c.name)).toEqual(['conversations.list']);
    await store.getState().refresh([1]);
    expect(calls.map((c) => c.name).sort()).toEqual(['conversations.get', 'conversations.list', 'conversations.list']);
  });

  it('creates a conversation, clears filters and opens it', async () => {
    const { api } = fakeApi([summary(1, 'Old alert')]);
    const store = createConversationsStore(api);
    store.getState().setText('old');
    const created = await store.getState().create('Kerberoasting burst');
    expect(store.getState().filters).toEqual(NO_FILTERS);
    expect(store.getState().selectedId).toBe(created.id);
    expect(store.getState().items[0]!.title).toBe('Kerberoasting burst');
    // The debounced search from before the create must not fire afterwards.
    await vi.runAllTimersAsync();
    expect(store.getState().filters.text).toBe('');
  });

  it('keeps the list and shows the error when loading fails', async () => {
    const invoke = vi.fn().mockRejectedValue(new ApiError('unreachable', 'Cannot reach the workbench host.'));
    const store = createConversationsStore({ invoke } as unknown as Pick<Api, 'invoke'>);
    await store.getState().load();
    expect(store.getState()).toMatchObject({ status: 'error', error: 'Cannot reach the workbench host.' });
  });
});

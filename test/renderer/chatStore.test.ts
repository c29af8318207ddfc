import { describe, expect, it, vi } from 'vitest';
import { createChatStore } from '../../src-renderer/src/features/chat/chatStore';
import { ApiError, type Api } from '../../src-renderer/src/api/client';

function fakeApi(reply: (name: string, args: Record<string, unknown>) => unknown) {
  const invoke = vi.fn(async (name: string, args: Record<string, unknown>) => reply(name, args));
  return { api: { invoke } as unknown as Pick<Api, 'invoke'>, invoke };
}

describe('chat store', () => {
  it('collects streamed tokens per message, even those that arrive before the send reply', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const { api } = fakeApi(async () => {
      await gate;
      return { messageId: 11, userMessageId: 10, modelId: 1 };
    });
    const store = createChatStore(api, () => 1000);
    const sent = store.getState().send({ conversationId: 5, content: 'hi' });
    expect(store.getState().sending[5]).toBe(true);
    store.getState().onToken({ conversationId: 5, messageId: 11, text: 'Likely ' });
    release();
    expect(await sent).toBe(true);
    store.getState().onToken({ conversationId: 5, messageId: 11, text: 'benign.' });
    expect(store.getState().live[11]).toMatchObject({ text: 'Likely benign.', done: false });
    expect(store.getState().streaming[5]).toBe(11);
    expect(store.getState().sending[5]).toBeUndefined();

    store.getState().onDone({ conversationId: 5, messageId: 11, stopped: true, completionTokens: 3, latencyMs: 40 });
    expect(store.getState().streaming[5]).toBeUndefined();
    expect(store.getState().live[11]).toMatchObject({ text: 'Likely benign.', done: true });
    expect(store.getState().lastDone[5]).toMatchObject({ stopped: true, completionTokens: 3 });
    // A late token for a finished answer is ignored.
    store.getState().onToken({ conversationId: 5, messageId: 11, text: 'late' });
    expect(store.getState().live[11]!.text).toBe('Likely benign.');
  });

  it('keeps a refused send as an error for that conversation only', async () => {
    const { api } = fakeApi(() => {
      throw new ApiError('conflict', 'The model is still answering in this conversation. Stop it or wait.');
    });
    const store = createChatStore(api);
    expect(await store.getState().send({ conversationId: 2, content: 'again' })).toBe(false);
    expect(store.getState().sendError[2]).toMatch(/still answering/);
    expect(store.getState().sendError[3]).toBeUndefined();
    expect(store.getState().streaming[2]).toBeUndefined();
  });

  it('asks the core to stop, and settles an answer that finished while away', async () => {
    const { api, invoke } = fakeApi((name) =>
      name === 'chat.stop' ? { stopped: true } : { messageId: 8, userMessageId: 7, modelId: 1 },
    );
    const store = createChatStore(api);
    await store.getState().send({ conversationId: 4, content: 'go' });
    await store.getState().stop(4);
    expect(invoke).toHaveBeenLastCalledWith('chat.stop', { conversationId: 4 });
    expect(store.getState().streaming[4]).toBe(8);
    store.getState().settle(4, 8);
    expect(store.getState().streaming[4]).toBeUndefined();
    expect(store.getState().live[8]!.done).toBe(true);
  });

  it('forgets old finished answers', () => {
    const store = createChatStore(fakeApi(() => null).api);
    for (let i = 1; i <= 30; i++) {
      store.getState().onToken({ conversationId: 1, messageId: i, text: 'x' });
      store.getState().onDone({ conversationId: 1, messageId: i, stopped: false });
    }
    expect(Object.keys(store.getState().live).length).toBe(20);
    expect(store.getState().live[30]).toBeDefined();
    expect(store.getState().live[1]).toBeUndefined();
  });
});

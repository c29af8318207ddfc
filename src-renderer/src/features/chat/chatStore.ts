import { create } from 'zustand';
import { api as defaultApi, errorMessage, type Api } from '../../api/client';
import type { CommandRequest, EventPayload } from '../../api/contract';

/** An answer being written, as the `chat.token` events have delivered it so far. */
export interface LiveAnswer {
  conversationId: number;
  messageId: number;
  text: string;
  startedAt: number;
  done: boolean;
}

export type ChatDone = EventPayload<'chat.done'>;

interface ChatState {
  /** By assistant message id. */
  live: Record<number, LiveAnswer>;
  /** The message being written per conversation, while it streams. */
  streaming: Record<number, number>;
  /** The last finished answer per conversation (tokens, latency, stopped, error). */
  lastDone: Record<number, ChatDone>;
  /** A send that failed before any answer started, per conversation. */
  sendError: Record<number, string>;
  /** Conversations with a send request in flight. */
  sending: Record<number, boolean>;
}

interface ChatActions {
  send(input: CommandRequest<'chat.send'>): Promise<boolean>;
  stop(conversationId: number): Promise<void>;
  onToken(e: EventPayload<'chat.token'>): void;
  onDone(e: ChatDone): void;
  /** The stored message is final though no `chat.done` arrived (the page was away): stop showing it as live. */
  settle(conversationId: number, messageId: number): void;
}

export type ChatStore = ChatState & ChatActions;

/** Finished live answers kept for display until the stored message replaces them. */
const KEEP_FINISHED = 20;

export function createChatStore(api: Pick<Api, 'invoke'>, now: () => number = Date.now) {
  return create<ChatStore>()((set) => ({
    live: {},
    streaming: {},
    lastDone: {},
    sendError: {},
    sending: {},

    async send(input) {
      const id = input.conversationId;
      set((s) => ({ sending: { ...s.sending, [id]: true }, sendError: without(s.sendError, id) }));
      try {
        const r = await api.invoke('chat.send', input);
        // Tokens may have arrived before this reply (events and replies travel separately).
        set((s) => {
          const existing = s.live[r.messageId];
          if (existing?.done) return {};
          return {
            streaming: { ...s.streaming, [id]: r.messageId },
            live: existing
              ? s.live
              : {
                  ...s.live,
                  [r.messageId]: {
                    conversationId: id,
                    messageId: r.messageId,
                    text: '',
                    startedAt: now(),
                    done: false,
                  },
                },
          };
        });
        return true;
      } catch (err) {
        set((s) => ({ sendError: { ...s.sendError, [id]: errorMessage(err) } }));
        return false;
      } finally {
        set((s) => ({ sending: without(s.sending, id) }));
      }
    },

    async stop(conversationId) {
      try {
        await api.invoke('chat.stop', { conversationId });
      } catch (err) {
        set((s) => ({ sendError: { ...s.sendError, [conversationId]: errorMessage(err) } }));
      }
    },

    onToken(e) {
      set((s) => {
        const prev = s.live[e.messageId];
        if (prev?.done) return {};
        const next: LiveAnswer = prev
          ? { ...prev, text: prev.text + e.text }
          : { conversationId: e.conversationId, messageId: e.messageId, text: e.text, startedAt: now(), done: false };
        return {
          live: { ...s.live, [e.messageId]: next },
          streaming: { ...s.streaming, [e.conversationId]: e.messageId },
        };
      });
    },

    onDone(e) {
      set((s) => {
        const prev = s.live[e.messageId];
        const live = {
          ...s.live,
          [e.messageId]: prev
            ? { ...prev, done: true }
            : { conversationId: e.conversationId, messageId: e.messageId, text: '', startedAt: now(), done: true },
        };
        const finished = Object.values(live).filter((a) => a.done);
        for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) delete live[old.messageId];
        const streaming =
          s.streaming[e.conversationId] === e.messageId ? without(s.streaming, e.conversationId) : s.streaming;
        return { live, streaming, lastDone: { ...s.lastDone, [e.conversationId]: e } };
      });
    },
    settle(conversationId, messageId) {
      set((s) => {
        const prev = s.live[messageId];
        if (s.streaming[conversationId] !== messageId && (!prev || prev.done)) return {};
        return {
          streaming: s.streaming[conversationId] === messageId ? without(s.streaming, conversationId) : s.streaming,
          live: prev ? { ...s.live, [messageId]: { ...prev, done: true } } : s.live,
        };
      });
    },
  }));
}

function without<T>(rec: Record<number, T>, key: number): Record<number, T> {
  if (!(key in rec)) return rec;
  const next = { ...rec };
  delete next[key];
  return next;
}

export const useChatStore = createChatStore(defaultApi);

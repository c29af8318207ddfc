import { TriageAnswerSchema, type Message } from '../../api/contract';
import { useChatStore } from './chatStore';

/**
 * A message's text: the stored content, or while the model is still writing it, what has streamed so far
 * (with a cursor). Used by the conversation's message list.
 */
export function LiveMessageText({ message }: { message: Message }) {
  const live = useChatStore((s) => s.live[message.id]);
  // Once the stored message is final (events may have been missed while away), it wins.
  if (message.role !== 'assistant' || !live || isFinal(message) || (live.done && message.content)) {
    // A valid structured answer is shown as badges; its JSON text is folded away there.
    if (message.role === 'assistant' && TriageAnswerSchema.safeParse(message.structured).success) return null;
    return <>{message.content}</>;
  }
  return (
    <>
      {live.text || message.content}
      {live.done ? null : <span className="chat-cursor" aria-hidden="true" />}
      {!live.done && !live.text ? <span className="muted">Thinking…</span> : null}
    </>
  );
}

/** A stored assistant message is final once it has a latency, an error or the stopped flag. */
export function isFinal(m: Message): boolean {
  return m.latencyMs !== null || m.error !== null || m.stopped;
}

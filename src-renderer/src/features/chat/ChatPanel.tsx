import { useEffect, useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useApiEvent } from '../../api/useApiEvent';
import type { ConversationDetail, Task } from '../../api/contract';
import { Icon } from '../../components/Icon';
import { useModelsStore } from '../models/modelsStore';
import { useChatStore, type ChatDone } from './chatStore';
import { isFinal } from './LiveMessageText';
import './chat.css';

export interface ChatPanelProps {
  conversation: ConversationDetail;
}

interface Choice {
  conversationId: number;
  task: Task;
  /** null: the task's active model. */
  modelId: number | null;
  /** null: the task's default (on for triage). */
  structured: boolean | null;
}

function freshChoice(c: ConversationDetail): Choice {
  return { conversationId: c.id, task: c.task, modelId: null, structured: null };
}

/**
 * The composer under an open conversation: task and model pickers, the message box, Send, and Stop (Esc)
 * while the answer streams into the message list. A stopped answer keeps what was written so far.
 */
export function ChatPanel({ conversation }: ChatPanelProps) {
  const id = useId();
  const conversationId = conversation.id;
  const tasks = useModelsStore((s) => s.tasks);
  const models = useModelsStore((s) => s.models);
  const loadModels = useModelsStore((s) => s.load);
  const streamingId = useChatStore((s) => s.streaming[conversationId]);
  const live = useChatStore((s) => (streamingId !== undefined ? s.live[streamingId] : undefined));
  const sending = useChatStore((s) => s.sending[conversationId] ?? false);
  const sendError = useChatStore((s) => s.sendError[conversationId]);
  const lastDone = useChatStore((s) => s.lastDone[conversationId]);
  const { send, stop, onToken, onDone, settle } = useChatStore.getState();

  const [draft, setDraft] = useState('');
  // Choices belong to one conversation; opening another starts from its own task.
  const [choice, setChoice] = useState<Choice>(() => freshChoice(conversation));
  const current = choice.conversationId === conversationId ? choice : freshChoice(conversation);
  const { task, modelId, structured } = current;
  const choose = (patch: Partial<Omit<Choice, 'conversationId'>>) => setChoice({ ...current, ...patch });

  useEffect(() => {
    if (!tasks.length) void loadModels();
  }, [tasks.length, loadModels]);
  useApiEvent('chat.token', onToken);
  useApiEvent('chat.done', onDone);
  useApiEvent('models.changed', () => void loadModels());

  // An answer that finished while this page was away shows up stored and final: it is no longer streaming.
  const streamingMessage = conversation.messages.find((m) => m.id === streamingId);
  const settled = streamingMessage !== undefined && isFinal(streamingMessage);
  useEffect(() => {
    if (settled && streamingId !== undefined) settle(conversationId, streamingId);
  }, [settled, conversationId, streamingId, settle]);

  const preset = tasks.find((t) => t.id === task);
  const usable = models.filter((m) => !m.archived);
  const effectiveModel = modelId ?? preset?.preferredModelId ?? null;
  const structuredOn = preset?.structured ? (structured ?? true) : false;
  const answering = streamingId !== undefined;

  // Esc stops the answer, wherever the focus is (unless a dialog has it).
  useEffect(() => {
    if (!answering) return;
    function onKey(e: globalThis.KeyboardEvent): void {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      if (document.querySelector('dialog[open]')) return;
      e.preventDefault();
      void stop(conversationId);
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [answering, conversationId, stop]);

  async function submit(e?: FormEvent): Promise<void> {
    e?.preventDefault();
    const content = draft.trim();
    if (!content || answering || sending) return;
    const ok = await send({
      conversationId,
      content,
      task,
      ...(effectiveModel !== null ? { modelId: effectiveModel } : {}),
      ...(preset?.structured ? { structured: structuredOn } : {}),
    });
    if (ok) setDraft('');
  }

  function onComposerKey(e: KeyboardEvent<HTMLTextAreaElement>): void {
    // Enter sends; Shift+Enter is a new line.
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  }

  return (
    <form className="chat-panel" aria-label="Chat composer" data-slot="chat-composer" onSubmit={(e) => void submit(e)}>
      <div className="chat-options">
        <label className="chat-option">
          <span className="muted small">Task</span>
          <select
            className="input select chat-select"
            value={task}
            onChange={(e) => choose({ task: e.target.value as Task, modelId: null, structured: null })}
            disabled={answering}
            data-testid="chat-task"
          >
            {(tasks.length ? tasks : [{ id: conversation.task, title: conversation.task }]).map((t) => (
              <option key={t.id} value={t.id}>
                {t.title}
              </option>
            ))}
          </select>
        </label>
        <label className="chat-option">
          <span className="muted small">Model</span>
          <select
            className="input select chat-select"
            value={effectiveModel ?? ''}
            onChange={(e) => choose({ modelId: e.target.value ? Number(e.target.value) : null })}
            disabled={answering}
            data-testid="chat-model"
          >
            {effectiveModel === null ? <option value="">Active model for the task</option> : null}
            {usable.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
                {m.id === preset?.preferredModelId ? ' (active)' : ''}
              </option>
            ))}
          </select>
        </label>
        {preset?.structured ? (
          <label className="chat-option chat-check" title="Answer as the triage JSON (verdict, severity, techniques)">
            <input
              type="checkbox"
              checked={structuredOn}
              onChange={(e) => choose({ structured: e.target.checked })}
              disabled={answering}
              data-testid="chat-structured"
            />
            <span className="small">Structured answer</span>
          </label>
        ) : null}
      </div>
      <label className="visually-hidden" htmlFor={`${id}-composer`}>
        Message to the model
      </label>
      <textarea
        id={`${id}-composer`}
        className="input composer-input"
        rows={2}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={onComposerKey}
        placeholder="Ask the model about this alert — is it a true positive, and what should I check next?"
        data-testid="chat-input"
      />
      <div className="composer-footer">
        <ChatStatus answering={answering} startedAt={live?.startedAt} lastDone={lastDone} sendError={sendError} />
        {answering ? (
          <button
            type="button"
            className="btn chat-stop"
            onClick={() => void stop(conversationId)}
            aria-keyshortcuts="Escape"
            title="Stop the answer (Esc)"
            data-testid="chat-stop"
          >
            <span className="chat-stop-square" aria-hidden="true" />
            Stop
          </button>
        ) : (
          <button type="submit" className="btn btn-primary" disabled={!draft.trim() || sending} data-testid="chat-send">
            {sending ? 'Sending…' : 'Send'}
          </button>
        )}
      </div>
    </form>
  );
}

function ChatStatus({
  answering,
  startedAt,
  lastDone,
  sendError,
}: {
  answering: boolean;
  startedAt: number | undefined;
  lastDone: ChatDone | undefined;
  sendError: string | undefined;
}) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!answering) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [answering]);

  if (sendError) {
    return (
      <span className="error-text small" role="alert" data-testid="chat-error">
        {sendError}
      </span>
    );
  }
  if (answering) {
    const secs = startedAt ? Math.max(0, (now - startedAt) / 1000) : 0;
    return (
      <span className="muted small" role="status">
        Answering… {secs.toFixed(0)} s · <kbd>Esc</kbd> stops and keeps what is written
      </span>
    );
  }
  if (!lastDone) {
    return (
      <span className="muted small">
        <Icon name="info" size={12} /> <kbd>Enter</kbd> sends, <kbd>Shift</kbd>+<kbd>Enter</kbd> adds a line.
      </span>
    );
  }
  const stats = [
    lastDone.latencyMs !== undefined ? `${(lastDone.latencyMs / 1000).toFixed(1)} s` : null,
    lastDone.promptTokens !== undefined ? `${lastDone.promptTokens} prompt tokens` : null,
    lastDone.completionTokens !== undefined ? `${lastDone.completionTokens} answer tokens` : null,
  ].filter(Boolean);
  return (
    <span className="small chat-last" role="status" data-testid="chat-status">
      {lastDone.stopped ? <span className="chip chip-warn">stopped — partial answer kept</span> : null}
      {lastDone.error ? <span className="error-text">{lastDone.error}</span> : null}
      <span className="muted">{stats.join(' · ')}</span>
    </span>
  );
}

import type { ConversationDetail } from '../../api/contract';
import { EmptyState } from '../../components/EmptyState';
import { REVIEW_STATUS_LABEL, SOURCE_KIND_LABEL, TASK_LABEL, formatDateTime, plural } from '../../lib/format';
import { ChatPanel } from './ChatPanel';
import { MessageList } from './MessageList';

export function ConversationView({ conversation }: { conversation: ConversationDetail }) {
  const c = conversation;
  return (
    <div className="conversation">
      <header className="conversation-header">
        <h2 className="conversation-title" title={c.title}>
          {c.title}
        </h2>
        <div className="conversation-meta">
          <span className="chip">{SOURCE_KIND_LABEL[c.sourceKind]}</span>
          {c.sourceFormat ? <span className="chip chip-mono">{c.sourceFormat}</span> : null}
          <span className="chip">{TASK_LABEL[c.task]}</span>
          {c.reviewStatus ? (
            <span className={`chip review-${c.reviewStatus}`}>{REVIEW_STATUS_LABEL[c.reviewStatus]}</span>
          ) : null}
          <span className="muted small">
            #{c.id} · created {formatDateTime(c.createdAt)} · {plural(c.messages.length, 'message')}
          </span>
        </div>
      </header>
      <div className="conversation-body">
        {c.messages.length ? (
          <MessageList messages={c.messages} />
        ) : (
          <EmptyState icon="message" title="No messages yet" compact>
            <p>
              Nobody has discussed this {c.sourceKind === 'imported_alert' ? 'alert' : 'conversation'} with a model yet.
              Ask about it below — whether it is a true positive, what the actor was doing, and what to check next.
            </p>
          </EmptyState>
        )}
      </div>
      {/* Chat composer slot: streaming chat replaces ChatPanel's body, not this layout. */}
      <ChatPanel conversation={c} />
    </div>
  );
}

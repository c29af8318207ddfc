import type { Message } from '../../api/contract';
import { formatDateTime } from '../../lib/format';
import { LiveMessageText } from '../../features/chat/LiveMessageText';
import { TriageAnswerBadges } from '../../features/chat/TriageAnswerBadges';

const ROLE_LABEL: Record<Message['role'], string> = {
  system: 'System',
  user: 'Analyst',
  assistant: 'Model',
  tool: 'Tool',
};

export function MessageList({ messages }: { messages: Message[] }) {
  return (
    <ol className="messages" aria-label="Messages">
      {messages.map((m) => (
        <li key={m.id} className={`message role-${m.role}`}>
          <div className="message-meta">
            <span className="message-role">{ROLE_LABEL[m.role]}</span>
            <time dateTime={new Date(m.createdAt).toISOString()}>{formatDateTime(m.createdAt)}</time>
            {m.role === 'assistant' && m.completionTokens !== null ? (
              <span className="muted">
                {m.completionTokens} tokens{m.latencyMs !== null ? ` · ${(m.latencyMs / 1000).toFixed(1)} s` : ''}
              </span>
            ) : null}
            {m.stopped ? <span className="chip chip-warn">stopped</span> : null}
          </div>
          <div className="message-content">
            <LiveMessageText message={m} />
          </div>
          {m.structured ? <TriageAnswerBadges structured={m.structured} /> : null}
          {m.error ? (
            <p className="error-text" role="note">
              {m.error}
            </p>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

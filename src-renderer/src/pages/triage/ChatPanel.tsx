import type { ConversationDetail } from '../../api/contract';
import { Icon } from '../../components/Icon';

export interface ChatPanelProps {
  conversation: ConversationDetail;
}

/**
 * CHAT COMPOSER SLOT. A placeholder until streaming chat lands: that work replaces the body of
 * this component and keeps its props. ConversationView renders it under the open conversation's
 * messages; the list refreshes itself on `conversations.changed`, so new messages appear once
 * the core emits that event.
 */
export function ChatPanel({ conversation }: ChatPanelProps) {
  return (
    <div className="chat-panel chat-panel-placeholder" data-slot="chat-composer" aria-label="Chat composer">
      <label className="visually-hidden" htmlFor={`composer-${conversation.id}`}>
        Message to the model
      </label>
      <textarea
        id={`composer-${conversation.id}`}
        className="input composer-input"
        rows={2}
        disabled
        placeholder="Ask the model about this alert — is it a true positive, and what should I check next?"
      />
      <div className="composer-footer">
        <span className="muted small">
          <Icon name="info" size={12} /> Chat with the active Triage model arrives in the next build.
        </span>
        <button type="button" className="btn btn-primary" disabled>
          Send
        </button>
      </div>
    </div>
  );
}

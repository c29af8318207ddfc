import { useEffect, useRef, useState } from 'react';
import { useApiEvent, useConnection } from '../api/useApiEvent';
import { Icon } from '../components/Icon';
import { EmptyState } from '../components/EmptyState';
import { useConversationsStore } from '../stores/conversationsStore';
import { isPlainKey, isTypingTarget } from '../shell/shortcuts';
import { ConversationList } from './triage/ConversationList';
import { ConversationView } from './triage/ConversationView';
import { ContextPanel } from './triage/ContextPanel';
import { NewConversationDialog } from './triage/NewConversationDialog';
import { LabelPanel } from '../features/labels/LabelPanel';
import { ImportButton } from '../features/import/ImportDialog';

export function TriagePage() {
  const status = useConversationsStore((s) => s.status);
  const selectedId = useConversationsStore((s) => s.selectedId);
  const detail = useConversationsStore((s) => s.detail);
  const detailStatus = useConversationsStore((s) => s.detailStatus);
  const detailError = useConversationsStore((s) => s.detailError);
  const { load, refresh, selectRelative, select, create } = useConversationsStore.getState();
  const [creating, setCreating] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (status === 'idle') void load();
  }, [status, load]);
  useApiEvent('conversations.changed', (p) => void refresh(p.ids));
  const lastConnection = useRef<string>('connecting');
  useConnection((state) => {
    if (state === 'open' && lastConnection.current === 'reconnecting') void refresh();
    lastConnection.current = state;
  });

  useEffect(() => {
    function onKeyDown(e: KeyboardEvent): void {
      if (e.defaultPrevented || !isPlainKey(e) || isTypingTarget(e.target)) return;
      if (document.querySelector('dialog[open]')) return;
      if (e.key === '/') {
        e.preventDefault();
        searchRef.current?.focus();
        searchRef.current?.select();
      } else if (e.key === 'j' || e.key === 'k') {
        e.preventDefault();
        selectRelative(e.key === 'j' ? 1 : -1);
      } else if (e.key === 'n') {
        e.preventDefault();
        setCreating(true);
      }
    }
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [selectRelative]);

  const open = selectedId !== null && detail !== null && detail.id === selectedId;

  return (
    <div className={open ? 'triage has-selection' : 'triage'}>
      <section className="triage-list" aria-labelledby="triage-title">
        <div className="pane-header">
          <h1 id="triage-title">Triage</h1>
          <ImportButton />
          <button
            type="button"
            className="btn btn-primary btn-sm"
            onClick={() => setCreating(true)}
            aria-keyshortcuts="n"
            title="New conversation (n)"
          >
            <Icon name="plus" size={14} />
            New conversation
          </button>
        </div>
        <ConversationList searchRef={searchRef} />
      </section>

      {open ? (
        <>
          <section className="triage-conversation" aria-label="Conversation" aria-busy={detailStatus === 'loading'}>
            <ConversationView conversation={detail} />
          </section>
          <aside className="triage-context" aria-label="Alert context">
            <LabelPanel conversation={detail} />
            <ContextPanel conversation={detail} />
          </aside>
        </>
      ) : (
        <section className="triage-placeholder" aria-label="Conversation">
          {detailStatus === 'error' ? (
            <EmptyState
              icon="info"
              title="Could not open this conversation"
              compact
              actions={
                <button type="button" className="btn" onClick={() => selectedId !== null && void select(selectedId)}>
                  Try again
                </button>
              }
            >
              <p>{detailError}</p>
            </EmptyState>
          ) : detailStatus === 'loading' ? (
            <p className="muted center">Opening…</p>
          ) : (
            <EmptyState
              icon="triage"
              title="Pick an alert to triage"
              steps={[
                'Choose a conversation on the left — search by rule, host, user or IP, or filter by source.',
                'Read the key fields and the raw record, then ask the model what it makes of it.',
                'When the answer is right, mark the conversation for training so it reaches the Review queue.',
              ]}
              actions={
                <button type="button" className="btn" onClick={() => setCreating(true)}>
                  <Icon name="plus" size={14} />
                  Start a blank conversation
                </button>
              }
            >
              <p>
                Use <kbd>j</kbd> / <kbd>k</kbd> to move through the list and <kbd>/</kbd> to search. Press <kbd>?</kbd>{' '}
                for all shortcuts.
              </p>
            </EmptyState>
          )}
        </section>
      )}

      <NewConversationDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreate={async (title, task) => {
          await create(title, task);
        }}
      />
    </div>
  );
}

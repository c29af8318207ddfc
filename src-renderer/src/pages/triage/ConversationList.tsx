import { useEffect, useRef, type KeyboardEvent, type RefObject } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import {
  REVIEW_STATUSES,
  SOURCE_KINDS,
  type ConversationSummary,
  type ReviewStatus,
  type SourceKind,
} from '../../api/contract';
import { Icon } from '../../components/Icon';
import { EmptyState } from '../../components/EmptyState';
import { useConversationsStore } from '../../stores/conversationsStore';
import { REVIEW_STATUS_LABEL, SOURCE_KIND_LABEL, formatRelative, plural, severityClass } from '../../lib/format';

const ROW_HEIGHT = 70;

function Row({ c }: { c: ConversationSummary }) {
  const kf = c.keyFields;
  const who = [kf.user, kf.host, kf.sourceIp].filter(Boolean).join(' · ');
  return (
    <>
      <span className={`row-sev ${severityClass(kf.severity)}`} aria-hidden="true" />
      <span className="row-main">
        <span className="row-line">
          <span className="row-title" title={c.title}>
            {c.title}
          </span>
          <time className="row-time" dateTime={new Date(c.updatedAt).toISOString()}>
            {formatRelative(c.updatedAt)}
          </time>
        </span>
        <span className="row-line row-sub">
          {kf.severity ? <span className={`chip chip-xs sev ${severityClass(kf.severity)}`}>{kf.severity}</span> : null}
          {c.sourceFormat ? <span className="chip chip-xs chip-mono">{c.sourceFormat}</span> : null}
          {c.sourceKind === 'triage_chat' ? <span className="chip chip-xs">chat</span> : null}
          {c.reviewStatus ? <span className={`chip chip-xs review-${c.reviewStatus}`}>{c.reviewStatus}</span> : null}
          <span className="row-who mono">{who}</span>
          {c.messageCount > 0 ? (
            <span className="row-count" aria-label={plural(c.messageCount, 'message')}>
              <Icon name="message" size={12} />
              {c.messageCount}
            </span>
          ) : null}
        </span>
      </span>
    </>
  );
}

export function ConversationList({ searchRef }: { searchRef: RefObject<HTMLInputElement | null> }) {
  const filters = useConversationsStore((s) => s.filters);
  const items = useConversationsStore((s) => s.items);
  const total = useConversationsStore((s) => s.total);
  const status = useConversationsStore((s) => s.status);
  const error = useConversationsStore((s) => s.error);
  const selectedId = useConversationsStore((s) => s.selectedId);
  const { setText, setSourceKind, setReviewStatus, clearFilters, select, selectRelative, loadMore, load } =
    useConversationsStore.getState();

  const scrollRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer's own re-render contract is what we want here
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });
  const virtualItems = virtualizer.getVirtualItems();
  const lastIndex = virtualItems.length ? virtualItems[virtualItems.length - 1]!.index : -1;

  useEffect(() => {
    if (lastIndex >= items.length - 10 && items.length < total) void loadMore();
  }, [lastIndex, items.length, total, loadMore]);

  const selectedIndex = items.findIndex((c) => c.id === selectedId);
  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
  }, [selectedIndex, virtualizer]);

  const filtered = filters.text.trim() !== '' || filters.sourceKind !== null || filters.reviewStatus !== null;

  function onListKeyDown(e: KeyboardEvent<HTMLDivElement>): void {
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 };
    if (e.key in moves) {
      e.preventDefault();
      selectRelative(moves[e.key]!);
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      const target = e.key === 'Home' ? items[0] : items[items.length - 1];
      if (target) void select(target.id);
    }
  }

  return (
    <div className="convlist">
      <div className="convlist-filters">
        <div className="search">
          <Icon name="search" size={14} className="search-icon" />
          <label htmlFor="conversation-search" className="visually-hidden">
            Search conversations
          </label>
          <input
            id="conversation-search"
            ref={searchRef}
            className="input search-input"
            type="search"
            placeholder="Search title, rule, host, user, IP…"
            value={filters.text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape' && filters.text) {
                e.preventDefault();
                setText('');
              } else if (e.key === 'ArrowDown') {
                e.preventDefault();
                scrollRef.current?.focus();
              }
            }}
            aria-keyshortcuts="/"
            autoComplete="off"
            spellCheck={false}
          />
          <kbd className="search-kbd" aria-hidden="true">
            /
          </kbd>
        </div>
        <div className="filter-row">
          <label className="select-wrap">
            <span className="visually-hidden">Source</span>
            <select
              className="input select"
              value={filters.sourceKind ?? ''}
              onChange={(e) => setSourceKind((e.target.value || null) as SourceKind | null)}
              aria-label="Filter by source"
            >
              <option value="">All sources</option>
              {SOURCE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {SOURCE_KIND_LABEL[k]}
                </option>
              ))}
            </select>
          </label>
          <label className="select-wrap">
            <span className="visually-hidden">Review status</span>
            <select
              className="input select"
              value={filters.reviewStatus ?? ''}
              onChange={(e) => setReviewStatus((e.target.value || null) as ReviewStatus | null)}
              aria-label="Filter by review status"
            >
              <option value="">Any review status</option>
              {REVIEW_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {REVIEW_STATUS_LABEL[s]}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="convlist-count" aria-live="polite">
          <span>
            {status === 'loading' && !items.length
              ? 'Loading…'
              : filtered
                ? `${plural(total, 'match', 'matches')}`
                : plural(total, 'conversation')}
          </span>
          {filtered ? (
            <button type="button" className="link-button" onClick={clearFilters}>
              Clear filters
            </button>
          ) : null}
        </div>
      </div>

      {status === 'error' ? (
        <div className="convlist-state" role="alert">
          <p className="error-text">{error}</p>
          <button type="button" className="btn btn-sm" onClick={() => void load()}>
            Try again
          </button>
        </div>
      ) : status === 'ready' && items.length === 0 ? (
        <div className="convlist-state">
          {filtered ? (
            <EmptyState
              icon="search"
              title="No matches"
              compact
              actions={
                <button type="button" className="btn btn-sm" onClick={clearFilters}>
                  Clear filters
                </button>
              }
            >
              <p>Nothing matches these filters. Search looks at titles, rules, hosts, users and IPs.</p>
            </EmptyState>
          ) : (
            <EmptyState icon="triage" title="No conversations yet" compact>
              <p>Import alerts or logs, or start a new conversation to triage by chatting with the model.</p>
            </EmptyState>
          )}
        </div>
      ) : null}

      <div
        ref={scrollRef}
        className="convlist-scroll"
        role="listbox"
        aria-label="Conversations"
        tabIndex={0}
        aria-activedescendant={selectedId !== null && selectedIndex >= 0 ? `conversation-${selectedId}` : undefined}
        onKeyDown={onListKeyDown}
        hidden={items.length === 0}
        data-testid="conversation-list"
      >
        <div className="convlist-inner" role="presentation" style={{ height: virtualizer.getTotalSize() }}>
          {virtualItems.map((v) => {
            const c = items[v.index]!;
            const selected = c.id === selectedId;
            return (
              <div
                key={c.id}
                id={`conversation-${c.id}`}
                role="option"
                aria-selected={selected}
                aria-setsize={total}
                aria-posinset={v.index + 1}
                className={selected ? 'convrow selected' : 'convrow'}
                style={{ height: ROW_HEIGHT, transform: `translateY(${v.start}px)` }}
                onClick={() => void select(c.id)}
              >
                <Row c={c} />
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

import { useEffect, useRef, type MouseEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { ReviewItem } from '../../api/contract';
import { formatRelative } from '../../lib/format';
import { VERDICT_LABEL } from '../labels/LabelPanel';
import { PAGE, useReviewQueueStore } from './reviewStore';

const ROW_HEIGHT = 58;

export const rowDomId = (index: number) => `rq-row-${index}`;

function Row({ item }: { item: ReviewItem }) {
  const shown = item.techniques.slice(0, 2);
  return (
    <>
      <span className="rq-row-line">
        <span className="rq-row-title" title={item.title}>
          {item.title}
        </span>
        <time className="rq-row-time" dateTime={new Date(item.labelledAt).toISOString()}>
          {formatRelative(item.labelledAt)}
        </time>
      </span>
      <span className="rq-row-line rq-row-sub">
        {item.verdict ? (
          <span className={`chip chip-xs verdict-${item.verdict}`}>{VERDICT_LABEL[item.verdict]}</span>
        ) : null}
        {item.severity ? <span className={`chip chip-xs sev sev-${item.severity}`}>{item.severity}</span> : null}
        {item.threatType ? <span className="chip chip-xs">{item.threatType}</span> : null}
        {shown.map((t) => (
          <span key={t} className="chip chip-xs chip-mono">
            {t}
          </span>
        ))}
        {item.techniques.length > shown.length ? (
          <span className="chip chip-xs">+{item.techniques.length - shown.length}</span>
        ) : null}
        {item.quality ? (
          <span className={item.quality >= 4 ? 'chip chip-xs rq-q rq-q-high' : 'chip chip-xs rq-q'} title="Quality">
            Q{item.quality}
          </span>
        ) : null}
        <span className="rq-row-who">
          {item.status === 'pending'
            ? item.labeller
            : `${item.reviewer ?? '—'}${item.reason ? ` · ${item.reason}` : ''}`}
        </span>
      </span>
    </>
  );
}

/**
 * The queue, virtualized over the whole match count: only visible rows exist in the DOM, and the
 * pages they fall in are fetched as they scroll into view (keyset after the first page).
 */
export function ReviewList() {
  const total = useReviewQueueStore((s) => s.total);
  const pages = useReviewQueueStore((s) => s.pages);
  const current = useReviewQueueStore((s) => s.current);
  const selected = useReviewQueueStore((s) => s.selected);
  const generation = useReviewQueueStore((s) => s.generation);
  const tab = useReviewQueueStore((s) => s.tab);
  const { loadPage, setCurrent, toggleSelect, selectRange, setVisible } = useReviewQueueStore.getState();
  const scrollRef = useRef<HTMLDivElement>(null);

  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer's own re-render contract is what we want here
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const rows = virtualizer.getVirtualItems();
  const first = rows[0]?.index ?? 0;
  const last = rows[rows.length - 1]?.index ?? 0;

  useEffect(() => {
    setVisible(first, last);
    if (!total) return;
    for (let p = Math.floor(first / PAGE); p <= Math.floor(last / PAGE); p++) void loadPage(p);
  }, [first, last, total, generation, pages, loadPage, setVisible]);

  useEffect(() => {
    if (total) virtualizer.scrollToIndex(current, { align: 'auto' });
  }, [current, total, virtualizer]);

  function onRowClick(e: MouseEvent, index: number): void {
    if (e.shiftKey) selectRange(index);
    else if (e.ctrlKey || e.metaKey) toggleSelect(index);
    else setCurrent(index);
  }

  return (
    <div
      ref={scrollRef}
      className="rq-scroll"
      role="listbox"
      aria-label={`${tab} examples`}
      aria-multiselectable="true"
      aria-activedescendant={total ? rowDomId(current) : undefined}
      tabIndex={0}
      data-testid="review-list"
    >
      <div className="rq-inner" style={{ height: virtualizer.getTotalSize() }}>
        {rows.map((r) => {
          const item = pages[Math.floor(r.index / PAGE)]?.[r.index % PAGE];
          const isSelected = !!(item && selected[item.labelId]);
          const cls = ['rq-row', r.index === current ? 'current' : '', isSelected ? 'selected' : ''].join(' ').trim();
          return (
            <div
              key={r.key}
              id={rowDomId(r.index)}
              role="option"
              aria-selected={isSelected}
              aria-current={r.index === current ? 'true' : undefined}
              aria-label={item ? item.title : 'Loading…'}
              data-label-id={item?.labelId}
              className={cls}
              style={{ height: r.size, transform: `translateY(${r.start}px)` }}
              onClick={(e) => onRowClick(e, r.index)}
            >
              <input
                type="checkbox"
                className="rq-check"
                aria-label={item ? `Select ${item.title}` : 'Select'}
                checked={isSelected}
                disabled={!item}
                tabIndex={-1}
                onClick={(e) => {
                  e.stopPropagation();
                  if (e.shiftKey) selectRange(r.index);
                  else toggleSelect(r.index);
                }}
                onChange={() => undefined}
              />
              <span className="rq-row-main">
                {item ? <Row item={item} /> : <span className="rq-skeleton" aria-hidden="true" />}
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
}

import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ApiError, errorMessage } from '../../api/client';
import { useApiEvent, useConnection } from '../../api/useApiEvent';
import { REVIEW_STATUSES, type ReviewDecision, type ReviewStatus } from '../../api/contract';
import { EmptyState } from '../../components/EmptyState';
import { SOURCE_KIND_LABEL, plural } from '../../lib/format';
import { isPlainKey, isTypingTarget } from '../../shell/shortcuts';
import { LabelPanel, VERDICT_LABEL } from '../labels/LabelPanel';
import { Toasts } from '../labels/Toasts';
import { toast } from '../labels/toastStore';
import { useLabelPanelStore } from '../labels/labelPanelStore';
import { DecisionDialog, type DecisionRequest } from './DecisionDialog';
import { ReviewDetailPane } from './ReviewDetailPane';
import { ReviewFilterBar } from './ReviewFilterBar';
import { ReviewList } from './ReviewList';
import { ReviewOverviewStrip } from './ReviewOverviewStrip';
import { cleanFilter, useReviewQueueStore, type QueueFilter } from './reviewStore';
import './review.css';

const TAB_LABEL: Record<ReviewStatus, string> = { pending: 'Pending', approved: 'Approved', rejected: 'Rejected' };
const DONE: Record<ReviewDecision, string> = { approve: 'Approved', reject: 'Rejected' };

export const REVIEW_SHORTCUTS: { keys: string[]; label: string }[] = [
  { keys: ['j', 'k'], label: 'move' },
  { keys: ['a'], label: 'approve' },
  { keys: ['r'], label: 'reject' },
  { keys: ['e'], label: 'edit label' },
  { keys: ['x'], label: 'select' },
  { keys: ['Shift', 'x'], label: 'select range' },
  { keys: ['u'], label: 'undo' },
  { keys: ['Esc'], label: 'clear selection' },
];

/** The active filter in words, for the bulk confirmation. */
function describeFilter(tab: ReviewStatus, f: QueueFilter): string {
  const parts: string[] = [`status ${tab}`];
  if (f.sourceKind) parts.push(`source ${SOURCE_KIND_LABEL[f.sourceKind]}`);
  if (f.verdict) parts.push(`verdict ${VERDICT_LABEL[f.verdict]}`);
  if (f.threatType) parts.push(`threat type “${f.threatType}”`);
  if (f.severity) parts.push(`severity ${f.severity}`);
  if (f.technique) parts.push(`technique ${f.technique}`);
  if (f.tactic) parts.push(`tactic ${f.tactic}`);
  if (f.qualityMin) parts.push(`quality ≥ ${f.qualityMin}`);
  if (f.qualityMax) parts.push(`quality ≤ ${f.qualityMax}`);
  if (f.labeller) parts.push(`labeller ${f.labeller}`);
  if (f.from !== undefined) parts.push(`labelled from ${new Date(f.from).toLocaleDateString()}`);
  if (f.to !== undefined) parts.push(`labelled before ${new Date(f.to).toLocaleDateString()}`);
  if (f.text) parts.push(`text “${f.text}”`);
  return `the filter (${parts.join(', ')})`;
}

function Legend() {
  return (
    <div className="rq-legend" aria-label="Keyboard shortcuts" data-testid="review-legend">
      {REVIEW_SHORTCUTS.map((s) => (
        <span key={s.label} className="rq-legend-item">
          {s.keys.map((k, i) => (
            <span key={k}>
              {i ? <span className="kbd-sep">{s.keys.length === 2 && s.keys[0] === 'j' ? '/' : '+'}</span> : null}
              <kbd>{k}</kbd>
            </span>
          ))}{' '}
          {s.label}
        </span>
      ))}
    </div>
  );
}

function ListHead() {
  const { status, total, tab, current } = useReviewQueueStore(
    useShallow((x) => ({ status: x.status, total: x.total, tab: x.tab, current: x.current })),
  );
  return (
    <div className="rq-list-head muted small" aria-live="polite">
      {status === 'loading' ? 'Loading…' : `${plural(total, 'example')} ${TAB_LABEL[tab].toLowerCase()}`}
      {total ? ` · ${(current + 1).toLocaleString()} of ${total.toLocaleString()}` : ''}
    </div>
  );
}

function DetailSection({ onDecide }: { onDecide(decision: ReviewDecision): void }) {
  const { detail, detailStatus, total, busy } = useReviewQueueStore(
    useShallow((x) => ({ detail: x.detail, detailStatus: x.detailStatus, total: x.total, busy: x.busy })),
  );
  const openLabel = useLabelPanelStore((x) => x.open);
  return (
    <section className="rq-detail-pane" aria-label="Selected example">
      <ReviewDetailPane detail={total ? detail : null} loading={detailStatus === 'loading'} />
      {total && detail ? (
        <div className="rq-actions">
          <button type="button" className="btn btn-primary" onClick={() => onDecide('approve')} disabled={busy}>
            Approve <kbd>a</kbd>
          </button>
          <button type="button" className="btn" onClick={() => onDecide('reject')} disabled={busy}>
            Reject <kbd>r</kbd>
          </button>
          <button
            type="button"
            className="btn btn-ghost"
            onClick={() => openLabel({ conversationId: detail.conversationId, title: detail.title })}
          >
            Edit label <kbd>e</kbd>
          </button>
        </div>
      ) : null}
    </section>
  );
}

/**
 * The review queue: Pending / Approved / Rejected tabs with counts, every filter, a virtualized list
 * with the selected example beside it, keyboard-first decisions with undo, bulk decisions on the
 * selection or on everything matching the filter, and the overview with coverage.
 */
export function ReviewQueue({ empty }: { empty?: ReactNode }) {
  // Only what this frame shows: moving the cursor re-renders the list head, rows and detail, not the page.
  const s = useReviewQueueStore(
    useShallow((x) => ({
      tab: x.tab,
      counts: x.counts,
      total: x.total,
      status: x.status,
      error: x.error,
      filter: x.filter,
      overview: x.overview,
      busy: x.busy,
      undo: x.undo,
      selected: x.selected,
    })),
  );
  const { init, setTab, move, toggleSelect, selectRange, clearSelection, decide, undoLast, reload, changedElsewhere } =
    useReviewQueueStore.getState();
  const [dialog, setDialog] = useState<(DecisionRequest & { run(reason: string): Promise<void> }) | null>(null);
  const savedCount = useLabelPanelStore((x) => x.savedCount);
  const openLabel = useLabelPanelStore((x) => x.open);
  const lastSaved = useRef(savedCount);

  useEffect(() => {
    void init();
  }, [init]);
  useEffect(() => {
    if (savedCount !== lastSaved.current) {
      lastSaved.current = savedCount;
      void reload();
    }
  }, [savedCount, reload]);
  useApiEvent('review.changed', (e) => changedElsewhere(e));
  useConnection((state) => state === 'open' && changedElsewhere());

  const selectedCount = Object.keys(s.selected).length;

  async function runDecision(decision: ReviewDecision, reason?: string): Promise<void> {
    const r = await decide(decision, reason);
    if (!r) return;
    const n = r.changed;
    toast(
      n ? `${DONE[decision]} ${plural(n, 'example')}.` : `Nothing changed: already ${DONE[decision].toLowerCase()}.`,
      {
        group: 'decision',
        ...(r.batchId ? { action: { label: 'Undo', keys: 'u', run: () => void undo() } } : {}),
      },
    );
  }

  async function undo(): Promise<void> {
    try {
      const r = await undoLast();
      if (!r) {
        toast('Nothing to undo.', { tone: 'info' });
        return;
      }
      toast(
        `Undone: ${plural(r.restored, 'example')} restored${r.skipped ? `, ${r.skipped} changed since and left as they are` : ''}.`,
        { group: 'decision' },
      );
    } catch (err) {
      toast(errorMessage(err), { tone: 'error' });
    }
  }

  /** `a` / `r` and the selection buttons: confirm first when it is more than one example or a rejection. */
  function decideTargets(decision: ReviewDecision): void {
    const count = useReviewQueueStore.getState().targets().length;
    if (!count) return;
    if (decision === 'approve' && count === 1) {
      void runDecision('approve').catch((err: unknown) => toast(errorMessage(err), { tone: 'error' }));
      return;
    }
    setDialog({
      decision,
      scope: 'selection',
      count,
      run: async (reason) => {
        await runDecision(decision, reason || undefined);
        setDialog(null);
      },
    });
  }

  async function decideAllMatching(decision: ReviewDecision): Promise<void> {
    const { tab, filter, countMatching, decideAllMatching: decideAll } = useReviewQueueStore.getState();
    const describe = describeFilter(tab, cleanFilter(filter));
    const open = (count: number | null, notice: string | null = null) =>
      setDialog({
        decision,
        scope: 'filter',
        count,
        describe,
        notice,
        run: async (reason) => {
          try {
            const r = await decideAll(decision, count ?? 0, reason || undefined);
            setDialog(null);
            toast(`${DONE[decision]} ${plural(r.changed, 'example')} matching the filter.`, {
              group: 'decision',
              ...(r.batchId ? { action: { label: 'Undo', keys: 'u', run: () => void undo() } } : {}),
              ttlMs: 12000,
            });
          } catch (err) {
            if (err instanceof ApiError && err.code === 'conflict') {
              // The queue changed since the preview: show the new count and ask again.
              const fresh = await countMatching();
              open(fresh, err.message);
              return;
            }
            throw err;
          }
        },
      });
    open(null);
    try {
      open(await countMatching());
    } catch (err) {
      setDialog(null);
      toast(errorMessage(err), { tone: 'error' });
    }
  }

  useEffect(() => {
    function onKeyDown(e: KeyboardEvent): void {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || isTypingTarget(e.target)) return;
      if (document.querySelector('dialog[open]')) return;
      const st = useReviewQueueStore.getState();
      const key = e.key;
      const handled = (() => {
        switch (key) {
          case 'j':
          case 'ArrowDown':
            move(1);
            return true;
          case 'k':
          case 'ArrowUp':
            move(-1);
            return true;
          case 'a':
            decideTargets('approve');
            return true;
          case 'r':
            decideTargets('reject');
            return true;
          case 'e': {
            const item = st.itemAt(st.current);
            if (item) openLabel({ conversationId: item.conversationId, title: item.title });
            return true;
          }
          case 'x':
            toggleSelect(st.current);
            return true;
          case 'X':
            selectRange(st.current);
            return true;
          case 'u':
            void undo();
            return true;
          case 'Escape':
            if (!Object.keys(st.selected).length) return false;
            clearSelection();
            return true;
          default:
            return false;
        }
      })();
      if (handled && isPlainKey(e)) e.preventDefault();
    }
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  });

  const hasAnything = s.overview ? s.overview.total > 0 : true;
  if (s.status === 'ready' && !hasAnything && empty) {
    return (
      <div className="review-queue">
        {empty}
        <Toasts />
      </div>
    );
  }

  return (
    <div className="review-queue">
      <ReviewOverviewStrip overview={s.overview} />
      <div className="rq-toolbar">
        <div className="rq-tabs" role="tablist" aria-label="Review status">
          {REVIEW_STATUSES.map((t) => (
            <button
              key={t}
              type="button"
              role="tab"
              aria-selected={s.tab === t}
              className={s.tab === t ? 'rq-tab active' : 'rq-tab'}
              onClick={() => setTab(t)}
            >
              {TAB_LABEL[t]} <span className="rq-tab-count">{s.counts[t].toLocaleString()}</span>
            </button>
          ))}
        </div>
        <div className="rq-bulk">
          {selectedCount ? (
            <>
              <span className="rq-selected-count" data-testid="selected-count">
                {plural(selectedCount, 'selected', 'selected')}
              </span>
              <button type="button" className="btn btn-sm" onClick={() => decideTargets('approve')}>
                Approve selected
              </button>
              <button type="button" className="btn btn-sm" onClick={() => decideTargets('reject')}>
                Reject selected
              </button>
              <button type="button" className="btn btn-ghost btn-sm" onClick={clearSelection}>
                Clear
              </button>
              <span className="rq-divider" aria-hidden="true" />
            </>
          ) : null}
          <button
            type="button"
            className="btn btn-sm"
            disabled={!s.total || s.busy}
            onClick={() => void decideAllMatching('approve')}
          >
            Approve all matching…
          </button>
          <button
            type="button"
            className="btn btn-sm"
            disabled={!s.total || s.busy}
            onClick={() => void decideAllMatching('reject')}
          >
            Reject all matching…
          </button>
          {s.undo.length ? (
            <button
              type="button"
              className="btn btn-ghost btn-sm"
              onClick={() => void undo()}
              title="Undo the last decision (u)"
            >
              Undo <kbd>u</kbd>
            </button>
          ) : null}
        </div>
      </div>
      <ReviewFilterBar />
      {s.error ? (
        <p className="error-text rq-error" role="alert">
          {s.error}
        </p>
      ) : null}
      <div className="rq-main">
        <section className="rq-list" aria-label="Examples">
          <ListHead />
          {s.status === 'ready' && !s.total ? (
            <div className="rq-list-empty">
              <EmptyState icon="review" title={`No ${TAB_LABEL[s.tab].toLowerCase()} examples`} compact>
                <p>
                  {Object.keys(cleanFilter(s.filter)).length ? 'Nothing matches the filters.' : 'This tab is empty.'}
                </p>
              </EmptyState>
            </div>
          ) : (
            <ReviewList />
          )}
          <Legend />
        </section>
        <DetailSection onDecide={decideTargets} />
      </div>
      <DecisionDialog
        request={dialog}
        onConfirm={(reason) => (dialog ? dialog.run(reason) : Promise.resolve())}
        onClose={() => setDialog(null)}
      />
      <LabelPanel conversation={null} toasts={false} />
      <Toasts />
    </div>
  );
}

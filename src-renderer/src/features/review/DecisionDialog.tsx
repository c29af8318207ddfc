import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ReviewDecision } from '../../api/contract';
import { Icon } from '../../components/Icon';
import { plural } from '../../lib/format';

export interface DecisionRequest {
  decision: ReviewDecision;
  /** `filter`: everything matching; `selection`: the selected rows (or the current one). */
  scope: 'filter' | 'selection';
  /** Rows it will decide; null while the preview count is loading. */
  count: number | null;
  /** What the filter is, in words (filter scope). */
  describe?: string;
  /** Shown when the count changed since the preview and the person must confirm again. */
  notice?: string | null;
}

/**
 * Confirms a decision with its count before anything changes, and takes an optional reason.
 * Enter confirms (Shift+Enter for a new line in the reason), Esc cancels.
 */
export function DecisionDialog({
  request,
  onConfirm,
  onClose,
}: {
  request: DecisionRequest | null;
  onConfirm(reason: string): Promise<void>;
  onClose(): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const ids = useId();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (request && !dialog.open) {
      setReason('');
      setError(null);
      dialog.showModal();
    }
    if (!request && dialog.open) dialog.close();
  }, [request]);

  async function submit(e?: FormEvent): Promise<void> {
    e?.preventDefault();
    if (!request || request.count === null || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onConfirm(reason.trim());
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  const verb = request?.decision === 'reject' ? 'Reject' : 'Approve';
  const what =
    request?.count === null || !request
      ? 'counting…'
      : request.scope === 'filter'
        ? `all ${plural(request.count, 'matching example')}`
        : plural(request.count, 'example');
  return (
    <dialog ref={ref} className="dialog rq-decision" aria-labelledby={`${ids}-title`} onClose={onClose}>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className="dialog-header">
          <h2 id={`${ids}-title`}>
            {verb} {what}
          </h2>
          <button type="button" className="btn btn-ghost btn-icon" onClick={onClose} aria-label="Close">
            <Icon name="close" />
          </button>
        </div>
        <div className="dialog-body">
          {request?.scope === 'filter' ? (
            <p data-testid="decision-preview">
              {request.count === null ? (
                'Counting the examples that match…'
              ) : (
                <>
                  <strong>{request.count.toLocaleString()}</strong>{' '}
                  {request.count === 1 ? 'example matches' : 'examples match'} {request.describe}. Each gets your name
                  and the time; you can undo it afterwards.
                </>
              )}
            </p>
          ) : (
            <p>You can undo this afterwards.</p>
          )}
          {request?.notice ? (
            <p className="error-text" role="alert">
              {request.notice}
            </p>
          ) : null}
          <div className="field">
            <label htmlFor={`${ids}-reason`}>Reason (optional)</label>
            <textarea
              id={`${ids}-reason`}
              className="input"
              rows={2}
              value={reason}
              autoFocus
              placeholder={
                request?.decision === 'reject' ? 'e.g. wrong verdict, answer too vague' : 'e.g. spot-checked 20'
              }
              onChange={(e) => setReason(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.shiftKey) {
                  e.preventDefault();
                  void submit();
                }
              }}
            />
          </div>
          {error ? (
            <p className="error-text" role="alert">
              {error}
            </p>
          ) : null}
        </div>
        <div className="dialog-footer">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className={request?.decision === 'reject' ? 'btn btn-danger' : 'btn btn-primary'}
            disabled={busy || request?.count === null || request?.count === 0}
          >
            {busy ? 'Working…' : `${verb} ${request?.count != null ? request.count.toLocaleString() : ''}`.trim()}
          </button>
        </div>
      </form>
    </dialog>
  );
}

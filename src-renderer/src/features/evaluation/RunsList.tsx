import type { EvaluationSummary } from '../../api/contract';
import { formatRelative } from '../../lib/format';
import { useEvaluationStore } from './evaluationStore';

const STATUS_CLASS: Record<EvaluationSummary['status'], string> = {
  queued: 'eval-status-queued',
  running: 'eval-status-running',
  succeeded: 'eval-status-ok',
  failed: 'eval-status-failed',
  cancelled: 'eval-status-cancelled',
};

export function RunsList() {
  const runs = useEvaluationStore((s) => s.runs);
  const selectedId = useEvaluationStore((s) => s.selectedId);
  const { select, cancel, resume } = useEvaluationStore.getState();
  return (
    <section className="card eval-runs" aria-labelledby="eval-runs-title">
      <h2 id="eval-runs-title" className="card-title">
        Runs
      </h2>
      <ul className="eval-run-list" aria-label="Evaluation runs">
        {runs.map((r) => {
          const frac = r.progress.total ? r.progress.done / r.progress.total : 0;
          return (
            <li
              key={r.id}
              className={r.id === selectedId ? 'eval-run selected' : 'eval-run'}
              data-testid={`eval-run-${r.id}`}
            >
              <button
                type="button"
                className="eval-run-main"
                onClick={() => void select(r.id)}
                aria-pressed={r.id === selectedId}
              >
                <span className="eval-run-name">
                  #{r.id} {r.name}
                </span>
                <span className="eval-run-sub">
                  <span className={`chip chip-xs ${STATUS_CLASS[r.status]}`}>{r.status}</span>
                  <span className="muted small">
                    {r.progress.done}/{r.progress.total} · {r.sourceLabel} · {formatRelative(r.createdAt)}
                  </span>
                </span>
                {r.status === 'running' || r.status === 'queued' ? (
                  <span
                    className="eval-progress"
                    role="progressbar"
                    aria-valuemin={0}
                    aria-valuemax={100}
                    aria-valuenow={Math.round(frac * 100)}
                  >
                    <span style={{ width: `${Math.round(frac * 100)}%` }} />
                  </span>
                ) : null}
              </button>
              {r.status === 'running' || r.status === 'queued' ? (
                <button type="button" className="btn btn-sm btn-ghost" onClick={() => void cancel(r.id)}>
                  Cancel
                </button>
              ) : null}
              {r.status === 'cancelled' || r.status === 'failed' ? (
                <button type="button" className="btn btn-sm" onClick={() => void resume(r.id)}>
                  Resume
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

import { useEffect } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { useApiEvent, useConnection } from '../../api/useApiEvent';
import { formatDateTime } from '../../lib/format';
import { ConfusionMatrices } from './ConfusionMatrices';
import { useEvaluationStore } from './evaluationStore';
import { HistoryChart } from './HistoryChart';
import { MetricCards } from './MetricCards';
import { NewEvaluationForm } from './NewEvaluationForm';
import { RunsList } from './RunsList';
import './evaluation.css';

function SelectedRun() {
  const detail = useEvaluationStore((s) => s.detail);
  const actionError = useEvaluationStore((s) => s.actionError);
  if (!detail) return null;
  return (
    <div className="eval-selected" data-testid="eval-detail" data-status={detail.status}>
      <header className="eval-selected-header">
        <h2>
          #{detail.id} {detail.name}
        </h2>
        <p className="muted small">
          {detail.sourceLabel}
          {detail.datasetHash ? (
            <span className="mono"> · sha256 {detail.datasetHash.slice(0, 12)}…</span>
          ) : null} · {detail.status}
          {detail.finishedAt ? ` · finished ${formatDateTime(detail.finishedAt)}` : ''}
          {detail.status === 'running' ? ` · ${detail.progress.done}/${detail.progress.total} answers` : ''}
        </p>
        {detail.error ? <p className="error-text">{detail.error}</p> : null}
        {actionError ? (
          <p className="error-text" role="alert">
            {actionError}
          </p>
        ) : null}
      </header>
      <MetricCards metrics={detail.metrics} />
      <ConfusionMatrices metrics={detail.metrics} />
    </div>
  );
}

/** The performance dashboard: runs, metric cards per version, matrices with drill-down, charts over time. */
export function EvaluationDashboard() {
  const status = useEvaluationStore((s) => s.status);
  const error = useEvaluationStore((s) => s.error);
  const runs = useEvaluationStore((s) => s.runs);
  const history = useEvaluationStore((s) => s.history);
  const { load, onProgress } = useEvaluationStore.getState();
  useEffect(() => {
    void load();
  }, [load]);
  useApiEvent('evaluation.progress', onProgress);
  useApiEvent('models.changed', () => void load());
  useConnection((s) => {
    if (s === 'open') void load();
  });

  return (
    <div className="eval" data-testid="evaluation-dashboard">
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      <div className="eval-top">
        <NewEvaluationForm />
        {runs.length ? (
          <RunsList />
        ) : status === 'ready' ? (
          <EmptyState
            icon="evaluate"
            title="No evaluations yet"
            compact
            steps={[
              'Pick the base model and its fine-tuned versions.',
              'Run them on the held-out test split of the dataset version they were trained on.',
              'Read the metrics and matrices, vote blind A/B below, then promote the winner on the Models page.',
            ]}
          >
            <p>Runs are jobs: cancel one any time and resume it later; answered examples are kept.</p>
          </EmptyState>
        ) : null}
      </div>
      <SelectedRun />
      <HistoryChart history={history} />
    </div>
  );
}

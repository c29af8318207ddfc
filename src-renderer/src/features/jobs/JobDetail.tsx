import { formatDateTime } from '../../lib/format';
import { MetricsCharts } from './MetricsCharts';
import { ProgressBar, StatusBadge } from './JobList';
import {
  KIND_LABEL,
  canCancel,
  canRetry,
  formatEta,
  formatNumber,
  formatPercent,
  isActive,
  ordinal,
} from './jobFormat';
import {
  OPENAI_FINE_TUNING_END,
  TRAINING_TASK_LABEL,
  type JobEvent,
  type OpenAIJobState,
  type TrainingJobDetail,
} from './jobsContract';
import { useJobsStore } from './jobsStore';

const HYPER_LABEL: Record<string, string> = {
  epochs: 'Epochs',
  learningRate: 'Learning rate',
  lrSchedule: 'Learning-rate decay',
  minLearningRate: 'Final learning rate',
  contextLength: 'Context (tokens)',
  batchSize: 'Batch size',
  validationFraction: 'Validation fraction',
  optimizer: 'Optimizer',
  nEpochs: 'Epochs',
  learningRateMultiplier: 'Learning-rate multiplier',
  baseModel: 'Base model',
  suffix: 'Suffix',
  useValidation: 'Validation split uploaded',
};

function show(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

function shortHash(h: string): string {
  return h.length > 14 ? `${h.slice(0, 12)}…` : h;
}

function Hyperparameters({ detail }: { detail: TrainingJobDetail }) {
  const entries = Object.entries(detail.hyperparameters);
  return (
    <section className="card" aria-labelledby="jobs-hyper-title">
      <h3 id="jobs-hyper-title" className="card-title">
        Hyperparameters
      </h3>
      {entries.length ? (
        <dl className="kv kv-compact" data-testid="hyperparameters">
          {entries.map(([k, v]) => (
            <div className="kv-row" key={k}>
              <dt>{HYPER_LABEL[k] ?? k}</dt>
              <dd className="mono">{show(v)}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p className="muted small">This job has no hyperparameters.</p>
      )}
    </section>
  );
}

function Lineage({ detail }: { detail: TrainingJobDetail }) {
  const { baseModel, datasetVersion, producedModel } = detail.lineage;
  return (
    <section className="card" aria-labelledby="jobs-lineage-title">
      <h3 id="jobs-lineage-title" className="card-title">
        Lineage
      </h3>
      <dl className="kv kv-compact" data-testid="lineage">
        <div className="kv-row">
          <dt>Base model</dt>
          <dd>{baseModel ? baseModel.name : '—'}</dd>
        </div>
        <div className="kv-row">
          <dt>Dataset version</dt>
          <dd>
            {datasetVersion ? (
              <>
                {datasetVersion.datasetName} v{datasetVersion.version}{' '}
                <span className="mono faint" title={datasetVersion.contentHash}>
                  {shortHash(datasetVersion.contentHash)}
                </span>
              </>
            ) : (
              '—'
            )}
          </dd>
        </div>
        <div className="kv-row">
          <dt>Produced model</dt>
          <dd>
            {producedModel ? (
              <>
                {producedModel.name}
                {producedModel.remoteModel ? (
                  <span className="mono faint block small">{producedModel.remoteModel}</span>
                ) : null}
              </>
            ) : (
              <span className="muted">
                {['cancelled', 'failed', 'interrupted'].includes(detail.job.status) ? 'none' : 'not yet'}
              </span>
            )}
          </dd>
        </div>
      </dl>
    </section>
  );
}

function OpenAIState({ state }: { state: OpenAIJobState }) {
  const result = state.result;
  const remoteStatus = state.remoteStatus
    ? state.remoteStatusKnown
      ? state.remoteStatus
      : `unknown (“${state.remoteStatus}”)`
    : '—';
  return (
    <section className="card" aria-labelledby="jobs-openai-title">
      <h3 id="jobs-openai-title" className="card-title">
        On OpenAI{state.endpointName ? ` · ${state.endpointName}` : ''}
      </h3>
      <dl className="kv kv-compact" data-testid="openai-state">
        <div className="kv-row">
          <dt>Remote job</dt>
          <dd className="mono">{state.remoteJobId ?? '—'}</dd>
        </div>
        <div className="kv-row">
          <dt>Remote status</dt>
          <dd data-testid="remote-status">{remoteStatus}</dd>
        </div>
        <div className="kv-row">
          <dt>Files</dt>
          <dd className="mono small">
            {state.trainingFileId ?? '—'}
            {state.validationFileId ? ` · ${state.validationFileId}` : ''}
          </dd>
        </div>
        <div className="kv-row">
          <dt>Fine-tuned model</dt>
          <dd className="mono small">{state.fineTunedModel ?? '—'}</dd>
        </div>
        <div className="kv-row">
          <dt>Trained tokens</dt>
          <dd>{state.trainedTokens !== null ? state.trainedTokens.toLocaleString() : '—'}</dd>
        </div>
        <div className="kv-row">
          <dt>Checkpoints</dt>
          <dd>
            {state.checkpoints.length ? (
              <ul className="jobs-plain-list small">
                {state.checkpoints.map((c) => (
                  <li key={c.id}>
                    step {c.step} · train loss {formatNumber(c.metrics.train_loss)} ·{' '}
                    <span className="mono faint">{c.model || c.id}</span>
                  </li>
                ))}
              </ul>
            ) : (
              '—'
            )}
          </dd>
        </div>
        <div className="kv-row">
          <dt>Result file</dt>
          <dd data-testid="result-file">
            {result ? (
              <>
                {result.rows} steps{result.encoding === 'base64' ? ' (base64)' : ''} · final train loss{' '}
                {formatNumber(result.final.trainLoss)} · accuracy {formatNumber(result.final.trainAccuracy)} ·
                validation loss {formatNumber(result.final.validLoss)}
                {result.missingColumns.length ? (
                  <span className="block small warn-text">
                    Missing columns shown as unknown: {result.missingColumns.join(', ')}
                  </span>
                ) : null}
                {result.badRows ? (
                  <span className="block small warn-text">{result.badRows} unreadable lines</span>
                ) : null}
              </>
            ) : (
              '—'
            )}
          </dd>
        </div>
      </dl>
    </section>
  );
}

const timeOf = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

function EventLog({ events }: { events: JobEvent[] }) {
  const shown = events.filter((e) => e.type !== 'metrics');
  const metrics = events.length - shown.length;
  return (
    <section className="card" aria-labelledby="jobs-log-title">
      <div className="jobs-card-header">
        <h3 id="jobs-log-title" className="card-title">
          Event log
        </h3>
        <span className="small muted">{metrics ? `${metrics} metrics points not listed` : ''}</span>
      </div>
      <ol className="jobs-log" aria-label="Event log" data-testid="event-log">
        {[...shown].reverse().map((e) => (
          <li key={e.id} className={`jobs-log-row level-${e.level}`}>
            <time
              className="mono faint small"
              dateTime={new Date(e.createdAt).toISOString()}
              title={formatDateTime(e.createdAt)}
            >
              {timeOf.format(e.createdAt)}
            </time>
            <span className="jobs-log-msg">{e.message}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The job page: status with Cancel/Retry, live charts, hyperparameters, lineage, OpenAI state, event log. */
export function JobDetail({ onTrainLocally }: { onTrainLocally(): void }) {
  const detail = useJobsStore((s) => s.detail);
  const events = useJobsStore((s) => s.events);
  const points = useJobsStore((s) => s.points);
  const busy = useJobsStore((s) => (detail ? (s.busy[detail.job.id] ?? false) : false));
  const actionError = useJobsStore((s) => s.actionError);
  const { cancel, retry } = useJobsStore.getState();
  if (!detail) return <p className="muted jobs-detail-empty">Pick a job to see its progress.</p>;
  const job = detail.job;
  const unknown =
    detail.openai && detail.openai.remoteStatus && !detail.openai.remoteStatusKnown
      ? `OpenAI: unknown (${detail.openai.remoteStatus})`
      : null;
  const refused = detail.openai?.failure === 'creation_refused';
  const isTraining = job.kind === 'local_train' || job.kind === 'openai_finetune';
  // A job that ended before reporting any metrics has nothing to chart.
  const showCharts = isTraining && (points.length > 0 || !['failed', 'cancelled', 'succeeded'].includes(job.status));
  return (
    <article className="jobs-detail" aria-labelledby="jobs-detail-title" data-testid="job-detail">
      <header className="jobs-detail-header">
        <div>
          <h2 id="jobs-detail-title">
            {KIND_LABEL[job.kind]} <span className="muted">#{job.id}</span>
          </h2>
          <p className="small muted">
            {detail.task ? TRAINING_TASK_LABEL[detail.task] : null}
            {detail.task ? ' · ' : null}
            {job.startedAt ? `started ${formatDateTime(job.startedAt)}` : `queued ${formatDateTime(job.createdAt)}`}
            {job.finishedAt ? ` · finished ${formatDateTime(job.finishedAt)}` : ''}
          </p>
        </div>
        <div className="jobs-detail-actions">
          <StatusBadge status={job.status} unknown={unknown} />
          {canCancel(job.status) ? (
            <button type="button" className="btn" disabled={busy} onClick={() => void cancel(job.id)}>
              Cancel
            </button>
          ) : null}
          {canRetry(job.status) ? (
            <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void retry(job.id)}>
              Retry
            </button>
          ) : null}
        </div>
      </header>

      {actionError ? (
        <p className="error-text" role="alert">
          {actionError}
        </p>
      ) : null}
      {refused ? (
        <div className="jobs-notice jobs-notice-warn" role="alert" data-testid="creation-refused">
          <strong>OpenAI no longer accepts new fine-tuning jobs for this organisation.</strong>
          <p>
            OpenAI is winding self-serve fine-tuning down and stops all new fine-tuning jobs on {OPENAI_FINE_TUNING_END}
            . Models you already fine-tuned keep working for chat and evaluation. Train locally instead — llama.cpp on
            this machine, with the same dataset version.
          </p>
          <button type="button" className="btn btn-primary btn-sm" onClick={onTrainLocally}>
            Train locally instead
          </button>
        </div>
      ) : job.error ? (
        <div
          className={`jobs-notice ${job.status === 'interrupted' ? 'jobs-notice-info' : 'jobs-notice-error'}`}
          role="status"
        >
          {job.error}
        </div>
      ) : null}

      <div className="jobs-progress-row">
        <ProgressBar job={job} label="Job progress" />
        <span className="small muted" data-testid="job-progress-text">
          {formatPercent(job.progress)}
          {isActive(job.status) ? ` · ETA ${formatEta(job.etaSeconds)}` : ''}
          {job.queuePosition !== null ? ` · ${ordinal(job.queuePosition)} in queue` : ''}
          {job.attempts > 1 ? ` · attempt ${job.attempts}` : ''}
        </span>
      </div>

      {showCharts ? <MetricsCharts points={points} /> : null}
      <div className="jobs-detail-grid">
        <Hyperparameters detail={detail} />
        <Lineage detail={detail} />
      </div>
      {detail.openai ? <OpenAIState state={detail.openai} /> : null}
      <EventLog events={events} />
    </article>
  );
}

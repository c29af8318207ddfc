import { KIND_LABEL, STATUS_LABEL, formatEta, formatPercent, isActive, jobSubtitle, ordinal } from './jobFormat';
import type { Job } from './jobsContract';
import { useJobsStore } from './jobsStore';

export function StatusBadge({ status, unknown }: { status: Job['status']; unknown?: string | null }) {
  return (
    <span className={`job-badge job-${status}`} data-status={status}>
      {STATUS_LABEL[status]}
      {unknown ? <span className="job-badge-note"> · {unknown}</span> : null}
    </span>
  );
}

export function ProgressBar({ job, label }: { job: Job; label: string }) {
  const active = isActive(job.status);
  return (
    <div
      className={`job-progress${active ? ' active' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(job.progress * 100)}
    >
      <div className="job-progress-fill" style={{ width: formatPercent(job.progress) }} />
    </div>
  );
}

/** Every job, newest first: status, progress, ETA and place in the queue. */
export function JobList() {
  const jobs = useJobsStore((s) => s.jobs);
  const selectedId = useJobsStore((s) => s.selectedId);
  const select = useJobsStore((s) => s.select);
  return (
    <section className="card jobs-list-card" aria-labelledby="jobs-list-title">
      <h2 id="jobs-list-title" className="card-title">
        Jobs <span className="muted small">({jobs.length})</span>
      </h2>
      <ul className="jobs-list" role="listbox" aria-label="Jobs">
        {jobs.map((job) => (
          <li
            key={job.id}
            role="option"
            aria-selected={job.id === selectedId}
            className={`jobs-row${job.id === selectedId ? ' selected' : ''}`}
            tabIndex={0}
            data-job-id={job.id}
            onClick={() => void select(job.id)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                void select(job.id);
              }
            }}
          >
            <div className="jobs-row-line">
              <span className="jobs-row-title">
                {KIND_LABEL[job.kind]} <span className="muted">#{job.id}</span>
              </span>
              <StatusBadge status={job.status} />
            </div>
            <div className="jobs-row-sub muted small">{jobSubtitle(job) || '\u00a0'}</div>
            <ProgressBar job={job} label={`Progress of job ${job.id}`} />
            <div className="jobs-row-meta small muted">
              <span>{formatPercent(job.progress)}</span>
              {isActive(job.status) ? <span>ETA {formatEta(job.etaSeconds)}</span> : null}
              {job.queuePosition !== null ? <span>{ordinal(job.queuePosition)} in queue</span> : null}
              {job.attempts > 1 ? <span>attempt {job.attempts}</span> : null}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

const LOCAL_KINDS: Job['kind'][] = ['local_train', 'trainer_build'];

/** The machine's queue: one local job (training, building the trainer) at a time, the rest waiting in order. */
export function LocalQueue() {
  const jobs = useJobsStore((s) => s.jobs);
  const select = useJobsStore((s) => s.select);
  const local = jobs.filter((j) => LOCAL_KINDS.includes(j.kind));
  const running = local.filter((j) => isActive(j.status));
  const waiting = local
    .filter((j) => j.status === 'queued')
    .sort((a, b) => (a.queuePosition ?? 0) - (b.queuePosition ?? 0) || a.id - b.id);
  return (
    <section className="card jobs-queue" aria-labelledby="jobs-queue-title" data-testid="local-queue">
      <h2 id="jobs-queue-title" className="card-title">
        Local queue
      </h2>
      <p className="small muted">One local job uses this machine at a time; the others wait here in order.</p>
      <ol className="jobs-queue-list">
        {running.map((j) => (
          <li key={j.id}>
            <button type="button" className="link-button" onClick={() => void select(j.id)}>
              #{j.id} {KIND_LABEL[j.kind]}
            </button>{' '}
            <span className="muted small">
              running · {formatPercent(j.progress)} · ETA {formatEta(j.etaSeconds)}
            </span>
          </li>
        ))}
        {waiting.map((j, i) => (
          <li key={j.id}>
            <button type="button" className="link-button" onClick={() => void select(j.id)}>
              #{j.id} {KIND_LABEL[j.kind]}
            </button>{' '}
            <span className="muted small">waiting · {ordinal(i + 1)}</span>
          </li>
        ))}
      </ol>
      {!running.length && !waiting.length ? <p className="small faint">Nothing is running on this machine.</p> : null}
    </section>
  );
}

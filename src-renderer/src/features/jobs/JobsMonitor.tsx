import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { useApiEvent, useConnection } from '../../api/useApiEvent';
import { EmptyState } from '../../components/EmptyState';
import { Icon } from '../../components/Icon';
import { JobDetail } from './JobDetail';
import { JobList, LocalQueue } from './JobList';
import { StartJobDialog, type Backend } from './StartJobDialog';
import { TrainingOverviewStrip } from './TrainingOverviewStrip';
import { useJobsStore } from './jobsStore';
import './jobs.css';

/**
 * The job monitor: the training data at a glance, every job with status, progress, ETA and queue place,
 * and the open job's live charts and log. Updates arrive as `job.updated` / `job.event` events.
 */
export function JobsMonitor() {
  const jobs = useJobsStore((s) => s.jobs);
  const status = useJobsStore((s) => s.status);
  const error = useJobsStore((s) => s.error);
  const { load, onJobEvent, onJobUpdated, refreshOverview, setFormOpen } = useJobsStore.getState();
  const [initialBackend, setInitialBackend] = useState<Backend | null>(null);

  useEffect(() => {
    void load();
  }, [load]);
  useApiEvent('job.updated', (p) => onJobUpdated(p));
  useApiEvent('job.event', (e) => onJobEvent(e));
  useApiEvent('review.changed', () => void refreshOverview());
  useConnection((state) => {
    // After a dropped event stream, refetch what may have been missed.
    if (state === 'open' && useJobsStore.getState().status === 'ready') void load();
  });

  const openForm = (backend: Backend | null) => {
    setInitialBackend(backend);
    setFormOpen(true);
  };

  return (
    <div className="jobs" data-testid="jobs-monitor">
      <div className="jobs-toolbar">
        <TrainingOverviewStrip />
        <button type="button" className="btn btn-primary" onClick={() => openForm(null)}>
          <Icon name="plus" /> Start job
        </button>
      </div>
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      {status === 'ready' && jobs.length === 0 ? (
        <EmptyState
          icon="jobs"
          title="No fine-tuning jobs yet"
          steps={[
            <>
              Build a dataset version in <Link to="/datasets">Datasets</Link>.
            </>,
            'Start a job from it: choose the task, the base model and the trainer (llama.cpp on this machine, or OpenAI).',
            <>
              Follow loss and progress here; the finished model appears in <Link to="/models">Models</Link>.
            </>,
          ]}
          actions={
            <button type="button" className="btn btn-primary" onClick={() => openForm(null)}>
              Start job
            </button>
          }
        >
          <p>Jobs keep running when the window closes and pick up again after a restart.</p>
        </EmptyState>
      ) : (
        <div className="jobs-layout">
          <div className="jobs-side">
            <JobList />
            <LocalQueue />
          </div>
          <div className="jobs-main">
            <JobDetail onTrainLocally={() => openForm('local')} />
          </div>
        </div>
      )}
      <StartJobDialog initialBackend={initialBackend} />
    </div>
  );
}

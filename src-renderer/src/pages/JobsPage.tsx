import { Link } from 'react-router';
import { EmptyState } from '../components/EmptyState';
import { PageHeader } from '../components/PageHeader';
import { WorkflowStrip } from '../components/WorkflowStrip';

export function JobsPage() {
  return (
    <div className="page">
      <PageHeader title="Jobs" description="Fine-tuning runs, local or with OpenAI, with a live monitor." />
      <WorkflowStrip current="jobs" />
      <EmptyState
        icon="jobs"
        title="No fine-tuning jobs yet"
        steps={[
          <>
            Build a dataset version in <Link to="/datasets">Datasets</Link>.
          </>,
          'Start a job from it: choose the base model and the trainer (llama.cpp on this machine, or OpenAI).',
          <>
            Follow loss and progress here; the finished model appears in <Link to="/models">Models</Link>.
          </>,
        ]}
        actions={
          <Link className="btn btn-primary" to="/datasets">
            Go to Datasets
          </Link>
        }
      >
        <p>
          Jobs keep running when the window closes and pick up again after a restart. You can pause, resume or cancel
          them at any time.
        </p>
      </EmptyState>
    </div>
  );
}

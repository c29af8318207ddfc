import { Link } from 'react-router';
import { EmptyState } from '../components/EmptyState';
import { PageHeader } from '../components/PageHeader';
import { WorkflowStrip } from '../components/WorkflowStrip';

export function EvaluatePage() {
  return (
    <div className="page">
      <PageHeader
        title="Evaluate & compare"
        description="Measure a fine-tuned model against its base before you promote it."
      />
      <WorkflowStrip current="evaluate" />
      <EmptyState
        icon="evaluate"
        title="No evaluations yet"
        steps={[
          <>
            Finish a fine-tuning job in <Link to="/jobs">Jobs</Link>.
          </>,
          'Run it and its base model on the held-out split of the same dataset version.',
          'Read the metrics and answers side by side, vote blind A/B, then promote the winner or roll back.',
        ]}
        actions={
          <Link className="btn btn-primary" to="/jobs">
            Go to Jobs
          </Link>
        }
      >
        <p>Blind A/B hides which answer came from which model, so the vote measures the answer and not the name.</p>
      </EmptyState>
    </div>
  );
}

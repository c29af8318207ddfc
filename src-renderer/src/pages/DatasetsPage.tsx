import { Link } from 'react-router';
import { EmptyState } from '../components/EmptyState';
import { PageHeader } from '../components/PageHeader';
import { WorkflowStrip } from '../components/WorkflowStrip';

export function DatasetsPage() {
  return (
    <div className="page">
      <PageHeader title="Datasets" description="Versioned training sets built from approved examples." />
      <WorkflowStrip current="datasets" />
      <EmptyState
        icon="datasets"
        title="No dataset versions yet"
        steps={[
          <>
            Approve examples in the <Link to="/review">Review queue</Link>.
          </>,
          'Build a version here: pick the task and the split ratios.',
          'Export it (JSONL for llama.cpp or OpenAI) or start a fine-tuning job from it.',
        ]}
        actions={
          <Link className="btn btn-primary" to="/review">
            Go to Review queue
          </Link>
        }
      >
        <p>
          Approve examples in the Review queue, then build a version here. A version is frozen: validated, deduplicated,
          redacted, and split into train, validation and held-out test sets without letting one alert leak across
          splits.
        </p>
      </EmptyState>
    </div>
  );
}

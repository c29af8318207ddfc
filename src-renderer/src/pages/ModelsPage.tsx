import { Link } from 'react-router';
import { EmptyState } from '../components/EmptyState';
import { PageHeader } from '../components/PageHeader';
import { WorkflowStrip } from '../components/WorkflowStrip';
import { useAppInfoStore } from '../stores/appInfoStore';
import { plural } from '../lib/format';

export function ModelsPage() {
  const count = useAppInfoStore((s) => s.info?.counts.models ?? 0);
  return (
    <div className="page">
      <PageHeader title="Models" description="The registry: base models, endpoints and fine-tuned versions." />
      <WorkflowStrip current="models" />
      <EmptyState
        icon="models"
        title={count > 0 ? `${plural(count, 'model')} registered` : 'No models registered yet'}
        steps={[
          'Add a local GGUF file or an OpenAI / OpenAI-compatible endpoint.',
          'Make it the active model for a task, starting with Triage.',
          <>
            Fine-tuned versions land here when a <Link to="/jobs">job</Link> finishes, with their lineage.
          </>,
        ]}
        actions={
          <Link className="btn" to="/settings">
            Open Settings
          </Link>
        }
      >
        <p>
          Each task has one active model. Promote a better version, or roll back to the previous one, without touching
          the data it was trained on.
        </p>
      </EmptyState>
    </div>
  );
}

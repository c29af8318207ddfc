import { Link } from 'react-router';
import { EmptyState } from '../components/EmptyState';
import { PageHeader } from '../components/PageHeader';
import { WorkflowStrip } from '../components/WorkflowStrip';
import { useAppInfoStore } from '../stores/appInfoStore';
import { plural } from '../lib/format';
import { ReviewQueue } from '../features/review/ReviewQueue';

export function ReviewPage() {
  const pending = useAppInfoStore((s) => s.info?.counts.pendingReviews ?? 0);
  return (
    <div className="page">
      <PageHeader
        title="Review queue"
        description="Approve or reject conversations that analysts marked as training examples."
      />
      <WorkflowStrip current="review" />
      <ReviewQueue
        empty={
          <EmptyState
            icon="review"
            title={pending > 0 ? `${plural(pending, 'example')} waiting for review` : 'Nothing to review yet'}
            steps={[
              <>
                Open an alert in <Link to="/triage">Triage</Link> and work through it with the model.
              </>,
              'Mark the conversation for training: verdict, labels, quality, and a corrected answer where the model was wrong.',
              'Approve or reject it here — one at a time, or select many and approve them in bulk.',
            ]}
            actions={
              <Link className="btn btn-primary" to="/triage">
                Go to Triage
              </Link>
            }
          >
            <p>
              Every example that goes into a training set passes through this queue, so a second person checks the
              verdict and the answer before a model learns from them.
            </p>
          </EmptyState>
        }
      />
    </div>
  );
}

import { PageHeader } from '../components/PageHeader';
import { WorkflowStrip } from '../components/WorkflowStrip';
import { JobsMonitor } from '../features/jobs/JobsMonitor';

export function JobsPage() {
  return (
    <div className="page">
      <PageHeader title="Jobs" description="Fine-tuning runs, local or with OpenAI, with a live monitor." />
      <WorkflowStrip current="jobs" />
      <JobsMonitor />
    </div>
  );
}

import { PageHeader } from '../components/PageHeader';
import { WorkflowStrip } from '../components/WorkflowStrip';
import { EvaluationDashboard } from '../features/evaluation/EvaluationDashboard';
import { SideBySide } from '../features/compare/SideBySide';
import { TriggerNotices } from '../features/registry/TriggerNotices';

export function EvaluatePage() {
  return (
    <div className="page">
      <PageHeader
        title="Evaluate & compare"
        description="Measure a fine-tuned model against its base before you promote it."
      />
      <WorkflowStrip current="evaluate" />
      <TriggerNotices compact />
      <EvaluationDashboard />
      <SideBySide />
    </div>
  );
}

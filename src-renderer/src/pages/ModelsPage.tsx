import { PageHeader } from '../components/PageHeader';
import { WorkflowStrip } from '../components/WorkflowStrip';
import { ModelsList } from '../features/models/ModelsList';
import { RegistryPanel } from '../features/registry/RegistryPanel';

export function ModelsPage() {
  return (
    <div className="page">
      <PageHeader title="Models" description="The registry: base models, endpoints and fine-tuned versions." />
      <WorkflowStrip current="models" />
      <ModelsList />
      <RegistryPanel />
    </div>
  );
}

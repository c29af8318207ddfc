import { PageHeader } from '../components/PageHeader';
import { WorkflowStrip } from '../components/WorkflowStrip';
import { DatasetBuilder } from '../features/datasets/DatasetBuilder';

export function DatasetsPage() {
  return (
    <div className="page">
      <PageHeader
        title="Datasets"
        description="Versioned training sets built from approved examples: validated, deduplicated, redacted, and split without letting one alert leak across splits."
      />
      <WorkflowStrip current="datasets" />
      <DatasetBuilder />
    </div>
  );
}

import {
  EVAL_METRICS,
  EVAL_METRIC_LABELS,
  LOWER_IS_BETTER,
  type ModelCard,
  type RegistryVersion,
} from '../contract/index';
import type { Db } from '../db/connection';
import { succeededEvaluations } from '../evaluation/evaluationsRepo';
import { sourceLabel } from '../evaluation/evaluationViews';
import { headline } from '../evaluation/scoreModel';
import { lineageOf, modelMetadata } from './registryRepo';

function pct(v: number | null): string {
  return v === null ? '—' : `${(v * 100).toFixed(1)}%`;
}

/** The card of one model version: where it came from, what it was trained on and with, how it scored. */
export function buildModelCard(db: Db, version: RegistryVersion): ModelCard {
  const meta = modelMetadata(db, version.id);
  const lineage = lineageOf(db, version.id);
  let dataset: ModelCard['dataset'] = null;
  if (version.datasetVersionId !== null && version.datasetLabel && version.datasetHash) {
    const n = db
      .prepare('SELECT COUNT(*) AS n FROM dataset_examples WHERE dataset_version_id = ?')
      .get(version.datasetVersionId) as { n: number };
    dataset = {
      versionId: version.datasetVersionId,
      label: version.datasetLabel,
      contentHash: version.datasetHash,
      examples: n.n,
    };
  }
  let training: ModelCard['training'] = null;
  let jobParams: Record<string, unknown> | null = null;
  if (version.jobId !== null) {
    const job = db.prepare('SELECT id, kind, status, params, finished_at FROM jobs WHERE id = ?').get(version.jobId) as
      { id: number; kind: string; status: string; params: string; finished_at: number | null } | undefined;
    if (job) {
      training = { jobId: job.id, kind: job.kind, status: job.status, finishedAt: job.finished_at };
      jobParams = JSON.parse(job.params) as Record<string, unknown>;
    }
  }
  const fromMeta = meta.hyperparameters;
  const fromJob = jobParams?.hyperparameters;
  const hyperparameters =
    fromMeta && typeof fromMeta === 'object' && !Array.isArray(fromMeta)
      ? (fromMeta as Record<string, unknown>)
      : fromJob && typeof fromJob === 'object' && !Array.isArray(fromJob)
        ? (fromJob as Record<string, unknown>)
        : null;

  const evaluations: ModelCard['evaluations'] = [];
  for (const rec of succeededEvaluations(db, 500)) {
    const m = rec.metrics?.find((x) => x.modelId === version.id);
    if (!m) continue;
    evaluations.push({
      evaluationId: rec.id,
      name: rec.name,
      at: rec.finishedAt ?? rec.createdAt,
      sourceLabel: sourceLabel(db, rec),
      metrics: headline(m),
    });
  }

  const lines = [
    `# Model card: ${version.name}`,
    '',
    `- Registry id: ${version.id} (${version.kind})`,
    `- Lineage: ${lineage.map((l) => l.name).join(' → ')}`,
    `- Base model: ${lineage.length > 1 ? lineage[0]!.name : 'this is a base model'}`,
    `- Dataset: ${dataset ? `${dataset.label}, sha256 ${dataset.contentHash}, ${dataset.examples ?? '?'} examples` : 'none recorded'}`,
    `- Training job: ${training ? `#${training.jobId} (${training.kind}, ${training.status})` : 'none recorded'}`,
    `- Active for: ${version.activeFor.length ? version.activeFor.join(', ') : 'no task'}`,
    `- Archived: ${version.archived ? 'yes' : 'no'}`,
    '',
    '## Hyperparameters',
    '',
    ...(hyperparameters
      ? Object.entries(hyperparameters).map(([k, v]) => `- ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
      : ['None recorded.']),
    '',
    '## Evaluations',
    '',
  ];
  if (evaluations.length) {
    lines.push(`| Evaluation | Examples | ${EVAL_METRICS.map((k) => EVAL_METRIC_LABELS[k]).join(' | ')} |`);
    lines.push(`|---|---|${EVAL_METRICS.map(() => '---').join('|')}|`);
    for (const e of evaluations) {
      lines.push(
        `| #${e.evaluationId} ${e.name} | ${e.sourceLabel} | ${EVAL_METRICS.map((k) => pct(e.metrics[k])).join(' | ')} |`,
      );
    }
    lines.push('', `Lower is better for: ${LOWER_IS_BETTER.map((k) => EVAL_METRIC_LABELS[k]).join(', ')}.`);
  } else lines.push('Not evaluated yet.');
  return {
    model: version,
    lineage,
    dataset,
    hyperparameters,
    training,
    evaluations,
    markdown: `${lines.join('\n')}\n`,
  };
}

import type { EvaluationDetail, EvaluationSummary, ModelEvalMetrics } from '../contract/index';
import type { Db } from '../db/connection';
import { getModelRecord } from '../models/modelsRepo';
import { countResults, modelRuns, resultsOf, type EvaluationRecord } from './evaluationsRepo';
import { scoreModel } from './scoreModel';

interface VersionLabel {
  label: string;
  hash: string;
  task: string;
}

export function datasetVersionLabel(db: Db, versionId: number | null): VersionLabel | null {
  if (versionId === null) return null;
  const row = db
    .prepare(
      `SELECT d.name, d.task, v.version, v.content_hash FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE v.id = ?`,
    )
    .get(versionId) as { name: string; task: string; version: number; content_hash: string } | undefined;
  return row ? { label: `${row.name} v${row.version}`, hash: row.content_hash, task: row.task } : null;
}

export function sourceLabel(db: Db, rec: EvaluationRecord): string {
  if (rec.source.kind === 'filter') return `Labelled ${rec.source.filter.task} conversations`;
  const v = datasetVersionLabel(db, rec.datasetVersionId);
  return v ? `${v.label} (${rec.source.split})` : `Deleted dataset version (${rec.source.split})`;
}

function modelName(db: Db, id: number): string {
  return getModelRecord(db, id)?.name ?? `Deleted model ${id}`;
}

export function toSummary(db: Db, rec: EvaluationRecord): EvaluationSummary {
  const v = rec.source.kind === 'dataset' ? datasetVersionLabel(db, rec.datasetVersionId) : null;
  return {
    id: rec.id,
    name: rec.name,
    status: rec.status,
    source: rec.source,
    sourceLabel: sourceLabel(db, rec),
    datasetVersionId: rec.datasetVersionId,
    datasetHash: v?.hash ?? null,
    models: rec.modelIds.map((id) => ({ id, name: modelName(db, id) })),
    jobId: rec.jobId,
    progress: { done: countResults(db, rec.id), total: rec.exampleCount * rec.modelIds.length },
    error: rec.error,
    createdAt: rec.createdAt,
    finishedAt: rec.finishedAt,
  };
}

/** Metrics of every model of a run, from the stored per-example results. */
export function scoreEvaluation(db: Db, rec: EvaluationRecord): ModelEvalMetrics[] {
  const runs = modelRuns(db, rec.id);
  return rec.modelIds.map((id) => {
    const model = getModelRecord(db, id);
    const run = runs.get(id);
    return scoreModel(
      {
        modelId: id,
        modelName: model?.name ?? `Deleted model ${id}`,
        kind: model?.kind ?? 'local_gguf',
        total: rec.exampleCount,
        wallMs: run?.wallMs ?? 0,
        parallel: run?.parallel ?? null,
      },
      resultsOf(db, rec.id, id),
    );
  });
}

export function toDetail(db: Db, rec: EvaluationRecord): EvaluationDetail {
  const metrics = rec.status === 'succeeded' && rec.metrics ? rec.metrics : scoreEvaluation(db, rec);
  return { ...toSummary(db, rec), metrics, options: rec.options };
}

import type { Db } from '../../db/connection';
import { TRAINING_TASK_LABEL, type OpenAIFineTuneParams, type ResultFileSummary } from '../../contract/index';
import type { EndpointRecord } from '../../endpoints/endpointsRepo';
import { patchFineTune } from './fineTunesRepo';

export interface FineTunedModel {
  jobId: number;
  params: OpenAIFineTuneParams;
  endpoint: Pick<EndpointRecord, 'id' | 'kind' | 'name'>;
  fineTunedModel: string;
  remoteJobId: string;
  /** As the remote job reports them (OpenAI fills in what was left on "auto"). */
  hyperparameters: Record<string, unknown>;
  trainedTokens: number | null;
  datasetContentHash: string | null;
  result: ResultFileSummary | null;
}

/** The registry row of the base model: the one picked in the form, else one for the same endpoint and name. */
function baseModelId(db: Db, m: FineTunedModel): number {
  if (m.params.baseModelId !== undefined) {
    const row = db.prepare('SELECT id FROM models WHERE id = ?').get(m.params.baseModelId) as
      { id: number } | undefined;
    if (row) return row.id;
  }
  const found = db
    .prepare(
      `SELECT id FROM models WHERE endpoint_id = ? AND remote_model = ? AND kind IN ('openai', 'openai_compatible')
       AND produced_by_job_id IS NULL ORDER BY archived, id LIMIT 1`,
    )
    .get(m.endpoint.id, m.params.baseModel) as { id: number } | undefined;
  if (found) return found.id;
  // Lineage and base-versus-fine-tuned evaluation need the base in the registry too.
  const info = db
    .prepare(
      `INSERT INTO models (name, kind, endpoint_id, remote_model, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
    )
    .run(
      m.params.baseModel,
      m.endpoint.kind,
      m.endpoint.id,
      m.params.baseModel,
      JSON.stringify({ source: 'fine-tuning base' }),
      Date.now(),
    );
  return Number(info.lastInsertRowid);
}

/**
 * Registers a fine-tuned OpenAI model as a remote model on the job's endpoint, with its lineage (base
 * model, dataset version, job, hyperparameters), so chat and evaluation can use it. Safe to call again
 * after a restart: the job's model is registered once.
 */
export function registerFineTunedModel(db: Db, m: FineTunedModel): { modelId: number; created: boolean } {
  return db.transaction(() => {
    const existing = db
      .prepare('SELECT id FROM models WHERE produced_by_job_id = ? AND remote_model = ?')
      .get(m.jobId, m.fineTunedModel) as { id: number } | undefined;
    if (existing) {
      patchFineTune(db, m.jobId, { modelId: existing.id });
      return { modelId: existing.id, created: false };
    }
    const parent = baseModelId(db, m);
    const label = TRAINING_TASK_LABEL[m.params.task];
    const name = `${label} · ${m.params.suffix ?? m.params.baseModel} (fine-tuned, job ${m.jobId})`;
    const metadata = {
      source: 'openai_finetune',
      task: m.params.task,
      baseModel: m.params.baseModel,
      remoteJobId: m.remoteJobId,
      endpoint: m.endpoint.name,
      hyperparameters: m.hyperparameters,
      trainedTokens: m.trainedTokens,
      datasetContentHash: m.datasetContentHash,
      resultFile: m.result ? { fileId: m.result.fileId, final: m.result.final } : null,
    };
    const info = db
      .prepare(
        `INSERT INTO models (name, kind, endpoint_id, remote_model, metadata, parent_model_id, produced_by_job_id,
           dataset_version_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        name,
        m.endpoint.kind,
        m.endpoint.id,
        m.fineTunedModel,
        JSON.stringify(metadata),
        parent,
        m.jobId,
        m.params.datasetVersionId,
        Date.now(),
      );
    const modelId = Number(info.lastInsertRowid);
    patchFineTune(db, m.jobId, { modelId });
    return { modelId, created: true };
  })();
}

import type { Db } from '../db/connection';
import type {
  TrainingBaseModelOption,
  TrainingDatasetVersionOption,
  TrainingEndpointOption,
  TrainingOverview,
} from '../contract/index';
import { listDatasets } from '../datasets/datasetsRepo';

/** The training data at a glance: labelled examples, their review state, quality ≥ 4, versions, jobs. */
export function trainingOverview(db: Db): TrainingOverview {
  const labels = db
    .prepare(
      `SELECT COUNT(*) AS total,
         COALESCE(SUM(COALESCE(r.status, 'pending') = 'approved'), 0) AS approved,
         COALESCE(SUM(COALESCE(r.status, 'pending') = 'pending'), 0) AS pending,
         COALESCE(SUM(r.status = 'rejected'), 0) AS rejected,
         COALESCE(SUM(l.quality >= 4), 0) AS highQuality,
         COALESCE(SUM(l.quality >= 4 AND r.status = 'approved'), 0) AS approvedHighQuality
       FROM training_labels l LEFT JOIN reviews r ON r.label_id = l.id`,
    )
    .get() as Omit<TrainingOverview, 'datasetVersions' | 'jobs'>;
  const datasetVersions = (db.prepare('SELECT COUNT(*) AS n FROM dataset_versions').get() as { n: number }).n;
  const jobRows = db
    .prepare(`SELECT status, COUNT(*) AS n FROM jobs WHERE kind IN ('local_train', 'openai_finetune') GROUP BY status`)
    .all() as { status: string; n: number }[];
  const by = (s: string[]) => jobRows.filter((r) => s.includes(r.status)).reduce((a, r) => a + r.n, 0);
  return {
    ...labels,
    datasetVersions,
    jobs: {
      queued: by(['queued']),
      running: by(['preparing', 'running']),
      succeeded: by(['succeeded']),
      failed: by(['failed', 'interrupted']),
    },
  };
}

interface ModelRow {
  id: number;
  name: string;
  kind: TrainingBaseModelOption['kind'];
  endpoint_id: number | null;
  remote_model: string | null;
  quantization: string | null;
}

/** Registry models that can be a base: local GGUFs (trainable here when F32) and remote models. */
export function baseModelOptions(db: Db): { local: TrainingBaseModelOption[]; remote: TrainingBaseModelOption[] } {
  const rows = db
    .prepare(
      `SELECT id, name, kind, endpoint_id, remote_model,
         COALESCE(json_extract(metadata, '$.info.fileType'), json_extract(metadata, '$.info.quantization')) AS quantization
       FROM models WHERE archived = 0 ORDER BY created_at DESC, id DESC`,
    )
    .all() as ModelRow[];
  const local: TrainingBaseModelOption[] = [];
  const remote: TrainingBaseModelOption[] = [];
  for (const r of rows) {
    const base = {
      id: r.id,
      name: r.name,
      kind: r.kind,
      endpointId: r.endpoint_id,
      remoteModel: r.remote_model,
      quantization: r.quantization,
    };
    if (r.kind === 'local_gguf') {
      const f32 = r.quantization === null || r.quantization.toUpperCase() === 'F32';
      local.push({
        ...base,
        trainable: f32,
        note: f32
          ? null
          : `${r.quantization} weights: the local trainer needs an F32 GGUF (quantized weights cannot be trained).`,
      });
    } else {
      remote.push({ ...base, trainable: true, note: null });
    }
  }
  return { local, remote };
}

export function datasetVersionOptions(db: Db): TrainingDatasetVersionOption[] {
  return listDatasets(db)
    .flatMap((d) => d.versions)
    .map((v) => ({
      id: v.id,
      datasetName: v.datasetName,
      version: v.version,
      contentHash: v.contentHash,
      counts: v.counts,
      secretsClean: v.secretsClean,
      createdAt: v.createdAt,
    }))
    .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
}

export function endpointOptions(
  db: Db,
  hasKey: (e: { id: number; name: string; kind: TrainingEndpointOption['kind']; keyRef: string | null }) => boolean,
): TrainingEndpointOption[] {
  const rows = db
    .prepare('SELECT id, name, kind, key_ref AS keyRef, key_status AS keyStatus FROM endpoints ORDER BY name, id')
    .all() as (TrainingEndpointOption & { keyRef: string | null })[];
  return rows.map((r) => ({ id: r.id, name: r.name, kind: r.kind, keyStatus: r.keyStatus, hasKey: hasKey(r) }));
}

export interface ModelLineage {
  id: number;
  name: string;
  kind: string;
  remoteModel: string | null;
  path: string | null;
}

export function modelById(db: Db, id: number): ModelLineage | null {
  return (
    (db.prepare('SELECT id, name, kind, remote_model AS remoteModel, path FROM models WHERE id = ?').get(id) as
      ModelLineage | undefined) ?? null
  );
}

/** The model a job produced (any trainer registers it with `produced_by_job_id`). */
export function modelProducedBy(db: Db, jobId: number): ModelLineage | null {
  return (
    (db
      .prepare(
        'SELECT id, name, kind, remote_model AS remoteModel, path FROM models WHERE produced_by_job_id = ? ORDER BY id DESC LIMIT 1',
      )
      .get(jobId) as ModelLineage | undefined) ?? null
  );
}

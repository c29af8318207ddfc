import {
  LocalHyperparametersSchema,
  OPENAI_FINE_TUNING_END,
  OpenAIFineTuneParamsSchema,
  TRAINING_TASK_LABEL,
  TRAINING_TASKS,
  WorkbenchError,
  type LocalTrainParams,
  type OpenAIFineTuneParams,
  type TrainingJobDetail,
} from '../contract/index';
import type { Capability, HandlerContext } from '../core/capability';
import type { Db } from '../db/connection';
import { getVersion } from '../datasets/datasetsRepo';
import { getEndpoint } from '../endpoints/endpointsRepo';
import { resolveKey } from '../endpoints/endpointKeys';
import { getJobRecord } from '../jobs/jobsRepo';
import { cancelLeftoverRemoteJob, createOpenAIFineTuneRunner } from './openai/openaiFineTuneRunner';
import { createLocalTrainRunner } from './local/localTrainRunner';
import { getFineTune } from './openai/fineTunesRepo';
import { isKnownStatus } from './openai/remoteShapes';
import {
  baseModelOptions,
  datasetVersionOptions,
  endpointOptions,
  modelById,
  modelProducedBy,
  trainingOverview,
} from './trainingRepo';

/** Models OpenAI's fine-tuning guide lists for supervised fine-tuning (suggestions; any name can be typed). */
const OPENAI_FINE_TUNABLE = [
  'gpt-4.1-mini-2025-04-14',
  'gpt-4.1-nano-2025-04-14',
  'gpt-4.1-2025-04-14',
  'gpt-4o-mini-2024-07-18',
  'gpt-4o-2024-08-06',
];

type Ctx = Pick<HandlerContext, 'db' | 'services'>;

function requireVersion(db: Db, id: number) {
  const v = getVersion(db, id);
  if (!v) throw new WorkbenchError('not_found', `Dataset version ${id} does not exist.`);
  if (v.counts.train === 0) {
    throw new WorkbenchError('bad_input', `Version ${v.version} of "${v.datasetName}" has no training examples.`);
  }
  return v;
}

function startLocal(params: LocalTrainParams, { db, services }: Ctx) {
  const jobs = services.get('jobs');
  if (!jobs.hasRunner('local_train')) {
    throw new WorkbenchError(
      'conflict',
      'Local training is not available in this build yet (no local trainer is registered).',
    );
  }
  const base = db
    .prepare(
      `SELECT id, name, kind, archived,
         COALESCE(json_extract(metadata, '$.info.fileType'), json_extract(metadata, '$.info.quantization')) AS quantization
       FROM models WHERE id = ?`,
    )
    .get(params.baseModelId) as
    { id: number; name: string; kind: string; archived: 0 | 1; quantization: string | null } | undefined;
  if (!base) throw new WorkbenchError('not_found', `Model ${params.baseModelId} does not exist.`);
  if (base.kind !== 'local_gguf') {
    throw new WorkbenchError('bad_input', `"${base.name}" is a remote model; local training needs a local GGUF model.`);
  }
  if (base.archived) throw new WorkbenchError('bad_input', `"${base.name}" is archived; restore it first.`);
  if (base.quantization !== null && base.quantization.toUpperCase() !== 'F32') {
    throw new WorkbenchError(
      'bad_input',
      `"${base.name}" has ${base.quantization} weights: the local trainer needs an F32 GGUF, because quantized weights cannot be trained.`,
    );
  }
  requireVersion(db, params.datasetVersionId);
  const job = jobs.enqueue({
    kind: 'local_train',
    params: params as unknown as Record<string, unknown>,
    baseModelId: params.baseModelId,
    datasetVersionId: params.datasetVersionId,
  });
  return jobs.toContract(job);
}

function startOpenAI(params: OpenAIFineTuneParams, { db, services }: Ctx) {
  const ep = getEndpoint(db, params.endpointId);
  if (!ep) throw new WorkbenchError('not_found', `Endpoint ${params.endpointId} does not exist.`);
  if (!resolveKey(ep, services.get('keyStore')).key) {
    throw new WorkbenchError(
      'unauthorized',
      `No key is set for endpoint "${ep.name}". Set one in Settings → Endpoints.`,
    );
  }
  if (ep.keyStatus === 'invalid') {
    throw new WorkbenchError(
      'unauthorized',
      `The key of endpoint "${ep.name}" was rejected (401). Set a new key in Settings → Endpoints first.`,
    );
  }
  const v = requireVersion(db, params.datasetVersionId);
  if (!v.secretsClean) {
    throw new WorkbenchError(
      'forbidden',
      `Version ${v.version} of "${v.datasetName}" holds secrets; nothing is uploaded until a version redacts or excludes them.`,
    );
  }
  if (v.counts.train < 10) {
    throw new WorkbenchError(
      'bad_input',
      `OpenAI needs at least 10 training examples; version ${v.version} of "${v.datasetName}" has ${v.counts.train}.`,
    );
  }
  if (params.baseModelId !== undefined) {
    const m = modelById(db, params.baseModelId);
    if (!m) throw new WorkbenchError('not_found', `Model ${params.baseModelId} does not exist.`);
  }
  const jobs = services.get('jobs');
  const job = jobs.enqueue({
    kind: 'openai_finetune',
    params: params as unknown as Record<string, unknown>,
    baseModelId: params.baseModelId ?? null,
    datasetVersionId: params.datasetVersionId,
    // Each attempt already retries inside (SDK retries, create reconciliation); a few more cover outages.
    maxAttempts: 5,
  });
  return jobs.toContract(job);
}

function hyperparametersOf(kind: string, params: Record<string, unknown>): TrainingJobDetail['hyperparameters'] {
  const out: TrainingJobDetail['hyperparameters'] = {};
  if (kind === 'local_train') {
    const h = LocalHyperparametersSchema.safeParse(params.hyperparameters ?? {});
    if (h.success) Object.assign(out, h.data);
    return out;
  }
  if (kind === 'openai_finetune') {
    const p = OpenAIFineTuneParamsSchema.safeParse(params);
    if (!p.success) return out;
    out.nEpochs = p.data.hyperparameters.nEpochs ?? 'auto';
    out.batchSize = p.data.hyperparameters.batchSize ?? 'auto';
    out.learningRateMultiplier = p.data.hyperparameters.learningRateMultiplier ?? 'auto';
    out.baseModel = p.data.baseModel;
    out.suffix = p.data.suffix ?? null;
    out.useValidation = p.data.useValidation;
  }
  return out;
}

function jobDetail(id: number, { db, services }: Ctx): TrainingJobDetail {
  const record = getJobRecord(db, id);
  if (!record) throw new WorkbenchError('not_found', `Job ${id} does not exist.`);
  const job = services.get('jobs').toContract(record);
  const params = record.params;
  const task = TRAINING_TASKS.find((t) => t === params.task) ?? null;
  const backend = record.kind === 'local_train' ? 'local' : record.kind === 'openai_finetune' ? 'openai' : null;
  const baseRow = record.baseModelId !== null ? modelById(db, record.baseModelId) : null;
  const baseName = baseRow?.name ?? (typeof params.baseModel === 'string' ? params.baseModel : null);
  const version = record.datasetVersionId !== null ? getVersion(db, record.datasetVersionId) : null;
  const produced = modelProducedBy(db, id);
  const state = record.kind === 'openai_finetune' ? getFineTune(db, id) : null;
  const ep = state?.endpointId ? getEndpoint(db, state.endpointId) : null;
  return {
    job,
    task,
    backend,
    hyperparameters: hyperparametersOf(record.kind, params),
    lineage: {
      baseModel: baseName ? { id: baseRow?.id ?? null, name: baseName } : null,
      datasetVersion: version
        ? {
            id: version.id,
            datasetName: version.datasetName,
            version: version.version,
            contentHash: version.contentHash,
          }
        : null,
      producedModel: produced
        ? { id: produced.id, name: produced.name, remoteModel: produced.remoteModel, path: produced.path }
        : null,
    },
    openai:
      record.kind === 'openai_finetune'
        ? {
            endpointId: state?.endpointId ?? (typeof params.endpointId === 'number' ? params.endpointId : null),
            endpointName: ep?.name ?? null,
            remoteJobId: state?.remoteJobId ?? null,
            remoteStatus: state?.remoteStatus ?? null,
            remoteStatusKnown: state?.remoteStatus ? isKnownStatus(state.remoteStatus) : true,
            trainingFileId: state?.trainingFileId ?? null,
            validationFileId: state?.validationFileId ?? null,
            fineTunedModel: state?.fineTunedModel ?? null,
            trainedTokens: state?.trainedTokens ?? null,
            checkpoints: state?.checkpoints ?? [],
            result: state?.result ?? null,
            failure: state?.failure ?? null,
          }
        : null,
  };
}

/**
 * Fine-tuning: starts local (llama.cpp) and OpenAI jobs on the persistent job engine, registers the
 * OpenAI runner, and answers the Jobs page (training-data overview, form options, a job's lineage).
 */
export function createTrainingCapability(): Capability {
  let unsubscribe: (() => void) | null = null;
  return {
    name: 'training',
    start(ctx) {
      const jobs = ctx.services.get('jobs');
      jobs.register(createOpenAIFineTuneRunner(ctx));
      jobs.register(createLocalTrainRunner(ctx));
      // A live run cancels its remote job itself; this covers a cancel while no run was live.
      unsubscribe = ctx.bus.on('job.updated', (p) => {
        if (p.kind !== 'openai_finetune' || p.status !== 'cancelled') return;
        void cancelLeftoverRemoteJob(ctx, p.id).catch((err: unknown) =>
          ctx.log.warn('remote cancel failed', { jobId: p.id, error: String(err) }),
        );
      });
    },
    stop() {
      unsubscribe?.();
      unsubscribe = null;
    },
    handlers: {
      'training.overview': (_args, { db }) => trainingOverview(db),
      'training.options': (_args, { db, services }) => {
        const keyStore = services.get('keyStore');
        const jobs = services.get('jobs');
        const models = baseModelOptions(db);
        return {
          tasks: TRAINING_TASKS.map((id) => ({ id, label: TRAINING_TASK_LABEL[id] })),
          localModels: models.local,
          remoteModels: models.remote,
          openaiBaseModels: OPENAI_FINE_TUNABLE,
          endpoints: endpointOptions(db, (e) => resolveKey(e, keyStore).key !== null),
          datasetVersions: datasetVersionOptions(db),
          localDefaults: LocalHyperparametersSchema.parse({}),
          runners: { local: jobs.hasRunner('local_train'), openai: jobs.hasRunner('openai_finetune') },
          openaiFineTuningEnds: OPENAI_FINE_TUNING_END,
        };
      },
      'training.jobDetail': (args, ctx) => jobDetail(args.id, ctx),
      'training.startLocal': (args, ctx) => {
        const job = startLocal(args, ctx);
        ctx.audit!.subject = String(job.id);
        return job;
      },
      'training.startOpenAI': (args, ctx) => {
        const job = startOpenAI(args, ctx);
        ctx.audit!.subject = String(job.id);
        return job;
      },
    },
  };
}

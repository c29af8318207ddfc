import {
  BuildOptionsSchema,
  DatasetFilterSchema,
  LocalTrainParamsSchema,
  WorkbenchError,
  type Task,
  type TrainingTask,
} from '../contract/index';
import type { HandlerContext } from '../core/capability';
import { buildDataset } from '../datasets/buildDataset';
import { insertVersion } from '../datasets/datasetsRepo';
import { lineageOf } from '../registry/registryRepo';

type Ctx = Pick<HandlerContext, 'db' | 'services' | 'log'>;

const TRAINING_TASK: Record<Task, TrainingTask> = {
  triage: 'triage_priority',
  incident: 'threat_detection',
  audit_log: 'log_analysis',
  code_review: 'threat_detection',
  chat: 'threat_detection',
};

export type AutoTrainOutcome =
  { started: true; jobId: number; datasetVersionId: number; baseModelId: number } | { started: false; reason: string };

/**
 * Starts a local fine-tune for a task: a fresh dataset version of every approved example of the task
 * (secrets redacted, default split), trained from the root base model of the task's active model.
 */
export async function startAutoTraining(ctx: Ctx, task: Task, activeModelId: number): Promise<AutoTrainOutcome> {
  const jobs = ctx.services.get('jobs');
  if (!jobs.hasRunner('local_train')) {
    return { started: false, reason: 'Local training is not available in this build, so nothing was started.' };
  }
  const root = lineageOf(ctx.db, activeModelId)[0];
  const base = root
    ? (ctx.db.prepare('SELECT id, name, kind FROM models WHERE id = ?').get(root.id) as
        { id: number; name: string; kind: string } | undefined)
    : undefined;
  if (!base || base.kind !== 'local_gguf') {
    return {
      started: false,
      reason: 'The active model does not descend from a local model, so it cannot be trained here.',
    };
  }
  try {
    const filter = DatasetFilterSchema.parse({ task });
    const options = BuildOptionsSchema.parse({
      target: { kind: 'local_gguf', model: base.name },
      secrets: { fix: 'redact' },
      limits: { min: 1, max: 100_000 },
    });
    const build = await buildDataset(ctx.db, filter, options, { allowlist: [], prices: {} });
    if (build.report.steps.limits.belowMin || build.report.steps.split.train === 0) {
      return { started: false, reason: 'Too few approved examples for a training split.' };
    }
    const datasetVersionId = insertVersion(ctx.db, {
      name: `auto-${task}`,
      task,
      description: 'Built by a retraining trigger.',
      build,
    });
    const params = LocalTrainParamsSchema.parse({ task: TRAINING_TASK[task], baseModelId: base.id, datasetVersionId });
    const job = jobs.enqueue({
      kind: 'local_train',
      params: params as unknown as Record<string, unknown>,
      baseModelId: base.id,
      datasetVersionId,
    });
    return { started: true, jobId: job.id, datasetVersionId, baseModelId: base.id };
  } catch (err) {
    if (!(err instanceof WorkbenchError)) ctx.log.error('automatic training failed to start', { error: String(err) });
    return {
      started: false,
      reason: `Training could not be started: ${err instanceof WorkbenchError ? err.message : 'see the log'}.`,
    };
  }
}

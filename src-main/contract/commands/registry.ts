import { z } from 'zod';
import { action, query } from '../define';
import { Empty, Id, TaskSchema, type ModelKind, type Task } from '../common';
import { EVAL_METRICS, type EvalMetric } from './evaluation';

/** One model version in the registry, with where it came from. */
export interface RegistryVersion {
  id: number;
  name: string;
  kind: ModelKind;
  parentModelId: number | null;
  parentName: string | null;
  /** Steps from the root base model (0 = a base model). */
  depth: number;
  datasetVersionId: number | null;
  datasetLabel: string | null;
  datasetHash: string | null;
  jobId: number | null;
  archived: boolean;
  activeFor: Task[];
  /** Tasks a roll-back would return to this model. */
  previousFor: Task[];
  createdAt: number;
  latestEvaluation: { evaluationId: number; at: number; accuracy: number | null; verdictMacroF1: number | null } | null;
}

export interface ModelCard {
  model: RegistryVersion;
  /** Root base first, this model last. */
  lineage: { id: number; name: string }[];
  dataset: { versionId: number; label: string; contentHash: string; examples: number | null } | null;
  hyperparameters: Record<string, unknown> | null;
  training: { jobId: number; kind: string; status: string; finishedAt: number | null } | null;
  evaluations: {
    evaluationId: number;
    name: string;
    at: number;
    sourceLabel: string;
    metrics: Record<EvalMetric, number | null>;
  }[];
  /** The card as Markdown (to paste next to an exported model). */
  markdown: string;
}

export interface ActiveModelEntry {
  task: Task;
  modelId: number;
  modelName: string;
  previousModelId: number | null;
  previousModelName: string | null;
  updatedAt: number;
}

export interface RegistryChange {
  task: Task;
  modelId: number;
  previousModelId: number | null;
  action: 'promote' | 'rollback';
}

export interface RegistryHistoryEntry {
  id: number;
  task: Task;
  action: 'promote' | 'rollback';
  modelId: number;
  modelName: string;
  fromModelId: number | null;
  fromModelName: string | null;
  actor: string;
  reason: string;
  at: number;
}

// ---------------------------------------------------------------------------------------------
// Retraining triggers and alerts

export const TriggerRulesSchema = z
  .object({
    /** Suggest retraining once this many approved examples exist that the active model was not trained on. */
    newApproved: z
      .object({
        enabled: z.boolean().default(true),
        task: TaskSchema.default('triage'),
        minExamples: z.number().int().min(1).max(1_000_000).default(200),
        autoTrain: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Suggest retraining when the active model's latest evaluation is below a threshold. */
    metricBelow: z
      .object({
        enabled: z.boolean().default(true),
        task: TaskSchema.default('triage'),
        metric: z.enum(EVAL_METRICS).default('accuracy'),
        threshold: z.number().min(0).max(1).default(0.9),
        autoTrain: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Alert when a new version scores worse than the active model on the same examples. */
    regression: z
      .object({
        enabled: z.boolean().default(true),
        metric: z.enum(EVAL_METRICS).default('verdictMacroF1'),
        /** How much worse (absolute) before it is an alert. */
        tolerance: z.number().min(0).max(1).default(0),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type TriggerRules = z.output<typeof TriggerRulesSchema>;

export const TRIGGER_RULES = ['newApproved', 'metricBelow', 'regression'] as const;
export type TriggerRule = (typeof TRIGGER_RULES)[number];

export interface TriggerNotice {
  id: number;
  kind: 'suggestion' | 'alert';
  rule: TriggerRule;
  task: Task | null;
  message: string;
  details: Record<string, unknown>;
  /** The training job started automatically, if any. */
  jobId: number | null;
  createdAt: number;
  dismissedAt: number | null;
}

export interface TriggerCheck {
  /** Notices raised by this check. */
  raised: TriggerNotice[];
  /** Every open notice. */
  open: TriggerNotice[];
  /** Whether a local training runner is registered (auto-train needs one). */
  trainingAvailable: boolean;
}

export const registryCommands = {
  'registry.versions': query<{ items: RegistryVersion[] }>()(
    z.object({ includeArchived: z.boolean().default(false) }).strict(),
  ),
  'registry.card': query<ModelCard>()(z.object({ modelId: Id }).strict()),
  'registry.active': query<{ items: ActiveModelEntry[]; tasks: Task[] }>()(Empty),
  /** Makes a model the active one for a task; the one it replaces becomes the roll-back target. */
  'registry.promote': action<RegistryChange>()(
    z.object({ task: TaskSchema, modelId: Id, reason: z.string().max(2000).default('') }).strict(),
  ),
  /** Returns a task to the model that was active before the current one. */
  'registry.rollback': action<RegistryChange>()(
    z.object({ task: TaskSchema, reason: z.string().max(2000).default('') }).strict(),
  ),
  'registry.history': query<{ items: RegistryHistoryEntry[] }>()(
    z.object({ task: TaskSchema.optional(), limit: z.number().int().min(1).max(500).default(100) }).strict(),
  ),
  /** Records where a model came from (e.g. one fine-tuned elsewhere and added by path). */
  'registry.setLineage': action<ModelCard>()(
    z
      .object({
        modelId: Id,
        parentModelId: Id.nullable().optional(),
        datasetVersionId: Id.nullable().optional(),
        hyperparameters: z.record(z.string().min(1).max(100), z.json()).optional(),
      })
      .strict(),
  ),
  'triggers.rules': query<TriggerRules>()(Empty),
  'triggers.setRules': action<TriggerRules>()(TriggerRulesSchema),
  /** Evaluates the rules now: raises suggestions and alerts, and starts training where a rule says so. */
  'triggers.check': action<TriggerCheck>()(Empty),
  'triggers.list': query<{ items: TriggerNotice[]; trainingAvailable: boolean }>()(
    z
      .object({ includeDismissed: z.boolean().default(false), limit: z.number().int().min(1).max(500).default(50) })
      .strict(),
  ),
  'triggers.dismiss': action<TriggerNotice>()(z.object({ id: Id }).strict()),
} as const;

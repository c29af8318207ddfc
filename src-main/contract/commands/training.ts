import { z } from 'zod';
import { action, query } from '../define';
import { Empty, Id } from '../common';
import type { Job } from './jobs';

// ---------------------------------------------------------------------------------------------
// What a fine-tuned model is for

export const TRAINING_TASKS = ['threat_detection', 'log_analysis', 'triage_priority'] as const;
export type TrainingTask = (typeof TRAINING_TASKS)[number];
export const TRAINING_TASK_LABEL: Record<TrainingTask, string> = {
  threat_detection: 'Threat detection',
  log_analysis: 'Log analysis',
  triage_priority: 'Triage priority',
};

/** OpenAI stops creating new fine-tuning jobs for everyone on this day (existing models keep working). */
export const OPENAI_FINE_TUNING_END = '2027-01-06';

// ---------------------------------------------------------------------------------------------
// Local training (llama.cpp): the job's `params`, read by the `local_train` runner

export const LR_SCHEDULES = ['cosine', 'linear', 'constant'] as const;
export const OPTIMIZERS = ['adamw', 'sgd'] as const;

export const LocalHyperparametersSchema = z
  .object({
    epochs: z.number().int().min(1).max(100).default(3),
    /** Peak learning rate. */
    learningRate: z.number().gt(0).max(0.1).default(3e-4),
    /** How the learning rate decays from the peak to `minLearningRate`. */
    lrSchedule: z.enum(LR_SCHEDULES).default('cosine'),
    /** End of the decay; default: a tenth of the peak. */
    minLearningRate: z.number().min(0).max(0.1).optional(),
    /** Tokens per training window (context). */
    contextLength: z.number().int().min(32).max(131_072).default(512),
    /** Examples per optimizer step. */
    batchSize: z.number().int().min(1).max(512).default(8),
    /** Share of the training split held out for validation when the version has no validation split. */
    validationFraction: z.number().min(0).max(0.5).default(0.1),
    optimizer: z.enum(OPTIMIZERS).default('adamw'),
  })
  .strict()
  .refine((h) => h.minLearningRate === undefined || h.minLearningRate <= h.learningRate, {
    message: 'the final learning rate cannot be above the peak',
    path: ['minLearningRate'],
  });
export type LocalHyperparameters = z.output<typeof LocalHyperparametersSchema>;

const ModelName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\p{Cc}]+$/u, 'the name cannot contain control characters');

export const LocalTrainParamsSchema = z
  .object({
    task: z.enum(TRAINING_TASKS),
    /** A local F32 GGUF model from the registry. */
    baseModelId: Id,
    datasetVersionId: Id,
    /** Name of the model the job produces; default: "<base> · <task> · <dataset> v<n>". */
    outputName: ModelName.optional(),
    hyperparameters: LocalHyperparametersSchema.prefault({}),
  })
  .strict();
export type LocalTrainParams = z.output<typeof LocalTrainParamsSchema>;

// ---------------------------------------------------------------------------------------------
// OpenAI fine-tuning: the job's `params`, read by the `openai_finetune` runner

/** OpenAI's ranges; `undefined` leaves the choice to OpenAI ("auto"). */
export const OpenAIHyperparametersSchema = z
  .object({
    nEpochs: z.number().int().min(1).max(50).optional(),
    batchSize: z.number().int().min(1).max(256).optional(),
    learningRateMultiplier: z.number().gt(0).max(10).optional(),
  })
  .strict();
export type OpenAIHyperparameters = z.output<typeof OpenAIHyperparametersSchema>;

export const OpenAIFineTuneParamsSchema = z
  .object({
    task: z.enum(TRAINING_TASKS),
    endpointId: Id,
    /** The OpenAI model to fine-tune, e.g. gpt-4o-mini-2024-07-18. */
    baseModel: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9._:-]+$/, 'a model name such as gpt-4o-mini-2024-07-18'),
    /** The registry entry for the base model, when there is one (lineage). */
    baseModelId: Id.optional(),
    datasetVersionId: Id,
    /** Up to 64 characters of the fine-tuned model's name (`ft:<base>:<org>:<suffix>:<id>`). */
    suffix: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "-" and "_" only')
      .optional(),
    /** Upload the version's validation split too (OpenAI then reports validation loss). */
    useValidation: z.boolean().default(true),
    hyperparameters: OpenAIHyperparametersSchema.prefault({}),
  })
  .strict();
export type OpenAIFineTuneParams = z.output<typeof OpenAIFineTuneParamsSchema>;

// ---------------------------------------------------------------------------------------------
// Responses

/** The training data at a glance (top of the Jobs page). */
export interface TrainingOverview {
  /** Labelled examples (conversations marked for training). */
  total: number;
  approved: number;
  pending: number;
  rejected: number;
  /** Labelled with quality ≥ 4, and of those the approved ones. */
  highQuality: number;
  approvedHighQuality: number;
  datasetVersions: number;
  jobs: { queued: number; running: number; succeeded: number; failed: number };
}

export interface TrainingBaseModelOption {
  id: number;
  name: string;
  kind: 'local_gguf' | 'openai' | 'openai_compatible';
  /** Local models: the weights' type (only F32 can be trained here). */
  quantization: string | null;
  trainable: boolean;
  /** Why it cannot be trained locally, in words. */
  note: string | null;
  endpointId: number | null;
  remoteModel: string | null;
}

export interface TrainingDatasetVersionOption {
  id: number;
  datasetName: string;
  version: number;
  contentHash: string;
  counts: { train: number; validation: number; test: number; total: number };
  secretsClean: boolean;
  createdAt: number;
}

export interface TrainingEndpointOption {
  id: number;
  name: string;
  kind: 'openai' | 'openai_compatible';
  hasKey: boolean;
  keyStatus: 'unknown' | 'ok' | 'invalid';
}

/** Everything the "Start job" form offers, with defaults. */
export interface TrainingOptions {
  tasks: { id: TrainingTask; label: string }[];
  localModels: TrainingBaseModelOption[];
  remoteModels: TrainingBaseModelOption[];
  /** Models OpenAI documents as fine-tunable, suggested in the form. */
  openaiBaseModels: string[];
  endpoints: TrainingEndpointOption[];
  datasetVersions: TrainingDatasetVersionOption[];
  localDefaults: LocalHyperparameters;
  runners: { local: boolean; openai: boolean };
  openaiFineTuningEnds: string;
}

export interface OpenAICheckpoint {
  id: string;
  step: number;
  model: string;
  metrics: Record<string, number | null>;
}

/** The result CSV OpenAI attaches to a finished job, as far as it could be read. */
export interface ResultFileSummary {
  fileId: string;
  encoding: 'plain' | 'base64';
  columns: string[];
  /** Expected columns the file lacked: their values are shown as unknown. */
  missingColumns: string[];
  rows: number;
  /** Lines that could not be read as numbers (kept out of the figures). */
  badRows: number;
  final: {
    step: number | null;
    trainLoss: number | null;
    trainAccuracy: number | null;
    validLoss: number | null;
    validAccuracy: number | null;
  };
}

export const OPENAI_KNOWN_STATUSES = [
  'validating_files',
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
] as const;

export interface OpenAIJobState {
  endpointId: number | null;
  endpointName: string | null;
  remoteJobId: string | null;
  /** As OpenAI said it, and whether this app knows the value (`paused`, say, is shown as unknown). */
  remoteStatus: string | null;
  remoteStatusKnown: boolean;
  trainingFileId: string | null;
  validationFileId: string | null;
  fineTunedModel: string | null;
  trainedTokens: number | null;
  checkpoints: OpenAICheckpoint[];
  result: ResultFileSummary | null;
  /** `creation_refused`: OpenAI no longer accepts new fine-tuning jobs here (403); `key_rejected`: 401. */
  failure: 'creation_refused' | 'key_rejected' | null;
}

export interface TrainingJobDetail {
  job: Job;
  task: TrainingTask | null;
  backend: 'local' | 'openai' | null;
  hyperparameters: Record<string, string | number | boolean | null>;
  lineage: {
    baseModel: { id: number | null; name: string } | null;
    datasetVersion: { id: number; datasetName: string; version: number; contentHash: string } | null;
    producedModel: { id: number; name: string; remoteModel: string | null; path: string | null } | null;
  };
  openai: OpenAIJobState | null;
}

export const trainingCommands = {
  'training.overview': query<TrainingOverview>()(Empty),
  'training.options': query<TrainingOptions>()(Empty),
  'training.jobDetail': query<TrainingJobDetail>()(z.object({ id: Id }).strict()),
  /** Queues a local fine-tune (one local job runs at a time; the rest wait in the queue). */
  'training.startLocal': action<Job>()(LocalTrainParamsSchema),
  /** Uploads the version's OpenAI JSONL (secrets scan must be clean) and creates an OpenAI fine-tuning job. */
  'training.startOpenAI': action<Job>()(OpenAIFineTuneParamsSchema),
} as const;

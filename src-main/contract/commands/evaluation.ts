import { z } from 'zod';
import { action, query } from '../define';
import { Id, TaskSchema, type Severity, type Verdict } from '../common';
import { DatasetFilterSchema, SPLITS, type DatasetFilter, type Split } from './datasets';

/**
 * Evaluation runs: models answer the held-out examples with the structured triage answer, and each
 * answer is scored against the example's labels. The fields scored, as classification problems:
 *   verdict, severity — closed classes;
 *   threatType — the label text, normalised (lower case, spaces and dashes as "_");
 *   technique — the first (primary) ATT&CK id of the answer vs the label's first id, "(none)" when empty.
 * Technique sets are scored too, as micro precision/recall/F1 over ids (exact id match).
 */
export const EVAL_FIELDS = ['verdict', 'severity', 'threatType', 'technique'] as const;
export type EvalField = (typeof EVAL_FIELDS)[number];

/** Numbers a dashboard, a trigger rule or a CI gate can compare. Higher is better except invalidRate and fpr. */
export const EVAL_METRICS = [
  'accuracy',
  'verdictMacroF1',
  'severityMacroF1',
  'threatTypeMacroF1',
  'techniqueMacroF1',
  'criticalRecall',
  'highPrecision',
  'fpr',
  'invalidRate',
] as const;
export type EvalMetric = (typeof EVAL_METRICS)[number];
export const LOWER_IS_BETTER: readonly EvalMetric[] = ['fpr', 'invalidRate'];

export const EVAL_METRIC_LABELS: Record<EvalMetric, string> = {
  accuracy: 'Accuracy (verdict)',
  verdictMacroF1: 'Macro-F1 (verdict)',
  severityMacroF1: 'Macro-F1 (severity)',
  threatTypeMacroF1: 'Macro-F1 (threat type)',
  techniqueMacroF1: 'Macro-F1 (primary technique)',
  criticalRecall: 'Recall on critical severity',
  highPrecision: 'Precision on high severity',
  fpr: 'False-positive rate',
  invalidRate: 'Invalid-output rate',
};

/** The seed's success criteria, shown as pass/fail badges. */
export const SUCCESS_CRITERIA = [
  { metric: 'accuracy', op: '>', threshold: 0.9, label: 'Accuracy > 90%' },
  { metric: 'highPrecision', op: '>', threshold: 0.85, label: 'Precision > 85% on high severity' },
  { metric: 'criticalRecall', op: '>', threshold: 0.95, label: 'Recall > 95% on critical' },
] as const satisfies readonly { metric: EvalMetric; op: '>'; threshold: number; label: string }[];

export const EVALUATION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type EvaluationStatus = (typeof EVALUATION_STATUSES)[number];

export interface ClassScore {
  label: string;
  support: number;
  predicted: number;
  truePositives: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

export interface FieldReport {
  total: number;
  correct: number;
  accuracy: number | null;
  macroF1: number | null;
  perClass: ClassScore[];
  /** labels in order; cells[i][j] = expected labels[i], predicted labels[j]. `<invalid>` = no usable answer. */
  confusion: { labels: string[]; cells: number[][] };
}

export interface Badge {
  label: string;
  metric: EvalMetric;
  value: number | null;
  threshold: number;
  /** null when the set has no item of the class the criterion is about. */
  pass: boolean | null;
}

export interface ModelEvalMetrics {
  modelId: number;
  modelName: string;
  kind: 'local_gguf' | 'openai' | 'openai_compatible';
  /** Examples answered so far (of `total`). */
  done: number;
  total: number;
  valid: number;
  invalid: number;
  invalidRate: number | null;
  /** Verdict accuracy over every example (an invalid answer is wrong). */
  accuracy: number | null;
  /** Verdict, severity, threat type and primary technique all right. */
  exactMatch: number | null;
  fields: Record<EvalField, FieldReport>;
  /** Micro P/R/F1 over technique ids (set-based). */
  techniqueSet: { precision: number | null; recall: number | null; f1: number | null };
  criticalRecall: number | null;
  highPrecision: number | null;
  fpr: number | null;
  badges: Badge[];
  latencyMs: { p50: number | null; p95: number | null; mean: number | null };
  /** Completion tokens per second of generation time (per request). */
  tokensPerSecond: number | null;
  /** Examples per second of wall-clock time (parallel sequences raise this). */
  examplesPerSecond: number | null;
  promptTokens: number;
  completionTokens: number;
  /** USD at the price table; null for local models or remote models without a price. */
  costUsd: number | null;
  /** Parallel sequences (local) or concurrent requests (remote) used. */
  parallel: number | null;
}

export type EvaluationSource =
  { kind: 'dataset'; versionId: number; split: Split } | { kind: 'filter'; filter: DatasetFilter };

export interface EvaluationSummary {
  id: number;
  name: string;
  status: EvaluationStatus;
  source: EvaluationSource;
  /** "<dataset> v<n> (test)" or "Labelled conversations". */
  sourceLabel: string;
  datasetVersionId: number | null;
  datasetHash: string | null;
  models: { id: number; name: string }[];
  jobId: number | null;
  progress: { done: number; total: number };
  error: string | null;
  createdAt: number;
  finishedAt: number | null;
}

export interface EvaluationDetail extends EvaluationSummary {
  /** Per model; live while running, stored when finished. */
  metrics: ModelEvalMetrics[];
  options: EvaluationOptions;
}

export interface EvaluationExpected {
  verdict: Verdict | null;
  severity: Severity | null;
  threatType: string | null;
  techniques: string[];
}

export interface EvaluationResultRow {
  id: number;
  modelId: number;
  exampleRef: string;
  /** Title of the source conversation, when known. */
  title: string | null;
  expected: EvaluationExpected;
  predicted: EvaluationExpected | null;
  rawOutput: string;
  valid: boolean;
  error: string | null;
  latencyMs: number;
  completionTokens: number;
}

export interface EvaluationHistoryPoint {
  evaluationId: number;
  evaluationName: string;
  at: number;
  datasetVersionId: number | null;
  sourceLabel: string;
  modelId: number;
  modelName: string;
  parentModelId: number | null;
  metrics: Record<EvalMetric, number | null>;
}

export interface PriceEntry {
  /** USD per 1M prompt / completion tokens. */
  input: number;
  output: number;
}

export const EvaluationOptionsSchema = z
  .object({
    /**
     * Parallel sequences on the local runtime. Off (1) by default: on a 2-core CPU with small models and long
     * alert prompts, llama.cpp's multi-sequence decoding measured no faster than one at a time (bench/eval);
     * it pays off where decoding is memory- or GPU-bound and answers are long relative to prompts.
     */
    parallel: z.number().int().min(1).max(16).default(1),
    /** Concurrent requests to a remote endpoint. */
    concurrency: z.number().int().min(1).max(32).default(4),
    maxTokens: z.number().int().min(16).max(8192).default(512),
    temperature: z.number().min(0).max(2).default(0),
    seed: z.number().int().min(0).max(0xffffffff).default(42),
    /** Evaluate at most this many examples (the first N in a stable order). */
    limit: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();
export type EvaluationOptions = z.output<typeof EvaluationOptionsSchema>;

export const EvaluationSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dataset'), versionId: Id, split: z.enum(SPLITS).default('test') }).strict(),
  z.object({ kind: z.literal('filter'), filter: DatasetFilterSchema.prefault({}) }).strict(),
]);

const PriceEntrySchema = z
  .object({ input: z.number().min(0).max(10_000), output: z.number().min(0).max(10_000) })
  .strict();

export const evaluationCommands = {
  'evaluation.start': action<EvaluationDetail>()(
    z
      .object({
        name: z.string().trim().min(1).max(200).optional(),
        modelIds: z.array(Id).min(1).max(8),
        source: EvaluationSourceSchema,
        options: EvaluationOptionsSchema.prefault({}),
      })
      .strict(),
  ),
  'evaluation.list': query<{ items: EvaluationSummary[] }>()(
    z.object({ limit: z.number().int().min(1).max(500).default(50) }).strict(),
  ),
  'evaluation.get': query<EvaluationDetail>()(z.object({ id: Id }).strict()),
  'evaluation.cancel': action<EvaluationSummary>()(z.object({ id: Id }).strict()),
  /** Runs a cancelled, failed or interrupted evaluation again; examples already answered are skipped. */
  'evaluation.resume': action<EvaluationSummary>()(z.object({ id: Id }).strict()),
  /** Per-example results; `field` + `expected` + `predicted` select one confusion-matrix cell. */
  'evaluation.results': query<{ items: EvaluationResultRow[]; total: number }>()(
    z
      .object({
        id: Id,
        modelId: Id.optional(),
        field: z.enum(EVAL_FIELDS).optional(),
        expected: z.string().max(200).optional(),
        predicted: z.string().max(200).optional(),
        onlyWrong: z.boolean().default(false),
        limit: z.number().int().min(1).max(500).default(50),
        offset: z.number().int().min(0).default(0),
      })
      .strict(),
  ),
  /** Finished evaluations' headline metrics per model version, oldest first (dashboard charts). */
  'evaluation.history': query<{ items: EvaluationHistoryPoint[] }>()(
    z
      .object({
        task: TaskSchema.optional(),
        datasetVersionId: Id.optional(),
        limit: z.number().int().min(1).max(1000).default(200),
      })
      .strict(),
  ),
  'evaluation.prices': query<{ prices: Record<string, PriceEntry> }>()(z.object({}).strict()),
  /** Replaces the price table's overrides (USD per 1M tokens by remote model name). */
  'evaluation.setPrices': action<{ prices: Record<string, PriceEntry> }>()(
    z.object({ prices: z.record(z.string().min(1).max(200), PriceEntrySchema) }).strict(),
  ),
} as const;

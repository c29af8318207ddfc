import { z } from 'zod';
import { query, action } from '../define';
import {
  Id,
  SEVERITIES,
  SOURCE_KINDS,
  TASKS,
  VERDICTS,
  type Severity,
  type SourceKind,
  type Task,
  type Verdict,
} from '../common';

// ---------------------------------------------------------------------------------------------
// Requests

/** Which approved examples go into a dataset. Every field narrows; arrays mean "any of". */
export const DatasetFilterSchema = z
  .object({
    task: z.enum(TASKS).default('triage'),
    verdicts: z.array(z.enum(VERDICTS)).max(3).optional(),
    threatTypes: z.array(z.string().min(1).max(100)).max(50).optional(),
    severities: z.array(z.enum(SEVERITIES)).max(5).optional(),
    /** ATT&CK technique id; a parent (T1078) also matches its sub-techniques (T1078.004). */
    technique: z
      .string()
      .regex(/^T\d{4}(\.\d{3})?$/, 'an ATT&CK technique id such as T1078')
      .optional(),
    qualityMin: z.number().int().min(1).max(5).optional(),
    labellers: z.array(z.string().min(1).max(200)).max(50).optional(),
    /** Label time range, unix ms, inclusive. */
    from: z.number().int().min(0).optional(),
    to: z.number().int().min(0).optional(),
    sourceKinds: z.array(z.enum(SOURCE_KINDS)).max(3).optional(),
  })
  .strict();
export type DatasetFilter = z.output<typeof DatasetFilterSchema>;

export const SECRET_FIXES = ['block', 'redact', 'exclude'] as const;
export type SecretFix = (typeof SECRET_FIXES)[number];
export const STRATIFY_BY = ['verdict', 'verdict_severity'] as const;
export type StratifyBy = (typeof STRATIFY_BY)[number];
export const TARGET_KINDS = ['openai', 'local_gguf'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export const BuildOptionsSchema = z
  .object({
    target: z
      .object({
        kind: z.enum(TARGET_KINDS).default('openai'),
        /** OpenAI model name, or the GGUF model's registry name for local targets. */
        model: z.string().min(1).max(200).default('gpt-4o-mini-2024-07-18'),
        /** Per-example token limit; defaults to the model's known limit. */
        tokenLimit: z.number().int().min(16).max(2_000_000).optional(),
      })
      .strict()
      .prefault({}),
    /** Replaces the task's security analyst prompt. */
    systemPrompt: z.string().min(1).max(20_000).optional(),
    /** Append the label (threat type, techniques) to the system prompt as hints. */
    labelHints: z.boolean().default(false),
    dedup: z
      .object({
        threshold: z.number().min(0.5).max(1).default(0.9),
        keepPerCluster: z.number().int().min(1).max(100).default(1),
      })
      .strict()
      .prefault({}),
    split: z
      .object({
        validation: z.number().min(0).max(0.5).default(0.2),
        test: z.number().min(0).max(0.5).default(0.1),
        stratifyBy: z.enum(STRATIFY_BY).default('verdict'),
      })
      .strict()
      .prefault({}),
    seed: z.number().int().min(0).max(0xffffffff).default(42),
    limits: z
      .object({
        min: z.number().int().min(1).max(1_000_000).default(50),
        max: z.number().int().min(1).max(1_000_000).default(1000),
      })
      .strict()
      .prefault({}),
    secrets: z
      .object({
        /** What to do with examples holding secrets: block the export, redact to <SECRET_n>, or drop the example. */
        fix: z.enum(SECRET_FIXES).default('block'),
        /** Per-conversation choices that override `fix`. */
        perConversation: z.record(z.string().regex(/^\d+$/), z.enum(['redact', 'exclude'])).default({}),
      })
      .strict()
      .prefault({}),
    pseudonymise: z.boolean().default(true),
    /** Indicators kept as they are, on top of the `datasets.allowlist` setting. */
    allowlist: z.array(z.string().min(1).max(500)).max(1000).default([]),
    /** Fixed epochs for the estimate; the cookbook's default rule otherwise. */
    epochs: z.number().int().min(1).max(50).optional(),
    /** USD per 1M training tokens, by model; on top of the built-in table and the `datasets.prices` setting. */
    prices: z.record(z.string().min(1).max(200), z.number().min(0)).optional(),
  })
  .strict();
export type BuildOptions = z.output<typeof BuildOptionsSchema>;
export type BuildOptionsInput = z.input<typeof BuildOptionsSchema>;

const BuildRequest = z
  .object({
    filter: DatasetFilterSchema.prefault({}),
    options: BuildOptionsSchema.prefault({}),
  })
  .strict();

export const EXPORT_FORMATS = ['openai', 'sharegpt', 'alpaca'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const SPLITS = ['train', 'validation', 'test'] as const;
export type Split = (typeof SPLITS)[number];

// ---------------------------------------------------------------------------------------------
// Responses

export interface StepCount {
  in: number;
  out: number;
}

export interface ValidationFailure {
  conversationId: number;
  title: string;
  ruleId: string;
  /** Index into the example's messages, when the rule is about one message. */
  messageIndex: number | null;
  detail: string;
}

export interface ValidationRuleInfo {
  id: string;
  source: 'openai' | 'ours';
  description: string;
}

/** Long lists in a report are capped; the counts are always whole. */
export const REPORT_LIST_CAP = 500;

export interface TokenRefusal {
  conversationId: number;
  title: string;
  tokens: number;
  limit: number;
}

export interface DuplicateCluster {
  keptConversationIds: number[];
  droppedConversationIds: number[];
  kind: 'exact' | 'near';
}

export interface SecretFinding {
  conversationId: number;
  title: string;
  ruleId: string;
  /** Where it was found: which message, and a masked snippet (never the secret itself). */
  messageIndex: number;
  masked: string;
  fix: SecretFix;
}

export type EntityKind = 'ip' | 'host' | 'user' | 'email' | 'account';

export interface RedactionSample {
  conversationId: number;
  messageIndex: number;
  before: string;
  after: string;
}

export interface LabelCount {
  label: string;
  train: number;
  validation: number;
  test: number;
}

export interface CostEstimate {
  model: string;
  trainingTokens: number;
  billedTokensPerEpoch: number;
  epochs: number;
  epochsSource: 'cookbook_default' | 'fixed';
  usdPerMillion: number | null;
  usd: number | null;
}

/** Everything each build step did, with counts; the same shape for a preview and a stored version. */
export interface BuildReport {
  filter: DatasetFilter;
  options: BuildOptions;
  steps: {
    selected: number;
    validation: {
      in: number;
      valid: number;
      invalid: number;
      byRule: Record<string, number>;
      failures: ValidationFailure[];
    };
    dedup: { in: number; kept: number; droppedExact: number; droppedNear: number; clusters: DuplicateCluster[] };
    limits: { in: number; out: number; min: number; max: number; sampled: boolean; belowMin: boolean };
    redaction: {
      in: number;
      out: number;
      secretsFound: number;
      secretExamples: number;
      secretsRedacted: number;
      excluded: number;
      blocking: number;
      findings: SecretFinding[];
      entities: Record<EntityKind, number>;
      samples: RedactionSample[];
      allowlisted: number;
    };
    tokens: {
      in: number;
      out: number;
      tokenizer: 'exact' | 'approximate';
      encoding: string;
      limit: number;
      refused: TokenRefusal[];
      total: number;
      max: number;
      mean: number;
    };
    split: { train: number; validation: number; test: number; groups: number; byLabel: LabelCount[] };
  };
  cost: CostEstimate;
  /** True when no unresolved secret remains; export and upload need this. */
  secretsClean: boolean;
  /** Reasons the set cannot become an exportable version as it is. */
  blockers: string[];
  examples: number;
}

export interface DatasetVersionSummary {
  id: number;
  datasetId: number;
  datasetName: string;
  version: number;
  contentHash: string;
  seed: number;
  createdAt: number;
  counts: { train: number; validation: number; test: number; total: number };
  secretsClean: boolean;
}

export interface DatasetVersionDetail extends DatasetVersionSummary {
  report: BuildReport;
  /** Pseudonym mapping counts by kind; the mapping itself stays local and never leaves with an export. */
  pseudonyms: Record<EntityKind, number>;
}

export interface DatasetSummary {
  id: number;
  name: string;
  task: Task;
  description: string;
  createdAt: number;
  versions: DatasetVersionSummary[];
}

export interface DatasetExampleLabels {
  verdict: Verdict | null;
  threatType: string | null;
  severity: Severity | null;
  techniques: string[];
  quality: number | null;
  labeller: string;
  sourceKind: SourceKind;
}

export interface DatasetExample {
  id: number;
  conversationId: number | null;
  split: Split;
  groupKey: string;
  example: { messages: { role: string; content?: string | null; [k: string]: unknown }[]; [k: string]: unknown };
  labels: DatasetExampleLabels;
  tokenCount: number;
  contentHash: string;
}

export interface ExportResult {
  versionId: number;
  format: ExportFormat;
  split: Split | null;
  /** Where the file was written (the desktop shows it; the headless host offers `downloadUrl`). */
  path: string;
  fileName: string;
  cardPath: string;
  cardJsonPath: string;
  /** Path of the download route under the headless host, relative to its origin. */
  downloadUrl: string | null;
  examples: number;
  bytes: number;
  sha256: string;
  egressId: number;
}

export interface RedactionPreview {
  before: string;
  after: string;
  secrets: { ruleId: string; masked: string }[];
  entities: { kind: EntityKind; token: string }[];
}

export const datasetCommands = {
  'datasets.rules': query<{ rules: ValidationRuleInfo[] }>()(z.object({}).strict()),
  'datasets.preview': query<BuildReport>()(BuildRequest),
  'datasets.redactionPreview': query<RedactionPreview>()(
    z
      .object({
        text: z.string().max(200_000),
        allowlist: z.array(z.string().min(1).max(500)).max(1000).default([]),
      })
      .strict(),
  ),
  'datasets.createVersion': action<DatasetVersionDetail>()(
    BuildRequest.extend({
      name: z.string().trim().min(1).max(200),
      description: z.string().max(2000).default(''),
    }).strict(),
  ),
  'datasets.list': query<{ items: DatasetSummary[] }>()(z.object({}).strict()),
  'datasets.getVersion': query<DatasetVersionDetail>()(z.object({ id: Id }).strict()),
  'datasets.examples': query<{ items: DatasetExample[]; total: number }>()(
    z
      .object({
        versionId: Id,
        split: z.enum(SPLITS).optional(),
        limit: z.number().int().min(1).max(500).default(50),
        offset: z.number().int().min(0).default(0),
      })
      .strict(),
  ),
  'datasets.export': action<ExportResult>()(
    z
      .object({
        versionId: Id,
        format: z.enum(EXPORT_FORMATS),
        split: z.enum(SPLITS).optional(),
        /** An existing absolute folder; <dataDir>/exports otherwise. */
        destDir: z.string().min(1).max(4096).optional(),
      })
      .strict(),
  ),
} as const;

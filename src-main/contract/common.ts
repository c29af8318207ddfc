import { z } from 'zod';

export const TASKS = ['triage', 'incident', 'audit_log', 'code_review', 'chat'] as const;
export type Task = (typeof TASKS)[number];
export const TaskSchema = z.enum(TASKS);

export const SOURCE_KINDS = ['triage_chat', 'imported_alert', 'imported_example'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const VERDICTS = ['true_positive', 'benign', 'false_positive'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const REVIEW_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

export const MODEL_KINDS = ['local_gguf', 'openai', 'openai_compatible'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export const Id = z.number().int().positive();

/** Paging for lists: keyset-friendly limit plus an opaque offset. */
export const Page = z
  .object({
    limit: z.number().int().min(1).max(500).default(50),
    offset: z.number().int().min(0).default(0),
  })
  .strict();

export const Empty = z.object({}).strict();

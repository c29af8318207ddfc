import { z } from 'zod';
import { OPENAI_KNOWN_STATUSES } from '../../contract/index';

/**
 * OpenAI's fine-tuning objects as far as we rely on them. Answers enter as `unknown` and are parsed here:
 * extra fields are allowed, unknown status values are kept as strings (shown as unknown, never a crash).
 */

const nullableNum = z.number().nullable().optional();

export const RemoteFile = z.looseObject({
  id: z.string().min(1),
  bytes: z.number().optional(),
  filename: z.string().optional(),
  purpose: z.string().optional(),
});
export type RemoteFile = z.infer<typeof RemoteFile>;

export const RemoteJob = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  model: z.string().optional(),
  fine_tuned_model: z.string().nullable().optional(),
  error: z
    .looseObject({
      code: z.string().nullable().optional(),
      message: z.string().nullable().optional(),
      param: z.string().nullable().optional(),
    })
    .nullable()
    .optional(),
  trained_tokens: nullableNum,
  result_files: z.array(z.string()).nullable().optional(),
  estimated_finish: nullableNum,
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  method: z.unknown().optional(),
  hyperparameters: z.unknown().optional(),
});
export type RemoteJob = z.infer<typeof RemoteJob>;

export const RemoteEvent = z.looseObject({
  id: z.string().min(1),
  created_at: z.number().optional(),
  level: z.string().optional(),
  message: z.string().optional(),
  type: z.string().optional(),
  data: z.unknown().optional(),
});
export type RemoteEvent = z.infer<typeof RemoteEvent>;

export const RemoteCheckpoint = z.looseObject({
  id: z.string().min(1),
  fine_tuned_model_checkpoint: z.string().optional(),
  step_number: z.number().optional(),
  metrics: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type RemoteCheckpoint = z.infer<typeof RemoteCheckpoint>;

export function isKnownStatus(status: string): boolean {
  return (OPENAI_KNOWN_STATUSES as readonly string[]).includes(status);
}

/** The metrics keys OpenAI reports (event data and checkpoint metrics); anything else is ignored. */
export const METRIC_KEYS = [
  'step',
  'total_steps',
  'train_loss',
  'train_mean_token_accuracy',
  'valid_loss',
  'valid_mean_token_accuracy',
  'full_valid_loss',
  'full_valid_mean_token_accuracy',
] as const;

/** Finite numbers only; a missing or odd value is left out (shown as unknown). */
export function pickMetrics(data: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!data || typeof data !== 'object') return out;
  for (const key of METRIC_KEYS) {
    const v = (data as Record<string, unknown>)[key];
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
  }
  return out;
}

import { z } from 'zod';

/** Every event the core can push to a renderer; payloads are parsed before they are sent. */
export const events = {
  'conversations.changed': z.object({ ids: z.array(z.number().int()) }).strict(),
  'audit.appended': z.object({ action: z.string(), subject: z.string().nullable() }).strict(),
  'settings.changed': z.object({ key: z.string() }).strict(),
  'dataset.progress': z.object({ stage: z.string(), done: z.number().int(), total: z.number().int() }).strict(),
  'models.changed': z.object({ ids: z.array(z.number().int()) }).strict(),
  /** A piece of an assistant answer as it streams. */
  'chat.token': z.object({ conversationId: z.number().int(), messageId: z.number().int(), text: z.string() }).strict(),
  /** The answer is complete, stopped by the analyst, or failed (partial text is kept on the message). */
  'chat.done': z
    .object({
      conversationId: z.number().int(),
      messageId: z.number().int(),
      stopped: z.boolean(),
      error: z.string().optional(),
      promptTokens: z.number().int().optional(),
      completionTokens: z.number().int().optional(),
      latencyMs: z.number().int().optional(),
    })
    .strict(),
  'import.progress': z
    .object({
      importId: z.number().int(),
      bytesRead: z.number().int().min(0),
      totalBytes: z.number().int().min(0),
      records: z.number().int().min(0),
      rejected: z.number().int().min(0),
      duplicates: z.number().int().min(0),
    })
    .strict(),
  'import.finished': z
    .object({
      importId: z.number().int(),
      status: z.enum(['done', 'failed', 'cancelled']),
      recordsOk: z.number().int().min(0),
      rejected: z.number().int().min(0),
      duplicates: z.number().int().min(0),
      error: z.string().nullable(),
    })
    .strict(),
  /** The review queue changed: a label was saved, a batch decided or undone. Refetch counts and pages. */
  'review.changed': z
    .object({
      kind: z.enum(['labelled', 'decided', 'undone']),
      batchId: z.number().int().nullable(),
      count: z.number().int(),
      conversationId: z.number().int().nullable(),
    })
    .strict(),
  'job.updated': z
    .object({
      id: z.number().int(),
      kind: z.string(),
      status: z.string(),
      progress: z.number(),
      etaSeconds: z.number().nullable(),
      error: z.string().nullable(),
    })
    .strict(),
  'job.event': z
    .object({
      jobId: z.number().int(),
      id: z.number().int(),
      level: z.enum(['info', 'warn', 'error']),
      type: z.enum(['message', 'metrics', 'status']),
      message: z.string(),
      metrics: z.record(z.string(), z.number().nullable()).nullable(),
      createdAt: z.number(),
    })
    .strict(),
  /** An evaluation answered more examples, or changed status. */
  'evaluation.progress': z
    .object({
      evaluationId: z.number().int(),
      status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
      modelId: z.number().int().nullable(),
      done: z.number().int().min(0),
      total: z.number().int().min(0),
    })
    .strict(),
  /** Side by side: a piece of one side's answer, and the end of it. */
  'compare.token': z.object({ comparisonId: z.string(), side: z.enum(['a', 'b']), text: z.string() }).strict(),
  'compare.done': z
    .object({
      comparisonId: z.string(),
      side: z.enum(['a', 'b']),
      error: z.string().nullable(),
      latencyMs: z.number().int().nullable(),
      completionTokens: z.number().int().nullable(),
    })
    .strict(),
  /** The active model of a task changed (promote, roll back). */
  'registry.changed': z
    .object({ task: z.string(), modelId: z.number().int(), action: z.enum(['promote', 'rollback']) })
    .strict(),
  /** A retraining suggestion or a regression alert was raised. */
  'triggers.raised': z
    .object({ id: z.number().int(), kind: z.enum(['suggestion', 'alert']), rule: z.string(), message: z.string() })
    .strict(),
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<K extends EventName> = z.infer<Events[K]>;

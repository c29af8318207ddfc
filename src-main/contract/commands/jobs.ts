import { z } from 'zod';
import { query, action } from '../define';
import { Id } from '../common';

export const JOB_KINDS = ['local_train', 'openai_finetune', 'trainer_build', 'evaluation'] as const;
export type JobKind = (typeof JOB_KINDS)[number];
export const JOB_STATUSES = [
  'queued',
  'preparing',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINAL_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface Job {
  id: number;
  kind: JobKind;
  status: JobStatus;
  params: Record<string, unknown>;
  baseModelId: number | null;
  datasetVersionId: number | null;
  remoteId: string | null;
  progress: number;
  etaSeconds: number | null;
  attempts: number;
  error: string | null;
  result: Record<string, unknown> | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Position in the local queue (1 = next), null when not queued. */
  queuePosition: number | null;
}

export interface JobEvent {
  id: number;
  jobId: number;
  level: 'info' | 'warn' | 'error';
  type: 'message' | 'metrics' | 'status';
  message: string;
  metrics: Record<string, number | null> | null;
  createdAt: number;
}

export const jobCommands = {
  'jobs.list': query<{ items: Job[] }>()(
    z
      .object({
        kind: z.enum(JOB_KINDS).optional(),
        status: z.enum(JOB_STATUSES).optional(),
        limit: z.number().int().min(1).max(500).default(100),
      })
      .strict(),
  ),
  'jobs.get': query<Job>()(z.object({ id: Id }).strict()),
  'jobs.events': query<{ items: JobEvent[] }>()(
    z
      .object({
        id: Id,
        afterId: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(5000).default(1000),
        type: z.enum(['message', 'metrics', 'status']).optional(),
      })
      .strict(),
  ),
  'jobs.cancel': action<Job>()(z.object({ id: Id }).strict()),
  /** Starts a failed, cancelled or interrupted job again (bounded attempts). */
  'jobs.retry': action<Job>()(z.object({ id: Id }).strict()),
} as const;

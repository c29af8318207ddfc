import { z } from 'zod';
import { query, action } from '../define';
import { Id, SEVERITIES, VERDICTS, type ReviewStatus, type Severity, type Verdict } from '../common';
import { TechniqueId } from './attack';

export const QUALITY_MIN = 1;
export const QUALITY_MAX = 5;

/** One label per conversation; fields are nullable because imported examples may arrive with only some. */
export interface TrainingLabel {
  id: number;
  conversationId: number;
  messageId: number | null;
  verdict: Verdict | null;
  threatType: string | null;
  severity: Severity | null;
  techniques: string[];
  quality: number | null;
  notes: string;
  /** The assistant turn of the training example. */
  correctedAnswer: string | null;
  labeller: string;
  createdAt: number;
  updatedAt: number;
}

export interface ReviewState {
  status: ReviewStatus;
  reviewer: string | null;
  reason: string | null;
  decidedAt: number | null;
  updatedAt: number;
}

/** What saving did to the review queue: a new pending row, a decided one sent back, or a pending one updated. */
export type QueueChange = 'added' | 'requeued' | 'updated';

export interface SaveLabelResult {
  label: TrainingLabel;
  review: ReviewState;
  queue: QueueChange;
  /** The status before the save when it was `requeued` (approved or rejected). */
  previousStatus: ReviewStatus | null;
  /** A sentence for the toast, e.g. "Added to the pending review queue." */
  message: string;
  warnings: string[];
}

export const SaveLabelRequest = z
  .object({
    conversationId: Id,
    /** Label one message of the conversation; its content is the default corrected answer when it is the model's. */
    messageId: Id.nullable().optional(),
    verdict: z.enum(VERDICTS),
    threatType: z.string().trim().min(1, 'threat type is required').max(80),
    severity: z.enum(SEVERITIES),
    techniques: z.array(TechniqueId).max(40).default([]),
    quality: z.number().int().min(QUALITY_MIN).max(QUALITY_MAX),
    notes: z.string().max(20_000).default(''),
    /** Empty means: use the last assistant answer as it is. */
    correctedAnswer: z.string().max(200_000).default(''),
  })
  .strict();

export const labelCommands = {
  'labels.save': action<SaveLabelResult>()(SaveLabelRequest),
  'labels.get': query<{
    label: TrainingLabel | null;
    review: ReviewState | null;
    /** The last assistant answer (or the chosen message), to prefill the corrected answer. */
    suggestedAnswer: string;
  }>()(z.object({ conversationId: Id, messageId: Id.nullable().optional() }).strict()),
} as const;

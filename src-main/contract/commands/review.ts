import { z } from 'zod';
import { query, action } from '../define';
import {
  Empty,
  Id,
  REVIEW_STATUSES,
  SEVERITIES,
  SOURCE_KINDS,
  VERDICTS,
  type ReviewStatus,
  type Severity,
  type SourceKind,
  type Verdict,
} from '../common';
import { TacticId, TechniqueId } from './attack';
import type { Message } from './conversations';

export const REVIEW_DECISIONS = ['approve', 'reject'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** Everything the queue can be filtered by; all optional and ANDed. */
export const ReviewFilter = z
  .object({
    status: z.enum(REVIEW_STATUSES).optional(),
    sourceKind: z.enum(SOURCE_KINDS).optional(),
    verdict: z.enum(VERDICTS).optional(),
    threatType: z.string().trim().min(1).max(80).optional(),
    severity: z.enum(SEVERITIES).optional(),
    /** A technique also matches its sub-techniques (T1059 finds T1059.001). */
    technique: TechniqueId.optional(),
    tactic: TacticId.optional(),
    qualityMin: z.number().int().min(1).max(5).optional(),
    qualityMax: z.number().int().min(1).max(5).optional(),
    labeller: z.string().trim().min(1).max(200).optional(),
    /** Labelled at or after (unix ms). */
    from: z.number().int().nonnegative().optional(),
    /** Labelled before (unix ms). */
    to: z.number().int().nonnegative().optional(),
    /** Full-text search over the conversation (title, alert, messages). */
    text: z.string().trim().max(500).optional(),
  })
  .strict();
export type ReviewFilter = z.output<typeof ReviewFilter>;

export interface ReviewItem {
  labelId: number;
  reviewId: number;
  conversationId: number;
  title: string;
  sourceKind: SourceKind;
  sourceFormat: string | null;
  verdict: Verdict | null;
  threatType: string | null;
  severity: Severity | null;
  techniques: string[];
  quality: number | null;
  labeller: string;
  labelledAt: number;
  status: ReviewStatus;
  reviewer: string | null;
  reason: string | null;
  decidedAt: number | null;
  updatedAt: number;
}

export interface ReviewDetail extends ReviewItem {
  notes: string;
  /** The training example's prompt: the conversation up to the labelled answer. */
  prompt: Pick<Message, 'role' | 'content'>[];
  /** The assistant turn the example will train on (the corrected answer, or the model's own). */
  answer: string;
  answerIsCorrected: boolean;
  alertPayload: unknown;
  techniqueNames: { id: string; name: string; tactics: string[] }[];
}

export interface DecisionResult {
  /** Undo handle; null when nothing changed. */
  batchId: number | null;
  decision: ReviewDecision;
  matched: number;
  /** Rows whose status changed (already-decided rows with the same decision are left as they are). */
  changed: number;
}

export interface UndoResult {
  batchId: number;
  restored: number;
  /** Rows changed again since the batch (e.g. re-labelled); left as they are. */
  skipped: number;
}

export interface CoverageRow {
  key: string;
  name: string;
  approved: number;
  pending: number;
  /** Share of all approved examples, 0..1. */
  share: number;
  thin: boolean;
}

export interface ReviewOverview {
  total: number;
  pending: number;
  approved: number;
  rejected: number;
  /** Approved examples with quality ≥ 4. */
  highQuality: number;
  /** approved / (approved + rejected); null before any decision. */
  approvalRate: number | null;
  /** Over all labelled examples with a quality; null when none. */
  averageQuality: number | null;
  thinRule: { minApproved: number; minShare: number };
  byThreatType: CoverageRow[];
  byTactic: CoverageRow[];
}

export const THIN_MIN_APPROVED = 10;
export const THIN_MIN_SHARE = 0.05;

const Reason = z.string().trim().max(2000).optional();

export const reviewCommands = {
  /** A page of the queue, newest first. Pass `cursor` from the previous page (fast) or an `offset` (jumps). */
  'review.list': query<{ items: ReviewItem[]; nextCursor: string | null; total: number | null }>()(
    z
      .object({
        filter: ReviewFilter.default({}),
        limit: z.number().int().min(1).max(500).default(50),
        cursor: z.string().max(100).nullable().optional(),
        offset: z.number().int().min(0).optional(),
        withTotal: z.boolean().default(false),
      })
      .strict(),
  ),
  'review.get': query<ReviewDetail>()(z.object({ labelId: Id }).strict()),
  'review.countByFilter': query<{ count: number; byStatus: Record<ReviewStatus, number> }>()(
    z.object({ filter: ReviewFilter.default({}) }).strict(),
  ),
  'review.decide': action<DecisionResult>()(
    z
      .object({
        labelIds: z.array(Id).min(1).max(200_000),
        decision: z.enum(REVIEW_DECISIONS),
        reason: Reason,
      })
      .strict(),
  ),
  /** Decides everything matching the filter; refused when the match count is no longer `expectedCount`. */
  'review.bulkByFilter': action<DecisionResult>()(
    z
      .object({
        filter: ReviewFilter,
        decision: z.enum(REVIEW_DECISIONS),
        reason: Reason,
        expectedCount: z.number().int().min(0),
      })
      .strict(),
  ),
  'review.undo': action<UndoResult>()(z.object({ batchId: Id }).strict()),
  'review.overview': query<ReviewOverview>()(Empty),
  /** Distinct labellers and threat types in the queue, for the filter bar. */
  'review.facets': query<{
    labellers: { name: string; count: number }[];
    threatTypes: { name: string; count: number }[];
  }>()(Empty),
} as const;

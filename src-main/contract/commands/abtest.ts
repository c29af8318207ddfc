import { z } from 'zod';
import { action, query } from '../define';
import { Id, TaskSchema, type Task } from '../common';

/**
 * Side by side: one prompt (or alert), two models answering in two columns as they stream. In blind mode
 * the sides are shuffled and the model names stay hidden until the analyst votes; votes are stored in
 * ab_votes with the model that was on each side.
 */
export const AB_VOTES = ['a', 'b', 'tie', 'both_bad'] as const;
export type AbVote = (typeof AB_VOTES)[number];
export type Side = 'a' | 'b';

export interface CompareSide {
  side: Side;
  /** Hidden (null) in blind mode until the vote. */
  modelId: number | null;
  modelName: string | null;
}

export interface CompareStarted {
  comparisonId: string;
  blind: boolean;
  task: Task;
  sides: [CompareSide, CompareSide];
}

export interface CompareState extends CompareStarted {
  prompt: string;
  answers: Record<
    Side,
    { text: string; done: boolean; error: string | null; latencyMs: number | null; completionTokens: number | null }
  >;
  vote: AbVote | null;
}

export interface VoteResult {
  voteId: number;
  vote: AbVote;
  /** Both sides with their models, now that the vote is in. */
  sides: [CompareSide, CompareSide];
}

export interface PairStats {
  modelX: { id: number; name: string };
  modelY: { id: number; name: string };
  xWins: number;
  yWins: number;
  ties: number;
  bothBad: number;
  total: number;
  /** xWins / (xWins + yWins): ties and "both bad" do not decide; null before a decisive vote. */
  winRateX: number | null;
  /** 95% Wilson score interval of winRateX. */
  interval: { low: number; high: number } | null;
}

export interface AnalystCount {
  analyst: string;
  votes: number;
  a: number;
  b: number;
  tie: number;
  bothBad: number;
}

export const abtestCommands = {
  'compare.start': action<CompareStarted>()(
    z
      .object({
        prompt: z.string().trim().min(1).max(100_000),
        /** Triage the alert of this conversation (its payload goes in the system turn). */
        conversationId: Id.optional(),
        task: TaskSchema.default('triage'),
        modelAId: Id,
        modelBId: Id,
        blind: z.boolean().default(true),
        /** Ask both for the structured triage answer. */
        structured: z.boolean().default(false),
        maxTokens: z.number().int().min(1).max(8192).default(512),
      })
      .strict()
      .refine((v) => v.modelAId !== v.modelBId, { message: 'pick two different models', path: ['modelBId'] }),
  ),
  'compare.get': query<CompareState>()(z.object({ comparisonId: z.string().min(1).max(64) }).strict()),
  'compare.stop': action<{ stopped: boolean }>()(z.object({ comparisonId: z.string().min(1).max(64) }).strict()),
  'abtest.vote': action<VoteResult>()(
    z.object({ comparisonId: z.string().min(1).max(64), vote: z.enum(AB_VOTES) }).strict(),
  ),
  /** Win rates per model pair (with a 95% interval) and vote counts per analyst. */
  'abtest.stats': query<{ pairs: PairStats[]; analysts: AnalystCount[]; total: number }>()(
    z.object({ modelId: Id.optional() }).strict(),
  ),
} as const;

import { z } from 'zod';
import { query, action } from '../define';
import { Id, SOURCE_KINDS, TASKS, REVIEW_STATUSES, type SourceKind, type Task, type ReviewStatus } from '../common';

/** Fields pulled out of an alert or log event for the context panel; all optional. */
export interface KeyFields {
  time?: string;
  host?: string;
  user?: string;
  sourceIp?: string;
  rule?: string;
  severity?: string;
  [extra: string]: string | undefined;
}

export interface ConversationSummary {
  id: number;
  title: string;
  sourceKind: SourceKind;
  sourceFormat: string | null;
  task: Task;
  keyFields: KeyFields;
  messageCount: number;
  reviewStatus: ReviewStatus | null;
  createdAt: number;
  updatedAt: number;
}

export interface Message {
  id: number;
  seq: number;
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  toolCalls: unknown[] | null;
  toolCallId: string | null;
  weight: 0 | 1 | null;
  modelId: number | null;
  structured: unknown;
  promptTokens: number | null;
  completionTokens: number | null;
  latencyMs: number | null;
  stopped: boolean;
  error: string | null;
  createdAt: number;
}

export interface ConversationDetail extends ConversationSummary {
  alertPayload: unknown;
  messages: Message[];
}

export const ConversationFilter = z
  .object({
    text: z.string().max(500).optional(),
    sourceKind: z.enum(SOURCE_KINDS).optional(),
    task: z.enum(TASKS).optional(),
    reviewStatus: z.enum(REVIEW_STATUSES).optional(),
    limit: z.number().int().min(1).max(500).default(100),
    offset: z.number().int().min(0).default(0),
  })
  .strict();

export const conversationCommands = {
  'conversations.list': query<{ items: ConversationSummary[]; total: number }>()(ConversationFilter),
  'conversations.get': query<ConversationDetail>()(z.object({ id: Id }).strict()),
  'conversations.create': action<ConversationDetail>()(
    z
      .object({
        title: z.string().trim().min(1).max(300),
        task: z.enum(TASKS).default('triage'),
      })
      .strict(),
  ),
  'conversations.rename': action<ConversationSummary>()(
    z.object({ id: Id, title: z.string().trim().min(1).max(300) }).strict(),
  ),
} as const;

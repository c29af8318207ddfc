import { z } from 'zod';
import { action, query } from '../define';
import { Empty, Id, TaskSchema, type Task } from '../common';

/** A task preset: how the workbench asks a model to do one kind of security work. */
export interface TaskPreset {
  id: Task;
  title: string;
  description: string;
  systemPrompt: string;
  temperature: number;
  /** The task has a structured answer (the triage schema). */
  structured: boolean;
  /** The active model for this task, if one is set. */
  preferredModelId: number | null;
}

export interface ChatSendResult {
  /** The assistant message being written; `chat.token` and `chat.done` events carry the same id. */
  messageId: number;
  userMessageId: number;
  modelId: number;
}

export const chatCommands = {
  'tasks.list': query<{ items: TaskPreset[] }>()(Empty),
  'chat.send': action<ChatSendResult>()(
    z
      .object({
        conversationId: Id,
        content: z.string().trim().min(1).max(200_000),
        task: TaskSchema.optional(),
        modelId: Id.optional(),
        temperature: z.number().min(0).max(2).optional(),
        maxTokens: z.number().int().min(1).max(32_768).optional(),
        stop: z.array(z.string().min(1).max(64)).max(8).optional(),
        /** Ask for the structured triage answer (JSON following the triage schema). */
        structured: z.boolean().optional(),
      })
      .strict(),
  ),
  'chat.stop': action<{ stopped: boolean }>()(z.object({ conversationId: Id }).strict()),
} as const;

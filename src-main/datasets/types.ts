import type { DatasetExampleLabels, Task } from '../contract/index';

/** One tool call on an assistant message, as OpenAI's chat format has it (arguments are a JSON string). */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content?: string | null;
  name?: string;
  weight?: 0 | 1;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
}

/** One training example in OpenAI's chat fine-tuning shape; what is stored and exported. */
export interface ChatExample {
  messages: ChatMessage[];
  tools?: unknown[];
  parallel_tool_calls?: boolean;
}

/** An approved, labelled conversation turned into an example, with what the later steps need. */
export interface Candidate {
  conversationId: number;
  title: string;
  task: Task;
  groupKey: string;
  labels: DatasetExampleLabels;
  labelledAt: number;
  example: ChatExample;
}

import type { ExportFormat } from '../contract/index';
import type { ChatExample, ChatMessage } from '../datasets/types';

/**
 * One stored example (OpenAI chat JSON) → one line of the export format. OpenAI lines are the
 * stored text itself; ShareGPT and Alpaca follow LLaMA-Factory's field names.
 */
export type LineConverter = (storedJson: string) => string;

function shareGptRole(m: ChatMessage): 'human' | 'gpt' | 'function_call' | 'observation' | null {
  switch (m.role) {
    case 'user':
      return 'human';
    case 'assistant':
      return m.tool_calls?.length ? 'function_call' : 'gpt';
    case 'tool':
      return 'observation';
    default:
      return null;
  }
}

export function toShareGpt(example: ChatExample): Record<string, unknown> {
  const system = example.messages.find((m) => m.role === 'system')?.content ?? undefined;
  const conversations: { from: string; value: string }[] = [];
  for (const m of example.messages) {
    const from = shareGptRole(m);
    if (!from) continue;
    const value =
      from === 'function_call'
        ? JSON.stringify(
            m.tool_calls!.map((c) => ({
              name: c.function.name,
              arguments: JSON.parse(c.function.arguments) as unknown,
            })),
          )
        : (m.content ?? '');
    conversations.push({ from, value });
  }
  const out: Record<string, unknown> = { conversations };
  if (system) out.system = system;
  if (example.tools?.length) out.tools = JSON.stringify(example.tools);
  return out;
}

/** instruction = the system prompt, input = the last user turn, output = the answer; earlier turns go to history. */
export function toAlpaca(example: ChatExample): Record<string, unknown> {
  const system = example.messages.find((m) => m.role === 'system')?.content ?? '';
  // Tool turns have no Alpaca form; only plain user/assistant text carries over.
  const turns = example.messages.filter(
    (m) => (m.role === 'user' || m.role === 'assistant') && typeof m.content === 'string' && !m.tool_calls?.length,
  );
  const output = turns[turns.length - 1]?.role === 'assistant' ? turns.pop()!.content! : '';
  const lastUser = turns.length && turns[turns.length - 1]!.role === 'user' ? turns.pop()!.content! : '';
  const history: [string, string][] = [];
  let pendingUser: string | null = null;
  for (const t of turns) {
    if (t.role === 'user') pendingUser = (pendingUser ? `${pendingUser}\n\n` : '') + t.content!;
    else {
      history.push([pendingUser ?? '', t.content!]);
      pendingUser = null;
    }
  }
  const out: Record<string, unknown> = {
    instruction: system,
    input: pendingUser ? `${pendingUser}\n\n${lastUser}` : lastUser,
    output,
  };
  if (history.length) out.history = history;
  return out;
}

export function converterFor(format: ExportFormat): LineConverter {
  switch (format) {
    case 'openai':
      return (json) => json;
    case 'sharegpt':
      return (json) => JSON.stringify(toShareGpt(JSON.parse(json) as ChatExample));
    case 'alpaca':
      return (json) => JSON.stringify(toAlpaca(JSON.parse(json) as ChatExample));
  }
}

import fs from 'node:fs';
import { z } from 'zod';

/**
 * Turns chat examples (the OpenAI chat JSONL the dataset builder exports) into tw-sft's training file:
 * one `{"prompt","answer"}` line per example, where the prompt is every turn up to the last assistant
 * message rendered with the model's turn format, and the answer is that message plus the end-of-turn tag.
 * tw-sft then trains on the answer tokens only.
 */

export const ChatLineSchema = z.object({
  messages: z
    .array(
      z.object({
        role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']),
        content: z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }))]).nullable(),
      }),
    )
    .min(2),
});
export type ChatLine = z.infer<typeof ChatLineSchema>;

/**
 * Turn formats. `phi3` is the `<|role|>\n…<|end|>\n` format of the project's tiny and demo models
 * (TINY_CHAT_TEMPLATE); `chatml` is `<|im_start|>role\n…<|im_end|>\n`.
 */
export type TurnFormat = 'phi3' | 'chatml';

const FORMATS: Record<TurnFormat, { open: (role: string) => string; close: string; generation: string }> = {
  phi3: { open: (r) => `<|${r}|>\n`, close: '<|end|>', generation: '<|assistant|>\n' },
  chatml: { open: (r) => `<|im_start|>${r}\n`, close: '<|im_end|>', generation: '<|im_start|>assistant\n' },
};

function text(c: ChatLine['messages'][number]['content']): string {
  if (c === null) return '';
  if (typeof c === 'string') return c;
  return c.map((p) => p.text ?? '').join('');
}

/** The prompt for a list of turns, ending with the assistant's generation tag (what inference sends). */
export function renderPrompt(messages: { role: string; content: string }[], format: TurnFormat = 'phi3'): string {
  const f = FORMATS[format];
  return (
    messages.map((m) => `${f.open(m.role === 'developer' ? 'system' : m.role)}${m.content}${f.close}\n`).join('') +
    f.generation
  );
}

export function chatToSft(line: ChatLine, format: TurnFormat = 'phi3'): { prompt: string; answer: string } {
  const msgs = line.messages.map((m) => ({ role: m.role, content: text(m.content) }));
  let last = msgs.length - 1;
  while (last >= 0 && msgs[last]!.role !== 'assistant') last--;
  if (last < 1) throw new Error('a training example needs an assistant message after at least one other message');
  return {
    prompt: renderPrompt(msgs.slice(0, last), format),
    answer: `${msgs[last]!.content}${FORMATS[format].close}`,
  };
}

/** Converts an OpenAI chat JSONL file into tw-sft's JSONL; returns the number of examples written. */
export function convertChatJsonl(inFile: string, outFile: string, format: TurnFormat = 'phi3'): number {
  const lines = fs.readFileSync(inFile, 'utf8').split('\n');
  const out: string[] = [];
  lines.forEach((l, i) => {
    if (!l.trim()) return;
    const parsed = ChatLineSchema.safeParse(JSON.parse(l));
    if (!parsed.success)
      throw new Error(`line ${i + 1} is not a chat example: ${parsed.error.issues[0]?.message ?? ''}`);
    out.push(JSON.stringify(chatToSft(parsed.data, format)));
  });
  fs.writeFileSync(outFile, out.join('\n') + '\n');
  return out.length;
}

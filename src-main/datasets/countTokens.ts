import type { TargetKind } from '../contract/index';
import type { ChatExample } from './types';

/** Per-example token limits of OpenAI's fine-tunable models (training context). */
export const OPENAI_TOKEN_LIMITS: Record<string, number> = {
  'gpt-4o-mini-2024-07-18': 65_536,
  'gpt-4o-2024-08-06': 65_536,
  'gpt-4.1-2025-04-14': 65_536,
  'gpt-4.1-mini-2025-04-14': 65_536,
  'gpt-4.1-nano-2025-04-14': 65_536,
  'gpt-3.5-turbo-0125': 16_385,
};
const DEFAULT_LIMIT = 65_536;
/** What a local GGUF target gets when no limit is given: a typical training context. */
const DEFAULT_LOCAL_LIMIT = 8_192;

export interface TokenCounter {
  /** `exact`: the target's own tokenizer; `approximate`: a stand-in (reported as such). */
  tokenizer: 'exact' | 'approximate';
  encoding: string;
  limit: number;
  count(example: ChatExample): number;
}

// Text here is data, never control: special-token strings count as plain text instead of throwing.
const PLAIN = { disallowedSpecial: new Set<string>() };

type Count = (s: string) => number;
const loaded = new Map<string, Promise<Count>>();

// The BPE tables are large (o200k takes ~0.5 s to load): load one only when a build needs it.
function loadEncoding(name: 'o200k_base' | 'cl100k_base'): Promise<Count> {
  let p = loaded.get(name);
  if (!p) {
    p = (
      name === 'o200k_base' ? import('gpt-tokenizer/encoding/o200k_base') : import('gpt-tokenizer/encoding/cl100k_base')
    ).then((m) => (s: string) => m.countTokens(s, PLAIN));
    loaded.set(name, p);
  }
  return p;
}

async function encodingFor(model: string): Promise<{ name: string; count: Count }> {
  const name = /^gpt-3\.5|^gpt-4-|^gpt-4$/.test(model) ? 'cl100k_base' : 'o200k_base';
  return { name, count: await loadEncoding(name) };
}

/**
 * The cookbook's estimate: 3 tokens per message, each value's tokens, 1 more per `name`, 3 to prime
 * the reply. Tool calls and tool definitions count as their JSON text.
 */
export function chatTokens(example: ChatExample, count: (s: string) => number): number {
  let n = 3;
  for (const m of example.messages) {
    n += 3 + count(m.role);
    if (typeof m.content === 'string') n += count(m.content);
    if (m.name !== undefined) n += count(m.name) + 1;
    if (m.tool_calls) n += count(JSON.stringify(m.tool_calls));
    if (m.tool_call_id !== undefined) n += count(m.tool_call_id);
  }
  if (example.tools?.length) n += count(JSON.stringify(example.tools));
  return n;
}

export interface TokenCounterOptions {
  kind: TargetKind;
  model: string;
  limit?: number | undefined;
  /** The local model's own tokenizer (node-llama-cpp `model.tokenize`) when one is loaded. */
  localTokenize?: ((text: string) => number) | null;
}

export async function createTokenCounter(opts: TokenCounterOptions): Promise<TokenCounter> {
  if (opts.kind === 'local_gguf') {
    const limit = opts.limit ?? DEFAULT_LOCAL_LIMIT;
    if (opts.localTokenize) {
      const tokenize = opts.localTokenize;
      return { tokenizer: 'exact', encoding: `gguf:${opts.model}`, limit, count: (e) => chatTokens(e, tokenize) };
    }
    // No loaded-model tokenizer is reachable yet: count with o200k and say it is an approximation.
    const enc = await encodingFor('');
    return { tokenizer: 'approximate', encoding: enc.name, limit, count: (e) => chatTokens(e, enc.count) };
  }
  const enc = await encodingFor(opts.model);
  const known = OPENAI_TOKEN_LIMITS[opts.model];
  return {
    tokenizer: known !== undefined || /^(gpt-4o|gpt-4\.1|gpt-3\.5|ft:)/.test(opts.model) ? 'exact' : 'approximate',
    encoding: enc.name,
    limit: opts.limit ?? known ?? DEFAULT_LIMIT,
    count: (e) => chatTokens(e, enc.count),
  };
}

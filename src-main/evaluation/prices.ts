import type { PriceEntry } from '../contract/index';
import type { Db } from '../db/connection';
import { getSetting } from '../settings/settingsRepo';

export const PRICES_SETTING = 'evaluation.prices';

/**
 * USD per 1M tokens (prompt / completion) for inference, by model name. A starting point only: providers
 * change prices, so the table is a setting (Evaluate → prices, or `evaluation.setPrices`). Fine-tuned
 * OpenAI models (`ft:<base>:…`) are looked up under `ft:<base>`.
 */
export const DEFAULT_INFERENCE_PRICES: Record<string, PriceEntry> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'ft:gpt-4o-mini': { input: 0.3, output: 1.2 },
  'ft:gpt-4o': { input: 3.75, output: 15 },
  'ft:gpt-4.1': { input: 3, output: 12 },
  'ft:gpt-4.1-mini': { input: 0.8, output: 3.2 },
  'ft:gpt-4.1-nano': { input: 0.2, output: 0.8 },
};

function isEntry(v: unknown): v is PriceEntry {
  if (!v || typeof v !== 'object') return false;
  const e = v as Record<string, unknown>;
  return typeof e.input === 'number' && e.input >= 0 && typeof e.output === 'number' && e.output >= 0;
}

export function priceOverrides(db: Db): Record<string, PriceEntry> {
  const v = getSetting<unknown>(db, PRICES_SETTING);
  const out: Record<string, PriceEntry> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, e] of Object.entries(v)) if (isEntry(e)) out[k] = { input: e.input, output: e.output };
  }
  return out;
}

export function priceTable(db: Db): Record<string, PriceEntry> {
  return { ...DEFAULT_INFERENCE_PRICES, ...priceOverrides(db) };
}

/** Exact name first; then `ft:<base>` for fine-tunes; then the longest known prefix (dated snapshots). */
export function priceFor(table: Record<string, PriceEntry>, model: string): PriceEntry | null {
  if (table[model]) return table[model]!;
  const candidates = [model];
  const ft = /^ft:([^:]+)/.exec(model);
  if (ft) candidates.unshift(`ft:${ft[1]}`);
  for (const name of candidates) {
    if (table[name]) return table[name]!;
    const prefix = Object.keys(table)
      .filter((k) => name.startsWith(`${k}-`) && k.startsWith('ft:') === name.startsWith('ft:'))
      .sort((a, b) => b.length - a.length)[0];
    if (prefix) return table[prefix]!;
  }
  return null;
}

export function costOf(price: PriceEntry | null, promptTokens: number, completionTokens: number): number | null {
  if (!price) return null;
  return (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
}

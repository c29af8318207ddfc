import type { CostEstimate } from '../contract/index';

/**
 * USD per 1M training tokens. Prices change: this is a starting point, overridden by the
 * `datasets.prices` setting and by the build options.
 */
export const DEFAULT_TRAINING_PRICES: Record<string, number> = {
  'gpt-4o-mini-2024-07-18': 3,
  'gpt-4o-2024-08-06': 25,
  'gpt-4.1-2025-04-14': 25,
  'gpt-4.1-mini-2025-04-14': 5,
  'gpt-4.1-nano-2025-04-14': 1.5,
  'gpt-3.5-turbo-0125': 8,
};

// The cookbook's default-epochs rule: aim at 3 epochs, but at least 100 and at most 25,000 example passes, 1–25 epochs.
const TARGET_EPOCHS = 3;
const MIN_TARGET_EXAMPLES = 100;
const MAX_TARGET_EXAMPLES = 25_000;
const MIN_DEFAULT_EPOCHS = 1;
const MAX_DEFAULT_EPOCHS = 25;

export function defaultEpochs(trainExamples: number): number {
  if (trainExamples <= 0) return TARGET_EPOCHS;
  if (trainExamples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES) {
    return Math.min(MAX_DEFAULT_EPOCHS, Math.floor(MIN_TARGET_EXAMPLES / trainExamples));
  }
  if (trainExamples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES) {
    return Math.max(MIN_DEFAULT_EPOCHS, Math.floor(MAX_TARGET_EXAMPLES / trainExamples));
  }
  return TARGET_EPOCHS;
}

/** Training tokens × epochs × price; validation tokens are free. Each example is billed at most `limit` tokens. */
export function estimateCost(opts: {
  model: string;
  trainTokenCounts: readonly number[];
  limit: number;
  epochs?: number | undefined;
  prices: Record<string, number>;
}): CostEstimate {
  const billed = opts.trainTokenCounts.reduce((s, n) => s + Math.min(n, opts.limit), 0);
  const trainingTokens = opts.trainTokenCounts.reduce((s, n) => s + n, 0);
  const epochs = opts.epochs ?? defaultEpochs(opts.trainTokenCounts.length);
  const price = priceFor(opts.model, opts.prices);
  return {
    model: opts.model,
    trainingTokens,
    billedTokensPerEpoch: billed,
    epochs,
    epochsSource: opts.epochs === undefined ? 'cookbook_default' : 'fixed',
    usdPerMillion: price,
    usd: price === null ? null : Math.round(((billed * epochs * price) / 1_000_000) * 10_000) / 10_000,
  };
}

function priceFor(model: string, prices: Record<string, number>): number | null {
  if (prices[model] !== undefined) return prices[model];
  // A fine-tuned model or an alias bills like its base snapshot: match on the longest known prefix.
  const base = model.startsWith('ft:') ? (model.split(':')[1] ?? '') : model;
  const match = Object.keys(prices)
    .filter((k) => base === k || k.startsWith(`${base}-`) || base.startsWith(k))
    .sort((a, b) => b.length - a.length)[0];
  return match === undefined ? null : prices[match]!;
}

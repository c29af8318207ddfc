import { mulberry32, seededShuffle } from './prng';
import { stratumOf } from './splitDataset';
import type { StratifyBy } from '../contract/index';
import type { Candidate } from './types';

export interface LimitResult<T extends Candidate> {
  items: T[];
  sampled: boolean;
  belowMin: boolean;
}

/**
 * Step 7: at least `min` and at most `max` examples per job. Above the maximum, a seeded sample
 * that keeps each label's share (largest-remainder rounding); below the minimum the caller refuses.
 */
export function applyLimits<T extends Candidate>(
  items: readonly T[],
  opts: { min: number; max: number; seed: number; stratifyBy: StratifyBy },
): LimitResult<T> {
  if (items.length <= opts.max) return { items: items.slice(), sampled: false, belowMin: items.length < opts.min };
  const strata = new Map<string, T[]>();
  for (const it of items) {
    const s = stratumOf(it, opts.stratifyBy);
    const list = strata.get(s);
    if (list) list.push(it);
    else strata.set(s, [it]);
  }
  const labels = [...strata.keys()].sort();
  const exact = labels.map((l) => (strata.get(l)!.length * opts.max) / items.length);
  const quota = exact.map(Math.floor);
  let left = opts.max - quota.reduce((s, q) => s + q, 0);
  const byRemainder = labels.map((_, i) => i).sort((a, b) => exact[b]! - quota[b]! - (exact[a]! - quota[a]!) || a - b);
  for (const i of byRemainder) {
    if (left <= 0) break;
    quota[i]!++;
    left--;
  }
  const rand = mulberry32(opts.seed ^ 0x5bd1e995);
  const chosen = new Set<T>();
  labels.forEach((l, i) => {
    for (const it of seededShuffle(strata.get(l)!, rand).slice(0, quota[i])) chosen.add(it);
  });
  // Keep the input order (conversation id) so later steps see a stable sequence.
  return { items: items.filter((it) => chosen.has(it)), sampled: true, belowMin: opts.max < opts.min };
}

import type { LabelCount, Split, StratifyBy } from '../contract/index';
import { mulberry32, seededShuffle } from './prng';
import type { Candidate } from './types';

export function stratumOf(c: Candidate, by: StratifyBy): string {
  const verdict = c.labels.verdict ?? 'unlabelled';
  return by === 'verdict_severity' ? `${verdict}/${c.labels.severity ?? 'none'}` : verdict;
}

export interface SplitOptions {
  validation: number;
  test: number;
  stratifyBy: StratifyBy;
  seed: number;
  /** Extra grouping beyond the group key: examples in one near-duplicate cluster stay together. */
  clusterOf?: Map<number, string>;
}

export interface SplitResult<T extends Candidate> {
  assigned: { item: T; split: Split; group: string }[];
  groups: number;
  byLabel: LabelCount[];
  counts: Record<Split, number>;
}

/**
 * Step 6: a leak-free split. Examples sharing a group key (incident or source record, else the
 * conversation) or a near-duplicate cluster form one group and always land in one split. Groups
 * are stratified by their majority label, shuffled with a seeded PRNG, and dealt to the split
 * furthest below its target fraction, so the same seed always gives the same split.
 */
export function splitDataset<T extends Candidate>(items: readonly T[], opts: SplitOptions): SplitResult<T> {
  // Union the group key with the near-dup cluster: keys joined by any shared member become one group.
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let r = k;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(k, r);
    return r;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  for (const it of items) {
    const key = `g:${it.groupKey}`;
    if (!parent.has(key)) parent.set(key, key);
    const cluster = opts.clusterOf?.get(it.conversationId);
    if (cluster) {
      const ck = `c:${cluster}`;
      if (!parent.has(ck)) parent.set(ck, ck);
      union(key, ck);
    }
  }
  const members = new Map<string, T[]>();
  for (const it of items) {
    const g = find(`g:${it.groupKey}`);
    const list = members.get(g);
    if (list) list.push(it);
    else members.set(g, [it]);
  }
  // Group → stratum (its most common label; ties broken by name so the result is stable).
  const strata = new Map<string, string[]>();
  for (const g of [...members.keys()].sort()) {
    const tally = new Map<string, number>();
    for (const it of members.get(g)!) {
      const s = stratumOf(it, opts.stratifyBy);
      tally.set(s, (tally.get(s) ?? 0) + 1);
    }
    const label = [...tally.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
    const list = strata.get(label);
    if (list) list.push(g);
    else strata.set(label, [g]);
  }
  const rand = mulberry32(opts.seed);
  const fractions: Record<Split, number> = {
    train: Math.max(0, 1 - opts.validation - opts.test),
    validation: opts.validation,
    test: opts.test,
  };
  const splitOfGroup = new Map<string, Split>();
  for (const label of [...strata.keys()].sort()) {
    const groups = seededShuffle(strata.get(label)!, rand);
    const total = groups.reduce((s, g) => s + members.get(g)!.length, 0);
    const have: Record<Split, number> = { train: 0, validation: 0, test: 0 };
    for (const g of groups) {
      const size = members.get(g)!.length;
      // Deal the group to the split with the largest deficit; held-out splits first on ties, so small strata still reach them.
      let best: Split = 'train';
      let bestDeficit = -Infinity;
      for (const s of ['validation', 'test', 'train'] as const) {
        if (fractions[s] === 0) continue;
        const deficit = fractions[s] * total - have[s];
        if (deficit > bestDeficit + 1e-9) {
          best = s;
          bestDeficit = deficit;
        }
      }
      have[best] += size;
      splitOfGroup.set(g, best);
    }
  }
  const counts: Record<Split, number> = { train: 0, validation: 0, test: 0 };
  const labelCounts = new Map<string, LabelCount>();
  const assigned = items.map((item) => {
    const group = find(`g:${item.groupKey}`);
    const split = splitOfGroup.get(group)!;
    counts[split]++;
    const label = stratumOf(item, opts.stratifyBy);
    const lc = labelCounts.get(label) ?? { label, train: 0, validation: 0, test: 0 };
    lc[split]++;
    labelCounts.set(label, lc);
    return { item, split, group: group.slice(2) };
  });
  return {
    assigned,
    groups: members.size,
    counts,
    byLabel: [...labelCounts.values()].sort((a, b) => a.label.localeCompare(b.label)),
  };
}

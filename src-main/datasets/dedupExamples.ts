import crypto from 'node:crypto';
import type { DuplicateCluster } from '../contract/index';
import type { Candidate } from './types';

/**
 * Step 4: the same rule firing 500 times must not dominate a dataset. Text is normalised (case,
 * whitespace, and the parts that differ between firings: timestamps, ids, addresses, numbers),
 * exact copies share a hash, and near copies are found with MinHash over word 3-shingles plus LSH
 * banding, then confirmed with the shingle sets' real Jaccard similarity.
 */
export function normaliseText(text: string): string {
  return text
    .toLowerCase()
    .replace(/\b\d{4}-\d{2}-\d{2}[t ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?/g, ' <ts> ')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, ' <hex> ')
    .replace(/\b(?:\d{1,3}\.){3}\d{1,3}\b/g, ' <ip> ')
    .replace(/\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{1,4}\b/g, ' <ip> ')
    .replace(/\b0x[0-9a-f]+\b/g, ' <hex> ')
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/g, ' <hex> ')
    .replace(/\d+(?:\.\d+)?/g, ' <n> ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The text an example is compared on: every turn but the shared system prompt. */
export function exampleText(c: Candidate): string {
  return c.example.messages
    .filter((m) => m.role !== 'system')
    .map((m) => `${m.role}: ${m.content ?? ''}${m.tool_calls ? JSON.stringify(m.tool_calls) : ''}`)
    .join('\n');
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// murmur3's finaliser: a cheap, well-mixed 32-bit permutation; each MinHash "permutation" is this after an xor with its seed.
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function shingles(normalised: string, size = 3): Set<number> {
  const words = normalised.split(' ').filter(Boolean);
  const out = new Set<number>();
  if (words.length < size) {
    if (words.length) out.add(fnv1a(words.join(' ')));
    return out;
  }
  for (let i = 0; i + size <= words.length; i++) out.add(fnv1a(words.slice(i, i + size).join(' ')));
  return out;
}

export const NUM_PERM = 128;
const BANDS = 16; // 16 bands × 8 rows: pairs at Jaccard 0.9 collide with probability ≈ 0.9999, at 0.5 ≈ 0.06.
const ROWS = NUM_PERM / BANDS;
const PERM_SEEDS = Array.from({ length: NUM_PERM }, (_, i) => fmix32(0x9e3779b9 + i * 0x632be5ab));

export function minhash(set: Set<number>): Uint32Array {
  const sig = new Uint32Array(NUM_PERM).fill(0xffffffff);
  for (const x of set) {
    for (let p = 0; p < NUM_PERM; p++) {
      const h = fmix32(x ^ PERM_SEEDS[p]!);
      if (h < sig[p]!) sig[p] = h;
    }
  }
  return sig;
}

export function jaccard(a: Set<number>, b: Set<number>): number {
  if (a.size === 0 && b.size === 0) return 1;
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  let inter = 0;
  for (const x of small) if (large.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

class UnionFind {
  private readonly parent: number[];
  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }
  find(x: number): number {
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r]!;
    while (this.parent[x] !== r) {
      const next = this.parent[x]!;
      this.parent[x] = r;
      x = next;
    }
    return r;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

export interface DedupResult<T extends Candidate> {
  kept: T[];
  droppedExact: number;
  droppedNear: number;
  /** Clusters with more than one member, for the report. */
  clusters: DuplicateCluster[];
  /** Cluster id of every kept example (its first member's conversation id), for the split's grouping. */
  clusterOf: Map<number, string>;
}

/** Collapses exact and near duplicates, keeping at most `keepPerCluster` per cluster (best quality first). */
export function dedupExamples<T extends Candidate>(
  items: readonly T[],
  opts: { threshold: number; keepPerCluster: number },
): DedupResult<T> {
  const n = items.length;
  const norm = items.map((c) => normaliseText(exampleText(c)));
  const exact = norm.map((t) => crypto.createHash('sha256').update(t).digest('hex'));
  const uf = new UnionFind(n);
  const firstByHash = new Map<string, number>();
  exact.forEach((h, i) => {
    const first = firstByHash.get(h);
    if (first === undefined) firstByHash.set(h, i);
    else {
      uf.union(first, i);
    }
  });
  if (opts.threshold < 1) {
    const sets = norm.map((t) => shingles(t));
    const sigs = sets.map(minhash);
    const buckets = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      if (firstByHash.get(exact[i]!) !== i) continue; // exact copies already joined their first
      for (let b = 0; b < BANDS; b++) {
        let key = `${b}`;
        for (let r = 0; r < ROWS; r++) key += `:${sigs[i]![b * ROWS + r]!.toString(36)}`;
        const list = buckets.get(key);
        if (list) list.push(i);
        else buckets.set(key, [i]);
      }
    }
    const checked = new Set<string>();
    for (const list of buckets.values()) {
      for (let x = 0; x < list.length; x++) {
        for (let y = x + 1; y < list.length; y++) {
          const a = list[x]!;
          const b = list[y]!;
          if (uf.find(a) === uf.find(b)) continue;
          const key = `${a}:${b}`;
          if (checked.has(key)) continue;
          checked.add(key);
          if (jaccard(sets[a]!, sets[b]!) >= opts.threshold) uf.union(a, b);
        }
      }
    }
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const r = uf.find(i);
    const g = groups.get(r);
    if (g) g.push(i);
    else groups.set(r, [i]);
  }
  const keep = new Set<number>();
  const clusters: DuplicateCluster[] = [];
  const clusterOf = new Map<number, string>();
  let droppedExact = 0;
  let droppedNear = 0;
  for (const members of groups.values()) {
    // Best first: higher quality, then the older conversation; stable and seed-free.
    const ranked = members
      .slice()
      .sort((a, b) => (items[b]!.labels.quality ?? 0) - (items[a]!.labels.quality ?? 0) || a - b);
    const kept = ranked.slice(0, opts.keepPerCluster);
    const dropped = ranked.slice(opts.keepPerCluster);
    for (const i of kept) {
      keep.add(i);
      clusterOf.set(items[i]!.conversationId, `cluster:${items[ranked[0]!]!.conversationId}`);
    }
    for (const d of dropped) {
      const isExact = kept.some((k) => exact[k] === exact[d]);
      if (isExact) droppedExact++;
      else droppedNear++;
    }
    if (members.length > 1) {
      const allExact = members.every((m) => exact[m] === exact[members[0]!]);
      clusters.push({
        kind: allExact ? 'exact' : 'near',
        keptConversationIds: kept.map((i) => items[i]!.conversationId),
        droppedConversationIds: dropped.map((i) => items[i]!.conversationId),
      });
    }
  }
  return { kept: items.filter((_, i) => keep.has(i)), droppedExact, droppedNear, clusters, clusterOf };
}

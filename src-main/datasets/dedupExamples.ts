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

/**
 * Word 3-shingles as sorted, distinct 32-bit hashes. Each word is hashed once and neighbours are
 * combined arithmetically, so no string is made per shingle.
 */
export function shingles(normalised: string, size = 3): Uint32Array {
  const words = normalised.split(' ').filter(Boolean);
  if (words.length < size) return words.length ? Uint32Array.of(fnv1a(words.join(' '))) : new Uint32Array(0);
  const wh = words.map(fnv1a);
  const out = new Uint32Array(wh.length - size + 1);
  for (let i = 0; i < out.length; i++) {
    let h = 0x2545f491;
    for (let k = 0; k < size; k++) h = fmix32(Math.imul(h, 0x9e3779b1) ^ wh[i + k]!);
    out[i] = h;
  }
  out.sort();
  let w = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[w - 1]) out[w++] = out[i]!;
  return out.subarray(0, w);
}

export const NUM_PERM = 64;
// 16 bands × 4 rows: pairs at Jaccard 0.9 share a bucket with probability ≈ 1.0, at 0.8 ≈ 0.9995,
// at 0.5 ≈ 0.64 (those are then dropped by the exact check), at 0.2 ≈ 0.03.
const BANDS = 16;
const ROWS = NUM_PERM / BANDS;
const PERM_SEEDS = Uint32Array.from({ length: NUM_PERM }, (_, i) => fmix32(0x9e3779b9 + i * 0x632be5ab));

export function minhash(xs: Uint32Array): Uint32Array {
  const sig = new Uint32Array(NUM_PERM).fill(0xffffffff);
  for (let p = 0; p < NUM_PERM; p++) {
    const seed = PERM_SEEDS[p]!;
    let min = 0xffffffff;
    for (let k = 0; k < xs.length; k++) {
      const h = fmix32(xs[k]! ^ seed);
      if (h < min) min = h;
    }
    sig[p] = min;
  }
  return sig;
}

/** Jaccard similarity of two sorted, distinct hash arrays. */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length === 0 && b.length === 0) return 1;
  let i = 0;
  let j = 0;
  let inter = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      inter++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return inter / (a.length + b.length - inter);
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
    // One map per band, keyed by a hash of the band's rows (a collision only costs an exact check).
    const buckets = Array.from({ length: BANDS }, () => new Map<number, number[]>());
    for (let i = 0; i < n; i++) {
      if (firstByHash.get(exact[i]!) !== i) continue; // exact copies already joined their first
      const sig = sigs[i]!;
      for (let b = 0; b < BANDS; b++) {
        let key = 0x811c9dc5;
        for (let r = 0; r < ROWS; r++) key = fmix32(Math.imul(key, 0x01000193) ^ sig[b * ROWS + r]!);
        const list = buckets[b]!.get(key);
        if (list) list.push(i);
        else buckets[b]!.set(key, [i]);
      }
    }
    const checked = new Set<number>();
    for (const band of buckets) {
      for (const list of band.values()) {
        for (let x = 0; x < list.length; x++) {
          for (let y = x + 1; y < list.length; y++) {
            const a = list[x]!;
            const b = list[y]!;
            if (uf.find(a) === uf.find(b)) continue;
            const key = a * n + b;
            if (checked.has(key)) continue;
            checked.add(key);
            if (jaccard(sets[a]!, sets[b]!) >= opts.threshold) uf.union(a, b);
          }
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

/**
 * A small SentencePiece-style ("llama") vocabulary trained with byte-pair merges on the domain's text, so
 * that security words are one or two tokens and every label word (verdicts, severities, technique ids) is
 * exactly one token.
 *
 * How llama.cpp tokenizes with it (tokenizer.ggml.model = "llama"): spaces become U+2581, the text is split
 * into characters, and adjacent pieces are merged while their concatenation is in the vocabulary, the pair
 * whose result has the highest score first. Our scores are minus the merge rank, so this replays the
 * learned merges (characters outside the vocabulary fall back to byte tokens). Words are learned as
 * `▁word` (after a space) or `word`, never across punctuation, and a forced word is added with all of its
 * prefixes: whatever pieces a forced word is split into, the first is a prefix and a prefix plus the next
 * piece is a longer prefix, so merging always ends in the whole word.
 */

export const SPACE = '\u2581';

export const T_NORMAL = 1;
export const T_UNKNOWN = 2;
export const T_CONTROL = 3;
export const T_BYTE = 6;

export interface Vocab {
  tokens: string[];
  scores: number[];
  types: number[];
}

export interface TrainVocabOptions {
  /** Number of byte-pair merges to learn (default 3000). */
  merges?: number;
  /** Words that must be single tokens, written as they appear after a space (e.g. `T1078`, `true_positive`). */
  forcedWords?: readonly string[];
  /** Control tokens after <unk>, <s>, </s> (e.g. chat turn tags). */
  controlTokens?: readonly string[];
  /** Ignore words seen fewer times (default 2). */
  minCount?: number;
}

/**
 * Splits text the way the vocabulary will see it: a space followed by a run of word characters is one
 * pre-token `▁word` (llama.cpp writes spaces as U+2581 and adds one at the start of the text), any other
 * character (punctuation, newline, a space before punctuation) stands alone.
 */
export function preTokenize(text: string): string[] {
  const out: string[] = [];
  const re = /( ?)([A-Za-z0-9_]+|[^A-Za-z0-9_])/gs;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const spaced = m[1] === ' ' || m.index === 0;
    const body = m[2]!;
    if (/^[A-Za-z0-9_]/.test(body)) out.push(spaced ? SPACE + body : body);
    else if (body === ' ') out.push(SPACE);
    else {
      if (m[1] === ' ') out.push(SPACE);
      if (body !== '\n' && body !== '\r' && body !== '\t') out.push(body);
    }
  }
  return out;
}

function chars(s: string): string[] {
  return Array.from(s);
}

/**
 * Learns `merges` byte-pair merges over the pre-tokens of `texts`. Deterministic: ties go to the
 * lexicographically smallest pair.
 */
export function trainVocab(texts: Iterable<string>, opts: TrainVocabOptions = {}): Vocab {
  const nMerges = opts.merges ?? 3000;
  const minCount = opts.minCount ?? 2;
  const counts = new Map<string, number>();
  const charSet = new Set<string>();
  for (const t of texts) {
    for (const w of preTokenize(t)) {
      counts.set(w, (counts.get(w) ?? 0) + 1);
      for (const c of chars(w)) charSet.add(c);
    }
  }
  // printable ASCII always has a piece, so plain English never falls back to bytes
  for (let c = 0x21; c <= 0x7e; c++) charSet.add(String.fromCharCode(c));
  charSet.add(SPACE);

  const words: { sym: string[]; n: number }[] = [];
  for (const [w, n] of [...counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (n >= minCount && w.length > 1) words.push({ sym: chars(w), n });
  }

  // pair statistics with an index from pair to the words that contain it
  const SEP = '\u0000';
  const pairCount = new Map<string, number>();
  const pairWords = new Map<string, Set<number>>();
  const addWord = (i: number, sign: 1 | -1) => {
    const { sym, n } = words[i]!;
    for (let k = 0; k + 1 < sym.length; k++) {
      const p = sym[k] + SEP + sym[k + 1];
      pairCount.set(p, (pairCount.get(p) ?? 0) + sign * n);
      if (sign > 0) {
        let s = pairWords.get(p);
        if (!s) pairWords.set(p, (s = new Set()));
        s.add(i);
      }
    }
  };
  for (let i = 0; i < words.length; i++) addWord(i, 1);

  const merged: string[] = [];
  const known = new Set<string>(charSet);
  for (let m = 0; m < nMerges; m++) {
    let best: string | null = null;
    let bestN = 0;
    for (const [p, n] of pairCount) {
      if (n > bestN || (n === bestN && best !== null && p < best)) {
        best = p;
        bestN = n;
      }
    }
    if (!best || bestN < minCount) break;
    const [a, b] = best.split(SEP) as [string, string];
    const ab = a + b;
    const affected = [...(pairWords.get(best) ?? [])];
    for (const i of affected) {
      addWord(i, -1);
      const sym = words[i]!.sym;
      const next: string[] = [];
      for (let k = 0; k < sym.length; k++) {
        if (k + 1 < sym.length && sym[k] === a && sym[k + 1] === b) {
          next.push(ab);
          k++;
        } else next.push(sym[k]!);
      }
      words[i]!.sym = next;
      addWord(i, 1);
    }
    pairCount.delete(best);
    pairWords.delete(best);
    for (const [p, n] of pairCount) if (n <= 0) pairCount.delete(p);
    if (!known.has(ab)) {
      known.add(ab);
      merged.push(ab);
    }
  }

  const vocab: Vocab = { tokens: [], scores: [], types: [] };
  const seen = new Set<string>();
  const add = (t: string, score: number, type: number) => {
    if (seen.has(t)) return;
    seen.add(t);
    vocab.tokens.push(t);
    vocab.scores.push(score);
    vocab.types.push(type);
  };
  add('<unk>', 0, T_UNKNOWN);
  add('<s>', 0, T_CONTROL);
  add('</s>', 0, T_CONTROL);
  for (const c of opts.controlTokens ?? []) add(c, 0, T_CONTROL);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 0, T_BYTE);
  for (const c of [...charSet].sort()) add(c, 0, T_NORMAL);
  merged.forEach((t, r) => add(t, -(r + 1), T_NORMAL));
  // forced words and all their prefixes, after the learned merges
  let rank = merged.length;
  for (const w of opts.forcedWords ?? []) {
    for (const form of [SPACE + w, w]) {
      const cs = chars(form);
      for (let k = 2; k <= cs.length; k++) add(cs.slice(0, k).join(''), -++rank, T_NORMAL);
    }
  }
  return vocab;
}

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { resourcePath } from '../core/resources';
import { GgmlType } from '../gguf/ggufTypes';
import { gv, writeGguf, type GgufMetaValue, type GgufSpec, type GgufTensorSpec } from '../gguf/ggufWriter';
import { TINY_CHAT_TEMPLATE, TINY_CONTROL_TOKENS } from '../gguf/tinyModel';
import { runSft, type TrainerProgress } from '../training/local/runTrainer';
import { DEMO_SEVERITIES, DEMO_VERDICTS } from './demoData';
import { trainVocab, T_BYTE, T_CONTROL, T_UNKNOWN, type Vocab } from './demoTokenizer';

/**
 * The demo base model: a small llama with a word-level (byte-pair) vocabulary learned from the ATT&CK
 * catalogue and the Sigma rule titles and descriptions shipped in resources/, pre-trained briefly on that
 * text with our trainer (every position trained), so it writes domain words but has never seen the triage
 * task. Deterministic for a seed; built once and cached.
 */

/** Bump when the recipe changes so cached bases are rebuilt. */
export const DEMO_BASE_VERSION = 4;

export interface DemoBaseOptions {
  seed?: number;
  embd?: number;
  layers?: number;
  heads?: number;
  ff?: number;
  /** Byte-pair merges of the vocabulary (default 2500). */
  merges?: number;
  contextLength?: number;
  /** Pre-training on domain text. */
  pretrainEpochs?: number;
  pretrainLr?: number;
  /** Tokens per pre-training window (default 64). */
  pretrainWindow?: number;
  /** Windows per optimizer step (default 8). */
  pretrainBatch?: number;
  /** Use only every n-th corpus text (CI's short demo); default 1 (all). */
  corpusStride?: number;
  threads?: number;
}

export const DEMO_BASE_DEFAULTS: Required<DemoBaseOptions> = {
  seed: 42,
  embd: 128,
  layers: 4,
  heads: 4,
  ff: 384,
  merges: 2500,
  contextLength: 512,
  pretrainEpochs: 1,
  pretrainLr: 2e-3,
  pretrainWindow: 64,
  pretrainBatch: 8,
  corpusStride: 1,
  threads: 0,
};

// ---------------------------------------------------------------------------------------------
// corpus

interface AttackFile {
  tactics: { id: string; shortname: string; name: string }[];
  techniques: { id: string; name: string; summary?: string; deprecated?: boolean; tactics?: string[] }[];
}

interface SigmaRule {
  id: string;
  title: string;
  description?: string;
  level?: string;
  tags?: string[];
  logsource?: { product?: string | null; category?: string | null; service?: string | null };
}

/**
 * Domain text: one entry per ATT&CK technique (id, name, tactics, summary) and per Sigma rule as its YAML
 * states it (title, description, level, ATT&CK tags, log source). Rules in `excludeSigmaIds` (those of the
 * held-out splits) are left out, so the base has never read the rule behind a test example.
 */
export function demoCorpus(opts: { excludeSigmaIds?: ReadonlySet<string> } = {}): string[] {
  const attack = JSON.parse(
    fs.readFileSync(resourcePath('attack', 'enterprise-attack-v18.1.json'), 'utf8'),
  ) as AttackFile;
  const sigma = JSON.parse(fs.readFileSync(resourcePath('sigma', 'sigma-rules.json'), 'utf8')) as SigmaRule[];
  const texts: string[] = [];
  for (const t of attack.tactics) texts.push(`${t.id} ${t.name} (${t.shortname})`);
  for (const t of attack.techniques) {
    if (t.deprecated) continue;
    const tactics = t.tactics?.length ? ` Tactics: ${t.tactics.join(', ')}.` : '';
    texts.push(`${t.id} ${t.name}: ${(t.summary ?? '').replace(/\s+/g, ' ').trim()}${tactics}`);
  }
  for (const r of sigma) {
    if (opts.excludeSigmaIds?.has(r.id)) continue;
    const src = [r.logsource?.product, r.logsource?.service, r.logsource?.category].filter(Boolean).join(' ');
    const techniques = [...new Set((r.tags ?? []).map((t) => /^attack\.t(\d{4})/i.exec(t)?.[1]).filter(Boolean))].map(
      (n) => `T${n}`,
    );
    const parts = [`Sigma rule: ${r.title}.`, (r.description ?? '').replace(/\s+/g, ' ').trim()];
    if (r.level) parts.push(`Level: ${r.level}.`);
    if (techniques.length) parts.push(`ATT&CK: ${techniques.join(' ')}.`);
    if (src) parts.push(`Log source: ${src}.`);
    texts.push(parts.filter(Boolean).join(' '));
  }
  return texts;
}

/** Every parent technique id in the ATT&CK catalogue. */
export function attackTechniqueIds(): string[] {
  const attack = JSON.parse(
    fs.readFileSync(resourcePath('attack', 'enterprise-attack-v18.1.json'), 'utf8'),
  ) as AttackFile;
  return [...new Set(attack.techniques.map((t) => t.id.split('.')[0]!))].sort();
}

/** Words that must be single tokens: the label vocabulary of the triage answer. */
export function demoForcedWords(): string[] {
  return [
    'verdict',
    'severity',
    'technique',
    'none',
    ...DEMO_VERDICTS,
    'false_positive',
    ...DEMO_SEVERITIES,
    ...attackTechniqueIds(),
  ];
}

/**
 * The vocabulary: byte-pair merges over the domain text plus `extraTexts` (e.g. the unlabelled alert texts
 * of the training split, so field names and common values are whole tokens).
 */
export function buildDemoVocab(
  o: Pick<DemoBaseOptions, 'merges'> = {},
  extraTexts: readonly string[] = [],
  excludeSigmaIds: ReadonlySet<string> = new Set(),
): Vocab {
  return trainVocab([...demoCorpus({ excludeSigmaIds }), ...extraTexts], {
    merges: o.merges ?? DEMO_BASE_DEFAULTS.merges,
    forcedWords: demoForcedWords(),
    controlTokens: TINY_CONTROL_TOKENS,
  });
}

// ---------------------------------------------------------------------------------------------
// random initial weights

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(seed: number, n: number, std: number): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(next(), 1e-12);
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** A llama-architecture GGUF spec with the demo vocabulary and GPT-2-style initial weights. */
export function demoModelSpec(vocab: Vocab, o: DemoBaseOptions = {}): { spec: GgufSpec; params: number } {
  const c = { ...DEMO_BASE_DEFAULTS, ...o };
  const { embd, layers, heads, ff, seed } = c;
  if (embd % heads !== 0) throw new Error('embd must be a multiple of heads');
  const nVocab = vocab.tokens.length;
  const endId = vocab.tokens.indexOf('<|end|>');
  const metadata: [string, GgufMetaValue][] = [
    ['general.architecture', gv.str('llama')],
    ['general.name', gv.str('triage-workbench-demo-base')],
    [
      'general.description',
      gv.str('Demo base model: domain vocabulary and text (MITRE ATT&CK, SigmaHQ rules), no triage training.'),
    ],
    ['general.file_type', gv.u32(0)],
    ['llama.context_length', gv.u32(c.contextLength)],
    ['llama.embedding_length', gv.u32(embd)],
    ['llama.block_count', gv.u32(layers)],
    ['llama.feed_forward_length', gv.u32(ff)],
    ['llama.attention.head_count', gv.u32(heads)],
    ['llama.attention.head_count_kv', gv.u32(heads)],
    ['llama.attention.layer_norm_rms_epsilon', gv.f32(1e-5)],
    ['llama.rope.dimension_count', gv.u32(embd / heads)],
    ['llama.rope.freq_base', gv.f32(10000)],
    ['llama.vocab_size', gv.u32(nVocab)],
    ['tokenizer.ggml.model', gv.str('llama')],
    ['tokenizer.ggml.tokens', gv.strings(vocab.tokens)],
    ['tokenizer.ggml.scores', gv.f32s(vocab.scores)],
    ['tokenizer.ggml.token_type', gv.i32s(vocab.types)],
    ['tokenizer.ggml.unknown_token_id', gv.u32(0)],
    ['tokenizer.ggml.bos_token_id', gv.u32(1)],
    ['tokenizer.ggml.eos_token_id', gv.u32(2)],
    ['tokenizer.ggml.eot_token_id', gv.u32(endId)],
    ['tokenizer.ggml.add_bos_token', gv.bool(true)],
    ['tokenizer.ggml.add_eos_token', gv.bool(false)],
    // no "▁" before the first word of a text: the answer (tokenized on its own in training) must start with
    // the `{` a JSON grammar allows at inference, not with a space
    ['tokenizer.ggml.add_space_prefix', gv.bool(false)],
    ['tokenizer.chat_template', gv.str(TINY_CHAT_TEMPLATE)],
  ];
  let stream = 0;
  const rand = (n: number, std: number) => {
    const s = seed * 7919 + ++stream;
    return () => normal(s, n, std);
  };
  const ones = (n: number) => () => new Float32Array(n).fill(1);
  const std = 0.02;
  const resid = std / Math.sqrt(2 * layers);
  const tensors: GgufTensorSpec[] = [
    {
      name: 'token_embd.weight',
      dims: [embd, nVocab],
      type: GgmlType.F32,
      data: rand(nVocab * embd, 1 / Math.sqrt(embd)),
    },
  ];
  for (let l = 0; l < layers; l++) {
    const p = `blk.${l}`;
    tensors.push(
      { name: `${p}.attn_norm.weight`, dims: [embd], type: GgmlType.F32, data: ones(embd) },
      { name: `${p}.attn_q.weight`, dims: [embd, embd], type: GgmlType.F32, data: rand(embd * embd, std) },
      { name: `${p}.attn_k.weight`, dims: [embd, embd], type: GgmlType.F32, data: rand(embd * embd, std) },
      { name: `${p}.attn_v.weight`, dims: [embd, embd], type: GgmlType.F32, data: rand(embd * embd, std) },
      { name: `${p}.attn_output.weight`, dims: [embd, embd], type: GgmlType.F32, data: rand(embd * embd, resid) },
      { name: `${p}.ffn_norm.weight`, dims: [embd], type: GgmlType.F32, data: ones(embd) },
      { name: `${p}.ffn_gate.weight`, dims: [embd, ff], type: GgmlType.F32, data: rand(embd * ff, std) },
      { name: `${p}.ffn_up.weight`, dims: [embd, ff], type: GgmlType.F32, data: rand(embd * ff, std) },
      { name: `${p}.ffn_down.weight`, dims: [ff, embd], type: GgmlType.F32, data: rand(ff * embd, resid) },
    );
  }
  tensors.push({ name: 'output_norm.weight', dims: [embd], type: GgmlType.F32, data: ones(embd) });
  const out = rand(nVocab * embd, std);
  tensors.push({
    name: 'output.weight',
    dims: [embd, nVocab],
    type: GgmlType.F32,
    data: () => {
      const w = out();
      // byte, control and unknown tokens start unlikely (except <|end|>), so early samples are words
      for (let t = 0; t < nVocab; t++) {
        const ty = vocab.types[t];
        if (t !== endId && (ty === T_BYTE || ty === T_CONTROL || ty === T_UNKNOWN)) w.fill(0, t * embd, (t + 1) * embd);
      }
      return w;
    },
  });
  const params = nVocab * embd * 2 + embd + layers * (2 * embd + 4 * embd * embd + 3 * embd * ff);
  return { spec: { metadata, tensors }, params };
}

// ---------------------------------------------------------------------------------------------
// build + pre-train + cache

export interface DemoBaseResult {
  path: string;
  cached: boolean;
  vocabSize: number;
  params: number;
  /** Pre-training loss before/after (null when cached). */
  pretrain: { firstLoss: number | null; lastLoss: number | null; seconds: number; tokensPerS: number } | null;
}

export interface EnsureDemoBaseOptions extends DemoBaseOptions {
  /** Unlabelled texts that shape the vocabulary only (the training split's alert texts). */
  vocabTexts?: readonly string[];
  /** Sigma rule ids left out of the pre-training text (the rules of the validation and test splits). */
  excludeSigmaIds?: readonly string[];
  /** Folder for cached models (e.g. `<dataDir>/models/demo`). */
  cacheDir: string;
  sftPath: string;
  onProgress?: (p: {
    phase: 'vocab' | 'init' | 'pretrain' | 'done';
    message: string;
    progress?: TrainerProgress;
  }) => void;
  signal?: AbortSignal;
}

export function demoBaseKey(
  o: DemoBaseOptions,
  vocabTexts: readonly string[] = [],
  excludeSigmaIds: readonly string[] = [],
): string {
  const c: Record<string, unknown> = { ...DEMO_BASE_DEFAULTS };
  for (const k of Object.keys(DEMO_BASE_DEFAULTS) as (keyof DemoBaseOptions)[]) if (o[k] !== undefined) c[k] = o[k];
  c.threads = 0;
  const h = crypto.createHash('sha256');
  h.update(JSON.stringify({ v: DEMO_BASE_VERSION, c }));
  for (const t of vocabTexts) h.update(t);
  h.update([...excludeSigmaIds].sort().join(','));
  for (const f of [resourcePath('attack', 'enterprise-attack-v18.1.json'), resourcePath('sigma', 'sigma-rules.json')]) {
    h.update(String(fs.statSync(f).size));
  }
  return h.digest('hex').slice(0, 12);
}

/** Chunks corpus texts into pre-training examples of about `chars` characters (whole entries). */
function packTexts(texts: string[], chars: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const t of texts) {
    if (cur && cur.length + t.length + 1 > chars) {
      out.push(cur);
      cur = '';
    }
    cur = cur ? `${cur}\n${t}` : t;
  }
  if (cur) out.push(cur);
  return out;
}

/** Returns the cached demo base for these options, building and pre-training it first when needed. */
export async function ensureDemoBaseModel(o: EnsureDemoBaseOptions): Promise<DemoBaseResult> {
  const c = { ...DEMO_BASE_DEFAULTS, ...o };
  const key = demoBaseKey(o, o.vocabTexts, o.excludeSigmaIds);
  const exclude = new Set(o.excludeSigmaIds ?? []);
  const file = path.join(o.cacheDir, `demo-base-${key}.gguf`);
  const metaFile = `${file}.json`;
  if (fs.existsSync(file) && fs.existsSync(metaFile)) {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as Omit<DemoBaseResult, 'cached' | 'path'>;
    o.onProgress?.({ phase: 'done', message: 'demo base model is cached' });
    return { ...meta, path: file, cached: true };
  }
  fs.mkdirSync(o.cacheDir, { recursive: true });
  o.onProgress?.({ phase: 'vocab', message: 'learning the vocabulary from ATT&CK and Sigma text' });
  const vocab = buildDemoVocab(c, o.vocabTexts ?? [], exclude);
  o.onProgress?.({ phase: 'init', message: `writing the initial model (${vocab.tokens.length} tokens)` });
  const { spec, params } = demoModelSpec(vocab, c);
  const work = fs.mkdtempSync(path.join(o.cacheDir, '.build-'));
  try {
    const init = path.join(work, 'init.gguf');
    writeGguf(init, spec);
    // the corpus in a seeded order, packed into window-sized texts
    const texts = demoCorpus({ excludeSigmaIds: exclude }).filter((_, i) => i % c.corpusStride === 0);
    const order = texts.map((t, i) => ({ t, k: crypto.createHash('sha256').update(`${c.seed}:${i}`).digest('hex') }));
    order.sort((a, b) => (a.k < b.k ? -1 : 1));
    const packed = packTexts(
      order.map((x) => x.t),
      Math.round(c.pretrainWindow * 3.5),
    );
    const data = path.join(work, 'corpus.jsonl');
    fs.writeFileSync(data, packed.map((t) => JSON.stringify({ text: t })).join('\n') + '\n');
    const out = path.join(work, 'base.gguf');
    let firstLoss: number | null = null;
    let lastLoss: number | null = null;
    const r = await runSft({
      sftPath: o.sftPath,
      model: init,
      data,
      out,
      epochs: c.pretrainEpochs,
      lr: c.pretrainLr,
      lrMin: c.pretrainLr / 10,
      warmup: 0.05,
      window: c.pretrainWindow,
      batch: c.pretrainBatch,
      seed: c.seed,
      trainEmbeddings: true,
      threads: c.threads || undefined,
      signal: o.signal,
      onProgress: (p) => {
        if (firstLoss === null && p.train_loss !== null) firstLoss = p.train_loss;
        if (p.train_loss !== null) lastLoss = p.train_loss;
        o.onProgress?.({ phase: 'pretrain', message: `pre-training step ${p.step}/${p.steps_total}`, progress: p });
      },
    });
    if (r.status !== 'done' || !r.done) throw new Error('pre-training of the demo base was cancelled');
    const meta = {
      vocabSize: vocab.tokens.length,
      params,
      pretrain: { firstLoss, lastLoss, seconds: r.done.train_seconds ?? 0, tokensPerS: r.done.tokens_per_s ?? 0 },
    };
    fs.renameSync(out, file);
    const options: Record<string, unknown> = {};
    for (const k of Object.keys(DEMO_BASE_DEFAULTS) as (keyof DemoBaseOptions)[])
      if (k !== 'threads') options[k] = c[k];
    const heldOut = o.excludeSigmaIds?.length ?? 0;
    fs.writeFileSync(
      metaFile,
      JSON.stringify(
        { ...meta, options, vocabTexts: o.vocabTexts?.length ?? 0, heldOutSigmaRules: heldOut, key },
        null,
        2,
      ),
    );
    o.onProgress?.({ phase: 'done', message: 'demo base model built' });
    return { ...meta, path: file, cached: false };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

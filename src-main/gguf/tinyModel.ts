import { GgmlType } from './ggufTypes';
import { gv, writeGguf, type GgufMetaValue, type GgufSpec, type GgufTensorSpec } from './ggufWriter';

/** The turn format of the tiny model: Phi-3 style tags, one control token per role. */
export const TINY_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

export const TINY_CONTROL_TOKENS = ['<|system|>', '<|user|>', '<|assistant|>', '<|end|>'] as const;

const SPACE = '\u2581';

/** Words that get their own tokens, so security text is a few tokens per word rather than one per letter. */
// prettier-ignore
const WORDS = [
  'the', 'and', 'of', 'to', 'a', 'in', 'is', 'for', 'on', 'with', 'from', 'this', 'that', 'by', 'was', 'not', 'be',
  'alert', 'user', 'login', 'failed', 'success', 'admin', 'root', 'ssh', 'powershell', 'process', 'network',
  'malware', 'phishing', 'benign', 'true', 'false', 'positive', 'severity', 'high', 'low', 'medium', 'critical',
  'info', 'verdict', 'threat', 'technique', 'access', 'credential', 'privilege', 'escalation', 'lateral',
  'movement', 'suspicious', 'activity', 'account', 'host', 'file', 'command', 'execution', 'persistence',
  'attack', 'aws', 'iam', 'policy', 'role', 'kubernetes', 'pod', 'secret', 'token', 'api', 'key', 'bucket',
  'rule', 'event', 'source', 'destination', 'port', 'dns', 'domain', 'http', 'password', 'brute', 'force', 'mfa',
  'console', 'cloudtrail', 'rationale', 'type', 'techniques', 'incident', 'mitigation', 'cause', 'risk',
];

export interface TinyModelOptions {
  /** Embedding width (default 64). */
  embd?: number;
  /** Transformer blocks (default 2). */
  layers?: number;
  /** Attention heads (default 4); KV heads default to the same. */
  heads?: number;
  kvHeads?: number;
  /** Feed-forward width (default 2.75 × embd, rounded to 32). */
  ff?: number;
  contextLength?: number;
  /** Seed of the weight initialisation: the same options give the same file. */
  seed?: number;
  name?: string;
  /** Extra whole-word tokens (benchmarks use this to grow the vocabulary). */
  extraWords?: readonly string[];
}

interface Vocab {
  tokens: string[];
  scores: number[];
  types: number[];
}

const T_NORMAL = 1;
const T_UNKNOWN = 2;
const T_CONTROL = 3;
const T_BYTE = 6;

/** Byte-fallback SentencePiece-style vocabulary: specials, 256 byte tokens, printable ASCII, word pieces. */
export function buildTinyVocab(extraWords: readonly string[] = []): Vocab {
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  const seen = new Set<string>();
  const add = (t: string, score: number, type: number) => {
    if (seen.has(t)) return;
    seen.add(t);
    tokens.push(t);
    scores.push(score);
    types.push(type);
  };
  add('<unk>', 0, T_UNKNOWN);
  add('<s>', 0, T_CONTROL);
  add('</s>', 0, T_CONTROL);
  for (const t of TINY_CONTROL_TOKENS) add(t, 0, T_CONTROL);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 0, T_BYTE);
  add(SPACE, -1, T_NORMAL);
  for (let c = 0x21; c <= 0x7e; c++) add(String.fromCharCode(c), -2, T_NORMAL);
  // SentencePiece merges adjacent pieces only into pieces that exist, so every prefix of a word is a piece too.
  for (const word of [...WORDS, ...extraWords]) {
    const piece = SPACE + word;
    for (let i = 2; i <= piece.length; i++) add(piece.slice(0, i), -10 + i, T_NORMAL);
  }
  return { tokens, scores, types };
}

/** mulberry32: small, fast, seeded; good enough for weight initialisation. */
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

function normal(next: () => number, n: number, std: number): Float32Array {
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

export interface TinyModelInfo {
  vocabSize: number;
  parameterCount: number;
  embd: number;
  layers: number;
}

/**
 * A llama-architecture model with random weights. It produces text-shaped noise, which is all a demo and
 * the tests need. Embedding dimension 0 carries a constant, so output row 0 acts as a per-token bias: control
 * and byte tokens are pushed down (the model writes readable pieces), and `<|end|>` gets a small chance so
 * answers end on their own now and then.
 */
export function tinyModelSpec(opts: TinyModelOptions = {}): { spec: GgufSpec; info: TinyModelInfo } {
  const embd = opts.embd ?? 64;
  const layers = opts.layers ?? 2;
  const heads = opts.heads ?? 4;
  const kvHeads = opts.kvHeads ?? heads;
  const ff = opts.ff ?? Math.max(32, Math.round((embd * 2.75) / 32) * 32);
  // Room for a whole alert: the small vocabulary spends about one token per two or three characters of JSON.
  const ctx = opts.contextLength ?? 8192;
  const seed = opts.seed ?? 1234;
  if (embd % heads !== 0 || heads % kvHeads !== 0) throw new Error('embd must divide by heads, heads by kvHeads');
  const headDim = embd / heads;
  const kvDim = headDim * kvHeads;
  const vocab = buildTinyVocab(opts.extraWords);
  const nVocab = vocab.tokens.length;
  const endId = vocab.tokens.indexOf('<|end|>');
  const newlineByte = vocab.tokens.indexOf('<0x0A>');

  const metadata: [string, GgufMetaValue][] = [
    ['general.architecture', gv.str('llama')],
    ['general.name', gv.str(opts.name ?? 'tiny-demo')],
    ['general.file_type', gv.u32(0)],
    ['llama.context_length', gv.u32(ctx)],
    ['llama.embedding_length', gv.u32(embd)],
    ['llama.block_count', gv.u32(layers)],
    ['llama.feed_forward_length', gv.u32(ff)],
    ['llama.attention.head_count', gv.u32(heads)],
    ['llama.attention.head_count_kv', gv.u32(kvHeads)],
    ['llama.attention.layer_norm_rms_epsilon', gv.f32(1e-5)],
    ['llama.rope.dimension_count', gv.u32(headDim)],
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
    ['tokenizer.chat_template', gv.str(TINY_CHAT_TEMPLATE)],
  ];

  // Each tensor draws from its own seeded stream, so tensors can be generated lazily and in any order.
  let stream = 0;
  const random = (n: number, std: number) => {
    const s = seed * 1000 + ++stream;
    return () => normal(rng(s), n, std);
  };
  const ones = (n: number) => () => new Float32Array(n).fill(1);
  const std = 0.02;
  const tensors: GgufTensorSpec[] = [];
  const embdStream = random(nVocab * embd, std);
  tensors.push({
    name: 'token_embd.weight',
    dims: [embd, nVocab],
    type: GgmlType.F32,
    data: () => {
      const w = embdStream();
      for (let t = 0; t < nVocab; t++) w[t * embd] = 1; // the bias dimension
      return w;
    },
  });
  for (let l = 0; l < layers; l++) {
    const p = `blk.${l}`;
    tensors.push({ name: `${p}.attn_norm.weight`, dims: [embd], type: GgmlType.F32, data: ones(embd) });
    tensors.push({
      name: `${p}.attn_q.weight`,
      dims: [embd, embd],
      type: GgmlType.F32,
      data: random(embd * embd, std),
    });
    tensors.push({
      name: `${p}.attn_k.weight`,
      dims: [embd, kvDim],
      type: GgmlType.F32,
      data: random(embd * kvDim, std),
    });
    tensors.push({
      name: `${p}.attn_v.weight`,
      dims: [embd, kvDim],
      type: GgmlType.F32,
      data: random(embd * kvDim, std),
    });
    tensors.push({
      name: `${p}.attn_output.weight`,
      dims: [embd, embd],
      type: GgmlType.F32,
      data: random(embd * embd, std),
    });
    tensors.push({ name: `${p}.ffn_norm.weight`, dims: [embd], type: GgmlType.F32, data: ones(embd) });
    tensors.push({ name: `${p}.ffn_gate.weight`, dims: [embd, ff], type: GgmlType.F32, data: random(embd * ff, std) });
    tensors.push({ name: `${p}.ffn_up.weight`, dims: [embd, ff], type: GgmlType.F32, data: random(embd * ff, std) });
    tensors.push({ name: `${p}.ffn_down.weight`, dims: [ff, embd], type: GgmlType.F32, data: random(ff * embd, std) });
  }
  tensors.push({ name: 'output_norm.weight', dims: [embd], type: GgmlType.F32, data: ones(embd) });
  const outStream = random(nVocab * embd, 0.5);
  tensors.push({
    name: 'output.weight',
    dims: [embd, nVocab],
    type: GgmlType.F32,
    data: () => {
      const w = outStream();
      for (let t = 0; t < nVocab; t++) {
        const type = vocab.types[t]!;
        // After the final norm the bias dimension is about sqrt(embd); these rows set each token's bias.
        let bias = 0;
        if (t === endId) bias = 0.4;
        else if ((type === T_CONTROL || type === T_UNKNOWN || type === T_BYTE) && t !== newlineByte) bias = -8;
        w[t * embd] = bias / Math.sqrt(embd);
      }
      return w;
    },
  });

  const parameterCount =
    nVocab * embd * 2 + embd + layers * (2 * embd + 2 * embd * embd + 2 * embd * kvDim + 3 * embd * ff);
  return { spec: { metadata, tensors }, info: { vocabSize: nVocab, parameterCount, embd, layers } };
}

/** Generates the tiny model at `filePath` (atomically). */
export function writeTinyModel(filePath: string, opts: TinyModelOptions = {}): TinyModelInfo & { bytes: number } {
  const { spec, info } = tinyModelSpec(opts);
  const { bytes } = writeGguf(filePath, spec);
  return { ...info, bytes };
}

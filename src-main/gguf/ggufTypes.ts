/**
 * GGUF constants shared by the writer and the reader, transcribed from llama.cpp's gguf-py
 * (`gguf-py/gguf/constants.py`), which is the reference implementation.
 */

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value types (GGUFValueType). */
export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** Byte size of each fixed-size metadata value type. */
export const GGUF_SCALAR_SIZE: Partial<Record<GgufValueType, number>> = {
  [GgufValueType.UINT8]: 1,
  [GgufValueType.INT8]: 1,
  [GgufValueType.UINT16]: 2,
  [GgufValueType.INT16]: 2,
  [GgufValueType.UINT32]: 4,
  [GgufValueType.INT32]: 4,
  [GgufValueType.FLOAT32]: 4,
  [GgufValueType.BOOL]: 1,
  [GgufValueType.UINT64]: 8,
  [GgufValueType.INT64]: 8,
  [GgufValueType.FLOAT64]: 8,
};

/** Tensor element types (GGMLQuantizationType). */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
  NVFP4 = 40,
  Q1_0 = 41,
  Q2_0 = 42,
}

const QK_K = 256;

/** [elements per block, bytes per block] for each tensor type (GGML_QUANT_SIZES). */
// prettier-ignore
export const GGML_BLOCK: Record<GgmlType, readonly [number, number]> = {
  [GgmlType.F32]: [1, 4],
  [GgmlType.F16]: [1, 2],
  [GgmlType.Q4_0]: [32, 2 + 16],
  [GgmlType.Q4_1]: [32, 2 + 2 + 16],
  [GgmlType.Q5_0]: [32, 2 + 4 + 16],
  [GgmlType.Q5_1]: [32, 2 + 2 + 4 + 16],
  [GgmlType.Q8_0]: [32, 2 + 32],
  [GgmlType.Q8_1]: [32, 2 + 2 + 32],
  [GgmlType.Q2_K]: [256, 2 + 2 + QK_K / 16 + QK_K / 4],
  [GgmlType.Q3_K]: [256, 2 + QK_K / 4 + QK_K / 8 + 12],
  [GgmlType.Q4_K]: [256, 2 + 2 + QK_K / 2 + 12],
  [GgmlType.Q5_K]: [256, 2 + 2 + QK_K / 2 + QK_K / 8 + 12],
  [GgmlType.Q6_K]: [256, 2 + QK_K / 2 + QK_K / 4 + QK_K / 16],
  [GgmlType.Q8_K]: [256, 4 + QK_K + QK_K / 8],
  [GgmlType.IQ2_XXS]: [256, 2 + QK_K / 4],
  [GgmlType.IQ2_XS]: [256, 2 + QK_K / 4 + QK_K / 32],
  [GgmlType.IQ3_XXS]: [256, 2 + QK_K / 4 + QK_K / 8],
  [GgmlType.IQ1_S]: [256, 2 + QK_K / 8 + QK_K / 16],
  [GgmlType.IQ4_NL]: [32, 2 + 16],
  [GgmlType.IQ3_S]: [256, 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4],
  [GgmlType.IQ2_S]: [256, 2 + QK_K / 4 + QK_K / 16],
  [GgmlType.IQ4_XS]: [256, 2 + 2 + QK_K / 2 + QK_K / 64],
  [GgmlType.I8]: [1, 1],
  [GgmlType.I16]: [1, 2],
  [GgmlType.I32]: [1, 4],
  [GgmlType.I64]: [1, 8],
  [GgmlType.F64]: [1, 8],
  [GgmlType.IQ1_M]: [256, QK_K / 8 + QK_K / 16 + QK_K / 32],
  [GgmlType.BF16]: [1, 2],
  [GgmlType.TQ1_0]: [256, 2 + 4 * 13],
  [GgmlType.TQ2_0]: [256, 2 + 64],
  [GgmlType.MXFP4]: [32, 1 + 16],
  [GgmlType.NVFP4]: [64, 4 + 32],
  [GgmlType.Q1_0]: [128, 2 + 16],
  [GgmlType.Q2_0]: [64, 2 + 16],
};

export function isGgmlType(n: number): n is GgmlType {
  return Object.prototype.hasOwnProperty.call(GGML_BLOCK, n);
}

export function ggmlTypeName(t: GgmlType): string {
  return GgmlType[t] ?? `type ${t}`;
}

/** Bytes a tensor of `elements` values of type `t` occupies; null when the count is not a whole number of blocks. */
export function tensorBytes(t: GgmlType, firstDim: number, elements: number): number | null {
  const [blockElems, blockBytes] = GGML_BLOCK[t];
  if (firstDim % blockElems !== 0) return null;
  return (elements / blockElems) * blockBytes;
}

/** `general.file_type` values (LlamaFileType) as the names people know them by. */
export const LLAMA_FILE_TYPES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  19: 'IQ2_XXS',
  20: 'IQ2_XS',
  21: 'Q2_K_S',
  22: 'IQ3_XS',
  23: 'IQ3_XXS',
  24: 'IQ1_S',
  25: 'IQ4_NL',
  26: 'IQ3_S',
  27: 'IQ3_M',
  28: 'IQ2_S',
  29: 'IQ2_M',
  30: 'IQ4_XS',
  31: 'IQ1_M',
  32: 'BF16',
  36: 'TQ1_0',
  37: 'TQ2_0',
  38: 'MXFP4_MOE',
  39: 'NVFP4',
  40: 'Q1_0',
  41: 'Q2_0',
};

/**
 * Architectures this build's llama.cpp can load (`LLM_ARCH_NAMES` in src/llama-arch.cpp of the bundled
 * release). Mistral 7B-style models declare `llama`; Mistral 3/4 have their own names.
 */
// prettier-ignore
export const KNOWN_ARCHITECTURES: ReadonlySet<string> = new Set([
  'llama', 'llama4', 'deci', 'falcon', 'grok', 'gpt2', 'gptj', 'gptneox', 'mpt', 'baichuan', 'starcoder',
  'refact', 'bert', 'modern-bert', 'nomic-bert', 'nomic-bert-moe', 'neo-bert', 'jina-bert-v2', 'jina-bert-v3',
  'eurobert', 'bloom', 'stablelm', 'qwen', 'qwen2', 'qwen2moe', 'qwen2vl', 'qwen3', 'qwen3moe', 'qwen3next',
  'qwen3vl', 'qwen3vlmoe', 'qwen35', 'qwen35moe', 'qwen4exp', 'phi2', 'phi3', 'phimoe', 'plamo', 'plamo2',
  'plamo3', 'codeshell', 'orion', 'internlm2', 'minicpm', 'minicpm3', 'gemma', 'gemma2', 'gemma3', 'gemma3n',
  'gemma4', 'gemma4-assistant', 'gemma-embedding', 'starcoder2', 'mamba', 'mamba2', 'maple', 'jamba',
  'falcon-h1', 'xverse', 'command-r', 'cohere2', 'cohere2moe', 'dbrx', 'olmo', 'olmo2', 'olmoe',
  'muse-glimmer', 'openelm', 'arctic', 'deepseek', 'deepseek2', 'deepseek2-ocr', 'deepseek32', 'deepseek4',
  'chatglm', 'glm4', 'glm4moe', 'glm-dsa', 'bitnet', 't5', 't5encoder', 'jais', 'jais2', 'nemotron',
  'nemotron_h', 'nemotron_h_moe', 'exaone', 'exaone4', 'exaone-moe', 'rwkv6', 'rwkv6qwen2', 'rwkv7', 'arwkv7',
  'granite', 'granitemoe', 'granitehybrid', 'graniteswitch', 'granite_swa', 'chameleon', 'wavtokenizer-dec',
  'plm', 'bailingmoe', 'bailingmoe2', 'bailingmoe3', 'dots1', 'dots3note', 'arcee', 'afmoe', 'laguna',
  'ernie4_5', 'ernie4_5-moe', 'hunyuan-moe', 'hunyuan-dense', 'hunyuan_vl', 'hy_v3', 'hy_v4', 'smollm3',
  'gpt-oss', 'lfm2', 'lfm2moe', 'dream', 'smallthinker', 'llada', 'llada-moe', 'seed_oss', 'grovemoe',
  'apertus', 'minimax-01', 'hrm_text', 'minimax-m2', 'minimax-m3', 'cogvlm', 'rnd1', 'pangu-embedded',
  'mistral3', 'eagle3', 'dflash', 'mistral4', 'paddleocr', 'mimo2', 'step35', 'spark2_5', 'llama-embed',
  'maincoder', 'kimi-linear', 'kimi-k3', 'talkie', 'mellum', 'nanbeige',
]);

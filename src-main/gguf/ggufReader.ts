import fs from 'node:fs/promises';
import { WorkbenchError, type GgufSummary } from '../contract/index';
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_SCALAR_SIZE,
  GgufValueType,
  KNOWN_ARCHITECTURES,
  LLAMA_FILE_TYPES,
  ggmlTypeName,
  isGgmlType,
  tensorBytes,
  type GgmlType,
} from './ggufTypes';

/** A metadata value as read; long arrays are kept as their length only unless asked for. */
export type GgufReadValue =
  | number
  | bigint
  | boolean
  | string
  | { array: GgufValueType; length: number; values: (number | bigint | boolean | string)[] | null };

export interface GgufTensorInfo {
  name: string;
  dims: number[];
  type: GgmlType;
  /** Relative to the start of the data section. */
  offset: number;
  bytes: number;
  elements: number;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufReadValue>;
  tensors: GgufTensorInfo[];
  dataOffset: number;
  fileSize: number;
  summary: GgufSummary;
}

export interface ReadGgufOptions {
  /** Arrays up to this many items keep their values (default 4096); longer ones keep only their length. */
  maxArrayValues?: number;
  /** Skip the supported-architecture check (inspecting a file for a person, not for loading). */
  allowUnknownArchitecture?: boolean;
}

// Sanity limits: far above any real model, far below what would exhaust memory while parsing.
const MAX_TENSORS = 65_536;
const MAX_KV = 65_536;
const MAX_HEADER_BYTES = 256 * 1024 * 1024;
const MAX_STRING_BYTES = 16 * 1024 * 1024;
const MAX_ARRAY_ITEMS = 64 * 1024 * 1024;
const MAX_TENSOR_NAME = 63;
const MAX_DIMS = 4;
const MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 8 + 4 + 8;
const CHUNK = 1024 * 1024;

function invalid(reason: string): WorkbenchError {
  return new WorkbenchError('model_invalid', `Not a usable model: ${reason}.`);
}

/** Reads forward through the file in bounded chunks; every read is checked against the file size first. */
class HeaderCursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;

  constructor(
    private readonly fh: fs.FileHandle,
    readonly fileSize: number,
  ) {}

  /** Makes `n` bytes from `pos` available; returns a promise only when it has to read. */
  need(n: number): Promise<void> | undefined {
    if (this.pos + n > this.fileSize) throw invalid('the file ends inside its header (truncated or not a model)');
    if (this.pos + n > MAX_HEADER_BYTES) throw invalid('its header is implausibly large');
    if (this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length) return undefined;
    return this.fill(n);
  }

  private async fill(n: number): Promise<void> {
    const want = Math.min(Math.max(n, CHUNK), this.fileSize - this.pos);
    const next = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.fh.read(next, got, want - got, this.pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got < n) throw invalid('the file ends inside its header (truncated)');
    this.buf = next.subarray(0, got);
    this.bufStart = this.pos;
  }

  private at(): number {
    return this.pos - this.bufStart;
  }

  async u32(): Promise<number> {
    const p = this.need(4);
    if (p) await p;
    const v = this.buf.readUInt32LE(this.at());
    this.pos += 4;
    return v;
  }

  async u64(what: string): Promise<number> {
    const p = this.need(8);
    if (p) await p;
    const v = this.buf.readBigUInt64LE(this.at());
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`${what} is out of range`);
    return Number(v);
  }

  async string(what: string, max = MAX_STRING_BYTES): Promise<string> {
    const len = await this.u64(`${what} length`);
    if (len > max) throw invalid(`${what} is implausibly long (${len} bytes)`);
    const p = this.need(len);
    if (p) await p;
    const s = this.buf.toString('utf8', this.at(), this.at() + len);
    this.pos += len;
    return s;
  }

  async scalar(type: GgufValueType, what: string): Promise<number | bigint | boolean | string> {
    if (type === GgufValueType.STRING) return this.string(what);
    const size = GGUF_SCALAR_SIZE[type];
    if (size === undefined) throw invalid(`${what} has unknown value type ${type}`);
    const p = this.need(size);
    if (p) await p;
    const o = this.at();
    this.pos += size;
    switch (type) {
      case GgufValueType.UINT8:
        return this.buf.readUInt8(o);
      case GgufValueType.INT8:
        return this.buf.readInt8(o);
      case GgufValueType.UINT16:
        return this.buf.readUInt16LE(o);
      case GgufValueType.INT16:
        return this.buf.readInt16LE(o);
      case GgufValueType.UINT32:
        return this.buf.readUInt32LE(o);
      case GgufValueType.INT32:
        return this.buf.readInt32LE(o);
      case GgufValueType.FLOAT32:
        return this.buf.readFloatLE(o);
      case GgufValueType.FLOAT64:
        return this.buf.readDoubleLE(o);
      case GgufValueType.BOOL:
        return this.buf.readUInt8(o) !== 0;
      case GgufValueType.UINT64: {
        const v = this.buf.readBigUInt64LE(o);
        return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case GgufValueType.INT64: {
        const v = this.buf.readBigInt64LE(o);
        return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
      }
      default:
        throw invalid(`${what} has unknown value type ${type}`);
    }
  }

  /** Skips fixed-size items without decoding them (long numeric arrays such as merges scores). */
  async skip(n: number): Promise<void> {
    const p = this.need(n);
    if (p) await p;
    this.pos += n;
  }
}

async function readValue(c: HeaderCursor, key: string, maxArrayValues: number): Promise<GgufReadValue> {
  const type = await c.u32();
  if (type !== GgufValueType.ARRAY) return c.scalar(type, `metadata ${key}`);
  const itemType = await c.u32();
  if (itemType === GgufValueType.ARRAY) throw invalid(`metadata ${key} nests arrays`);
  const length = await c.u64(`metadata ${key} array length`);
  const itemSize = GGUF_SCALAR_SIZE[itemType as GgufValueType];
  if (itemType !== GgufValueType.STRING && itemSize === undefined)
    throw invalid(`metadata ${key} has unknown item type ${itemType}`);
  // Every item takes at least one byte (a string at least its 8-byte length), so the length is bounded by the file.
  const minItem = itemType === GgufValueType.STRING ? 8 : itemSize!;
  if (length > MAX_ARRAY_ITEMS || length * minItem > c.fileSize - c.pos) {
    throw invalid(`metadata ${key} claims ${length} items, more than the file can hold`);
  }
  const keep = length <= maxArrayValues;
  if (!keep && itemType !== GgufValueType.STRING) {
    await c.skip(length * itemSize!);
    return { array: itemType, length, values: null };
  }
  if (!keep) {
    // A long string array (a vocabulary): walk it without decoding.
    for (let i = 0; i < length; i++) {
      const len = await c.u64(`metadata ${key}[${i}] length`);
      if (len > MAX_STRING_BYTES) throw invalid(`metadata ${key}[${i}] is implausibly long`);
      await c.skip(len);
    }
    return { array: itemType, length, values: null };
  }
  const values: (number | bigint | boolean | string)[] = [];
  for (let i = 0; i < length; i++) values.push(await c.scalar(itemType, `metadata ${key}[${i}]`));
  return { array: itemType, length, values };
}

function num(v: GgufReadValue | undefined): number | null {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
}

function str(v: GgufReadValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

/**
 * Pre-flight of a GGUF file before any native code sees it: reads only the header (bounded, chunked
 * reads, never the whole file) and checks every length and offset against the file size.
 */
export async function readGgufHeader(filePath: string, opts: ReadGgufOptions = {}): Promise<GgufHeader> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(filePath, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new WorkbenchError('not_found', 'There is no model file at that path.');
    if (code === 'EACCES' || code === 'EPERM')
      throw new WorkbenchError('forbidden', 'The model file cannot be read (permission denied).');
    if (code === 'EISDIR') throw new WorkbenchError('bad_input', 'That path is a folder, not a model file.');
    throw new WorkbenchError('bad_input', 'The model file cannot be opened.');
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw new WorkbenchError('bad_input', 'That path is not a regular file.');
    return await parse(new HeaderCursor(fh, stat.size), opts);
  } finally {
    await fh.close();
  }
}

async function parse(c: HeaderCursor, opts: ReadGgufOptions): Promise<GgufHeader> {
  const fileSize = c.fileSize;
  if (fileSize === 0) throw invalid('the file is empty');
  if (fileSize < 4) throw invalid('the file is too small to be a GGUF model');
  const magic = await c.u32();
  if (magic !== GGUF_MAGIC) throw invalid('it is not a GGUF file (wrong magic bytes)');
  if (fileSize < 24) throw invalid('the file ends inside its header (truncated)');
  const version = await c.u32();
  if (version !== 2 && version !== 3) throw invalid(`GGUF version ${version} is not supported (2 and 3 are)`);
  const tensorCount = await c.u64('tensor count');
  const kvCount = await c.u64('metadata count');
  if (tensorCount > MAX_TENSORS) throw invalid(`it claims ${tensorCount} tensors, which is not plausible`);
  if (tensorCount * MIN_TENSOR_INFO_BYTES > fileSize) {
    throw invalid(
      `the file ends inside its header (${tensorCount} tensors cannot fit in ${fileSize} bytes; truncated?)`,
    );
  }
  if (kvCount > MAX_KV) throw invalid(`it claims ${kvCount} metadata entries, which is not plausible`);

  const maxArrayValues = opts.maxArrayValues ?? 4096;
  const metadata = new Map<string, GgufReadValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = await c.string('metadata key', 1024);
    if (metadata.has(key)) throw invalid(`metadata key ${key} appears twice`);
    metadata.set(key, await readValue(c, key, maxArrayValues));
  }

  let alignment = GGUF_DEFAULT_ALIGNMENT;
  if (metadata.has('general.alignment')) {
    const a = num(metadata.get('general.alignment'));
    if (a === null || a <= 0 || (a & (a - 1)) !== 0) throw invalid('general.alignment is not a power of two');
    alignment = a;
  }

  const tensors: GgufTensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = await c.string('tensor name', 4096);
    if (Buffer.byteLength(name) > MAX_TENSOR_NAME) throw invalid(`tensor name ${name.slice(0, 40)}… is too long`);
    if (names.has(name)) throw invalid(`tensor ${name} appears twice`);
    names.add(name);
    const nDims = await c.u32();
    if (nDims < 1 || nDims > MAX_DIMS) throw invalid(`tensor ${name} has ${nDims} dimensions`);
    const dims: number[] = [];
    let elements = 1;
    for (let d = 0; d < nDims; d++) {
      const n = await c.u64(`tensor ${name} dimension`);
      if (n <= 0) throw invalid(`tensor ${name} has an empty dimension`);
      dims.push(n);
      elements *= n;
      if (elements > Number.MAX_SAFE_INTEGER) throw invalid(`tensor ${name} is implausibly large`);
    }
    const type = await c.u32();
    if (!isGgmlType(type)) throw invalid(`tensor ${name} has unknown type ${type}`);
    const offset = await c.u64(`tensor ${name} offset`);
    if (offset % alignment !== 0) throw invalid(`tensor ${name} is not aligned`);
    const bytes = tensorBytes(type, dims[0]!, elements);
    if (bytes === null) throw invalid(`tensor ${name} does not fill whole ${ggmlTypeName(type)} blocks`);
    tensors.push({ name, dims, type, offset, bytes, elements });
  }

  const headerEnd = c.pos;
  const dataOffset = headerEnd + ((alignment - (headerEnd % alignment)) % alignment);
  const dataBytes = fileSize - dataOffset;
  for (const t of tensors) {
    if (dataOffset > fileSize || t.offset + t.bytes > dataBytes) {
      throw invalid(`tensor ${t.name} lies beyond the end of the file (truncated download?)`);
    }
  }

  const architecture = str(metadata.get('general.architecture'));
  if (!architecture) throw invalid('it does not name its architecture (general.architecture)');
  if (!opts.allowUnknownArchitecture && !KNOWN_ARCHITECTURES.has(architecture)) {
    throw invalid(`architecture "${architecture.slice(0, 40)}" is not supported by this build of llama.cpp`);
  }
  if (tensorCount === 0) throw invalid('it has no tensors');

  return {
    version,
    metadata,
    tensors,
    dataOffset,
    fileSize,
    summary: summarize(version, architecture, metadata, tensors, fileSize),
  };
}

function summarize(
  version: number,
  architecture: string,
  metadata: Map<string, GgufReadValue>,
  tensors: GgufTensorInfo[],
  fileSize: number,
): GgufSummary {
  const bytesByType = new Map<GgmlType, number>();
  let parameterCount = 0;
  for (const t of tensors) {
    parameterCount += t.elements;
    bytesByType.set(t.type, (bytesByType.get(t.type) ?? 0) + t.bytes);
  }
  let dominant: GgmlType = tensors[0]!.type;
  for (const [type, bytes] of bytesByType) if (bytes > (bytesByType.get(dominant) ?? 0)) dominant = type;
  const fileTypeNum = num(metadata.get('general.file_type'));
  const fileType = fileTypeNum === null ? null : (LLAMA_FILE_TYPES[fileTypeNum] ?? `file type ${fileTypeNum}`);
  const tokens = metadata.get('tokenizer.ggml.tokens');
  const template = str(metadata.get('tokenizer.chat_template'));
  return {
    ggufVersion: version,
    architecture,
    name: str(metadata.get('general.name')),
    parameterCount,
    quantization: fileType ?? ggmlTypeName(dominant),
    fileType,
    dominantTensorType: ggmlTypeName(dominant),
    contextLength: num(metadata.get(`${architecture}.context_length`)),
    embeddingLength: num(metadata.get(`${architecture}.embedding_length`)),
    blockCount: num(metadata.get(`${architecture}.block_count`)),
    vocabSize: tokens && typeof tokens === 'object' ? tokens.length : null,
    hasChatTemplate: template !== null && template.length > 0,
    tensorCount: tensors.length,
    sizeBytes: fileSize,
  };
}

/** The chat template string, when the header carries one. */
export function chatTemplateOf(header: GgufHeader): string | null {
  return str(header.metadata.get('tokenizer.chat_template'));
}

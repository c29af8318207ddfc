import fs from 'node:fs';
import path from 'node:path';
import { GGML_BLOCK, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgmlType, GgufValueType, tensorBytes } from './ggufTypes';

/** A scalar metadata value with its GGUF type. */
export type GgufScalar =
  | { type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'; value: number }
  | { type: 'u64' | 'i64'; value: number | bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string };

export type GgufScalarTypeName = GgufScalar['type'];

export type GgufMetaValue =
  | GgufScalar
  | { type: 'array'; itemType: 'string'; values: readonly string[] }
  | { type: 'array'; itemType: 'bool'; values: readonly boolean[] }
  | { type: 'array'; itemType: Exclude<GgufScalarTypeName, 'string' | 'bool'>; values: readonly number[] };

/** Small constructors so metadata reads like a table. */
export const gv = {
  u8: (value: number): GgufScalar => ({ type: 'u8', value }),
  u32: (value: number): GgufScalar => ({ type: 'u32', value }),
  i32: (value: number): GgufScalar => ({ type: 'i32', value }),
  u64: (value: number | bigint): GgufScalar => ({ type: 'u64', value }),
  f32: (value: number): GgufScalar => ({ type: 'f32', value }),
  f64: (value: number): GgufScalar => ({ type: 'f64', value }),
  bool: (value: boolean): GgufScalar => ({ type: 'bool', value }),
  str: (value: string): GgufScalar => ({ type: 'string', value }),
  strings: (values: readonly string[]): GgufMetaValue => ({ type: 'array', itemType: 'string', values }),
  f32s: (values: readonly number[]): GgufMetaValue => ({ type: 'array', itemType: 'f32', values }),
  i32s: (values: readonly number[]): GgufMetaValue => ({ type: 'array', itemType: 'i32', values }),
};

const TYPE_CODE: Record<GgufScalarTypeName, GgufValueType> = {
  u8: GgufValueType.UINT8,
  i8: GgufValueType.INT8,
  u16: GgufValueType.UINT16,
  i16: GgufValueType.INT16,
  u32: GgufValueType.UINT32,
  i32: GgufValueType.INT32,
  f32: GgufValueType.FLOAT32,
  bool: GgufValueType.BOOL,
  string: GgufValueType.STRING,
  u64: GgufValueType.UINT64,
  i64: GgufValueType.INT64,
  f64: GgufValueType.FLOAT64,
};

export interface GgufTensorSpec {
  name: string;
  /** GGML order: the fastest-varying dimension first (gguf-py writes numpy shapes reversed). */
  dims: readonly number[];
  type: GgmlType;
  /** F32 values, or raw bytes already encoded in `type`. A function is called once, when the tensor is written. */
  data: Float32Array | Uint8Array | (() => Float32Array | Uint8Array);
}

export interface GgufSpec {
  /** Written in this order; `general.alignment` is added when the alignment is not the default. */
  metadata: ReadonlyArray<readonly [string, GgufMetaValue]>;
  tensors: readonly GgufTensorSpec[];
  alignment?: number;
}

/** Growable little-endian byte buffer for the header part of the file. */
class ByteWriter {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v, this.length);
    this.length += 1;
  }
  i8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.length);
    this.length += 1;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16LE(v, this.length);
    this.length += 2;
  }
  i16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16LE(v, this.length);
    this.length += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }
  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.length);
    this.length += 8;
  }
  u64(v: number | bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  i64(v: number | bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.ensure(bytes.length);
    bytes.copy(this.buf, this.length);
    this.length += bytes.length;
  }
  pad(alignment: number): void {
    const n = padding(this.length, alignment);
    this.ensure(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function padding(offset: number, alignment: number): number {
  return (alignment - (offset % alignment)) % alignment;
}

function writeScalar(w: ByteWriter, type: GgufScalarTypeName, value: number | bigint | boolean | string): void {
  switch (type) {
    case 'u8':
      return w.u8(value as number);
    case 'i8':
      return w.i8(value as number);
    case 'u16':
      return w.u16(value as number);
    case 'i16':
      return w.i16(value as number);
    case 'u32':
      return w.u32(value as number);
    case 'i32':
      return w.i32(value as number);
    case 'f32':
      return w.f32(value as number);
    case 'f64':
      return w.f64(value as number);
    case 'u64':
      return w.u64(value as number | bigint);
    case 'i64':
      return w.i64(value as number | bigint);
    case 'bool':
      return w.u8(value ? 1 : 0);
    case 'string':
      return w.str(value as string);
  }
}

function writeValue(w: ByteWriter, v: GgufMetaValue): void {
  if (v.type === 'array') {
    if (v.values.length === 0) throw new Error('GGUF arrays may not be empty');
    w.u32(GgufValueType.ARRAY);
    w.u32(TYPE_CODE[v.itemType]);
    w.u64(v.values.length);
    for (const item of v.values) writeScalar(w, v.itemType, item);
    return;
  }
  w.u32(TYPE_CODE[v.type]);
  writeScalar(w, v.type, v.value);
}

interface PlannedTensor {
  spec: GgufTensorSpec;
  bytes: number;
  offset: number;
}

function plan(spec: GgufSpec): { header: Buffer; tensors: PlannedTensor[]; alignment: number } {
  const alignment = spec.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0)
    throw new Error('alignment must be a positive multiple of 8');
  const metadata = [...spec.metadata];
  if (alignment !== GGUF_DEFAULT_ALIGNMENT && !metadata.some(([k]) => k === 'general.alignment')) {
    metadata.push(['general.alignment', gv.u32(alignment)]);
  }
  const seen = new Set<string>();
  for (const [key] of metadata) {
    if (seen.has(key)) throw new Error(`duplicate metadata key ${key}`);
    seen.add(key);
  }

  const tensors: PlannedTensor[] = [];
  let offset = 0;
  const names = new Set<string>();
  for (const t of spec.tensors) {
    if (names.has(t.name)) throw new Error(`duplicate tensor ${t.name}`);
    names.add(t.name);
    if (Buffer.byteLength(t.name) > 63) throw new Error(`tensor name too long: ${t.name}`);
    if (t.dims.length < 1 || t.dims.length > 4 || t.dims.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new Error(`tensor ${t.name} has invalid dims`);
    }
    const elements = t.dims.reduce((a, b) => a * b, 1);
    const bytes = tensorBytes(t.type, t.dims[0]!, elements);
    if (bytes === null)
      throw new Error(`tensor ${t.name}: first dim not a multiple of the block size ${GGML_BLOCK[t.type][0]}`);
    tensors.push({ spec: t, bytes, offset });
    offset += bytes + padding(bytes, alignment);
  }

  const w = new ByteWriter();
  w.u32(GGUF_MAGIC);
  w.u32(3);
  w.u64(tensors.length);
  w.u64(metadata.length);
  for (const [key, value] of metadata) {
    w.str(key);
    writeValue(w, value);
  }
  for (const t of tensors) {
    w.str(t.spec.name);
    w.u32(t.spec.dims.length);
    for (const d of t.spec.dims) w.u64(d);
    w.u32(t.spec.type);
    w.u64(t.offset);
  }
  w.pad(alignment);
  return { header: w.bytes(), tensors, alignment };
}

function tensorData(t: PlannedTensor): Buffer {
  const raw = typeof t.spec.data === 'function' ? t.spec.data() : t.spec.data;
  if (raw instanceof Float32Array && t.spec.type !== GgmlType.F32) {
    throw new Error(`tensor ${t.spec.name}: Float32Array data needs type F32 (pass encoded bytes for other types)`);
  }
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (buf.length !== t.bytes) throw new Error(`tensor ${t.spec.name}: expected ${t.bytes} bytes, got ${buf.length}`);
  return buf;
}

/** Encodes a whole GGUF file in memory (small models and tests). */
export function encodeGguf(spec: GgufSpec): Buffer {
  const { header, tensors, alignment } = plan(spec);
  const parts: Buffer[] = [header];
  for (const t of tensors) {
    parts.push(tensorData(t));
    const pad = padding(t.bytes, alignment);
    if (pad) parts.push(Buffer.alloc(pad));
  }
  return Buffer.concat(parts);
}

/**
 * Writes a GGUF v3 file tensor by tensor (so a large model never sits in memory whole), into a temporary
 * file renamed into place at the end: a crash never leaves a half-written model under the final name.
 */
export function writeGguf(filePath: string, spec: GgufSpec): { bytes: number } {
  const { header, tensors, alignment } = plan(spec);
  fs.mkdirSync(path.dirname(filePath), { recursive: true });
  const tmp = `${filePath}.${process.pid}.partial`;
  const fd = fs.openSync(tmp, 'w', 0o644);
  let total = 0;
  try {
    const write = (b: Buffer) => {
      let done = 0;
      while (done < b.length) done += fs.writeSync(fd, b, done, b.length - done);
      total += b.length;
    };
    write(header);
    for (const t of tensors) {
      write(tensorData(t));
      const pad = padding(t.bytes, alignment);
      if (pad) write(Buffer.alloc(pad));
    }
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, filePath);
  return { bytes: total };
}

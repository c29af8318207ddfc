import fs from 'node:fs';
import { GGUF_SCALAR_SIZE, GgufValueType } from './ggufTypes';

/**
 * Adds (or replaces) one string key of a GGUF file's metadata, leaving every other byte of meaning as it was:
 * the header is re-written with the key, the tensor data copied after it at the file's alignment. Used to
 * give trained models back the chat template llama.cpp's model saver leaves out.
 */

const SCALAR_BYTES: Partial<Record<number, number>> = GGUF_SCALAR_SIZE;

class Cursor {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  u32(): number {
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): number {
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('GGUF value too large');
    return Number(v);
  }
  str(): string {
    const n = this.u64();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  skipValue(type: number): void {
    if (type === GgufValueType.STRING) {
      const n = this.u64();
      this.pos += n;
      return;
    }
    if (type === GgufValueType.ARRAY) {
      const itemType = this.u32();
      const n = this.u64();
      const size = SCALAR_BYTES[itemType];
      if (size !== undefined) this.pos += n * size;
      else for (let i = 0; i < n; i++) this.skipValue(itemType);
      return;
    }
    const size = SCALAR_BYTES[type];
    if (size === undefined) throw new Error(`unknown GGUF value type ${type}`);
    this.pos += size;
  }
}

function ggufString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(bytes.length));
  return Buffer.concat([len, bytes]);
}

/** Reads enough of the file to hold the header (it grows the read until the header parses). */
function readHeaderBytes(fd: number, size: number): Buffer {
  for (let want = Math.min(size, 1 << 20); ; want = Math.min(size, want * 4)) {
    const buf = Buffer.alloc(want);
    fs.readSync(fd, buf, 0, want, 0);
    try {
      parseLayout(buf);
      return buf;
    } catch (err) {
      if (want >= size || !(err instanceof RangeError)) throw err;
    }
  }
}

interface Layout {
  nKv: number;
  kvStart: number;
  /** Where the key/value section ends and the tensor infos begin. */
  kvEnd: number;
  /** Where the tensor infos end (padding to the alignment follows). */
  infoEnd: number;
  alignment: number;
  /** Byte range of each existing key/value pair, by key. */
  kv: Map<string, [number, number]>;
}

function parseLayout(buf: Buffer): Layout {
  const c = new Cursor(buf);
  if (buf.toString('latin1', 0, 4) !== 'GGUF') throw new Error('not a GGUF file');
  c.pos = 4;
  const version = c.u32();
  if (version < 2) throw new Error(`GGUF version ${version} is not supported`);
  const nTensors = c.u64();
  const nKv = c.u64();
  const kvStart = c.pos;
  const kv = new Map<string, [number, number]>();
  let alignment = 32;
  for (let i = 0; i < nKv; i++) {
    const start = c.pos;
    const key = c.str();
    const type = c.u32();
    if (key === 'general.alignment' && type === GgufValueType.UINT32) alignment = buf.readUInt32LE(c.pos);
    c.skipValue(type);
    kv.set(key, [start, c.pos]);
  }
  const kvEnd = c.pos;
  for (let i = 0; i < nTensors; i++) {
    c.str();
    const dims = c.u32();
    c.pos += 8 * dims + 4 + 8;
  }
  if (c.pos > buf.length) throw new RangeError('header beyond the bytes read');
  return { nKv, kvStart, kvEnd, infoEnd: c.pos, alignment, kv };
}

export function setGgufString(file: string, key: string, value: string): void {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  const tmp = `${file}.meta-${process.pid}`;
  try {
    const head = readHeaderBytes(fd, size);
    const l = parseLayout(head);
    const dataStart = Math.ceil(l.infoEnd / l.alignment) * l.alignment;
    const entry = Buffer.concat([ggufString(key), Buffer.alloc(4), ggufString(value)]);
    entry.writeUInt32LE(GgufValueType.STRING, 8 + Buffer.byteLength(key, 'utf8'));
    const existing = l.kv.get(key);
    const kvBytes = existing
      ? Buffer.concat([head.subarray(l.kvStart, existing[0]), entry, head.subarray(existing[1], l.kvEnd)])
      : Buffer.concat([head.subarray(l.kvStart, l.kvEnd), entry]);
    const prefix = Buffer.from(head.subarray(0, l.kvStart));
    prefix.writeBigUInt64LE(BigInt(existing ? l.nKv : l.nKv + 1), 16);
    const header = Buffer.concat([prefix, kvBytes, head.subarray(l.kvEnd, l.infoEnd)]);
    const padded = Buffer.alloc(Math.ceil(header.length / l.alignment) * l.alignment);
    header.copy(padded);
    const out = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(out, padded);
      const chunk = Buffer.alloc(4 << 20);
      for (let at = dataStart; at < size;) {
        const n = fs.readSync(fd, chunk, 0, Math.min(chunk.length, size - at), at);
        if (n <= 0) throw new Error('the GGUF file ended early');
        fs.writeSync(out, chunk, 0, n);
        at += n;
      }
    } finally {
      fs.closeSync(out);
    }
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

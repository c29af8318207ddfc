/** One record's raw bytes and where it starts in the file. */
export interface RawRecord {
  bytes: Buffer;
  /** 1-based line of the record's first byte. */
  line: number;
  /** Absolute byte offset of the record's first byte. */
  offset: number;
  /** The record ran into the end of the file without its terminator (a last line with no newline). */
  unterminated?: boolean;
}

/** Where a splitter sends what it finds. */
export interface SplitSink {
  record(r: RawRecord): void;
  /** A record that could not even be cut out (too long, cut short). */
  reject(line: number, offset: number | null, reason: string): void;
}

/** Cuts a byte stream into records; push-based so the same code runs on a stream or a buffer. */
export interface Splitter {
  push(chunk: Buffer): void;
  end(): void;
}

export const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Buffers the first 3 bytes so a BOM split across chunks is still recognised. */
export class BomStripper {
  private head: Buffer | null = Buffer.alloc(0);
  /** Bytes skipped at the start of the file (3 when there was a BOM). */
  skipped = 0;

  /** Returns the bytes to process now (maybe empty while the first 3 bytes are still incomplete). */
  take(chunk: Buffer, final = false): Buffer {
    if (this.head === null) return chunk;
    const all = this.head.length ? Buffer.concat([this.head, chunk]) : chunk;
    if (all.length < 3 && !final) {
      this.head = all;
      return Buffer.alloc(0);
    }
    this.head = null;
    if (all.length >= 3 && all[0] === 0xef && all[1] === 0xbb && all[2] === 0xbf) {
      this.skipped = 3;
      return all.subarray(3);
    }
    return all;
  }

  /** Whatever is still held back when the input ends. */
  flush(): Buffer {
    if (this.head === null) return Buffer.alloc(0);
    return this.take(Buffer.alloc(0), true);
  }
}

/** Collects a record's pieces across chunks, up to a cap. */
export class RecordBuffer {
  private parts: Buffer[] = [];
  size = 0;
  oversize = false;
  constructor(private readonly max: number) {}

  append(seg: Buffer): void {
    if (this.oversize || seg.length === 0) return;
    if (this.size + seg.length > this.max) {
      this.oversize = true;
      this.parts = [];
      return;
    }
    this.parts.push(seg);
    this.size += seg.length;
  }

  /** Copies pieces that point into a chunk about to be reused by the reader. */
  take(): Buffer {
    const out = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    this.oversize = false;
    return out;
  }

  reset(): void {
    this.parts = [];
    this.size = 0;
    this.oversize = false;
  }
}

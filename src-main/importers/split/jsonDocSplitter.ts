import { FatalImportError } from '../recordError';
import { formatBytes } from '../limits';
import { BomStripper, RecordBuffer, type SplitSink, type Splitter } from './splitter';

/**
 * Arrays whose elements are the records, by key path from the root: the root array itself, API
 * envelopes (`{"value":[…]}`, CloudTrail's `{"Records":[…]}`, Azure diagnostics' `{"records":[…]}`)
 * and the wrapper of Azure REST-spec examples. Any other object is one record.
 */
export const RECORD_ARRAY_PATHS = new Set([
  '',
  'value',
  'Records',
  'records',
  'responses.200.body.value',
  'responses.200.body.entities',
]);

interface Level {
  type: 0x7b | 0x5b; // '{' or '['
  path: string;
  key: string | null;
  expectKey: boolean;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Streams one JSON document: the elements of its record array are emitted one by one, so a
 * multi-GB array never sits in memory; an object with no record array is one record. The scan is
 * byte-level (every structural character is ASCII, so UTF-8 needs no decoding here).
 */
export class JsonDocSplitter implements Splitter {
  private readonly bom = new BomStripper();
  private pos = 0;
  private line = 1;
  private started = false;
  private stack: Level[] = [];
  private inString = false;
  private escape = false;
  private keyBytes: number[] | null = null;
  /** Stack depth of the array being streamed; -1 none yet; -2 already streamed one. */
  private streamDepth = -1;
  private readonly elem: RecordBuffer;
  private elemOpen = false;
  private elemStart = 0;
  private elemLine = 1;
  private elemSeg = 0;
  private readonly root: RecordBuffer;
  private rootObject = false;
  private rootSeg = 0;
  private rootDone = false;
  private rootStartLine = 1;
  private rootStartOffset = 0;

  constructor(
    private readonly sink: SplitSink,
    private readonly maxRecordBytes: number,
  ) {
    this.elem = new RecordBuffer(maxRecordBytes);
    this.root = new RecordBuffer(maxRecordBytes);
  }

  push(input: Buffer): void {
    this.consume(this.bom.take(input));
  }

  end(): void {
    this.consume(this.bom.flush());
    if (!this.started) {
      this.sink.reject(1, 0, 'the file is empty');
      return;
    }
    if (this.rootDone) return;
    if (this.elemOpen) {
      this.elem.reset();
      this.elemOpen = false;
      this.sink.reject(
        this.elemLine,
        this.elemStart,
        'the record is cut short: the file ends inside it (truncated file?)',
      );
    }
    const where = this.inString ? 'inside a string' : 'before the JSON document is closed';
    this.sink.reject(this.line, this.pos, `the file ends ${where} (truncated file?)`);
  }

  private consume(chunk: Buffer): void {
    if (!chunk.length) return;
    const base = this.pos;
    if (this.elemOpen) this.elemSeg = 0;
    if (this.rootObject && !this.rootDone) this.rootSeg = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === 0x0a) this.line++;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === 0x5c) this.escape = true;
        else if (b === 0x22) {
          this.inString = false;
          if (this.keyBytes) {
            const top = this.stack[this.stack.length - 1]!;
            top.key = Buffer.from(this.keyBytes).toString('utf8');
            top.expectKey = false;
            this.keyBytes = null;
          }
        } else if (this.keyBytes && this.keyBytes.length < 256) this.keyBytes.push(b);
        continue;
      }
      if (WS.has(b)) continue;
      if (this.rootDone) {
        throw new FatalImportError(
          'there is more after the first JSON document: several JSON values in one file are not a JSON document (JSON Lines needs one compact value per line)',
          this.line,
          base + i,
        );
      }
      if (!this.started) {
        this.started = true;
        if (b !== 0x5b && b !== 0x7b) {
          throw new FatalImportError('not a JSON document: it must start with [ or {', this.line, base + i);
        }
        if (b === 0x7b) {
          this.rootObject = true;
          this.rootSeg = i;
          this.rootStartLine = this.line;
          this.rootStartOffset = base + i;
        }
      }
      const depth = this.stack.length;
      if (depth === this.streamDepth && !this.elemOpen && b !== 0x2c && b !== 0x5d) {
        this.elemOpen = true;
        this.elemStart = base + i;
        this.elemLine = this.line;
        this.elemSeg = i;
      }
      switch (b) {
        case 0x22: {
          const top = this.stack[depth - 1];
          if (top && top.type === 0x7b && top.expectKey) this.keyBytes = [];
          this.inString = true;
          break;
        }
        case 0x7b:
        case 0x5b: {
          const parent = this.stack[depth - 1];
          const path = !parent
            ? ''
            : parent.type === 0x7b
              ? joinPath(parent.path, parent.key ?? '')
              : `${parent.path}[]`;
          this.stack.push({ type: b, path, key: null, expectKey: b === 0x7b });
          if (b === 0x5b && this.streamDepth === -1 && RECORD_ARRAY_PATHS.has(path)) {
            this.streamDepth = this.stack.length;
            this.root.reset(); // the envelope around the records is not kept
          }
          break;
        }
        case 0x7d:
        case 0x5d: {
          if (depth === this.streamDepth && b === 0x5d) {
            this.closeElement(chunk, i);
            this.streamDepth = -2;
          }
          this.stack.pop();
          if (this.stack.length === 0) this.finishRoot(chunk, i);
          break;
        }
        case 0x2c: {
          if (depth === this.streamDepth) this.closeElement(chunk, i);
          const top = this.stack[depth - 1];
          if (top && top.type === 0x7b) top.expectKey = true;
          break;
        }
        default:
          break;
      }
    }
    if (this.elemOpen) this.elem.append(chunk.subarray(this.elemSeg));
    if (this.rootObject && !this.rootDone && this.streamDepth === -1) this.root.append(chunk.subarray(this.rootSeg));
    this.pos = base + chunk.length;
  }

  private closeElement(chunk: Buffer, end: number): void {
    if (!this.elemOpen) return;
    this.elem.append(chunk.subarray(this.elemSeg, end));
    this.elemOpen = false;
    if (this.elem.oversize) {
      this.elem.reset();
      this.sink.reject(
        this.elemLine,
        this.elemStart,
        `record is larger than the ${formatBytes(this.maxRecordBytes)} limit; it was skipped`,
      );
      return;
    }
    this.sink.record({ bytes: this.elem.take(), line: this.elemLine, offset: this.elemStart });
  }

  private finishRoot(chunk: Buffer, end: number): void {
    this.rootDone = true;
    if (!this.rootObject || this.streamDepth !== -1) return;
    this.root.append(chunk.subarray(this.rootSeg, end + 1));
    if (this.root.oversize) {
      this.root.reset();
      this.sink.reject(
        this.rootStartLine,
        this.rootStartOffset,
        `the JSON document is larger than the ${formatBytes(this.maxRecordBytes)} limit for one record`,
      );
      return;
    }
    this.sink.record({ bytes: this.root.take(), line: this.rootStartLine, offset: this.rootStartOffset });
  }
}

function joinPath(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

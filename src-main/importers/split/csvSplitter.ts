import { RecordError } from '../recordError';
import { formatBytes } from '../limits';
import { BomStripper, RecordBuffer, type SplitSink, type Splitter } from './splitter';

/**
 * RFC 4180 records: a record ends at a line end outside double quotes, so quoted fields may hold
 * commas, quotes ("") and line breaks. Blank lines are skipped; the first record is the header.
 */
export class CsvSplitter implements Splitter {
  private readonly bom = new BomStripper();
  private readonly buf: RecordBuffer;
  private pos = 0;
  private line = 1;
  private recLine = 1;
  private recStart = 0;
  private inQuotes = false;
  private started = false;

  constructor(
    private readonly sink: SplitSink,
    private readonly maxRecordBytes: number,
  ) {
    this.buf = new RecordBuffer(maxRecordBytes);
  }

  push(input: Buffer): void {
    this.consume(this.bom.take(input));
  }

  end(): void {
    this.consume(this.bom.flush());
    if (this.inQuotes) {
      this.buf.reset();
      this.sink.reject(
        this.recLine,
        this.recStart,
        'the file ends inside a quoted field (unbalanced " or truncated file)',
      );
      return;
    }
    if (this.buf.size > 0 || this.buf.oversize) this.emit(true);
  }

  private consume(chunk: Buffer): void {
    if (!chunk.length) return;
    if (!this.started) {
      this.started = true;
      this.pos = this.bom.skipped;
      this.recStart = this.pos;
    }
    const base = this.pos;
    let seg = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 0x22) this.inQuotes = !this.inQuotes;
      else if (b === 0x0a) {
        this.line++;
        if (!this.inQuotes) {
          this.buf.append(chunk.subarray(seg, i));
          this.emit(false);
          seg = i + 1;
          this.recStart = base + i + 1;
          this.recLine = this.line;
        }
      }
    }
    this.buf.append(chunk.subarray(seg));
    this.pos = base + chunk.length;
  }

  private emit(unterminated: boolean): void {
    if (this.buf.oversize) {
      this.buf.reset();
      this.sink.reject(
        this.recLine,
        this.recStart,
        `CSV record is longer than the ${formatBytes(this.maxRecordBytes)} limit; it was skipped`,
      );
      return;
    }
    let bytes = this.buf.take();
    if (bytes.length && bytes[bytes.length - 1] === 13) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length === 0) return;
    this.sink.record({ bytes, line: this.recLine, offset: this.recStart, unterminated });
  }
}

/** Splits one decoded CSV record into its fields. */
export function parseCsvFields(text: string, offset: number, line: number): string[] {
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  while (true) {
    if (text[i] === '"') {
      let value = '';
      let j = i + 1;
      while (true) {
        const q = text.indexOf('"', j);
        if (q === -1)
          throw new RecordError('unterminated quoted field', offset + Buffer.byteLength(text.slice(0, i)), line);
        value += text.slice(j, q);
        if (text[q + 1] === '"') {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === n) return fields;
      if (text[i] !== ',') {
        throw new RecordError(
          'unexpected character after a closing quote',
          offset + Buffer.byteLength(text.slice(0, i)),
          line,
        );
      }
      i++;
      continue;
    }
    const comma = text.indexOf(',', i);
    if (comma === -1) {
      fields.push(text.slice(i));
      return fields;
    }
    fields.push(text.slice(i, comma));
    i = comma + 1;
  }
}

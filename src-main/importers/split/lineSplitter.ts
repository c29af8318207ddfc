import { formatBytes } from '../limits';
import { BomStripper, RecordBuffer, type SplitSink, type Splitter } from './splitter';

/**
 * One record per line (JSON Lines, syslog). LF or CRLF line ends, an optional BOM, blank lines
 * skipped. A line longer than `maxLineBytes` is never buffered: it is skipped to its end and rejected.
 */
export class LineSplitter implements Splitter {
  private readonly bom = new BomStripper();
  private readonly buf: RecordBuffer;
  /** Absolute offset of the next byte pushed. */
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private started = false;

  constructor(
    private readonly sink: SplitSink,
    private readonly maxLineBytes: number,
  ) {
    this.buf = new RecordBuffer(maxLineBytes);
  }

  push(input: Buffer): void {
    const chunk = this.bom.take(input);
    this.consume(chunk);
  }

  private consume(chunk: Buffer): void {
    if (!this.started && chunk.length) {
      this.started = true;
      this.pos = this.bom.skipped;
      this.lineStart = this.pos;
    }
    let start = 0;
    while (start <= chunk.length) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        this.buf.append(chunk.subarray(start));
        break;
      }
      this.buf.append(chunk.subarray(start, nl));
      this.emit(false);
      this.line++;
      this.lineStart = this.pos + nl + 1;
      start = nl + 1;
    }
    this.pos += chunk.length;
  }

  end(): void {
    this.consume(this.bom.flush());
    if (this.buf.size > 0 || this.buf.oversize) this.emit(true);
  }

  private emit(unterminated: boolean): void {
    if (this.buf.oversize) {
      this.buf.reset();
      this.sink.reject(
        this.line,
        this.lineStart,
        `line is longer than the ${formatBytes(this.maxLineBytes)} limit for one record; it was skipped`,
      );
      return;
    }
    let bytes = this.buf.take();
    if (bytes.length && bytes[bytes.length - 1] === 13) bytes = bytes.subarray(0, bytes.length - 1);
    if (isBlank(bytes)) return;
    this.sink.record({ bytes, line: this.line, offset: this.lineStart, unterminated });
  }
}

function isBlank(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

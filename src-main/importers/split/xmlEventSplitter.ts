import { formatBytes } from '../limits';
import { BomStripper, type SplitSink, type Splitter } from './splitter';

// Windows event XML: each <Event …>…</Event> is a record, whether one per line, pretty-printed,
// inside an <Events> wrapper, or with the "- " prefixes of an Event Viewer copy. The scan works on a
// latin1 view of the bytes: all markers are ASCII, so string indices are byte indices.
const EVENT_START = /<Event[\s>/]/g;
const EVENT_END = /<\/Event\s*>/g;
const SKIPPABLE = /<\?xml[^>]*\?>|<!--[\s\S]*?-->|<\/?Events(?:\s[^>]*)?>|[\s-]+/g;

/** Splits an XML byte stream into its <Event> elements, keeping memory to about one event. */
export class XmlEventSplitter implements Splitter {
  private readonly bom = new BomStripper();
  private pending: Buffer = Buffer.alloc(0);
  /** Absolute offset of pending[0]. */
  private base = 0;
  /** Line at the cursor (the start of `pending`). */
  private line = 1;
  private started = false;
  /** Absolute offset of the open event, or -1. */
  private eventStart = -1;
  private eventLine = 1;
  private skipping = false;

  constructor(
    private readonly sink: SplitSink,
    private readonly maxRecordBytes: number,
  ) {}

  push(input: Buffer): void {
    this.consume(this.bom.take(input), false);
  }

  end(): void {
    this.consume(this.bom.flush(), true);
    if (this.eventStart >= 0) {
      this.sink.reject(
        this.eventLine,
        this.eventStart,
        'the file ends inside an <Event> (missing </Event>; truncated file?)',
      );
    }
  }

  private consume(chunk: Buffer, final: boolean): void {
    if (!this.started) {
      if (!chunk.length && !final) return;
      this.started = true;
      this.base = this.bom.skipped;
    }
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const text = this.pending.toString('latin1');
    let cursor = 0;
    const moveTo = (to: number) => {
      this.line += countLf(text, cursor, to);
      cursor = to;
    };
    while (true) {
      if (this.skipping) {
        EVENT_END.lastIndex = cursor;
        const m = EVENT_END.exec(text);
        if (!m) {
          moveTo(Math.max(cursor, text.length - 16));
          break;
        }
        moveTo(m.index + m[0].length);
        this.skipping = false;
        continue;
      }
      if (this.eventStart < 0) {
        EVENT_START.lastIndex = cursor;
        const m = EVENT_START.exec(text);
        const stop = m ? m.index : final ? text.length : this.safeStop(text, cursor);
        this.checkBetween(text, cursor, stop);
        moveTo(stop);
        if (!m) break;
        this.eventStart = this.base + m.index;
        this.eventLine = this.line;
      }
      const local = cursor;
      const end = findEnd(text, local + 6);
      if (end < 0) {
        if (text.length - local > this.maxRecordBytes) {
          this.sink.reject(
            this.eventLine,
            this.eventStart,
            `<Event> is larger than the ${formatBytes(this.maxRecordBytes)} limit for one record; it was skipped`,
          );
          this.eventStart = -1;
          this.skipping = true;
          continue;
        }
        break;
      }
      this.sink.record({
        bytes: Buffer.from(this.pending.subarray(local, end)),
        line: this.eventLine,
        offset: this.eventStart,
      });
      moveTo(end);
      this.eventStart = -1;
    }
    this.pending = this.pending.subarray(cursor);
    this.base += cursor;
  }

  /** Outside events, hold back a possibly incomplete tag at the end of the chunk (within reason). */
  private safeStop(text: string, cursor: number): number {
    const lt = text.lastIndexOf('<');
    if (lt < cursor || text.length - lt > 64 * 1024) return text.length;
    return lt;
  }

  /** Text between events may only be whitespace, "- " prefixes, the XML declaration, <Events> and comments. */
  private checkBetween(text: string, from: number, to: number): void {
    if (to <= from) return;
    const rest = text.slice(from, to).replace(SKIPPABLE, '');
    if (!rest) return;
    const idx = text.indexOf(rest[0]!, from);
    const line = this.line + countLf(text, from, idx);
    this.sink.reject(
      line,
      this.base + idx,
      `unexpected content outside an <Event> element: ${JSON.stringify(rest.slice(0, 40))}`,
    );
  }
}

/** Index just past the event's end tag, skipping comments and CDATA; -1 if not in `text` yet. */
function findEnd(text: string, from: number): number {
  let i = from;
  while (true) {
    EVENT_END.lastIndex = i;
    const m = EVENT_END.exec(text);
    const cdata = text.indexOf('<![CDATA[', i);
    const comment = text.indexOf('<!--', i);
    const firstSkip = [cdata, comment].filter((x) => x >= 0 && (!m || x < m.index)).sort((a, b) => a - b)[0];
    if (firstSkip === undefined) return m ? m.index + m[0].length : -1;
    const close = text.startsWith('<![CDATA[', firstSkip)
      ? text.indexOf(']]>', firstSkip)
      : text.indexOf('-->', firstSkip);
    if (close < 0) return -1;
    i = close + 3;
  }
}
function countLf(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

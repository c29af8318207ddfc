import type { CsvMapping, ImportContainer, ImportFormat, ImportRejection } from '../contract/index';
import { FatalImportError, RecordError } from './recordError';
import { assertNoControlChars, decodeStrict } from './strictText';
import { findUnsafeValue, parseJsonRecord } from './safeJson';
import { parseEventXml } from './xmlRecord';
import { FORMATS, type ImportItem } from './formats/index';
import { isObj, type Obj } from './formats/fields';
import { LineSplitter } from './split/lineSplitter';
import { JsonDocSplitter } from './split/jsonDocSplitter';
import { CsvSplitter, parseCsvFields } from './split/csvSplitter';
import { XmlEventSplitter } from './split/xmlEventSplitter';
import type { RawRecord, SplitSink, Splitter } from './split/splitter';

export interface RecordPosition {
  line: number;
  offset: number;
}

export interface PipelineOptions {
  format: ImportFormat;
  container: ImportContainer;
  csvMapping?: CsvMapping | undefined;
  maxRecordBytes: number;
  onItem(item: ImportItem, at: RecordPosition): void;
  onReject(r: ImportRejection): void;
  /** CSV only: told the header once it is read. */
  onCsvHeader?(columns: string[]): void;
}

export const JSONL_HINT =
  'JSON Lines needs one complete JSON object per line. Convert the file first (for example `jq -c ".[]" in.json > out.jsonl`) or import it as a .json file.';

/** Cuts records out of the byte stream, parses them strictly and maps them to items; push-based. */
export function createPipeline(opts: PipelineOptions): Splitter {
  const spec = FORMATS[opts.format];
  if (!spec.containers.includes(opts.container)) {
    throw new FatalImportError(containerMismatch(opts.format, opts.container), 1, null);
  }
  let first = true;
  let header: string[] | null = null;

  const handle = (r: RawRecord): void => {
    const text = decodeStrict(r.bytes, r.offset);
    let value: Obj | string;
    switch (opts.container) {
      case 'jsonl':
      case 'json': {
        let parsed: unknown;
        try {
          parsed = parseJsonRecord(text, r);
        } catch (e) {
          if (opts.container === 'jsonl' && first) checkFirstJsonLine(text, UNPARSED, r);
          if (e instanceof RecordError && r.unterminated) {
            throw new RecordError(`${e.reason}; the last line has no line end (truncated file?)`, e.offset, e.line);
          }
          throw e;
        }
        if (opts.container === 'jsonl' && first) checkFirstJsonLine(text, parsed, r);
        if (!isObj(parsed))
          throw new RecordError(`the record is ${jsonKind(parsed)}, not a JSON object`, r.offset, r.line);
        value = parsed;
        break;
      }
      case 'csv': {
        assertNoControlChars(text, r.offset, r.line);
        const fields = parseCsvFields(text, r.offset, r.line);
        if (!header) {
          header = csvHeader(fields, r, opts);
          opts.onCsvHeader?.(header);
          first = false;
          return;
        }
        if (fields.length !== header.length) {
          throw new RecordError(
            `the row has ${fields.length} fields; the header has ${header.length}`,
            r.offset,
            r.line,
          );
        }
        const row: Obj = {};
        header.forEach((h, i) => (row[h] = fields[i]));
        value = row;
        break;
      }
      case 'lines':
        assertNoControlChars(text, r.offset, r.line);
        value = text;
        break;
      case 'xml': {
        assertNoControlChars(text, r.offset, r.line);
        const node = parseEventXml(text, r);
        const unsafe = findUnsafeValue(node);
        if (unsafe) throw new RecordError(unsafe.reason, r.offset, r.line);
        // Re-create as plain objects (the parser builds prototype-less ones).
        value = JSON.parse(JSON.stringify(node)) as Obj;
        break;
      }
    }
    first = false;
    opts.onItem(spec.map(value, { csvMapping: opts.csvMapping }), r);
  };

  const sink: SplitSink = {
    record(r) {
      try {
        handle(r);
      } catch (e) {
        if (e instanceof RecordError) {
          first = false;
          opts.onReject({ line: e.line ?? r.line, offset: e.offset ?? r.offset, reason: e.reason });
          return;
        }
        throw e;
      }
    },
    reject(line, offset, reason) {
      opts.onReject({ line, offset, reason });
    },
  };

  switch (opts.container) {
    case 'jsonl':
    case 'lines':
      return new LineSplitter(sink, opts.maxRecordBytes);
    case 'json':
      return new JsonDocSplitter(sink, opts.maxRecordBytes);
    case 'csv':
      return new CsvSplitter(sink, opts.maxRecordBytes);
    case 'xml':
      return new XmlEventSplitter(sink, opts.maxRecordBytes);
  }
}

const UNPARSED = Symbol('unparsed');

/** A JSON array or pretty-printed JSON in a JSON Lines file fails the whole file, with a hint. */
function checkFirstJsonLine(text: string, parsed: unknown, r: RawRecord): void {
  const t = text.trim();
  if (parsed === UNPARSED && t.startsWith('[')) {
    throw new FatalImportError(`line 1 starts a JSON array: this is not JSON Lines. ${JSONL_HINT}`, r.line, r.offset);
  }
  if (Array.isArray(parsed) && parsed.some(isObj)) {
    throw new FatalImportError(
      `line 1 is a JSON array of objects: this is not JSON Lines. ${JSONL_HINT}`,
      r.line,
      r.offset,
    );
  }
  if (parsed === UNPARSED && (t === '{' || /[{[,:]$/.test(t) || /^\{\s*"[^"]*"\s*:\s*[{[]?$/.test(t))) {
    throw new FatalImportError(
      `line 1 is not a complete JSON value: this looks like pretty-printed JSON, not JSON Lines. ${JSONL_HINT}`,
      r.line,
      r.offset,
    );
  }
}

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

const FORBIDDEN_COLUMNS = new Set(['__proto__', 'constructor', 'prototype']);

function csvHeader(fields: string[], r: RawRecord, opts: PipelineOptions): string[] {
  const seen = new Map<string, number>();
  const names = fields.map((f, i) => {
    const base = f.trim() || `column${i + 1}`;
    if (FORBIDDEN_COLUMNS.has(base))
      throw new FatalImportError(`the CSV header has a forbidden column name "${base}"`, r.line, r.offset);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  });
  if (opts.format === 'csv_examples') {
    const m = opts.csvMapping;
    if (!m) throw new FatalImportError('choose which columns hold the prompt and the answer', r.line, r.offset);
    for (const col of [m.prompt, m.answer, m.system].filter((c): c is string => !!c)) {
      if (!names.includes(col)) {
        throw new FatalImportError(
          `column "${col}" is not in the CSV header (columns: ${names.slice(0, 30).join(', ')})`,
          r.line,
          r.offset,
        );
      }
    }
  }
  return names;
}

export function containerMismatch(format: ImportFormat, container: ImportContainer): string {
  if (format === 'openai_chat' && container === 'json') {
    return `OpenAI chat fine-tuning files are JSON Lines, and this file is one JSON document. ${JSONL_HINT}`;
  }
  const allowed = FORMATS[format].containers.join(' or ').toUpperCase();
  return `the ${format} format is read from ${allowed} files, and this file looks like ${container.toUpperCase()}`;
}

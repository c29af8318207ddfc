import path from 'node:path';
import type {
  CsvMapping,
  ImportContainer,
  ImportDetection,
  ImportFormat,
  ImportPreviewRecord,
  ImportRejection,
} from '../contract/index';
import { FORMATS, sniffJsonRecord } from './formats/index';
import { isObj } from './formats/fields';
import { looksLikeSyslog } from './formats/syslog';
import { parseCsvFields } from './split/csvSplitter';
import { JsonDocSplitter } from './split/jsonDocSplitter';
import type { RawRecord } from './split/splitter';
import { createPipeline } from './importPipeline';
import { FatalImportError } from './recordError';

const JSONL_EXTENSIONS = new Set(['.jsonl', '.ndjson', '.jsonlines']);
const lenient = new TextDecoder('utf-8', { fatal: false });

export interface Detected {
  format: ImportFormat | null;
  container: ImportContainer | null;
  reason: string;
  csvColumns: string[] | null;
  suggestedCsvMapping: CsvMapping | null;
}

function tryParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** `{"Records": […]}`, `{"value": […]}` and the like: a document whose records are in an array. */
function isEnvelope(v: Record<string, unknown>): boolean {
  return ['Records', 'records', 'value'].some((k) => Array.isArray(v[k])) || isObj(v.responses);
}

/** The first record of a JSON document, cut out by the same splitter the import uses. */
function firstJsonDocRecord(head: Buffer): unknown {
  let first: RawRecord | null = null;
  const splitter = new JsonDocSplitter(
    {
      record: (r) => {
        if (!first) first = r;
      },
      reject: () => {},
    },
    head.length + 1,
  );
  try {
    splitter.push(head);
  } catch {
    // a fatal problem shows up again, with its position, when the file is imported
  }
  const rec = first as RawRecord | null;
  return rec ? tryParse(lenient.decode(rec.bytes)) : undefined;
}

/** Guesses the container and the format from the first bytes of a file and its name. */
export function detectFormat(head: Buffer, fileName: string): Detected {
  const none = (reason: string, container: ImportContainer | null = null): Detected => ({
    format: null,
    container,
    reason,
    csvColumns: null,
    suggestedCsvMapping: null,
  });
  let bytes = head;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  const text = lenient.decode(bytes);
  const trimmed = text.trimStart();
  if (!trimmed) return none('The file is empty.');
  const ext = path.extname(fileName).toLowerCase();

  if (/^(?:-\s*)?<(?:\?xml|Events[\s>]|Event[\s>])/.test(trimmed)) {
    return {
      format: 'windows_xml',
      container: 'xml',
      reason: 'XML with <Event> elements (Windows event log).',
      csvColumns: null,
      suggestedCsvMapping: null,
    };
  }

  if (trimmed[0] === '{' || trimmed[0] === '[') {
    const lines = trimmed
      .split('\n')
      .map((l) => l.replace(/\r$/, '').trim())
      .filter(Boolean);
    const firstLine = tryParse(lines[0] ?? '');
    const namedJsonl = JSONL_EXTENSIONS.has(ext);
    // One compact object per line is JSON Lines, unless that object is an envelope of records.
    const jsonl = namedJsonl || (isObj(firstLine) && !isEnvelope(firstLine));
    const container: ImportContainer = jsonl ? 'jsonl' : 'json';
    if (jsonl && !isObj(firstLine)) {
      const doc = firstJsonDocRecord(bytes);
      return {
        format: isObj(doc) ? sniffJsonRecord(doc) : null,
        container,
        reason:
          'The file is named as JSON Lines but its first line is not one JSON object (a JSON array or pretty-printed JSON?). Importing it will fail with a hint.',
        csvColumns: null,
        suggestedCsvMapping: null,
      };
    }
    const record = jsonl ? firstLine : firstJsonDocRecord(bytes);
    if (!isObj(record))
      return none(
        `A JSON ${container === 'jsonl' ? 'Lines file' : 'document'} whose first record is not an object.`,
        container,
      );
    const format = sniffJsonRecord(record);
    if (!format)
      return none(
        `A JSON ${container === 'jsonl' ? 'Lines file' : 'document'}, but its records match no known format. Choose one.`,
        container,
      );
    const label = container === 'jsonl' ? 'JSON Lines' : 'JSON document';
    return {
      format,
      container,
      reason: `${label}; the first record looks like ${format}.`,
      csvColumns: null,
      suggestedCsvMapping: null,
    };
  }

  const firstLine = (trimmed.split('\n')[0] ?? '').replace(/\r$/, '');
  if (looksLikeSyslog(firstLine)) {
    return {
      format: 'syslog',
      container: 'lines',
      reason: 'Syslog lines (timestamp host program[pid]: message).',
      csvColumns: null,
      suggestedCsvMapping: null,
    };
  }

  let columns: string[];
  try {
    columns = parseCsvFields(firstLine, 0, 1).map((c, i) => c.trim() || `column${i + 1}`);
  } catch {
    return none('Not JSON, XML, syslog or CSV. Choose a format.');
  }
  if (columns.length < 2) return none('Not JSON, XML, syslog or CSV. Choose a format.');
  const mapping = suggestCsvMapping(columns);
  if (mapping && !columns.some((c) => /^(alert(display)?name|severity)$/i.test(c))) {
    return {
      format: 'csv_examples',
      container: 'csv',
      reason: `CSV with prompt/answer columns ("${mapping.prompt}", "${mapping.answer}"); check the mapping.`,
      csvColumns: columns,
      suggestedCsvMapping: mapping,
    };
  }
  const sentinel = columns.some((c) => /^alert(display)?name$/i.test(c));
  return {
    format: 'alerts_csv',
    container: 'csv',
    reason: sentinel
      ? 'CSV export of Sentinel SecurityAlert rows.'
      : 'CSV with a header row; each row is read as an alert. Choose "Examples from CSV" for fine-tuning data.',
    csvColumns: columns,
    suggestedCsvMapping: mapping,
  };
}

const PROMPT_COLUMNS = /^(prompt|instruction|question|input|user|query)$/i;
const ANSWER_COLUMNS = /^(answer|response|output|completion|assistant|reply)$/i;
const SYSTEM_COLUMNS = /^(system|system_prompt|systemprompt)$/i;

export function suggestCsvMapping(columns: string[]): CsvMapping | null {
  const prompt = columns.find((c) => PROMPT_COLUMNS.test(c));
  const answer = columns.find((c) => ANSWER_COLUMNS.test(c));
  if (!prompt || !answer) return null;
  const system = columns.find((c) => SYSTEM_COLUMNS.test(c));
  return system ? { prompt, answer, system } : { prompt, answer };
}

/** Titles and key fields of the first few records, as the import would make them. */
export function previewRecords(
  head: Buffer,
  complete: boolean,
  format: ImportFormat,
  container: ImportContainer,
  csvMapping: CsvMapping | null,
  maxRecordBytes: number,
): { records: ImportPreviewRecord[]; problems: ImportRejection[] } {
  const records: ImportPreviewRecord[] = [];
  const problems: ImportRejection[] = [];
  const STOP = Symbol('stop');
  if (!FORMATS[format].containers.includes(container)) return { records, problems };
  if (format === 'csv_examples' && !csvMapping) return { records, problems };
  try {
    const p = createPipeline({
      format,
      container,
      csvMapping: csvMapping ?? undefined,
      maxRecordBytes,
      onItem: (item) => {
        records.push({ title: item.title, keyFields: item.keyFields });
        if (records.length >= 5) throw STOP;
      },
      onReject: (r) => {
        if (problems.length < 5) problems.push(r);
      },
    });
    p.push(head);
    if (complete) p.end();
  } catch (e) {
    if (e instanceof FatalImportError) problems.push({ line: e.line, offset: e.offset, reason: e.reason });
    else if (e !== STOP) throw e;
  }
  return { records, problems };
}

export function previewLines(head: Buffer): string[] {
  const text = lenient.decode(head.subarray(0, 64 * 1024)).replace(/^\uFEFF/, '');
  return text
    .split('\n')
    .slice(0, 6)
    .map((l) => l.replace(/\r$/, ''))
    .filter((l, i, all) => l || i < all.length - 1)
    .slice(0, 5)
    .map((l) => (l.length > 300 ? `${l.slice(0, 299)}…` : l));
}

export type { ImportDetection };

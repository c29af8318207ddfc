import { z } from 'zod';
import { query, action } from '../define';
import { Id, type SourceKind } from '../common';
import type { KeyFields } from './conversations';

/** Every file format an import understands. `auto` (detect from the first bytes) is only a request value. */
export const IMPORT_FORMATS = [
  'openai_chat',
  'sharegpt',
  'alpaca',
  'csv_examples',
  'defender',
  'sentinel',
  'alerts_csv',
  'cloudtrail',
  'k8s_audit',
  'syslog',
  'windows_xml',
  'windows_json',
  'panther_rule_tests',
  'sigma_regression',
] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Labels for the format picker. */
export const IMPORT_FORMAT_LABELS: Record<ImportFormat, string> = {
  openai_chat: 'OpenAI chat fine-tuning (JSONL)',
  sharegpt: 'ShareGPT conversations (JSON or JSONL)',
  alpaca: 'Alpaca instructions (JSON or JSONL)',
  csv_examples: 'Examples from CSV (choose the columns)',
  defender: 'Microsoft Defender / 365 Defender alerts, incidents or hunting rows',
  sentinel: 'Microsoft Sentinel alerts, incidents or Log Analytics rows (JSON)',
  alerts_csv: 'Alerts from CSV (e.g. Sentinel SecurityAlert export)',
  cloudtrail: 'AWS CloudTrail (Records array or JSONL)',
  k8s_audit: 'Kubernetes audit events',
  syslog: 'Linux auth / sshd syslog lines',
  windows_xml: 'Windows events (XML)',
  windows_json: 'Windows events (JSON)',
  panther_rule_tests: 'Labelled Panther rule tests',
  sigma_regression: 'Labelled Sigma regression events',
};

/** How records sit in the file. */
export const IMPORT_CONTAINERS = ['jsonl', 'json', 'csv', 'xml', 'lines'] as const;
export type ImportContainer = (typeof IMPORT_CONTAINERS)[number];

export const IMPORT_STATUSES = ['running', 'done', 'failed', 'cancelled'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** Upload ids are 32 lower-case hex characters (never a path). */
export const UploadId = z.string().regex(/^[a-f0-9]{32}$/, 'not an upload id');

const ColumnName = z.string().trim().min(1).max(200);

/** Which CSV columns make a fine-tuning example. */
export const CsvMapping = z.object({ prompt: ColumnName, answer: ColumnName, system: ColumnName.optional() }).strict();
export type CsvMapping = z.infer<typeof CsvMapping>;

const FileRef = {
  /** A local file (desktop: from the open-file dialog). The headless host accepts uploads only. */
  path: z.string().min(1).max(4096).optional(),
  uploadId: UploadId.optional(),
};

function oneSource(v: { path?: string | undefined; uploadId?: string | undefined }): boolean {
  return (v.path === undefined) !== (v.uploadId === undefined);
}
const ONE_SOURCE = { message: 'give exactly one of path or uploadId' };

export const ImportStartRequest = z
  .object({
    ...FileRef,
    format: z.enum(['auto', ...IMPORT_FORMATS]).default('auto'),
    /** Import the valid records even when some are rejected (default: all or nothing). */
    keepValid: z.boolean().default(false),
    csvMapping: CsvMapping.optional(),
  })
  .strict()
  .refine(oneSource, ONE_SOURCE);

export const ImportDetectRequest = z.object(FileRef).strict().refine(oneSource, ONE_SOURCE);

/** One rejected record: where it is and why. */
export interface ImportRejection {
  /** 1-based line where the record starts (or where the problem is). */
  line: number;
  /** Byte offset in the file where the problem is, when it applies. */
  offset: number | null;
  reason: string;
}

export interface ImportSummary {
  id: number;
  fileName: string;
  format: ImportFormat | string;
  status: ImportStatus;
  keepValid: boolean;
  bytes: number;
  /** Bytes read so far (equals `bytes` once finished). */
  bytesRead: number;
  recordsOk: number;
  recordsRejected: number;
  recordsDuplicate: number;
  error: string | null;
  actor: string | null;
  createdAt: number;
  finishedAt: number | null;
}

export interface ImportReport extends ImportSummary {
  fileHash: string;
  /** An earlier finished import of a byte-identical file, if any. */
  sameFileAs: number | null;
  rejections: ImportRejection[];
  /** True when more records were rejected than the report keeps. */
  rejectionsTruncated: boolean;
}

export interface ImportPreviewRecord {
  title: string;
  keyFields: KeyFields;
}

export interface ImportDetection {
  fileName: string;
  bytes: number;
  /** null when nothing matched: the user must choose. */
  format: ImportFormat | null;
  container: ImportContainer | null;
  sourceKind: Extract<SourceKind, 'imported_alert' | 'imported_example'> | null;
  /** Why this format was chosen, or why none was. */
  reason: string;
  /** CSV header, for the column mapping. */
  csvColumns: string[] | null;
  needsCsvMapping: boolean;
  /** Prompt/answer/system columns guessed from the header names. */
  suggestedCsvMapping: CsvMapping | null;
  preview: { lines: string[]; records: ImportPreviewRecord[]; problems: ImportRejection[] };
}

export const importCommands = {
  /** Starts an import in the background; progress comes as `import.progress`, the end as `import.finished`. */
  'imports.start': action<{ importId: number }>()(ImportStartRequest),
  'imports.cancel': action<{ importId: number; cancelled: boolean }>()(z.object({ importId: Id }).strict()),
  'imports.list': query<{ items: ImportSummary[] }>()(
    z.object({ limit: z.number().int().min(1).max(200).default(50) }).strict(),
  ),
  'imports.get': query<ImportReport>()(z.object({ importId: Id }).strict()),
  'imports.detect': query<ImportDetection>()(ImportDetectRequest),
} as const;

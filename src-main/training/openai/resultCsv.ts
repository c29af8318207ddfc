import type { ResultFileSummary } from '../../contract/index';

/** The columns OpenAI's result file documents; any may be missing from what a server sends. */
export const RESULT_COLUMNS = [
  'step',
  'train_loss',
  'train_accuracy',
  'valid_loss',
  'valid_mean_token_accuracy',
] as const;

export interface ResultRow {
  step: number | null;
  trainLoss: number | null;
  trainAccuracy: number | null;
  validLoss: number | null;
  validAccuracy: number | null;
}

export interface ParsedResultCsv {
  encoding: 'plain' | 'base64';
  columns: string[];
  missingColumns: string[];
  rows: ResultRow[];
  badRows: number;
}

const BASE64 = /^[A-Za-z0-9+/=\s]+$/;

/** Some clients receive the file base64-encoded: decode it when it is base64 and decodes to CSV. */
function decode(text: string): { text: string; encoding: 'plain' | 'base64' } {
  const t = text.trim();
  if (t && !t.includes(',') && BASE64.test(t)) {
    const decoded = Buffer.from(t.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (decoded.includes(',') && !decoded.includes('\uFFFD')) return { text: decoded, encoding: 'base64' };
  }
  return { text, encoding: 'plain' };
}

function cell(v: string | undefined): number | null {
  if (v === undefined) return null;
  const t = v.trim();
  if (!t) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : Number.NaN;
}

/**
 * Reads the result CSV: a header line, then numbers. Missing columns are listed and read as unknown;
 * empty cells (validation on most steps) are unknown; lines that are not numbers are counted, not used.
 */
export function parseResultCsv(raw: string): ParsedResultCsv {
  const { text, encoding } = decode(raw.replace(/^\uFEFF/, ''));
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').split(',').map((h) => h.trim());
  const index = new Map(header.map((h, i) => [h, i]));
  const missingColumns = RESULT_COLUMNS.filter((c) => !index.has(c));
  const rows: ResultRow[] = [];
  let badRows = 0;
  for (const line of lines) {
    const cells = line.split(',');
    const get = (name: (typeof RESULT_COLUMNS)[number]) => {
      const i = index.get(name);
      return i === undefined ? null : cell(cells[i]);
    };
    const row: ResultRow = {
      step: get('step'),
      trainLoss: get('train_loss'),
      trainAccuracy: get('train_accuracy'),
      validLoss: get('valid_loss'),
      validAccuracy: get('valid_mean_token_accuracy'),
    };
    if (Object.values(row).some((v) => v !== null && Number.isNaN(v)) || cells.length > header.length) {
      badRows += 1;
      continue;
    }
    rows.push(row);
  }
  return { encoding, columns: header.filter(Boolean), missingColumns, rows, badRows };
}

function lastKnown(rows: ResultRow[], key: keyof ResultRow): number | null {
  for (let i = rows.length - 1; i >= 0; i--) {
    const v = rows[i]![key];
    if (v !== null) return v;
  }
  return null;
}

export function summarizeResultCsv(fileId: string, parsed: ParsedResultCsv): ResultFileSummary {
  return {
    fileId,
    encoding: parsed.encoding,
    columns: parsed.columns,
    missingColumns: parsed.missingColumns,
    rows: parsed.rows.length,
    badRows: parsed.badRows,
    final: {
      step: lastKnown(parsed.rows, 'step'),
      trainLoss: lastKnown(parsed.rows, 'trainLoss'),
      trainAccuracy: lastKnown(parsed.rows, 'trainAccuracy'),
      validLoss: lastKnown(parsed.rows, 'validLoss'),
      validAccuracy: lastKnown(parsed.rows, 'validAccuracy'),
    },
  };
}

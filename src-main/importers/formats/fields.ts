import type { ImportContainer, ImportFormat, KeyFields, SourceKind, Task, CsvMapping } from '../../contract/index';

export type Obj = Record<string, unknown>;

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ExampleMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  toolCalls: ToolCall[] | null;
  toolCallId: string | null;
  weight: 0 | 1 | null;
}

/** Example-level fields besides the messages (OpenAI's line minus `messages`). */
export interface ExampleOptions {
  tools?: unknown[];
  parallel_tool_calls?: boolean;
}

interface ItemBase {
  title: string;
  task: Task;
  keyFields: KeyFields;
  groupKey: string | null;
}

export interface AlertItem extends ItemBase {
  kind: 'alert';
  payload: unknown;
  /** Ground truth that came with the event (labelled samples); part of the record's identity. */
  labels?: unknown;
}

export interface ExampleItem extends ItemBase {
  kind: 'example';
  messages: ExampleMessage[];
  options: ExampleOptions | null;
}

export type ImportItem = AlertItem | ExampleItem;

export interface MapContext {
  csvMapping?: CsvMapping | undefined;
}

/** What a record is handed to its format as, by container. */
export type RecordValue = Obj | string;

export interface FormatSpec {
  id: ImportFormat;
  sourceKind: Extract<SourceKind, 'imported_alert' | 'imported_example'>;
  containers: readonly ImportContainer[];
  /** Does a parsed JSON object look like a record of this format? (Used to detect formats.) */
  matches?(v: Obj): boolean;
  map(v: RecordValue, ctx: MapContext): ImportItem;
}

/** A string worth showing: numbers become strings; empty and placeholder values are dropped. */
export function str(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (!t || t === '-' || t === 'N/A' || t === 'null') return undefined;
  return t;
}

/** Follows a dotted path (`a.b.0.c`) through objects and arrays. */
export function get(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(part)] : (cur as Obj)[part];
  }
  return cur;
}

/** The first path that holds a showable value. */
export function pick(o: unknown, ...paths: string[]): string | undefined {
  for (const p of paths) {
    const s = str(get(o, p));
    if (s) return s;
  }
  return undefined;
}

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const MAX_FIELD = 500;

/** Drops empty fields and bounds lengths. */
export function compact(kf: KeyFields): KeyFields {
  const out: KeyFields = {};
  for (const [k, v] of Object.entries(kf)) {
    if (v === undefined || v === '') continue;
    out[k] = v.length > MAX_FIELD ? `${v.slice(0, MAX_FIELD - 1)}…` : v;
  }
  return out;
}

const SEVERITY_MAP: Record<string, string> = {
  info: 'info',
  informational: 'info',
  information: 'info',
  low: 'low',
  medium: 'medium',
  moderate: 'medium',
  high: 'high',
  critical: 'critical',
};

/** Maps a vendor severity onto ours (info/low/medium/high/critical); unknown ones are kept lower-cased. */
export function normSeverity(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  return SEVERITY_MAP[s.toLowerCase()] ?? s.toLowerCase();
}

/** ATT&CK technique ids found in any of the values (`TA0010:T1537`, `attack.t1059.001`, `T1078`). */
export function techniqueIds(values: unknown): string | undefined {
  const found = new Set<string>();
  const list = Array.isArray(values) ? values : [values];
  for (const v of list) {
    if (typeof v !== 'string') continue;
    for (const m of v.matchAll(/\bt(\d{4})(?:\.(\d{3}))?\b/gi)) found.add(`T${m[1]}${m[2] ? `.${m[2]}` : ''}`);
  }
  return found.size ? [...found].join(',') : undefined;
}

/** One line, bounded, never empty. */
export function titleOf(...parts: (string | undefined)[]): string {
  const t = parts
    .filter((p): p is string => !!p)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!t) return 'Untitled record';
  return t.length > 200 ? `${t.slice(0, 199)}…` : t;
}

/** Case- and punctuation-insensitive column lookup for CSV rows. */
export function column(row: Obj, ...names: string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const wanted = names.map(norm);
  for (const w of wanted) {
    for (const [k, v] of Object.entries(row)) {
      if (norm(k) === w) {
        const s = str(v);
        if (s) return s;
      }
    }
  }
  return undefined;
}

import crypto from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/connection';
import type { ImportFormat } from '../contract/index';
import type { ImportItem } from './formats/index';

/** JSON with object keys sorted at every level, so equal records hash equally whatever their key order or layout. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/** The dedupe key of a record: an alert's event (plus its ground truth), or an example's messages and tools. */
export function itemHash(item: ImportItem): string {
  // Example messages are built by the importers with a fixed key order, so plain JSON is canonical.
  const identity =
    item.kind === 'alert'
      ? `alert\n${canonicalJson({ payload: item.payload, labels: item.labels ?? null })}`
      : `example\n${JSON.stringify(item.messages)}\n${canonicalJson(item.options)}`;
  return crypto.createHash('sha256').update(identity).digest('hex');
}

export interface WriterOptions {
  importId: number | null;
  /** The labeller of imported examples (the importing user). */
  actor: string;
  format: ImportFormat;
  batchSize: number;
}

interface Statements {
  conversation: Statement;
  fts: Statement;
  message: Statement;
  label: Statement;
  review: Statement;
}

const MAX_CHANGED_IDS = 1000;

/**
 * Writes items in batches, one transaction per batch, with statements prepared once. Mirrors
 * `insertConversation`/`appendMessage` (same columns, same FTS body, content_hash ON CONFLICT DO
 * NOTHING as the dedupe), and puts imported examples in the review queue as pending.
 */
export class ImportWriter {
  private batch: { item: ImportItem; hash: string }[] = [];
  private readonly st: Statements;
  inserted = 0;
  duplicates = 0;
  /** The first ids written (for `conversations.changed`). */
  readonly changedIds: number[] = [];

  constructor(
    private readonly db: Db,
    private readonly opts: WriterOptions,
  ) {
    this.st = {
      conversation: db.prepare(
        `INSERT INTO conversations (source_kind, source_format, title, task, alert_payload, key_fields, content_hash, import_id, group_key,
           example_options, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(content_hash) DO NOTHING`,
      ),
      fts: db.prepare('INSERT INTO conversations_fts (rowid, title, body) VALUES (?, ?, ?)'),
      message: db.prepare(
        `INSERT INTO messages (conversation_id, seq, role, content, tool_calls, tool_call_id, weight, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      label: db.prepare(
        `INSERT INTO training_labels (conversation_id, techniques, labeller, created_at, updated_at) VALUES (?, '[]', ?, ?, ?)`,
      ),
      review: db.prepare(`INSERT INTO reviews (label_id, status, updated_at) VALUES (?, 'pending', ?)`),
    };
  }

  add(item: ImportItem, hash: string): void {
    this.batch.push({ item, hash });
    if (this.batch.length >= this.opts.batchSize) this.flush();
  }

  /** Drops what is buffered (an all-or-nothing import that already failed writes nothing more). */
  discard(): void {
    this.batch = [];
  }

  flush(): void {
    if (!this.batch.length) return;
    const batch = this.batch;
    this.batch = [];
    this.db.transaction(() => {
      for (const { item, hash } of batch) this.write(item, hash);
    })();
  }

  private write(item: ImportItem, hash: string): void {
    const at = Date.now();
    const payload = item.kind === 'alert' ? JSON.stringify(item.payload) : null;
    const options = item.kind === 'example' && item.options ? JSON.stringify(item.options) : null;
    const info = this.st.conversation.run(
      item.kind === 'alert' ? 'imported_alert' : 'imported_example',
      this.opts.format,
      item.title,
      item.task,
      payload,
      JSON.stringify(item.keyFields),
      hash,
      this.opts.importId,
      item.groupKey,
      options,
      at,
      at,
    );
    if (info.changes === 0) {
      this.duplicates++;
      return;
    }
    const id = Number(info.lastInsertRowid);
    this.inserted++;
    if (this.changedIds.length < MAX_CHANGED_IDS) this.changedIds.push(id);
    let body = [payload ?? '', ...Object.values(item.keyFields)].join('\n');
    if (item.kind === 'example') {
      for (const m of item.messages) body += `\n${m.content}`;
    }
    this.st.fts.run(id, item.title, body);
    if (item.kind !== 'example') return;
    item.messages.forEach((m, i) => {
      this.st.message.run(
        id,
        i + 1,
        m.role,
        m.content,
        m.toolCalls ? JSON.stringify(m.toolCalls) : null,
        m.toolCallId,
        m.weight,
        at,
      );
    });
    const label = this.st.label.run(id, this.opts.actor, at, at);
    this.st.review.run(Number(label.lastInsertRowid), at);
  }
}

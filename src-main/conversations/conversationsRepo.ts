import type { Db } from '../db/connection';
import type {
  ConversationDetail,
  ConversationSummary,
  KeyFields,
  Message,
  ReviewStatus,
  SourceKind,
  Task,
} from '../contract/index';

interface ConversationRow {
  id: number;
  source_kind: SourceKind;
  source_format: string | null;
  title: string;
  task: Task;
  alert_payload: string | null;
  key_fields: string;
  created_at: number;
  updated_at: number;
  message_count: number;
  review_status: ReviewStatus | null;
}

interface MessageRow {
  id: number;
  seq: number;
  role: Message['role'];
  content: string;
  tool_calls: string | null;
  tool_call_id: string | null;
  weight: 0 | 1 | null;
  model_id: number | null;
  structured: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  latency_ms: number | null;
  stopped: 0 | 1;
  error: string | null;
  created_at: number;
}

export interface NewConversation {
  sourceKind: SourceKind;
  sourceFormat?: string | null;
  title: string;
  task?: Task;
  alertPayload?: unknown;
  keyFields?: KeyFields;
  contentHash?: string | null;
  importId?: number | null;
  groupKey?: string | null;
  at?: number;
}

export interface NewMessage {
  role: Message['role'];
  content: string;
  toolCalls?: unknown[] | null;
  toolCallId?: string | null;
  weight?: 0 | 1 | null;
  modelId?: number | null;
  structured?: unknown;
  promptTokens?: number | null;
  completionTokens?: number | null;
  latencyMs?: number | null;
  stopped?: boolean;
  error?: string | null;
}

const SUMMARY_COLUMNS = `c.id, c.source_kind, c.source_format, c.title, c.task, c.key_fields, c.created_at, c.updated_at,
  (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count,
  (SELECT r.status FROM training_labels l JOIN reviews r ON r.label_id = l.id WHERE l.conversation_id = c.id) AS review_status`;

function toSummary(r: ConversationRow): ConversationSummary {
  return {
    id: r.id,
    title: r.title,
    sourceKind: r.source_kind,
    sourceFormat: r.source_format,
    task: r.task,
    keyFields: JSON.parse(r.key_fields) as KeyFields,
    messageCount: r.message_count,
    reviewStatus: r.review_status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toMessage(r: MessageRow): Message {
  return {
    id: r.id,
    seq: r.seq,
    role: r.role,
    content: r.content,
    toolCalls: r.tool_calls ? (JSON.parse(r.tool_calls) as unknown[]) : null,
    toolCallId: r.tool_call_id,
    weight: r.weight,
    modelId: r.model_id,
    structured: r.structured ? (JSON.parse(r.structured) as unknown) : null,
    promptTokens: r.prompt_tokens,
    completionTokens: r.completion_tokens,
    latencyMs: r.latency_ms,
    stopped: r.stopped === 1,
    error: r.error,
    createdAt: r.created_at,
  };
}

/** Inserts a conversation and its FTS row. Returns the new id, or null when the content hash already exists. */
export function insertConversation(db: Db, c: NewConversation): number | null {
  const at = c.at ?? Date.now();
  const info = db
    .prepare(
      `INSERT INTO conversations (source_kind, source_format, title, task, alert_payload, key_fields, content_hash, import_id, group_key, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(content_hash) DO NOTHING`,
    )
    .run(
      c.sourceKind,
      c.sourceFormat ?? null,
      c.title,
      c.task ?? 'triage',
      c.alertPayload === undefined ? null : JSON.stringify(c.alertPayload),
      JSON.stringify(c.keyFields ?? {}),
      c.contentHash ?? null,
      c.importId ?? null,
      c.groupKey ?? null,
      at,
      at,
    );
  if (info.changes === 0) return null;
  const id = Number(info.lastInsertRowid);
  const body = [
    c.alertPayload === undefined ? '' : JSON.stringify(c.alertPayload),
    ...Object.values(c.keyFields ?? {}),
  ].join('\n');
  db.prepare('INSERT INTO conversations_fts (rowid, title, body) VALUES (?, ?, ?)').run(id, c.title, body);
  return id;
}

export function appendMessage(db: Db, conversationId: number, m: NewMessage): number {
  const seqRow = db
    .prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM messages WHERE conversation_id = ?')
    .get(conversationId) as { next: number };
  const at = Date.now();
  const info = db
    .prepare(
      `INSERT INTO messages (conversation_id, seq, role, content, tool_calls, tool_call_id, weight, model_id, structured,
         prompt_tokens, completion_tokens, latency_ms, stopped, error, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      conversationId,
      seqRow.next,
      m.role,
      m.content,
      m.toolCalls ? JSON.stringify(m.toolCalls) : null,
      m.toolCallId ?? null,
      m.weight ?? null,
      m.modelId ?? null,
      m.structured === undefined || m.structured === null ? null : JSON.stringify(m.structured),
      m.promptTokens ?? null,
      m.completionTokens ?? null,
      m.latencyMs ?? null,
      m.stopped ? 1 : 0,
      m.error ?? null,
      at,
    );
  db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?').run(at, conversationId);
  // Message text is searchable too: append it to the conversation's FTS body.
  db.prepare(`UPDATE conversations_fts SET body = body || char(10) || ? WHERE rowid = ?`).run(
    m.content,
    conversationId,
  );
  return Number(info.lastInsertRowid);
}

export function updateMessage(
  db: Db,
  id: number,
  patch: Pick<
    NewMessage,
    'content' | 'structured' | 'promptTokens' | 'completionTokens' | 'latencyMs' | 'stopped' | 'error'
  >,
): void {
  db.prepare(
    `UPDATE messages SET content = ?, structured = ?, prompt_tokens = ?, completion_tokens = ?, latency_ms = ?, stopped = ?, error = ?
     WHERE id = ?`,
  ).run(
    patch.content,
    patch.structured === undefined || patch.structured === null ? null : JSON.stringify(patch.structured),
    patch.promptTokens ?? null,
    patch.completionTokens ?? null,
    patch.latencyMs ?? null,
    patch.stopped ? 1 : 0,
    patch.error ?? null,
    id,
  );
}

export interface ConversationQuery {
  text?: string | undefined;
  sourceKind?: SourceKind | undefined;
  task?: Task | undefined;
  reviewStatus?: ReviewStatus | undefined;
  limit: number;
  offset: number;
}

/** Turns free text into a safe FTS5 query: each word quoted, prefix-matched, ANDed. */
export function toFtsQuery(text: string): string | null {
  const words = text
    .split(/\s+/)
    .map((w) => w.replace(/"/g, '').trim())
    .filter(Boolean)
    .slice(0, 12);
  return words.length ? words.map((w) => `"${w}"*`).join(' ') : null;
}

export function listConversations(db: Db, q: ConversationQuery): { items: ConversationSummary[]; total: number } {
  const where: string[] = [];
  const params: unknown[] = [];
  const fts = q.text ? toFtsQuery(q.text) : null;
  if (fts) {
    where.push('c.id IN (SELECT rowid FROM conversations_fts WHERE conversations_fts MATCH ?)');
    params.push(fts);
  }
  if (q.sourceKind) {
    where.push('c.source_kind = ?');
    params.push(q.sourceKind);
  }
  if (q.task) {
    where.push('c.task = ?');
    params.push(q.task);
  }
  if (q.reviewStatus) {
    where.push(
      'EXISTS (SELECT 1 FROM training_labels l JOIN reviews r ON r.label_id = l.id WHERE l.conversation_id = c.id AND r.status = ?)',
    );
    params.push(q.reviewStatus);
  }
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM conversations c ${whereSql}`).get(...params) as { n: number }).n;
  const rows = db
    .prepare(
      `SELECT ${SUMMARY_COLUMNS} FROM conversations c ${whereSql} ORDER BY c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?`,
    )
    .all(...params, q.limit, q.offset) as ConversationRow[];
  return { items: rows.map(toSummary), total };
}

export function getConversation(db: Db, id: number): ConversationDetail | null {
  const row = db.prepare(`SELECT ${SUMMARY_COLUMNS}, c.alert_payload FROM conversations c WHERE c.id = ?`).get(id) as
    ConversationRow | undefined;
  if (!row) return null;
  const messages = db.prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq').all(id) as MessageRow[];
  return {
    ...toSummary(row),
    alertPayload: row.alert_payload ? (JSON.parse(row.alert_payload) as unknown) : null,
    messages: messages.map(toMessage),
  };
}

export function renameConversation(db: Db, id: number, title: string): boolean {
  const info = db.prepare('UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?').run(title, Date.now(), id);
  if (info.changes) db.prepare('UPDATE conversations_fts SET title = ? WHERE rowid = ?').run(title, id);
  return info.changes > 0;
}

export function countConversations(db: Db): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM conversations').get() as { n: number }).n;
}

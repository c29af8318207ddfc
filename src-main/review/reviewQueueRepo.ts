import {
  WorkbenchError,
  type ReviewDetail,
  type ReviewFilter,
  type ReviewItem,
  type ReviewStatus,
  type Message,
} from '../contract/index';
import type { Db } from '../db/connection';
import type { AttackCatalogue } from '../attack/attackCatalogue';
import { parseTechniques, type LabelRow } from '../labels/labelsRepo';
import { indexedTerms, matchSql, onlyStatus, type ExtraCondition, type MatchStrategy } from './reviewFilter';

interface ItemRow {
  review_id: number;
  status: ReviewStatus;
  reviewer: string | null;
  reason: string | null;
  decided_at: number | null;
  updated_at: number;
  label_id: number;
  conversation_id: number;
  verdict: ReviewItem['verdict'];
  threat_type: string | null;
  severity: ReviewItem['severity'];
  techniques: string;
  quality: number | null;
  labeller: string;
  labelled_at: number;
  title: string;
  source_kind: ReviewItem['sourceKind'];
  source_format: string | null;
}

const ITEM_COLUMNS = `r.id AS review_id, r.status, r.reviewer, r.reason, r.decided_at, r.updated_at,
  l.id AS label_id, l.conversation_id, l.verdict, l.threat_type, l.severity, l.techniques, l.quality, l.labeller,
  l.updated_at AS labelled_at, c.title, c.source_kind, c.source_format`;

function toItem(r: ItemRow): ReviewItem {
  return {
    labelId: r.label_id,
    reviewId: r.review_id,
    conversationId: r.conversation_id,
    title: r.title,
    sourceKind: r.source_kind,
    sourceFormat: r.source_format,
    verdict: r.verdict,
    threatType: r.threat_type,
    severity: r.severity,
    techniques: parseTechniques(r.techniques),
    quality: r.quality,
    labeller: r.labeller,
    labelledAt: r.labelled_at,
    status: r.status,
    reviewer: r.reviewer,
    reason: r.reason,
    decidedAt: r.decided_at,
    updatedAt: r.updated_at,
  };
}

/** Keyset cursor: the last row's (updated_at, review id); the queue is ordered updated_at DESC, id ASC. */
export function encodeCursor(updatedAt: number, reviewId: number): string {
  return `${updatedAt}.${reviewId}`;
}

function decodeCursor(cursor: string): { updatedAt: number; id: number } {
  const m = /^(\d{1,16})\.(\d{1,16})$/.exec(cursor);
  if (!m) throw new WorkbenchError('invalid_request', 'That page cursor is not valid; reload the list.');
  return { updatedAt: Number(m[1]), id: Number(m[2]) };
}

export interface ListOptions {
  filter: ReviewFilter;
  limit: number;
  cursor?: string | null;
  offset?: number;
  withTotal: boolean;
  /** Force a plan (tests compare them); chosen from the filter's selectivity otherwise. */
  strategy?: MatchStrategy;
}

/**
 * Match counts per filter, for choosing a plan; stale counts only make a page slower, never wrong.
 * Cleared when the queue changes (see reviewCapability) and after a short time anyway.
 */
export class MatchCountCache {
  private readonly counts = new Map<string, { n: number; at: number }>();
  constructor(private readonly ttlMs = 30_000) {}
  get(db: Db, catalogue: () => AttackCatalogue, filter: ReviewFilter): number {
    const hit = this.counts.get(JSON.stringify(filter));
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.n;
    return this.fresh(db, catalogue, filter);
  }
  /** Counts now (for display) and remembers it. */
  fresh(db: Db, catalogue: () => AttackCatalogue, filter: ReviewFilter): number {
    const key = JSON.stringify(filter);
    const n = countMatching(db, catalogue, filter);
    if (this.counts.size > 200) this.counts.clear();
    this.counts.set(key, { n, at: Date.now() });
    return n;
  }
  clear(): void {
    this.counts.clear();
  }
}

/**
 * Walking the queue in order reads about limit × (rows in the status ÷ matches) rows a page; finding
 * the matches through an index reads every row of the most selective indexed term, then sorts. Pick
 * the smaller, from (cached) counts.
 */
function chooseStrategy(
  db: Db,
  catalogue: () => AttackCatalogue,
  filter: ReviewFilter,
  limit: number,
  counts: MatchCountCache,
): MatchStrategy {
  if (onlyStatus(filter)) return 'set';
  const terms = indexedTerms(filter);
  if (!filter.status || !terms.length) return 'walk';
  const matches = counts.get(db, catalogue, filter);
  const inStatus = counts.get(db, catalogue, { status: filter.status });
  const walkRows = (limit * inStatus) / Math.max(matches, 1);
  const driverRows = Math.min(...terms.map((t) => counts.get(db, catalogue, t)));
  return driverRows < walkRows ? 'sorted' : 'walk';
}

/**
 * A page of the queue. The inner query finds the page's review ids with only the joins the filter
 * needs, by the cheaper of walking the queue in order or sorting a selective filter's matches; the
 * outer query fetches display columns for those rows alone.
 */
export function listReviewItems(
  db: Db,
  catalogue: () => AttackCatalogue,
  o: ListOptions,
  counts: MatchCountCache = new MatchCountCache(),
): { items: ReviewItem[]; nextCursor: string | null; total: number | null } {
  const extra: ExtraCondition[] = [];
  if (o.cursor) {
    const c = decodeCursor(o.cursor);
    // The first term gives SQLite a range on the index; the second breaks ties on id.
    extra.push({
      sql: 'r.updated_at <= ? AND (r.updated_at < ? OR r.id > ?)',
      params: [c.updatedAt, c.updatedAt, c.id],
    });
  }
  const total = o.withTotal ? counts.fresh(db, catalogue, o.filter) : null;
  const strategy = o.strategy ?? chooseStrategy(db, catalogue, o.filter, o.limit, counts);
  const m = matchSql(o.filter, catalogue, { strategy, extra });
  // `+` on the sort key stops SQLite from walking the status's index just to get the order for free.
  const order = strategy === 'sorted' ? '+r.updated_at DESC, r.id ASC' : 'r.updated_at DESC, r.id ASC';
  const offset = o.cursor ? 0 : (o.offset ?? 0);
  const rows = db
    .prepare(
      `SELECT ${ITEM_COLUMNS}
       FROM (SELECT r.id AS id FROM ${m.from} WHERE ${m.where} ORDER BY ${order} LIMIT ? OFFSET ?) AS page
       JOIN reviews r ON r.id = page.id
       JOIN training_labels l ON l.id = r.label_id
       JOIN conversations c ON c.id = l.conversation_id
       ORDER BY r.updated_at DESC, r.id ASC`,
    )
    .all(...m.params, o.limit, offset) as ItemRow[];
  const last = rows[rows.length - 1];
  const nextCursor = rows.length === o.limit && last ? encodeCursor(last.updated_at, last.review_id) : null;
  return { items: rows.map(toItem), nextCursor, total };
}

export function countMatching(db: Db, catalogue: () => AttackCatalogue, filter: ReviewFilter): number {
  const m = matchSql(filter, catalogue);
  return (db.prepare(`SELECT COUNT(*) AS n FROM ${m.from} WHERE ${m.where}`).get(...m.params) as { n: number }).n;
}

/** Matches per status for the filter without its status: the tab counts. */
export function countByStatus(
  db: Db,
  catalogue: () => AttackCatalogue,
  filter: ReviewFilter,
): Record<ReviewStatus, number> {
  const { status: _ignored, ...rest } = filter;
  const out: Record<ReviewStatus, number> = { pending: 0, approved: 0, rejected: 0 };
  if (onlyStatus(rest)) {
    // Each count is a scan of that status's own narrow partial index, cheaper than grouping the table.
    for (const status of Object.keys(out) as ReviewStatus[]) out[status] = countMatching(db, catalogue, { status });
    return out;
  }
  const m = matchSql(rest, catalogue);
  const rows = db
    .prepare(`SELECT r.status AS status, COUNT(*) AS n FROM ${m.from} WHERE ${m.where} GROUP BY r.status`)
    .all(...m.params) as { status: ReviewStatus; n: number }[];
  for (const r of rows) out[r.status] = r.n;
  return out;
}

interface MessageRow {
  id: number;
  seq: number;
  role: Message['role'];
  content: string;
}

export function getReviewDetail(db: Db, catalogue: () => AttackCatalogue, labelId: number): ReviewDetail {
  const row = db
    .prepare(
      `SELECT ${ITEM_COLUMNS}, l.notes, l.corrected_answer, l.message_id, c.alert_payload
       FROM training_labels l JOIN reviews r ON r.label_id = l.id JOIN conversations c ON c.id = l.conversation_id
       WHERE l.id = ?`,
    )
    .get(labelId) as
    | (ItemRow & Pick<LabelRow, 'notes' | 'corrected_answer' | 'message_id'> & { alert_payload: string | null })
    | undefined;
  if (!row) throw new WorkbenchError('not_found', `Example ${labelId} is not in the review queue.`);
  const messages = db
    .prepare('SELECT id, seq, role, content FROM messages WHERE conversation_id = ? ORDER BY seq')
    .all(row.conversation_id) as MessageRow[];
  // The answer is the labelled message when it is the model's, else the last assistant message.
  const chosen = row.message_id === null ? undefined : messages.find((x) => x.id === row.message_id);
  const upTo = chosen ? messages.filter((x) => x.seq <= chosen.seq) : messages;
  const answerMsg = [...upTo].reverse().find((x) => x.role === 'assistant');
  const prompt = (answerMsg ? messages.filter((x) => x.seq < answerMsg.seq) : upTo).map((x) => ({
    role: x.role,
    content: x.content,
  }));
  const answer = row.corrected_answer ?? answerMsg?.content ?? '';
  const item = toItem(row);
  const cat = catalogue();
  return {
    ...item,
    notes: row.notes,
    prompt,
    answer,
    answerIsCorrected: row.corrected_answer !== null && row.corrected_answer !== (answerMsg?.content ?? null),
    alertPayload: row.alert_payload ? (JSON.parse(row.alert_payload) as unknown) : null,
    techniqueNames: item.techniques.map((id) => {
      const t = cat.get(id);
      return {
        id,
        name: t ? (t.parentName ? `${t.parentName}: ${t.name}` : t.name) : '(not in catalogue)',
        tactics: t?.tactics.map((x) => x.name) ?? [],
      };
    }),
  };
}

export function reviewFacets(db: Db): {
  labellers: { name: string; count: number }[];
  threatTypes: { name: string; count: number }[];
} {
  const labellers = db
    .prepare(
      'SELECT labeller AS name, COUNT(*) AS count FROM training_labels GROUP BY labeller ORDER BY count DESC, name LIMIT 200',
    )
    .all() as { name: string; count: number }[];
  const threatTypes = db
    .prepare(
      'SELECT threat_type AS name, COUNT(*) AS count FROM training_labels WHERE threat_type IS NOT NULL GROUP BY threat_type ORDER BY count DESC, name LIMIT 500',
    )
    .all() as { name: string; count: number }[];
  return { labellers, threatTypes };
}

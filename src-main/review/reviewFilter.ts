import { WorkbenchError, type ReviewFilter, type ReviewStatus } from '../contract/index';
import type { AttackCatalogue } from '../attack/attackCatalogue';
import { toFtsQuery } from '../conversations/conversationsRepo';
import { normaliseThreatType } from '../labels/saveLabel';

/**
 * A filter as SQL over `reviews r [JOIN training_labels l [JOIN conversations c]]`. Column names are
 * fixed here; every value is a bound parameter.
 */
export interface MatchSql {
  from: string;
  where: string;
  params: unknown[];
}

/**
 * How SQLite should find the rows:
 * - `set`: let it drive from the most selective filter index (counts, bulk decisions, and pages of a
 *   selective filter, which are then sorted);
 * - `walk`: walk the queue in display order on the status's index and test each row (pages of a broad
 *   filter: a page costs about limit ÷ selectivity rows, whatever the queue size);
 * - `sorted`: like `set`, but status may not use its index, so a page of a selective filter is found
 *   through the filter's own index and sorted, instead of walking the whole status range.
 */
export type MatchStrategy = 'set' | 'walk' | 'sorted';

export interface ExtraCondition {
  sql: string;
  params: unknown[];
}

/** `T1059` → [`T1059`, `T1059/`): the id and its sub-techniques (`.` sorts just before `/`), as an index range. */
function techniqueRange(id: string): [string, string] {
  return [id, `${id}/`];
}

/** Each status has its own partial index on (updated_at DESC), rowid: the queue's display order (migration 10). */
const STATUS_INDEX: Record<ReviewStatus, string> = {
  pending: 'reviews_pending',
  approved: 'reviews_approved',
  rejected: 'reviews_rejected',
};

/**
 * `INDEXED BY` a partial index needs its condition as a literal at prepare time (a bound `?` is
 * only known later), so walking writes the status into the SQL, from the closed union alone.
 */
function statusLiteral(status: ReviewStatus): string {
  if (!Object.hasOwn(STATUS_INDEX, status)) throw new WorkbenchError('invalid_request', 'Unknown review status.');
  return `'${status}'`;
}

function ftsOf(filter: ReviewFilter): string | null {
  return filter.text ? toFtsQuery(filter.text) : null;
}

/** True when the filter needs nothing but the review row. Extra conditions must then use `r.` only. */
export function onlyStatus(filter: ReviewFilter): boolean {
  return Object.entries(filter).every(
    ([k, v]) => k === 'status' || v === undefined || (k === 'text' && !ftsOf(filter)),
  );
}

/** The filter's terms that have an index to drive from, one filter each (so `sorted` can beat `walk`). */
export function indexedTerms(filter: ReviewFilter): ReviewFilter[] {
  const terms: ReviewFilter[] = [];
  if (filter.threatType) terms.push({ threatType: filter.threatType });
  if (filter.labeller) terms.push({ labeller: filter.labeller });
  if (filter.technique) terms.push({ technique: filter.technique });
  if (filter.tactic) terms.push({ tactic: filter.tactic });
  if (ftsOf(filter)) terms.push({ text: filter.text });
  return terms;
}

export function matchSql(
  filter: ReviewFilter,
  catalogue: () => AttackCatalogue,
  opts: { strategy?: MatchStrategy; extra?: ExtraCondition[] } = {},
): MatchSql {
  const strategy = opts.strategy ?? 'set';
  const walk = strategy === 'walk';
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => {
    where.push(sql);
    params.push(...values);
  };
  // Unary + keeps SQLite off the status's index so it drives from the selective filter's index instead;
  // a bound status lets SQLite re-plan for that status's partial index when it helps.
  if (filter.status) {
    if (walk) add(`r.status = ${statusLiteral(filter.status)}`);
    else add(strategy === 'sorted' ? '+r.status = ?' : 'r.status = ?', filter.status);
  }
  if (filter.sourceKind) add('c.source_kind = ?', filter.sourceKind);
  if (filter.verdict) add('l.verdict = ?', filter.verdict);
  if (filter.threatType) add('l.threat_type = ?', normaliseThreatType(filter.threatType));
  if (filter.severity) add('l.severity = ?', filter.severity);
  // Technique terms: a per-row EXISTS probe when walking, an IN set to drive from otherwise.
  if (filter.technique) {
    add(
      walk
        ? 'EXISTS (SELECT 1 FROM label_techniques lt WHERE lt.label_id = l.id AND lt.technique >= ? AND lt.technique < ?)'
        : 'l.id IN (SELECT label_id FROM label_techniques WHERE technique >= ? AND technique < ?)',
      ...techniqueRange(filter.technique),
    );
  }
  if (filter.tactic) {
    const ids = JSON.stringify(catalogue().techniquesOfTactic(filter.tactic));
    add(
      walk
        ? 'EXISTS (SELECT 1 FROM label_techniques lt WHERE lt.label_id = l.id AND lt.technique IN (SELECT value FROM json_each(?)))'
        : 'l.id IN (SELECT label_id FROM label_techniques WHERE technique IN (SELECT value FROM json_each(?)))',
      ids,
    );
  }
  if (filter.qualityMin !== undefined) add('l.quality >= ?', filter.qualityMin);
  if (filter.qualityMax !== undefined) add('l.quality <= ?', filter.qualityMax);
  if (filter.labeller) add('l.labeller = ?', filter.labeller);
  if (filter.from !== undefined) add('l.updated_at >= ?', filter.from);
  if (filter.to !== undefined) add('l.updated_at < ?', filter.to);
  // Full text is always a set: SQLite evaluates the MATCH once per statement, never per row.
  const fts = ftsOf(filter);
  if (fts) add('l.conversation_id IN (SELECT rowid FROM conversations_fts WHERE conversations_fts MATCH ?)', fts);
  for (const e of opts.extra ?? []) add(e.sql, ...e.params);

  const reviews = walk && filter.status ? `reviews r INDEXED BY ${STATUS_INDEX[filter.status]}` : 'reviews r';
  const from = filter.sourceKind
    ? `${reviews} JOIN training_labels l ON l.id = r.label_id JOIN conversations c ON c.id = l.conversation_id`
    : onlyStatus(filter)
      ? reviews
      : `${reviews} JOIN training_labels l ON l.id = r.label_id`;
  return { from, where: where.length ? where.join(' AND ') : '1', params };
}

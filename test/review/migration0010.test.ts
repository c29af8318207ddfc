import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../src-main/db/migrations/index';
import { migrate, schemaVersion } from '../../src-main/db/migrate';
import { decideByFilter, undoBatch } from '../../src-main/review/reviewDecisions';
import { countByStatus, listReviewItems } from '../../src-main/review/reviewQueueRepo';
import { attackCatalogue } from '../../src-main/attack/attackCatalogue';

function dbAt9(): BetterSqlite3.Database {
  const db = new BetterSqlite3(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(
    db,
    migrations.filter((m) => m.version <= 9),
  );
  expect(schemaVersion(db)).toBe(9);
  return db;
}

/** `n` labelled examples, every third one approved, the rest pending; updated_at = 1000 + i. */
function seed(db: BetterSqlite3.Database, n: number): void {
  const conv = db.prepare(
    "INSERT INTO conversations (source_kind, title, created_at, updated_at) VALUES ('imported_example', ?, 1, 1)",
  );
  const label = db.prepare(
    "INSERT INTO training_labels (conversation_id, threat_type, labeller, created_at, updated_at) VALUES (?, ?, 'imp', 1, ?)",
  );
  const review = db.prepare(
    'INSERT INTO reviews (label_id, status, reviewer, decided_at, updated_at) VALUES (?, ?, ?, ?, ?)',
  );
  for (let i = 1; i <= n; i++) {
    const c = conv.run(`example ${i}`).lastInsertRowid;
    const l = label.run(c, i % 2 ? 'execution' : 'discovery', 1000 + i).lastInsertRowid;
    const approved = i % 3 === 0;
    review.run(l, approved ? 'approved' : 'pending', approved ? 'old' : null, approved ? 500 : null, 1000 + i);
  }
}

const plan = (db: BetterSqlite3.Database, sql: string, ...params: unknown[]) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');

describe('migration 0010 (one partial index per review status; undo rows keyed by batch)', () => {
  it('keeps reviews and pending undo rows, which still undo exactly after the migration', () => {
    const db = dbAt9();
    seed(db, 30);
    // A decision taken before the upgrade: its undo rows must survive the table rebuild.
    const before = db.prepare('SELECT * FROM reviews ORDER BY id').all();
    const batch = decideByFilter(
      db,
      attackCatalogue,
      { status: 'pending', threatType: 'execution' },
      'approve',
      'ok',
      10,
      { actor: 'rita', at: 9000 },
    );
    expect(batch.changed).toBe(10);
    const undoRows = db.prepare('SELECT * FROM review_batch_rows ORDER BY batch_id, review_id').all();
    const decided = db.prepare('SELECT * FROM reviews ORDER BY id').all();

    migrate(db);
    expect(schemaVersion(db)).toBe(10);
    expect(db.prepare('SELECT * FROM reviews ORDER BY id').all()).toEqual(decided);
    expect(db.prepare('SELECT * FROM review_batch_rows ORDER BY batch_id, review_id').all()).toEqual(undoRows);
    const names = db
      .prepare("SELECT name FROM sqlite_schema WHERE tbl_name IN ('reviews', 'review_batch_rows')")
      .pluck();
    expect(names.all()).not.toContain('reviews_status');
    expect(names.all()).toEqual(
      expect.arrayContaining(['reviews_pending', 'reviews_approved', 'reviews_rejected', 'review_batch_rows']),
    );
    expect(
      db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'review_batch_rows'").pluck().get() as string,
    ).toMatch(/WITHOUT ROWID/);

    expect(undoBatch(db, batch.batchId!, { actor: 'rita', at: 9100 })).toEqual({
      batchId: batch.batchId,
      restored: 10,
      skipped: 0,
    });
    expect(db.prepare('SELECT * FROM reviews ORDER BY id').all()).toEqual(before);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');

    // Undo rows still go with their batch.
    db.prepare('DELETE FROM review_batches').run();
    expect(db.prepare('SELECT COUNT(*) FROM review_batch_rows').pluck().get()).toBe(0);
    db.close();
  });

  it('pages, counts and decides through the status indexes', () => {
    const db = dbAt9();
    seed(db, 60);
    migrate(db);
    // A bound status is re-planned onto that status's partial index (covering for counts, ordered for pages).
    expect(plan(db, 'SELECT COUNT(*) FROM reviews r WHERE r.status = ?', 'pending')).toMatch(/reviews_pending/);
    expect(plan(db, 'SELECT COUNT(*) FROM reviews r WHERE r.status = ?', 'approved')).toMatch(/reviews_approved/);
    expect(
      plan(db, 'SELECT r.id FROM reviews r WHERE r.status = ? ORDER BY r.updated_at DESC, r.id ASC LIMIT 5', 'pending'),
    ).toMatch(/^SCAN r USING COVERING INDEX reviews_pending$/);

    // The queue comes back in display order (updated_at DESC, id ASC) with every strategy.
    const expected = db
      .prepare("SELECT id FROM reviews WHERE status = 'pending' ORDER BY updated_at DESC, id")
      .pluck()
      .all() as number[];
    for (const strategy of ['walk', 'set', 'sorted'] as const) {
      const ids: number[] = [];
      let cursor: string | null = null;
      do {
        const page = listReviewItems(db, attackCatalogue, {
          filter: { status: 'pending', threatType: strategy === 'set' ? undefined : 'execution' },
          limit: 7,
          cursor,
          withTotal: false,
          strategy,
        });
        ids.push(...page.items.map((x) => x.reviewId));
        cursor = page.nextCursor;
      } while (cursor);
      const want =
        strategy === 'set'
          ? expected
          : expected.filter((id) =>
              db
                .prepare(
                  "SELECT threat_type = 'execution' FROM training_labels WHERE id = (SELECT label_id FROM reviews WHERE id = ?)",
                )
                .pluck()
                .get(id),
            );
      expect(ids, strategy).toEqual(want);
    }
    expect(countByStatus(db, attackCatalogue, { status: 'pending' })).toEqual({
      pending: 40,
      approved: 20,
      rejected: 0,
    });
    expect(countByStatus(db, attackCatalogue, { threatType: 'execution' })).toEqual({
      pending: 20,
      approved: 10,
      rejected: 0,
    });

    // A decision moves rows between the partial indexes; integrity_check verifies every index entry.
    const r = decideByFilter(db, attackCatalogue, { status: 'pending' }, 'reject', null, 40, { actor: 'sam' });
    expect(r.changed).toBe(40);
    expect(countByStatus(db, attackCatalogue, {})).toEqual({ pending: 0, approved: 20, rejected: 40 });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});

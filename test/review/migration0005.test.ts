import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../src-main/db/migrations/index';
import { migration0005 } from '../../src-main/db/migrations/0005_review';
import { migrate, schemaVersion } from '../../src-main/db/migrate';

function dbBefore0005(): BetterSqlite3.Database {
  const db = new BetterSqlite3(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(
    db,
    migrations.filter((m) => m.version < 5),
  );
  return db;
}

function seedLabel(db: BetterSqlite3.Database, techniques: string): number {
  const c = db
    .prepare(
      "INSERT INTO conversations (source_kind, title, created_at, updated_at) VALUES ('imported_example', 't', 1, 1)",
    )
    .run().lastInsertRowid;
  const l = db
    .prepare(
      "INSERT INTO training_labels (conversation_id, techniques, labeller, created_at, updated_at) VALUES (?, ?, 'imp', 1, 1)",
    )
    .run(c, techniques).lastInsertRowid;
  db.prepare("INSERT INTO reviews (label_id, status, updated_at) VALUES (?, 'pending', 1)").run(l);
  return Number(l);
}

describe('migration 0005 (review)', () => {
  it('backfills label_techniques from existing labels and keeps it in step afterwards', () => {
    const db = dbBefore0005();
    const a = seedLabel(db, '["T1059.001","T1105","T1105"]');
    const b = seedLabel(db, '[]');
    migrate(
      db,
      migrations.filter((m) => m.version <= 5),
    );
    expect(schemaVersion(db)).toBe(5);
    const techniques = (id: number) =>
      db.prepare('SELECT technique FROM label_techniques WHERE label_id = ? ORDER BY technique').pluck().all(id);
    expect(techniques(a)).toEqual(['T1059.001', 'T1105']);
    expect(techniques(b)).toEqual([]);

    // the triggers: a label inserted later (as importers do), an edit, a delete through the conversation
    const c = seedLabel(db, '["T1046"]');
    expect(techniques(c)).toEqual(['T1046']);
    db.prepare('UPDATE training_labels SET techniques = ? WHERE id = ?').run('["T1110"]', a);
    expect(techniques(a)).toEqual(['T1110']);
    db.prepare('UPDATE training_labels SET quality = 3 WHERE id = ?').run(a);
    expect(techniques(a)).toEqual(['T1110']);
    db.prepare('DELETE FROM conversations WHERE id = (SELECT conversation_id FROM training_labels WHERE id = ?)').run(
      c,
    );
    expect(techniques(c)).toEqual([]);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('creates the undo tables and the filter indexes', () => {
    const db = dbBefore0005();
    db.transaction(() => db.exec(migration0005.up))();
    const names = db
      .prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'index', 'trigger') ORDER BY name")
      .pluck()
      .all();
    expect(names).toEqual(
      expect.arrayContaining([
        'review_batches',
        'review_batch_rows',
        'review_batch_rows_batch',
        'label_techniques',
        'label_techniques_technique',
        'training_labels_threat_type',
        'training_labels_labeller',
        'training_labels_updated',
        'training_labels_techniques_insert',
        'training_labels_techniques_update',
      ]),
    );
    // batch rows go with their batch
    const batch = db
      .prepare(
        "INSERT INTO review_batches (actor, decision, scope, matched, changed, decided_at) VALUES ('a', 'approve', 'selection', 1, 1, 1)",
      )
      .run().lastInsertRowid;
    db.prepare("INSERT INTO review_batch_rows VALUES (?, 1, 'pending', NULL, NULL, NULL, 1)").run(batch);
    db.prepare('DELETE FROM review_batches WHERE id = ?').run(batch);
    expect(db.prepare('SELECT COUNT(*) FROM review_batch_rows').pluck().get()).toBe(0);
    db.close();
  });
});

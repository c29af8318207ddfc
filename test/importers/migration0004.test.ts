import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../src-main/db/migrations/index';
import { migrate, schemaVersion } from '../../src-main/db/migrate';

describe('migration 0004 (imports)', () => {
  it('adds the import report columns and example options to a DB with rows in it', () => {
    const db = new BetterSqlite3(':memory:');
    db.pragma('foreign_keys = ON');
    const before = migrations.filter((m) => m.version < 4);
    migrate(db, before);
    expect(schemaVersion(db)).toBe(before.at(-1)!.version);
    db.prepare(
      "INSERT INTO imports (id, file_name, format, file_hash, bytes, status, created_at) VALUES (1, 'a.jsonl', 'cloudtrail', 'h', 10, 'done', 5)",
    ).run();
    db.prepare(
      "INSERT INTO conversations (id, source_kind, title, content_hash, import_id, created_at, updated_at) VALUES (7, 'imported_alert', 't', 'c', 1, 5, 5)",
    ).run();

    migrate(
      db,
      migrations.filter((m) => m.version <= 4),
    );
    expect(schemaVersion(db)).toBe(4);
    expect(db.prepare('SELECT actor, keep_valid, report FROM imports WHERE id = 1').get()).toEqual({
      actor: null,
      keep_valid: 0,
      report: null,
    });
    expect(db.prepare('SELECT example_options FROM conversations WHERE id = 7').get()).toEqual({
      example_options: null,
    });
    expect(() => db.prepare("UPDATE imports SET report = 'not json' WHERE id = 1").run()).toThrow(/CHECK/);
    expect(() => db.prepare('UPDATE imports SET keep_valid = 2 WHERE id = 1').run()).toThrow(/CHECK/);
    expect(() => db.prepare("UPDATE conversations SET example_options = '{' WHERE id = 7").run()).toThrow(/CHECK/);
    const plan = db.prepare('EXPLAIN QUERY PLAN SELECT id FROM conversations WHERE import_id = ?').all(1) as {
      detail: string;
    }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/conversations_import/);
    db.close();
  });
});

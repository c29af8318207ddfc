import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from '../../src-main/db/migrate';
import { migrations } from '../../src-main/db/migrations/index';
import { migration0003 } from '../../src-main/db/migrations/0003_endpoints';

describe('migration 0003 (endpoint key status)', () => {
  it('adds key status columns to existing endpoints and keeps the table STRICT', () => {
    const db = new BetterSqlite3(':memory:');
    db.pragma('foreign_keys = ON');
    const before = migrations.filter((m) => m.version < 3);
    migrate(db, before);
    db.prepare(
      "INSERT INTO endpoints (name, kind, base_url, key_ref, created_at) VALUES ('OpenAI', 'openai', 'https://api.openai.com/v1', 'endpoint-1', 1)",
    ).run();
    migrate(db, [...before, migration0003]);
    expect(schemaVersion(db)).toBe(3);
    expect(db.prepare('SELECT * FROM endpoints').get()).toEqual({
      id: 1,
      name: 'OpenAI',
      kind: 'openai',
      base_url: 'https://api.openai.com/v1',
      key_ref: 'endpoint-1',
      created_at: 1,
      key_status: 'unknown',
      key_checked_at: null,
      last_error: null,
    });
    expect(() => db.prepare("UPDATE endpoints SET key_status = 'bogus'").run()).toThrow(/CHECK/);
    expect(() => db.prepare("UPDATE endpoints SET key_checked_at = 'soon'").run()).toThrow(/cannot store TEXT/);
    const sql = (db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'endpoints'").get() as { sql: string }).sql;
    expect(sql).toMatch(/\)\s*STRICT\s*$/);
    db.close();
  });
});

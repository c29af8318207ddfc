import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrations, LATEST_SCHEMA_VERSION } from '../../src-main/db/migrations/index';
import { migrate, schemaVersion } from '../../src-main/db/migrate';
import { openDatabase } from '../../src-main/db/connection';
import { WorkbenchError } from '../../src-main/contract/index';

function tmpFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tw-db-')), 'w.db');
}

describe('migrations', () => {
  it('are numbered in strictly increasing order', () => {
    migrations.forEach((m, i) => i > 0 && expect(m.version).toBeGreaterThan(migrations[i - 1]!.version));
    expect(LATEST_SCHEMA_VERSION).toBe(migrations[migrations.length - 1]!.version);
  });

  it.each(migrations.map((m, i) => [m.version, m.name, i] as const))(
    'version %i (%s) applies on top of the previous ones',
    (version, _name, index) => {
      const db = new BetterSqlite3(':memory:');
      db.pragma('foreign_keys = ON');
      migrate(db, migrations.slice(0, index));
      expect(schemaVersion(db)).toBe(index === 0 ? 0 : migrations[index - 1]!.version);
      migrate(db, migrations.slice(0, index + 1));
      expect(schemaVersion(db)).toBe(version);
      expect(db.pragma('foreign_key_check')).toEqual([]);
      db.close();
    },
  );

  it('creates only STRICT tables (FTS virtual tables aside)', () => {
    const db = new BetterSqlite3(':memory:');
    migrate(db);
    const tables = db
      .prepare(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%' AND name NOT LIKE '%_fts_%'",
      )
      .all() as { name: string; sql: string }[];
    expect(tables.length).toBeGreaterThan(10);
    for (const t of tables)
      expect(t.sql, t.name).toMatch(/\)\s*(WITHOUT ROWID\s*,\s*)?STRICT(\s*,\s*WITHOUT ROWID)?\s*$/i);
    db.close();
  });

  it('refuses a DB written by a newer version and leaves it untouched', () => {
    const file = tmpFile();
    const raw = new BetterSqlite3(file);
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    raw.exec('CREATE TABLE future (x INTEGER) STRICT');
    raw.close();
    const before = fs.readFileSync(file);
    expect(() => openDatabase(file)).toThrowError(WorkbenchError);
    try {
      openDatabase(file);
    } catch (err) {
      expect((err as WorkbenchError).code).toBe('db_too_new');
    }
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('rolls back a failing migration as a whole', () => {
    const db = new BetterSqlite3(':memory:');
    const bad = [
      ...migrations,
      {
        version: LATEST_SCHEMA_VERSION + 1,
        name: 'bad',
        up: 'CREATE TABLE ok_table (x INTEGER) STRICT; SELECT * FROM no_such_table;',
      },
    ];
    expect(() => migrate(db, bad)).toThrow();
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(db.prepare("SELECT name FROM sqlite_schema WHERE name = 'ok_table'").get()).toBeUndefined();
    db.close();
  });

  it('refuses a file that is not a database, without deleting it', () => {
    const file = tmpFile();
    fs.writeFileSync(file, 'this is not sqlite, just text '.repeat(200));
    expect(() => openDatabase(file)).toThrowError(/damaged|not a database|could not open/i);
    expect(fs.existsSync(file)).toBe(true);
  });

  it('opens with WAL, foreign keys and NORMAL synchronous', () => {
    const db = openDatabase(tmpFile());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    db.close();
  });

  it('keeps dataset versions immutable', () => {
    const db = openDatabase(':memory:');
    db.prepare("INSERT INTO datasets (name, task, created_at) VALUES ('d', 'triage', 1)").run();
    db.prepare(
      "INSERT INTO dataset_versions (dataset_id, version, content_hash, filter, build_report, seed, created_at) VALUES (1, 1, 'h', '{}', '{}', 1, 1)",
    ).run();
    expect(() => db.prepare("UPDATE dataset_versions SET content_hash = 'x'").run()).toThrow(/immutable/);
    db.close();
  });
});

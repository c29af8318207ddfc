import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../src-main/db/migrations/index';
import { migrate, schemaVersion } from '../../src-main/db/migrate';

function dbBefore0009(): BetterSqlite3.Database {
  const db = new BetterSqlite3(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(
    db,
    migrations.filter((m) => m.version < 9),
  );
  return db;
}

describe('migration 0009 (training)', () => {
  it('adds openai_finetunes next to existing jobs, tied to them and their endpoint', () => {
    const db = dbBefore0009();
    const job = db
      .prepare("INSERT INTO jobs (kind, status, params, created_at) VALUES ('openai_finetune', 'running', '{}', 1)")
      .run().lastInsertRowid;
    const ep = db
      .prepare("INSERT INTO endpoints (name, kind, base_url, created_at) VALUES ('OpenAI', 'openai', 'https://x', 1)")
      .run().lastInsertRowid;
    migrate(
      db,
      migrations.filter((m) => m.version <= 9),
    );
    expect(schemaVersion(db)).toBe(9);
    // Existing rows are untouched.
    expect(db.prepare('SELECT status FROM jobs WHERE id = ?').pluck().get(job)).toBe('running');

    db.prepare(
      "INSERT INTO openai_finetunes (job_id, endpoint_id, client_ref, remote_job_id, checkpoints, updated_at) VALUES (?, ?, 'ref', 'ftjob-1', '[]', 1)",
    ).run(job, ep);
    expect(() =>
      db
        .prepare(
          "INSERT INTO openai_finetunes (job_id, client_ref, checkpoints, updated_at) VALUES (?, 'r', 'not json', 1)",
        )
        .run(job),
    ).toThrow();
    expect(() =>
      db.prepare("UPDATE openai_finetunes SET failure = 'something else' WHERE job_id = ?").run(job),
    ).toThrow();
    // The endpoint can go (the job keeps its state); deleting the job removes its state.
    db.prepare('DELETE FROM endpoints WHERE id = ?').run(ep);
    expect(db.prepare('SELECT endpoint_id FROM openai_finetunes WHERE job_id = ?').pluck().get(job)).toBeNull();
    db.prepare('DELETE FROM jobs WHERE id = ?').run(job);
    expect(db.prepare('SELECT COUNT(*) FROM openai_finetunes').pluck().get()).toBe(0);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });
});

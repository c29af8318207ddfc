import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../src-main/db/migrations/index';
import { migrate, schemaVersion } from '../../src-main/db/migrate';

function dbBefore0008(): BetterSqlite3.Database {
  const db = new BetterSqlite3(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(
    db,
    migrations.filter((m) => m.version < 8),
  );
  return db;
}

describe('migration 0008 (evaluation)', () => {
  it('keeps old evaluations, results and votes, and adds the new columns with defaults', () => {
    const db = dbBefore0008();
    const model = db
      .prepare("INSERT INTO models (name, kind, created_at) VALUES ('base', 'local_gguf', 1)")
      .run().lastInsertRowid;
    const evalId = db
      .prepare("INSERT INTO evaluations (name, status, model_ids, created_at) VALUES ('old', 'succeeded', ?, 1)")
      .run(JSON.stringify([model])).lastInsertRowid;
    db.prepare(
      `INSERT INTO evaluation_results (evaluation_id, model_id, example_ref, expected, predicted, raw_output, valid, latency_ms, completion_tokens)
       VALUES (?, ?, 'de:1', '{}', NULL, 'x', 0, 12, 3)`,
    ).run(evalId, model);
    db.prepare(
      "INSERT INTO ab_votes (prompt, model_a_id, model_b_id, vote, analyst, created_at) VALUES ('p', ?, ?, 'a', 'ann', 1)",
    ).run(model, model);

    migrate(
      db,
      migrations.filter((m) => m.version <= 8),
    );
    expect(schemaVersion(db)).toBe(8);
    expect(db.prepare('SELECT job_id, options, error FROM evaluations').get()).toEqual({
      job_id: null,
      options: '{}',
      error: null,
    });
    expect(db.prepare('SELECT prompt_tokens, error, cost_usd, created_at FROM evaluation_results').get()).toEqual({
      prompt_tokens: 0,
      error: null,
      cost_usd: null,
      created_at: 0,
    });
    expect(db.prepare('SELECT task, blind, answer_a, answer_b FROM ab_votes').get()).toEqual({
      task: 'triage',
      blind: 1,
      answer_a: '',
      answer_b: '',
    });
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });

  it('allows one open trigger notice per situation, and a new one once it is dismissed', () => {
    const db = dbBefore0008();
    migrate(db);
    const insert = db.prepare(
      "INSERT INTO trigger_notices (kind, rule, dedup_key, message, created_at) VALUES ('suggestion', 'newApproved', 'k', 'm', 1)",
    );
    insert.run();
    expect(() => insert.run()).toThrow(/UNIQUE/);
    db.prepare('UPDATE trigger_notices SET dismissed_at = 2').run();
    expect(() => insert.run()).not.toThrow();
    expect(() =>
      db
        .prepare(
          "INSERT INTO trigger_notices (kind, rule, dedup_key, message, created_at) VALUES ('nudge', 'newApproved', 'z', 'm', 1)",
        )
        .run(),
    ).toThrow(/CHECK/);
  });

  it('records registry history and refuses unknown tasks and actions', () => {
    const db = dbBefore0008();
    migrate(db);
    const model = db
      .prepare("INSERT INTO models (name, kind, created_at) VALUES ('m', 'local_gguf', 1)")
      .run().lastInsertRowid;
    const ok = db.prepare(
      'INSERT INTO active_model_history (task, action, model_id, actor, at) VALUES (?, ?, ?, ?, 1)',
    );
    ok.run('triage', 'promote', model, 'ann');
    expect(() => ok.run('nope', 'promote', model, 'ann')).toThrow(/CHECK/);
    expect(() => ok.run('triage', 'delete', model, 'ann')).toThrow(/CHECK/);
  });
});

import crypto from 'node:crypto';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatasetExample, DatasetSummary, DatasetVersionDetail } from '../../src-main/contract/index';
import { canonicalJson } from '../../src-main/datasets/canonicalJson';
import { migrate } from '../../src-main/db/migrate';
import { migrations } from '../../src-main/db/migrations/index';
import { addMany, ok, openWorkbench, tmpDir, type TestBench } from './helpers';

let wb: TestBench | null = null;
afterEach(async () => {
  await wb?.close();
  wb = null;
});

describe('dataset versions', () => {
  it('writes an immutable, content-hashed version; building again makes a new version', async () => {
    wb = await openWorkbench();
    const w = wb;
    addMany(w.db, 70);
    const v1 = ok<DatasetVersionDetail>(
      await w.invoke('datasets.createVersion', { name: 'triage-v', description: 'first' }),
    );
    expect(v1).toMatchObject({ version: 1, datasetName: 'triage-v', secretsClean: true });
    expect(v1.counts.total).toBe(70);
    expect(v1.contentHash).toMatch(/^[0-9a-f]{64}$/);

    // The hash is sha256 over split + canonical example, in stored order.
    const rows = w.db
      .prepare('SELECT split, example FROM dataset_examples WHERE dataset_version_id = ? ORDER BY id')
      .all(v1.id) as { split: string; example: string }[];
    const h = crypto.createHash('sha256');
    for (const r of rows) h.update(`${r.split}\t${canonicalJson(JSON.parse(r.example))}\n`);
    expect(h.digest('hex')).toBe(v1.contentHash);

    // Neither the version nor its examples nor its mapping can change or go away.
    expect(() => w.db.prepare("UPDATE dataset_versions SET content_hash = 'x' WHERE id = ?").run(v1.id)).toThrow(
      /immutable/,
    );
    expect(() =>
      w.db.prepare("UPDATE dataset_examples SET split = 'train' WHERE dataset_version_id = ?").run(v1.id),
    ).toThrow(/immutable/);
    expect(() =>
      w.db.prepare("UPDATE dataset_examples SET example = '{}' WHERE dataset_version_id = ?").run(v1.id),
    ).toThrow(/immutable/);
    expect(() => w.db.prepare('DELETE FROM dataset_examples WHERE dataset_version_id = ?').run(v1.id)).toThrow(
      /immutable/,
    );
    expect(() => w.db.prepare('DELETE FROM dataset_versions WHERE id = ?').run(v1.id)).toThrow(/immutable/);

    const v2 = ok<DatasetVersionDetail>(await w.invoke('datasets.createVersion', { name: 'triage-v' }));
    expect(v2.version).toBe(2);
    expect(v2.id).not.toBe(v1.id);
    // Same approved data, same options, same seed: same content.
    expect(v2.contentHash).toBe(v1.contentHash);
    const v3 = ok<DatasetVersionDetail>(
      await w.invoke('datasets.createVersion', { name: 'triage-v', options: { seed: 7 } }),
    );
    expect(v3.contentHash).not.toBe(v1.contentHash);

    const again = ok<DatasetVersionDetail>(await w.invoke('datasets.getVersion', { id: v1.id }));
    expect(again.contentHash).toBe(v1.contentHash);
    expect(again.report.steps.split.train).toBe(v1.counts.train);
    const list = ok<{ items: DatasetSummary[] }>(await w.invoke('datasets.list', {}));
    expect(list.items[0]!.versions.map((v) => v.version)).toEqual([3, 2, 1]);

    const audit = w.db
      .prepare("SELECT subject, details FROM audit_log WHERE action = 'datasets.createVersion' ORDER BY id")
      .all() as { subject: string; details: string }[];
    expect(audit[0]!.subject).toBe(String(v1.id));
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ contentHash: v1.contentHash, examples: 70 });
  });

  it('pages examples by split; no group crosses splits', async () => {
    wb = await openWorkbench();
    const w = wb;
    addMany(w.db, 90, (i) => ({ groupKey: `incident-${i % 25}` }));
    const v = ok<DatasetVersionDetail>(
      await w.invoke('datasets.createVersion', { name: 'groups', options: { split: { validation: 0.2, test: 0.2 } } }),
    );
    const seen = new Map<string, string>();
    let total = 0;
    for (const split of ['train', 'validation', 'test'] as const) {
      let offset = 0;
      for (;;) {
        const page = ok<{ items: DatasetExample[]; total: number }>(
          await w.invoke('datasets.examples', { versionId: v.id, split, limit: 10, offset }),
        );
        for (const e of page.items) {
          expect(e.split).toBe(split);
          expect(seen.get(e.groupKey) ?? split).toBe(split);
          seen.set(e.groupKey, split);
          total++;
        }
        offset += 10;
        if (offset >= page.total) break;
      }
    }
    expect(total).toBe(90);
    expect(new Set(seen.values()).size).toBe(3);
    expect((await w.invoke('datasets.examples', { versionId: 9999 })).ok).toBe(false);
  });

  it('deleting a source conversation unlinks its examples without changing the version', async () => {
    wb = await openWorkbench();
    const w = wb;
    const ids = addMany(w.db, 55);
    const v = ok<DatasetVersionDetail>(await w.invoke('datasets.createVersion', { name: 'unlink' }));
    w.db.prepare('DELETE FROM conversations WHERE id = ?').run(ids[0]);
    const row = w.db
      .prepare(
        'SELECT conversation_id, content_hash FROM dataset_examples WHERE dataset_version_id = ? ORDER BY id LIMIT 1',
      )
      .get(v.id) as { conversation_id: number | null };
    expect(row.conversation_id).toBeNull();
    expect(ok<DatasetVersionDetail>(await w.invoke('datasets.getVersion', { id: v.id })).contentHash).toBe(
      v.contentHash,
    );
  });
});

describe('migration 0006 (datasets)', () => {
  it('migrates a DB with a stored version: adds the mapping table and the delete guards', () => {
    const db = new BetterSqlite3(path.join(tmpDir(), 'm.db'));
    db.pragma('foreign_keys = ON');
    const before = migrations.filter((m) => m.version < 6);
    migrate(db, before);
    db.exec(`INSERT INTO datasets (id, name, task, created_at) VALUES (1, 'd', 'triage', 0);
      INSERT INTO dataset_versions (id, dataset_id, version, content_hash, filter, build_report, seed, created_at) VALUES (1, 1, 1, 'h', '{}', '{}', 1, 0);
      INSERT INTO dataset_examples (dataset_version_id, split, group_key, example, labels, token_count, content_hash) VALUES (1, 'train', 'g', '{}', '{}', 3, 'x');`);
    // Before 0006 an example could be deleted.
    expect(() => db.prepare('SAVEPOINT s').run()).not.toThrow();
    db.prepare('DELETE FROM dataset_examples').run();
    db.prepare('ROLLBACK TO s').run();
    db.prepare('RELEASE s').run();
    migrate(
      db,
      migrations.filter((m) => m.version <= 6),
    );
    expect(db.pragma('user_version', { simple: true })).toBe(6);
    expect(db.prepare('SELECT COUNT(*) AS n FROM dataset_examples').get()).toEqual({ n: 1 });
    expect(() => db.prepare('DELETE FROM dataset_examples').run()).toThrow(/immutable/);
    expect(() => db.prepare("UPDATE dataset_examples SET split = 'test'").run()).toThrow(/immutable/);
    db.prepare("INSERT INTO dataset_pseudonyms VALUES (1, '<IP_1>', 'ip', '10.0.0.1')").run();
    expect(() => db.prepare("UPDATE dataset_pseudonyms SET original = 'x'").run()).toThrow(/immutable/);
    expect(() => db.prepare("INSERT INTO dataset_pseudonyms VALUES (1, '<X_1>', 'secret', 'x')").run()).toThrow(
      /CHECK/,
    );
    db.close();
  });
});

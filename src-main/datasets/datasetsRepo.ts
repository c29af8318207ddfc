import type { Db } from '../db/connection';
import type {
  BuildReport,
  DatasetExample,
  DatasetExampleLabels,
  DatasetSummary,
  DatasetVersionDetail,
  DatasetVersionSummary,
  EntityKind,
  Split,
  Task,
} from '../contract/index';
import type { PseudonymEntry } from '../redaction/pseudonymizer';
import type { BuildResult } from './buildDataset';

interface VersionRow {
  id: number;
  dataset_id: number;
  dataset_name: string;
  version: number;
  content_hash: string;
  seed: number;
  created_at: number;
  build_report: string;
  train: number;
  validation: number;
  test: number;
}

interface ExampleRow {
  id: number;
  conversation_id: number | null;
  split: Split;
  group_key: string;
  example: string;
  labels: string;
  token_count: number;
  content_hash: string;
}

const VERSION_COLUMNS = `v.id, v.dataset_id, d.name AS dataset_name, v.version, v.content_hash, v.seed, v.created_at, v.build_report,
  (SELECT COUNT(*) FROM dataset_examples e WHERE e.dataset_version_id = v.id AND e.split = 'train') AS train,
  (SELECT COUNT(*) FROM dataset_examples e WHERE e.dataset_version_id = v.id AND e.split = 'validation') AS validation,
  (SELECT COUNT(*) FROM dataset_examples e WHERE e.dataset_version_id = v.id AND e.split = 'test') AS test`;

function toSummary(r: VersionRow, report: BuildReport): DatasetVersionSummary {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    datasetName: r.dataset_name,
    version: r.version,
    contentHash: r.content_hash,
    seed: r.seed,
    createdAt: r.created_at,
    counts: { train: r.train, validation: r.validation, test: r.test, total: r.train + r.validation + r.test },
    secretsClean: report.secretsClean,
  };
}

/**
 * Writes a new immutable version — the dataset row if new, the version, its examples and its
 * pseudonym mapping — in one transaction. Building the same filter again makes a new version.
 */
export function insertVersion(
  db: Db,
  input: { name: string; task: Task; description: string; build: BuildResult; at?: number },
): number {
  const at = input.at ?? Date.now();
  return db.transaction(() => {
    db.prepare(
      'INSERT INTO datasets (name, task, description, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO NOTHING',
    ).run(input.name, input.task, input.description, at);
    const dataset = db.prepare('SELECT id FROM datasets WHERE name = ?').get(input.name) as { id: number };
    const next = db
      .prepare('SELECT COALESCE(MAX(version), 0) + 1 AS n FROM dataset_versions WHERE dataset_id = ?')
      .get(dataset.id) as {
      n: number;
    };
    const { report } = input.build;
    const info = db
      .prepare(
        'INSERT INTO dataset_versions (dataset_id, version, content_hash, filter, build_report, seed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        dataset.id,
        next.n,
        input.build.contentHash,
        JSON.stringify(report.filter),
        JSON.stringify(report),
        report.options.seed,
        at,
      );
    const versionId = Number(info.lastInsertRowid);
    const insertExample = db.prepare(
      `INSERT INTO dataset_examples (dataset_version_id, conversation_id, split, group_key, example, labels, token_count, content_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const e of input.build.examples) {
      insertExample.run(
        versionId,
        e.item.conversationId,
        e.split,
        e.group,
        e.json,
        JSON.stringify(e.item.labels),
        e.tokens,
        e.contentHash,
      );
    }
    const insertPseudonym = db.prepare(
      'INSERT INTO dataset_pseudonyms (dataset_version_id, token, kind, original) VALUES (?, ?, ?, ?)',
    );
    for (const p of input.build.mapping) insertPseudonym.run(versionId, p.token, p.kind, p.original);
    return versionId;
  })();
}

export function getVersion(db: Db, id: number): DatasetVersionDetail | null {
  const row = db
    .prepare(`SELECT ${VERSION_COLUMNS} FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE v.id = ?`)
    .get(id) as VersionRow | undefined;
  if (!row) return null;
  const report = JSON.parse(row.build_report) as BuildReport;
  const kinds = db
    .prepare('SELECT kind, COUNT(*) AS n FROM dataset_pseudonyms WHERE dataset_version_id = ? GROUP BY kind')
    .all(id) as { kind: EntityKind; n: number }[];
  const pseudonyms: Record<EntityKind, number> = { ip: 0, host: 0, user: 0, email: 0, account: 0 };
  for (const k of kinds) pseudonyms[k.kind] = k.n;
  return { ...toSummary(row, report), report, pseudonyms };
}

export function listDatasets(db: Db): DatasetSummary[] {
  const datasets = db
    .prepare('SELECT id, name, task, description, created_at FROM datasets ORDER BY created_at DESC, id DESC')
    .all() as {
    id: number;
    name: string;
    task: Task;
    description: string;
    created_at: number;
  }[];
  const versions = db
    .prepare(
      `SELECT ${VERSION_COLUMNS} FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id ORDER BY v.dataset_id, v.version DESC`,
    )
    .all() as VersionRow[];
  return datasets.map((d) => ({
    id: d.id,
    name: d.name,
    task: d.task,
    description: d.description,
    createdAt: d.created_at,
    versions: versions
      .filter((v) => v.dataset_id === d.id)
      .map((v) => toSummary(v, JSON.parse(v.build_report) as BuildReport)),
  }));
}

function toExample(r: ExampleRow): DatasetExample {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    split: r.split,
    groupKey: r.group_key,
    example: JSON.parse(r.example) as DatasetExample['example'],
    labels: JSON.parse(r.labels) as DatasetExampleLabels,
    tokenCount: r.token_count,
    contentHash: r.content_hash,
  };
}

export function listExamples(
  db: Db,
  q: { versionId: number; split?: Split | undefined; limit: number; offset: number },
): { items: DatasetExample[]; total: number } {
  const where = q.split ? 'dataset_version_id = ? AND split = ?' : 'dataset_version_id = ?';
  const params: unknown[] = q.split ? [q.versionId, q.split] : [q.versionId];
  const total = (
    db.prepare(`SELECT COUNT(*) AS n FROM dataset_examples WHERE ${where}`).get(...params) as { n: number }
  ).n;
  const rows = db
    .prepare(`SELECT * FROM dataset_examples WHERE ${where} ORDER BY id LIMIT ? OFFSET ?`)
    .all(...params, q.limit, q.offset) as ExampleRow[];
  return { items: rows.map(toExample), total };
}

/**
 * A version's stored example JSON in order, read in batches by rowid: no statement stays open
 * between batches, so other commands can use the connection while an export awaits the disk.
 */
export function* iterateExampleJson(db: Db, versionId: number, split?: Split, batch = 4000): Generator<string> {
  const stmt = split
    ? db.prepare(
        'SELECT id, example FROM dataset_examples WHERE id > ? AND +dataset_version_id = ? AND split = ? ORDER BY id LIMIT ?',
      )
    : db.prepare(
        'SELECT id, example FROM dataset_examples WHERE id > ? AND +dataset_version_id = ? ORDER BY id LIMIT ?',
      );
  stmt.raw(true);
  let last = 0;
  for (;;) {
    const rows = (split ? stmt.all(last, versionId, split, batch) : stmt.all(last, versionId, batch)) as [
      number,
      string,
    ][];
    if (rows.length === 0) return;
    for (const r of rows) yield r[1];
    last = rows[rows.length - 1]![0];
  }
}

export function pseudonymMapping(db: Db, versionId: number): PseudonymEntry[] {
  return db
    .prepare('SELECT token, kind, original FROM dataset_pseudonyms WHERE dataset_version_id = ? ORDER BY kind, token')
    .all(versionId) as PseudonymEntry[];
}

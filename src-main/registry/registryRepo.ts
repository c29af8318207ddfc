import type { Db } from '../db/connection';
import { TASKS, type ModelKind, type RegistryHistoryEntry, type RegistryVersion, type Task } from '../contract/index';

interface VersionRow {
  id: number;
  name: string;
  kind: ModelKind;
  parent_model_id: number | null;
  parent_name: string | null;
  dataset_version_id: number | null;
  dataset_name: string | null;
  dataset_version: number | null;
  dataset_hash: string | null;
  produced_by_job_id: number | null;
  archived: 0 | 1;
  created_at: number;
  metadata: string;
}

const VERSION_SQL = `SELECT m.id, m.name, m.kind, m.parent_model_id, p.name AS parent_name, m.dataset_version_id,
    d.name AS dataset_name, v.version AS dataset_version, v.content_hash AS dataset_hash, m.produced_by_job_id,
    m.archived, m.created_at, m.metadata
  FROM models m
  LEFT JOIN models p ON p.id = m.parent_model_id
  LEFT JOIN dataset_versions v ON v.id = m.dataset_version_id
  LEFT JOIN datasets d ON d.id = v.dataset_id`;

function tasksBy(db: Db, column: 'model_id' | 'previous_model_id'): Map<number, Task[]> {
  const rows = db.prepare(`SELECT task, ${column} AS id FROM active_models WHERE ${column} IS NOT NULL`).all() as {
    task: Task;
    id: number;
  }[];
  const out = new Map<number, Task[]>();
  for (const r of rows) out.set(r.id, [...(out.get(r.id) ?? []), r.task]);
  return out;
}

/** Latest finished evaluation of each model: its headline accuracy and verdict macro-F1. */
function latestEvaluations(db: Db): Map<number, RegistryVersion['latestEvaluation']> {
  const rows = db
    .prepare(
      `SELECT e.id, COALESCE(e.finished_at, e.created_at) AS at, j.value AS m
         FROM evaluations e, json_each(e.metrics) j
        WHERE e.status = 'succeeded' AND e.metrics IS NOT NULL
        ORDER BY at, e.id`,
    )
    .all() as { id: number; at: number; m: string }[];
  const out = new Map<number, RegistryVersion['latestEvaluation']>();
  for (const r of rows) {
    const m = JSON.parse(r.m) as {
      modelId: number;
      accuracy: number | null;
      fields?: { verdict?: { macroF1: number | null } };
    };
    out.set(m.modelId, {
      evaluationId: r.id,
      at: r.at,
      accuracy: m.accuracy ?? null,
      verdictMacroF1: m.fields?.verdict?.macroF1 ?? null,
    });
  }
  return out;
}

export function parseMetadata(s: string): Record<string, unknown> {
  try {
    const v = JSON.parse(s) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function depthOf(id: number, parents: Map<number, number | null>): number {
  let depth = 0;
  const seen = new Set<number>([id]);
  for (let p = parents.get(id) ?? null; p !== null && !seen.has(p); p = parents.get(p) ?? null) {
    seen.add(p);
    depth++;
  }
  return depth;
}

export function listVersions(db: Db, includeArchived: boolean): RegistryVersion[] {
  const rows = db
    .prepare(`${VERSION_SQL} ${includeArchived ? '' : 'WHERE m.archived = 0'} ORDER BY m.created_at, m.id`)
    .all() as VersionRow[];
  const parents = new Map(
    (
      db.prepare('SELECT id, parent_model_id FROM models').all() as { id: number; parent_model_id: number | null }[]
    ).map((r) => [r.id, r.parent_model_id]),
  );
  const active = tasksBy(db, 'model_id');
  const previous = tasksBy(db, 'previous_model_id');
  const evals = latestEvaluations(db);
  return rows.map((r) => toVersion(r, depthOf(r.id, parents), active, previous, evals));
}

export function getVersion(db: Db, id: number): RegistryVersion | null {
  return listVersions(db, true).find((v) => v.id === id) ?? null;
}

function toVersion(
  r: VersionRow,
  depth: number,
  active: Map<number, Task[]>,
  previous: Map<number, Task[]>,
  evals: Map<number, RegistryVersion['latestEvaluation']>,
): RegistryVersion {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    parentModelId: r.parent_model_id,
    parentName: r.parent_name,
    depth,
    datasetVersionId: r.dataset_version_id,
    datasetLabel: r.dataset_name !== null ? `${r.dataset_name} v${r.dataset_version}` : null,
    datasetHash: r.dataset_hash,
    jobId: r.produced_by_job_id,
    archived: r.archived === 1,
    activeFor: active.get(r.id) ?? [],
    previousFor: previous.get(r.id) ?? [],
    createdAt: r.created_at,
    latestEvaluation: evals.get(r.id) ?? null,
  };
}

export function modelMetadata(db: Db, id: number): Record<string, unknown> {
  const row = db.prepare('SELECT metadata FROM models WHERE id = ?').get(id) as { metadata: string } | undefined;
  return row ? parseMetadata(row.metadata) : {};
}

/** Root base first, the model last; stops at a cycle. */
export function lineageOf(db: Db, id: number): { id: number; name: string }[] {
  const get = db.prepare('SELECT id, name, parent_model_id FROM models WHERE id = ?');
  const chain: { id: number; name: string }[] = [];
  const seen = new Set<number>();
  let at: number | null = id;
  while (at !== null && !seen.has(at)) {
    seen.add(at);
    const row = get.get(at) as { id: number; name: string; parent_model_id: number | null } | undefined;
    if (!row) break;
    chain.unshift({ id: row.id, name: row.name });
    at = row.parent_model_id;
  }
  return chain;
}

export interface ActiveRow {
  task: Task;
  model_id: number;
  previous_model_id: number | null;
  updated_at: number;
}

export function activeRow(db: Db, task: Task): ActiveRow | null {
  return (db.prepare('SELECT * FROM active_models WHERE task = ?').get(task) as ActiveRow | undefined) ?? null;
}

/** In the order tasks are listed everywhere else (triage first). */
export function activeRows(db: Db): ActiveRow[] {
  const rows = db.prepare('SELECT * FROM active_models').all() as ActiveRow[];
  return rows.sort((a, b) => TASKS.indexOf(a.task) - TASKS.indexOf(b.task));
}

export function insertHistory(
  db: Db,
  e: {
    task: Task;
    action: 'promote' | 'rollback';
    modelId: number;
    fromModelId: number | null;
    actor: string;
    reason: string;
  },
): number {
  return Number(
    db
      .prepare(
        'INSERT INTO active_model_history (task, action, model_id, from_model_id, actor, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(e.task, e.action, e.modelId, e.fromModelId, e.actor, e.reason, Date.now()).lastInsertRowid,
  );
}

/** The model that was active before `modelId` was last promoted for the task (the next roll-back target). */
export function promotedFrom(db: Db, task: Task, modelId: number): number | null {
  const row = db
    .prepare(
      `SELECT from_model_id FROM active_model_history WHERE task = ? AND model_id = ? AND action = 'promote'
       ORDER BY id DESC LIMIT 1`,
    )
    .get(task, modelId) as { from_model_id: number | null } | undefined;
  return row?.from_model_id ?? null;
}

export function setPrevious(db: Db, task: Task, previousModelId: number | null): void {
  db.prepare('UPDATE active_models SET previous_model_id = ? WHERE task = ?').run(previousModelId, task);
}

export function listHistory(db: Db, task: Task | undefined, limit: number): RegistryHistoryEntry[] {
  const rows = db
    .prepare(
      `SELECT h.*, m.name AS model_name, f.name AS from_name FROM active_model_history h
         JOIN models m ON m.id = h.model_id LEFT JOIN models f ON f.id = h.from_model_id
        ${task ? 'WHERE h.task = ?' : ''} ORDER BY h.id DESC LIMIT ?`,
    )
    .all(...(task ? [task, limit] : [limit])) as {
    id: number;
    task: Task;
    action: 'promote' | 'rollback';
    model_id: number;
    model_name: string;
    from_model_id: number | null;
    from_name: string | null;
    actor: string;
    reason: string;
    at: number;
  }[];
  return rows.map((r) => ({
    id: r.id,
    task: r.task,
    action: r.action,
    modelId: r.model_id,
    modelName: r.model_name,
    fromModelId: r.from_model_id,
    fromModelName: r.from_name,
    actor: r.actor,
    reason: r.reason,
    at: r.at,
  }));
}

export function setLineage(
  db: Db,
  id: number,
  patch: { parentModelId?: number | null; datasetVersionId?: number | null; hyperparameters?: Record<string, unknown> },
): void {
  if (patch.parentModelId !== undefined)
    db.prepare('UPDATE models SET parent_model_id = ? WHERE id = ?').run(patch.parentModelId, id);
  if (patch.datasetVersionId !== undefined)
    db.prepare('UPDATE models SET dataset_version_id = ? WHERE id = ?').run(patch.datasetVersionId, id);
  if (patch.hyperparameters !== undefined) {
    db.prepare("UPDATE models SET metadata = json_set(metadata, '$.hyperparameters', json(?)) WHERE id = ?").run(
      JSON.stringify(patch.hyperparameters),
      id,
    );
  }
}

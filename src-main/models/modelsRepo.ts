import type { Db } from '../db/connection';
import type { ActiveModelChange, GgufSummary, ModelKind, ModelStorage, ModelSummary, Task } from '../contract/index';

interface ModelRow {
  id: number;
  name: string;
  kind: ModelKind;
  path: string | null;
  sha256: string | null;
  endpoint_id: number | null;
  remote_model: string | null;
  metadata: string;
  parent_model_id: number | null;
  archived: 0 | 1;
  created_at: number;
}

/** What the `metadata` JSON column holds for models this capability registers. */
interface ModelMetadata {
  storage?: ModelStorage;
  info?: GgufSummary;
  [extra: string]: unknown;
}

export interface NewModel {
  name: string;
  kind: ModelKind;
  path?: string | null;
  sha256?: string | null;
  endpointId?: number | null;
  remoteModel?: string | null;
  storage?: ModelStorage | null;
  info?: GgufSummary | null;
  parentModelId?: number | null;
}

/** The fields a provider needs to run a model. */
export interface ModelRecord {
  id: number;
  name: string;
  kind: ModelKind;
  path: string | null;
  endpointId: number | null;
  remoteModel: string | null;
  archived: boolean;
  info: GgufSummary | null;
}

function parseMetadata(s: string): ModelMetadata {
  try {
    const v = JSON.parse(s) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as ModelMetadata) : {};
  } catch {
    return {};
  }
}

function toSummary(r: ModelRow, activeFor: Task[]): ModelSummary {
  const meta = parseMetadata(r.metadata);
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    path: r.path,
    sha256: r.sha256,
    storage: meta.storage ?? null,
    info: meta.info ?? null,
    endpointId: r.endpoint_id,
    remoteModel: r.remote_model,
    parentModelId: r.parent_model_id,
    archived: r.archived === 1,
    activeFor,
    createdAt: r.created_at,
  };
}

/** task → model id for every task with an active model. */
export function activeModelIds(db: Db): Map<Task, number> {
  const rows = db.prepare('SELECT task, model_id FROM active_models').all() as { task: Task; model_id: number }[];
  return new Map(rows.map((r) => [r.task, r.model_id]));
}

function activeByModel(db: Db): Map<number, Task[]> {
  const byModel = new Map<number, Task[]>();
  for (const [task, id] of activeModelIds(db)) byModel.set(id, [...(byModel.get(id) ?? []), task]);
  return byModel;
}

export function listModels(db: Db, includeArchived: boolean): ModelSummary[] {
  const rows = db
    .prepare(
      `SELECT * FROM models ${includeArchived ? '' : 'WHERE archived = 0'} ORDER BY archived, created_at DESC, id DESC`,
    )
    .all() as ModelRow[];
  const active = activeByModel(db);
  return rows.map((r) => toSummary(r, active.get(r.id) ?? []));
}

export function getModelSummary(db: Db, id: number): ModelSummary | null {
  const row = db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
  return row ? toSummary(row, activeByModel(db).get(id) ?? []) : null;
}

export function getModelRecord(db: Db, id: number): ModelRecord | null {
  const row = db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
  if (!row) return null;
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    path: row.path,
    endpointId: row.endpoint_id,
    remoteModel: row.remote_model,
    archived: row.archived === 1,
    info: parseMetadata(row.metadata).info ?? null,
  };
}

export function findModelBySha(db: Db, sha256: string): { id: number; name: string; archived: boolean } | null {
  const row = db
    .prepare('SELECT id, name, archived FROM models WHERE sha256 = ? ORDER BY archived, id LIMIT 1')
    .get(sha256) as { id: number; name: string; archived: 0 | 1 } | undefined;
  return row ? { id: row.id, name: row.name, archived: row.archived === 1 } : null;
}

export function insertModel(db: Db, m: NewModel): number {
  const metadata: ModelMetadata = {};
  if (m.storage) metadata.storage = m.storage;
  if (m.info) metadata.info = m.info;
  const info = db
    .prepare(
      `INSERT INTO models (name, kind, path, sha256, endpoint_id, remote_model, metadata, parent_model_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      m.name,
      m.kind,
      m.path ?? null,
      m.sha256 ?? null,
      m.endpointId ?? null,
      m.remoteModel ?? null,
      JSON.stringify(metadata),
      m.parentModelId ?? null,
      Date.now(),
    );
  return Number(info.lastInsertRowid);
}

export function setModelArchived(db: Db, id: number, archived: boolean): boolean {
  return db.prepare('UPDATE models SET archived = ? WHERE id = ?').run(archived ? 1 : 0, id).changes > 0;
}

/** Points a task at a model, remembering the one it replaces (for roll-back). */
export function setActiveModel(db: Db, task: Task, modelId: number): ActiveModelChange {
  return db.transaction(() => {
    const current = db.prepare('SELECT model_id, previous_model_id FROM active_models WHERE task = ?').get(task) as
      { model_id: number; previous_model_id: number | null } | undefined;
    if (current?.model_id === modelId) return { task, modelId, previousModelId: current.previous_model_id };
    const previousModelId = current?.model_id ?? null;
    db.prepare(
      `INSERT INTO active_models (task, model_id, previous_model_id, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(task) DO UPDATE SET model_id = excluded.model_id, previous_model_id = excluded.previous_model_id,
         updated_at = excluded.updated_at`,
    ).run(task, modelId, previousModelId, Date.now());
    return { task, modelId, previousModelId };
  })();
}

export function endpointKind(db: Db, endpointId: number): 'openai' | 'openai_compatible' | null {
  const row = db.prepare('SELECT kind FROM endpoints WHERE id = ?').get(endpointId) as
    { kind: 'openai' | 'openai_compatible' } | undefined;
  return row?.kind ?? null;
}

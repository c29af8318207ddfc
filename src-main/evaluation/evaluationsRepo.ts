import type { Db } from '../db/connection';
import type {
  EvaluationExpected,
  EvaluationOptions,
  EvaluationSource,
  EvaluationStatus,
  ModelEvalMetrics,
} from '../contract/index';

interface EvaluationRow {
  id: number;
  name: string;
  status: EvaluationStatus;
  dataset_version_id: number | null;
  filter: string | null;
  model_ids: string;
  metrics: string | null;
  created_at: number;
  finished_at: number | null;
  job_id: number | null;
  options: string;
  error: string | null;
}

export interface EvaluationRecord {
  id: number;
  name: string;
  status: EvaluationStatus;
  source: EvaluationSource;
  datasetVersionId: number | null;
  modelIds: number[];
  metrics: ModelEvalMetrics[] | null;
  options: EvaluationOptions;
  jobId: number | null;
  error: string | null;
  /** Examples in the source when the run last started (per model). */
  exampleCount: number;
  createdAt: number;
  finishedAt: number | null;
}

/** `filter` holds the source: `{kind:'dataset', split}` with the version in its column, or `{kind:'filter', filter}`. */
function toRecord(r: EvaluationRow): EvaluationRecord {
  const stored = r.filter ? (JSON.parse(r.filter) as Record<string, unknown>) : {};
  const source: EvaluationSource =
    stored.kind === 'filter'
      ? { kind: 'filter', filter: stored.filter as Extract<EvaluationSource, { kind: 'filter' }>['filter'] }
      : {
          kind: 'dataset',
          versionId: r.dataset_version_id ?? 0,
          split: (stored.split as Extract<EvaluationSource, { kind: 'dataset' }>['split']) ?? 'test',
        };
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    source,
    datasetVersionId: r.dataset_version_id,
    modelIds: JSON.parse(r.model_ids) as number[],
    metrics: r.metrics ? (JSON.parse(r.metrics) as ModelEvalMetrics[]) : null,
    options: JSON.parse(r.options) as EvaluationOptions,
    jobId: r.job_id,
    error: r.error,
    exampleCount: typeof stored.examples === 'number' ? stored.examples : 0,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

export function insertEvaluation(
  db: Db,
  e: { name: string; source: EvaluationSource; modelIds: number[]; options: EvaluationOptions; examples: number },
): number {
  const stored = { ...storedSource(e.source), examples: e.examples };
  const info = db
    .prepare(
      `INSERT INTO evaluations (name, status, dataset_version_id, filter, model_ids, options, created_at)
       VALUES (?, 'queued', ?, ?, ?, ?, ?)`,
    )
    .run(
      e.name,
      e.source.kind === 'dataset' ? e.source.versionId : null,
      JSON.stringify(stored),
      JSON.stringify(e.modelIds),
      JSON.stringify(e.options),
      Date.now(),
    );
  return Number(info.lastInsertRowid);
}

function storedSource(source: EvaluationSource): Record<string, unknown> {
  return source.kind === 'dataset' ? { kind: 'dataset', split: source.split } : { ...source };
}

export function setExampleCount(db: Db, id: number, source: EvaluationSource, examples: number): void {
  db.prepare('UPDATE evaluations SET filter = ? WHERE id = ?').run(
    JSON.stringify({ ...storedSource(source), examples }),
    id,
  );
}

export function getEvaluationRecord(db: Db, id: number): EvaluationRecord | null {
  const row = db.prepare('SELECT * FROM evaluations WHERE id = ?').get(id) as EvaluationRow | undefined;
  return row ? toRecord(row) : null;
}

export function listEvaluationRecords(db: Db, limit: number): EvaluationRecord[] {
  return (
    db.prepare('SELECT * FROM evaluations ORDER BY created_at DESC, id DESC LIMIT ?').all(limit) as EvaluationRow[]
  ).map(toRecord);
}

export function succeededEvaluations(db: Db, limit: number): EvaluationRecord[] {
  return (
    db
      .prepare(
        "SELECT * FROM evaluations WHERE status = 'succeeded' AND metrics IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT ?",
      )
      .all(limit) as EvaluationRow[]
  ).map(toRecord);
}

export function setEvaluationJob(db: Db, id: number, jobId: number): void {
  db.prepare('UPDATE evaluations SET job_id = ? WHERE id = ?').run(jobId, id);
}

export function setEvaluationStatus(
  db: Db,
  id: number,
  status: EvaluationStatus,
  extra: { error?: string | null; metrics?: ModelEvalMetrics[] | null; finished?: boolean } = {},
): void {
  db.prepare(
    `UPDATE evaluations SET status = ?, error = ?, metrics = COALESCE(?, metrics), finished_at = ? WHERE id = ?`,
  ).run(
    status,
    extra.error ?? null,
    extra.metrics ? JSON.stringify(extra.metrics) : null,
    extra.finished ? Date.now() : null,
    id,
  );
}

export interface NewResult {
  evaluationId: number;
  modelId: number;
  exampleRef: string;
  expected: EvaluationExpected;
  predicted: EvaluationExpected | null;
  rawOutput: string;
  valid: boolean;
  error: string | null;
  latencyMs: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number | null;
}

/** A result is written once: a resumed run skips refs already stored (the unique key guards races). */
export function insertResult(db: Db, r: NewResult): boolean {
  const info = db
    .prepare(
      `INSERT OR IGNORE INTO evaluation_results (evaluation_id, model_id, example_ref, expected, predicted, raw_output, valid,
         latency_ms, completion_tokens, prompt_tokens, error, cost_usd, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      r.evaluationId,
      r.modelId,
      r.exampleRef,
      JSON.stringify(r.expected),
      r.predicted ? JSON.stringify(r.predicted) : null,
      r.rawOutput,
      r.valid ? 1 : 0,
      Math.max(0, Math.round(r.latencyMs)),
      Math.max(0, Math.round(r.completionTokens)),
      Math.max(0, Math.round(r.promptTokens)),
      r.error,
      r.costUsd,
      Date.now(),
    );
  return info.changes > 0;
}

export function doneRefs(db: Db, evaluationId: number, modelId: number): Set<string> {
  return new Set(
    db
      .prepare('SELECT example_ref FROM evaluation_results WHERE evaluation_id = ? AND model_id = ?')
      .pluck()
      .all(evaluationId, modelId) as string[],
  );
}

export function countResults(db: Db, evaluationId: number): number {
  return (
    db.prepare('SELECT COUNT(*) AS n FROM evaluation_results WHERE evaluation_id = ?').get(evaluationId) as {
      n: number;
    }
  ).n;
}

interface ResultRow {
  id: number;
  model_id: number;
  example_ref: string;
  expected: string;
  predicted: string | null;
  raw_output: string;
  valid: 0 | 1;
  latency_ms: number;
  completion_tokens: number;
  prompt_tokens: number;
  error: string | null;
  cost_usd: number | null;
}

export interface ResultRecord {
  id: number;
  modelId: number;
  exampleRef: string;
  expected: EvaluationExpected;
  predicted: EvaluationExpected | null;
  rawOutput: string;
  valid: boolean;
  latencyMs: number;
  completionTokens: number;
  promptTokens: number;
  error: string | null;
  costUsd: number | null;
}

export function resultsOf(db: Db, evaluationId: number, modelId?: number): ResultRecord[] {
  const rows = (
    modelId === undefined
      ? db.prepare('SELECT * FROM evaluation_results WHERE evaluation_id = ? ORDER BY id').all(evaluationId)
      : db
          .prepare('SELECT * FROM evaluation_results WHERE evaluation_id = ? AND model_id = ? ORDER BY id')
          .all(evaluationId, modelId)
  ) as ResultRow[];
  return rows.map((r) => ({
    id: r.id,
    modelId: r.model_id,
    exampleRef: r.example_ref,
    expected: JSON.parse(r.expected) as EvaluationExpected,
    predicted: r.predicted ? (JSON.parse(r.predicted) as EvaluationExpected) : null,
    rawOutput: r.raw_output,
    valid: r.valid === 1,
    latencyMs: r.latency_ms,
    completionTokens: r.completion_tokens,
    promptTokens: r.prompt_tokens,
    error: r.error,
    costUsd: r.cost_usd,
  }));
}

export function addWallTime(
  db: Db,
  evaluationId: number,
  modelId: number,
  wallMs: number,
  parallel: number | null,
): void {
  db.prepare(
    `INSERT INTO evaluation_model_runs (evaluation_id, model_id, wall_ms, parallel) VALUES (?, ?, ?, ?)
     ON CONFLICT(evaluation_id, model_id) DO UPDATE SET wall_ms = wall_ms + excluded.wall_ms,
       parallel = COALESCE(excluded.parallel, parallel)`,
  ).run(evaluationId, modelId, Math.max(0, Math.round(wallMs)), parallel);
}

export function modelRuns(db: Db, evaluationId: number): Map<number, { wallMs: number; parallel: number | null }> {
  const rows = db
    .prepare('SELECT model_id, wall_ms, parallel FROM evaluation_model_runs WHERE evaluation_id = ?')
    .all(evaluationId) as { model_id: number; wall_ms: number; parallel: number | null }[];
  return new Map(rows.map((r) => [r.model_id, { wallMs: r.wall_ms, parallel: r.parallel }]));
}

/** Titles of the conversations behind example refs (`de:<dataset example id>` or `conv:<conversation id>`). */
export function titlesOf(db: Db, refs: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const byExample = db.prepare(
    'SELECT c.title FROM dataset_examples e JOIN conversations c ON c.id = e.conversation_id WHERE e.id = ?',
  );
  const byConversation = db.prepare('SELECT title FROM conversations WHERE id = ?');
  for (const ref of refs) {
    const [kind, raw] = ref.split(':');
    const id = Number(raw);
    if (!Number.isInteger(id)) continue;
    const row = (kind === 'de' ? byExample.get(id) : kind === 'conv' ? byConversation.get(id) : undefined) as
      { title: string } | undefined;
    if (row) out.set(ref, row.title);
  }
  return out;
}

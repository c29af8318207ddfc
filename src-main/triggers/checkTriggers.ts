import {
  EVAL_METRIC_LABELS,
  LOWER_IS_BETTER,
  TriggerRulesSchema,
  type EvalMetric,
  type Task,
  type TriggerNotice,
  type TriggerRules,
} from '../contract/index';
import type { HandlerContext } from '../core/capability';
import type { Db } from '../db/connection';
import { getEvaluationRecord, succeededEvaluations, type EvaluationRecord } from '../evaluation/evaluationsRepo';
import { headline } from '../evaluation/scoreModel';
import { getModelRecord } from '../models/modelsRepo';
import { getSetting } from '../settings/settingsRepo';
import { activeRow, activeRows } from '../registry/registryRepo';
import { startAutoTraining } from './autoTrain';
import { attachJob, raiseNotice, wasRaised, type NewNotice } from './triggersRepo';

export const RULES_SETTING = 'triggers.rules';

type Ctx = Pick<HandlerContext, 'db' | 'bus' | 'services' | 'log'>;

export function readRules(db: Db): TriggerRules {
  const parsed = TriggerRulesSchema.safeParse(getSetting(db, RULES_SETTING) ?? {});
  return parsed.success ? parsed.data : TriggerRulesSchema.parse({});
}

function pct(v: number | null): string {
  return v === null ? '—' : `${(v * 100).toFixed(1)}%`;
}

function nameOf(db: Db, id: number): string {
  return getModelRecord(db, id)?.name ?? `model ${id}`;
}

/** Approved examples of the task that are not in the dataset version the active model was trained on. */
export function newApprovedCount(db: Db, task: Task, datasetVersionId: number | null): number {
  const row = db
    .prepare(
      `SELECT COUNT(*) AS n FROM training_labels l
         JOIN reviews r ON r.label_id = l.id AND r.status = 'approved'
         JOIN conversations c ON c.id = l.conversation_id AND c.task = ?
        WHERE ? IS NULL OR NOT EXISTS (
          SELECT 1 FROM dataset_examples e WHERE e.dataset_version_id = ? AND e.conversation_id = l.conversation_id)`,
    )
    .get(task, datasetVersionId, datasetVersionId) as { n: number };
  return row.n;
}

function worse(metric: EvalMetric, value: number, reference: number, tolerance: number): boolean {
  return LOWER_IS_BETTER.includes(metric) ? value > reference + tolerance : value < reference - tolerance;
}

function datasetOf(db: Db, modelId: number): number | null {
  const row = db.prepare('SELECT dataset_version_id FROM models WHERE id = ?').get(modelId) as
    { dataset_version_id: number | null } | undefined;
  return row?.dataset_version_id ?? null;
}

function newApprovedNotice(db: Db, rules: TriggerRules): NewNotice | null {
  const rule = rules.newApproved;
  if (!rule.enabled) return null;
  const active = activeRow(db, rule.task);
  if (!active) return null;
  const n = newApprovedCount(db, rule.task, datasetOf(db, active.model_id));
  if (n < rule.minExamples) return null;
  const model = nameOf(db, active.model_id);
  return {
    kind: 'suggestion',
    rule: 'newApproved',
    task: rule.task,
    // one open suggestion per active model and per further `minExamples` approved
    dedupKey: `newApproved:${rule.task}:${active.model_id}:${Math.floor(n / rule.minExamples)}`,
    message: `${n} approved ${rule.task} examples are not in the data "${model}" was trained on (rule: ${rule.minExamples}). Consider training a new version.`,
    details: { count: n, threshold: rule.minExamples, activeModelId: active.model_id, autoTrain: rule.autoTrain },
  };
}

function latestWith(db: Db, modelId: number, where?: (r: EvaluationRecord) => boolean): EvaluationRecord | null {
  return succeededEvaluations(db, 500).find((r) => r.modelIds.includes(modelId) && (!where || where(r))) ?? null;
}

function metricNotice(db: Db, rules: TriggerRules): NewNotice | null {
  const rule = rules.metricBelow;
  if (!rule.enabled) return null;
  const active = activeRow(db, rule.task);
  if (!active) return null;
  const rec = latestWith(db, active.model_id);
  const m = rec?.metrics?.find((x) => x.modelId === active.model_id);
  if (!rec || !m) return null;
  const value = headline(m)[rule.metric];
  if (value === null) return null;
  const bad = LOWER_IS_BETTER.includes(rule.metric) ? value > rule.threshold : value < rule.threshold;
  if (!bad) return null;
  const label = EVAL_METRIC_LABELS[rule.metric];
  return {
    kind: 'suggestion',
    rule: 'metricBelow',
    task: rule.task,
    dedupKey: `metricBelow:${rule.task}:${active.model_id}:${rec.id}:${rule.metric}`,
    message: `${label} of the active ${rule.task} model "${nameOf(db, active.model_id)}" is ${pct(value)} in evaluation #${rec.id} (rule: ${
      LOWER_IS_BETTER.includes(rule.metric) ? 'at most' : 'at least'
    } ${pct(rule.threshold)}). Consider retraining.`,
    details: {
      evaluationId: rec.id,
      metric: rule.metric,
      value,
      threshold: rule.threshold,
      activeModelId: active.model_id,
      autoTrain: rule.autoTrain,
    },
  };
}

/**
 * Regression alerts for one evaluation: a model that is newer than a task's active model and scores worse
 * than it, on this run or (when the active model is not in it) on the active model's latest run on the
 * same dataset version and split.
 */
export function regressionNotices(db: Db, rules: TriggerRules, rec: EvaluationRecord): NewNotice[] {
  const rule = rules.regression;
  if (!rule.enabled || rec.status !== 'succeeded' || !rec.metrics) return [];
  const out: NewNotice[] = [];
  const label = EVAL_METRIC_LABELS[rule.metric];
  const seen = new Set<string>();
  for (const active of activeRows(db)) {
    const activeModel = getModelRecord(db, active.model_id);
    if (!activeModel) continue;
    let reference = rec.metrics.find((m) => m.modelId === active.model_id);
    let referenceEval = rec;
    if (!reference && rec.source.kind === 'dataset') {
      const split = rec.source.split;
      const other = latestWith(
        db,
        active.model_id,
        (r) => r.datasetVersionId === rec.datasetVersionId && r.source.kind === 'dataset' && r.source.split === split,
      );
      reference = other?.metrics?.find((m) => m.modelId === active.model_id);
      if (other) referenceEval = other;
    }
    const refValue = reference ? headline(reference)[rule.metric] : null;
    if (!reference || refValue === null) continue;
    const activeCreated = (
      db.prepare('SELECT created_at FROM models WHERE id = ?').get(active.model_id) as { created_at: number }
    ).created_at;
    for (const m of rec.metrics) {
      if (m.modelId === active.model_id) continue;
      const created = db.prepare('SELECT created_at FROM models WHERE id = ?').get(m.modelId) as
        { created_at: number } | undefined;
      if (!created || created.created_at < activeCreated) continue;
      const value = headline(m)[rule.metric];
      if (value === null || !worse(rule.metric, value, refValue, rule.tolerance)) continue;
      const key = `regression:${rec.id}:${m.modelId}:${active.model_id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        kind: 'alert',
        rule: 'regression',
        task: active.task,
        dedupKey: key,
        message: `"${nameOf(db, m.modelId)}" scores worse than the active ${active.task} model "${activeModel.name}": ${label} ${pct(
          value,
        )} vs ${pct(refValue)} (evaluation #${rec.id}). Do not promote it without a closer look.`,
        details: {
          evaluationId: rec.id,
          referenceEvaluationId: referenceEval.id,
          modelId: m.modelId,
          activeModelId: active.model_id,
          metric: rule.metric,
          value,
          reference: refValue,
        },
      });
    }
  }
  return out;
}

async function raise(ctx: Ctx, n: NewNotice): Promise<TriggerNotice | null> {
  if (wasRaised(ctx.db, n.dedupKey)) return null;
  const notice = raiseNotice(ctx.db, n);
  if (!notice) return null;
  if (n.details.autoTrain === true && n.task && typeof n.details.activeModelId === 'number') {
    const outcome = await startAutoTraining(ctx, n.task, n.details.activeModelId);
    const details = { ...n.details, training: outcome };
    const message = outcome.started
      ? `${n.message} Training job #${outcome.jobId} was started automatically.`
      : `${n.message} ${outcome.reason}`;
    attachJob(ctx.db, notice.id, outcome.started ? outcome.jobId : null, details, message);
    Object.assign(notice, { details, message, jobId: outcome.started ? outcome.jobId : null });
  }
  ctx.bus.emit('triggers.raised', { id: notice.id, kind: notice.kind, rule: notice.rule, message: notice.message });
  return notice;
}

/** Evaluates every rule (and, given one, regression on an evaluation); returns the notices raised. */
export async function checkTriggers(ctx: Ctx, opts: { evaluationId?: number } = {}): Promise<TriggerNotice[]> {
  const rules = readRules(ctx.db);
  const candidates: NewNotice[] = [];
  const a = newApprovedNotice(ctx.db, rules);
  if (a) candidates.push(a);
  const b = metricNotice(ctx.db, rules);
  if (b) candidates.push(b);
  const rec =
    opts.evaluationId !== undefined
      ? getEvaluationRecord(ctx.db, opts.evaluationId)
      : (succeededEvaluations(ctx.db, 1)[0] ?? null);
  if (rec) candidates.push(...regressionNotices(ctx.db, rules, rec));
  const raised: TriggerNotice[] = [];
  for (const c of candidates) {
    const n = await raise(ctx, c);
    if (n) raised.push(n);
  }
  return raised;
}

import {
  EVAL_FIELDS,
  WorkbenchError,
  type EvaluationHistoryPoint,
  type EvaluationResultRow,
  type ParsedRequest,
} from '../contract/index';
import type { Capability, HandlerContext } from '../core/capability';
import type { Db } from '../db/connection';
import { getModelRecord } from '../models/modelsRepo';
import { setSetting } from '../settings/settingsRepo';
import { countExamples } from './evalExamples';
import { createEvaluationRunner } from './evaluationRunner';
import {
  getEvaluationRecord,
  insertEvaluation,
  listEvaluationRecords,
  resultsOf,
  setEvaluationJob,
  setEvaluationStatus,
  succeededEvaluations,
  titlesOf,
  type EvaluationRecord,
} from './evaluationsRepo';
import { datasetVersionLabel, sourceLabel, toDetail, toSummary } from './evaluationViews';
import { parseTriageAnswer } from './parseTriageAnswer';
import { PRICES_SETTING, priceOverrides, priceTable } from './prices';
import { fieldPair, headline } from './scoreModel';

function mustGet(db: Db, id: number): EvaluationRecord {
  const rec = getEvaluationRecord(db, id);
  if (!rec) throw new WorkbenchError('not_found', `Evaluation ${id} does not exist.`);
  return rec;
}

function start(args: ParsedRequest<'evaluation.start'>, ctx: HandlerContext) {
  const { db, services } = ctx;
  const modelIds = [...new Set(args.modelIds)];
  const names: string[] = [];
  for (const id of modelIds) {
    const m = getModelRecord(db, id);
    if (!m) throw new WorkbenchError('not_found', `Model ${id} does not exist.`);
    if (m.archived) throw new WorkbenchError('conflict', `"${m.name}" is archived; restore it to evaluate it.`);
    names.push(m.name);
  }
  const examples = countExamples(db, args.source, args.options.limit);
  if (examples === 0) {
    throw new WorkbenchError(
      'bad_input',
      args.source.kind === 'dataset'
        ? `The ${args.source.split} split of this dataset version is empty.`
        : 'No approved, labelled conversations match this filter.',
    );
  }
  const name =
    args.name ??
    `${names.join(' vs ')} · ${
      args.source.kind === 'dataset'
        ? (datasetVersionLabel(db, args.source.versionId)?.label ?? 'dataset')
        : 'labelled conversations'
    }`;
  const id = db.transaction(() => {
    const evaluationId = insertEvaluation(db, { name, source: args.source, modelIds, options: args.options, examples });
    const job = services.get('jobs').enqueue({
      kind: 'evaluation',
      params: { evaluationId },
      datasetVersionId: args.source.kind === 'dataset' ? args.source.versionId : null,
      maxAttempts: 1,
    });
    setEvaluationJob(db, evaluationId, job.id);
    return evaluationId;
  })();
  if (ctx.audit) {
    ctx.audit.subject = String(id);
    ctx.audit.details = { modelIds, source: args.source, examples };
  }
  return toDetail(db, mustGet(db, id));
}

function resume(id: number, ctx: HandlerContext) {
  const { db, services } = ctx;
  const rec = mustGet(db, id);
  const jobs = services.get('jobs');
  const job = rec.jobId !== null ? jobStatus(db, rec.jobId) : null;
  if (rec.status === 'succeeded') throw new WorkbenchError('conflict', 'This evaluation has finished.');
  if (job === 'queued' || job === 'preparing' || job === 'running') {
    throw new WorkbenchError('conflict', 'This evaluation is already running.');
  }
  setEvaluationStatus(db, id, 'queued');
  if (rec.jobId !== null && job !== null) jobs.retry(rec.jobId);
  else {
    const fresh = jobs.enqueue({ kind: 'evaluation', params: { evaluationId: id }, maxAttempts: 1 });
    setEvaluationJob(db, id, fresh.id);
  }
  const summary = toSummary(db, mustGet(db, id));
  ctx.bus.emit('evaluation.progress', { evaluationId: id, status: 'queued', modelId: null, ...summary.progress });
  return summary;
}

function jobStatus(db: Db, jobId: number): string | null {
  const row = db.prepare('SELECT status FROM jobs WHERE id = ?').get(jobId) as { status: string } | undefined;
  return row?.status ?? null;
}

function results(args: ParsedRequest<'evaluation.results'>, db: Db) {
  const rec = mustGet(db, args.id);
  let rows = resultsOf(db, rec.id, args.modelId);
  if (args.field) {
    const field = args.field;
    rows = rows.filter((r) => {
      const pair = fieldPair(field, r);
      if (!pair) return false;
      if (args.expected !== undefined && pair.expected !== args.expected) return false;
      if (args.predicted !== undefined && pair.predicted !== args.predicted) return false;
      return !args.onlyWrong || pair.expected !== pair.predicted;
    });
  } else if (args.onlyWrong) {
    rows = rows.filter((r) =>
      EVAL_FIELDS.some((f) => {
        const p = fieldPair(f, r);
        return p !== null && p.expected !== p.predicted;
      }),
    );
  }
  const page = rows.slice(args.offset, args.offset + args.limit);
  const titles = titlesOf(
    db,
    page.map((r) => r.exampleRef),
  );
  const items: EvaluationResultRow[] = page.map((r) => ({
    id: r.id,
    modelId: r.modelId,
    exampleRef: r.exampleRef,
    title: titles.get(r.exampleRef) ?? null,
    expected: r.expected,
    predicted: r.predicted,
    rawOutput: r.rawOutput,
    valid: r.valid,
    error: r.error ?? (r.valid ? null : invalidReason(r.rawOutput)),
    latencyMs: r.latencyMs,
    completionTokens: r.completionTokens,
  }));
  return { items, total: rows.length };
}

function invalidReason(raw: string): string {
  const p = parseTriageAnswer(raw, null);
  return p.ok ? 'not scored' : `Invalid answer (${p.reason}).`;
}

function history(args: ParsedRequest<'evaluation.history'>, db: Db): { items: EvaluationHistoryPoint[] } {
  const parentOf = db.prepare('SELECT parent_model_id FROM models WHERE id = ?').pluck();
  const items: EvaluationHistoryPoint[] = [];
  const recs = succeededEvaluations(db, args.limit).reverse();
  for (const rec of recs) {
    if (args.datasetVersionId !== undefined && rec.datasetVersionId !== args.datasetVersionId) continue;
    if (args.task) {
      const task =
        rec.source.kind === 'filter' ? rec.source.filter.task : datasetVersionLabel(db, rec.datasetVersionId)?.task;
      if (task !== args.task) continue;
    }
    for (const m of rec.metrics ?? []) {
      items.push({
        evaluationId: rec.id,
        evaluationName: rec.name,
        at: rec.finishedAt ?? rec.createdAt,
        datasetVersionId: rec.datasetVersionId,
        sourceLabel: sourceLabel(db, rec),
        modelId: m.modelId,
        modelName: getModelRecord(db, m.modelId)?.name ?? m.modelName,
        parentModelId: (parentOf.get(m.modelId) as number | null | undefined) ?? null,
        metrics: headline(m),
      });
    }
  }
  return { items };
}

/** Evaluation runs as jobs, their stored results and metrics, and the inference price table. */
export function createEvaluationCapability(): Capability {
  return {
    name: 'evaluation',
    start(ctx) {
      ctx.services.get('jobs').register(createEvaluationRunner(ctx));
    },
    afterStart({ db }) {
      // Runs whose job the app lost (interrupted at start-up, or failed without reaching the runner).
      db.prepare(
        `UPDATE evaluations SET status = 'cancelled', error = 'The app stopped during this evaluation; resume it to continue.'
         WHERE status IN ('queued', 'running')
           AND (job_id IS NULL OR (SELECT status FROM jobs WHERE jobs.id = evaluations.job_id) IN ('interrupted', 'cancelled', 'failed'))`,
      ).run();
    },
    handlers: {
      'evaluation.start': (args, ctx) => start(args, ctx),
      'evaluation.list': (args, { db }) => ({
        items: listEvaluationRecords(db, args.limit).map((r) => toSummary(db, r)),
      }),
      'evaluation.get': (args, { db }) => toDetail(db, mustGet(db, args.id)),
      'evaluation.cancel': (args, { db, services, bus }) => {
        const rec = mustGet(db, args.id);
        if (rec.status !== 'queued' && rec.status !== 'running') {
          throw new WorkbenchError('conflict', `Evaluation ${args.id} is ${rec.status}.`);
        }
        const status = rec.jobId !== null ? jobStatus(db, rec.jobId) : null;
        if (rec.jobId !== null && status !== null && !['succeeded', 'failed', 'cancelled'].includes(status)) {
          services.get('jobs').cancel(rec.jobId);
        }
        // A queued job never reaches the runner; a running one is marked by the runner when it stops.
        const after = jobStatus(db, rec.jobId ?? 0);
        if (after === null || after === 'cancelled' || after === 'interrupted') {
          setEvaluationStatus(db, rec.id, 'cancelled', { finished: true });
          bus.emit('evaluation.progress', {
            evaluationId: rec.id,
            status: 'cancelled',
            modelId: null,
            done: 0,
            total: 0,
          });
        }
        return toSummary(db, mustGet(db, args.id));
      },
      'evaluation.resume': (args, ctx) => resume(args.id, ctx),
      'evaluation.results': (args, { db }) => results(args, db),
      'evaluation.history': (args, { db }) => history(args, db),
      'evaluation.prices': (_args, { db }) => ({ prices: priceTable(db) }),
      'evaluation.setPrices': (args, { db, bus }) => {
        setSetting(db, PRICES_SETTING, args.prices);
        bus.emit('settings.changed', { key: PRICES_SETTING });
        return { prices: { ...priceTable(db), ...priceOverrides(db) } };
      },
    },
  };
}

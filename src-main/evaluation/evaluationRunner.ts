import { z } from 'zod';
import { WorkbenchError, type EvaluationStatus } from '../contract/index';
import type { HandlerContext } from '../core/capability';
import type { JobRunner } from '../jobs/jobEngine';
import { getModelRecord } from '../models/modelsRepo';
import { answerExamples } from './answerExamples';
import { loadExamples } from './evalExamples';
import {
  addWallTime,
  countResults,
  doneRefs,
  getEvaluationRecord,
  insertResult,
  setEvaluationStatus,
  setExampleCount,
} from './evaluationsRepo';
import { scoreEvaluation } from './evaluationViews';
import { answerToExpected, parseTriageAnswer } from './parseTriageAnswer';
import { costOf, priceFor, priceTable } from './prices';

const Params = z.object({ evaluationId: z.number().int().positive() }).loose();

type StartCtx = Omit<HandlerContext, 'actor'>;

/** Progress events at most this often; the last one always goes out. */
const PROGRESS_EVERY_MS = 250;

/**
 * The `evaluation` job: every model answers every example not answered yet (so a resumed run skips what
 * is stored), each answer is scored as it arrives, and the metrics are stored when all are in.
 */
export function createEvaluationRunner(ctx: StartCtx): JobRunner {
  const { db, bus, services, log } = ctx;
  const emit = (evaluationId: number, status: EvaluationStatus, modelId: number | null, done: number, total: number) =>
    bus.emit('evaluation.progress', { evaluationId, status, modelId, done, total });

  return {
    kind: 'evaluation',
    // Local models use this machine's cores, like training: one such job at a time.
    exclusive: true,
    onRestart: 'interrupt',
    async run(job) {
      const { evaluationId } = Params.parse(job.job.params);
      const rec = getEvaluationRecord(db, evaluationId);
      if (!rec) throw new WorkbenchError('not_found', `Evaluation ${evaluationId} does not exist.`);
      let total = rec.exampleCount * rec.modelIds.length;
      try {
        setEvaluationStatus(db, rec.id, 'running');
        job.setStatus('running');
        const examples = loadExamples(db, rec.source, rec.options.limit);
        if (!examples.length) throw new WorkbenchError('bad_input', 'The evaluation has no examples to run.');
        setExampleCount(db, rec.id, rec.source, examples.length);
        total = examples.length * rec.modelIds.length;
        let done = countResults(db, rec.id);
        emit(rec.id, 'running', null, done, total);
        const prices = priceTable(db);
        let lastEmit = 0;

        for (const modelId of rec.modelIds) {
          if (job.signal.aborted) break;
          const model = getModelRecord(db, modelId);
          if (!model) throw new WorkbenchError('not_found', `Model ${modelId} no longer exists.`);
          const skip = doneRefs(db, rec.id, modelId);
          const pending = examples.filter((e) => !skip.has(e.ref));
          if (!pending.length) continue;
          job.event(`${model.name}: ${pending.length} example${pending.length === 1 ? '' : 's'} to answer.`);
          const price = model.kind === 'local_gguf' ? null : priceFor(prices, model.remoteModel ?? model.name);
          const started = performance.now();
          const parallel = await answerExamples({
            db,
            services,
            model,
            examples: pending,
            options: rec.options,
            signal: job.signal,
            onOutcome: (example, outcome) => {
              const parsed = outcome.ok ? parseTriageAnswer(outcome.result.text, outcome.result.structured) : null;
              const stored = insertResult(db, {
                evaluationId: rec.id,
                modelId,
                exampleRef: example.ref,
                expected: example.expected,
                predicted: parsed?.ok ? answerToExpected(parsed.answer) : null,
                rawOutput: outcome.ok ? outcome.result.text : '',
                valid: parsed?.ok ?? false,
                error: outcome.ok ? null : outcome.error,
                latencyMs: outcome.ok ? outcome.result.latencyMs : 0,
                promptTokens: outcome.ok ? outcome.result.promptTokens : 0,
                completionTokens: outcome.ok ? outcome.result.completionTokens : 0,
                costUsd: outcome.ok
                  ? costOf(price, outcome.result.promptTokens, outcome.result.completionTokens)
                  : null,
              });
              if (!stored) return;
              done++;
              const now = performance.now();
              if (now - lastEmit >= PROGRESS_EVERY_MS || done === total) {
                lastEmit = now;
                job.progress(done / total);
                emit(rec.id, 'running', modelId, done, total);
              }
            },
          });
          addWallTime(db, rec.id, modelId, performance.now() - started, parallel || null);
        }

        if (job.signal.aborted) {
          setEvaluationStatus(db, rec.id, 'cancelled', { finished: true });
          emit(rec.id, 'cancelled', null, done, total);
          return { status: 'cancelled' };
        }
        const fresh = getEvaluationRecord(db, rec.id)!;
        const metrics = scoreEvaluation(db, fresh);
        setEvaluationStatus(db, rec.id, 'succeeded', { metrics, finished: true });
        for (const m of metrics) {
          job.metrics(
            {
              accuracy: m.accuracy,
              verdict_macro_f1: m.fields.verdict.macroF1,
              invalid_rate: m.invalidRate,
              p50_ms: m.latencyMs.p50,
            },
            m.modelName,
          );
        }
        emit(rec.id, 'succeeded', null, done, total);
        return { status: 'succeeded', result: { evaluationId: rec.id } };
      } catch (err) {
        if (job.signal.aborted) {
          setEvaluationStatus(db, rec.id, 'cancelled', { finished: true });
          emit(rec.id, 'cancelled', null, countResults(db, rec.id), total);
          return { status: 'cancelled' };
        }
        const message = err instanceof WorkbenchError ? err.message : 'The evaluation failed; details are in the log.';
        if (!(err instanceof WorkbenchError)) log.error('evaluation failed', { id: rec.id, error: String(err) });
        setEvaluationStatus(db, rec.id, 'failed', { error: message, finished: true });
        emit(rec.id, 'failed', null, countResults(db, rec.id), total);
        throw err instanceof WorkbenchError ? err : new Error(message);
      }
    },
  };
}

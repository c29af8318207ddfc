import fs from 'node:fs';
import path from 'node:path';
import {
  LocalTrainParamsSchema,
  WorkbenchError,
  type LocalHyperparameters,
  type LocalTrainParams,
} from '../../contract/index';
import type { HandlerContext } from '../../core/capability';
import type { JobRunner } from '../../jobs/jobEngine';
import { getModelRecord, insertModel } from '../../models/modelsRepo';
import { modelsDir, sha256File } from '../../models/modelFiles';
import { readGgufHeader, chatTemplateOf } from '../../gguf/ggufReader';
import type { Db } from '../../db/connection';
import { runLocalFineTune } from './localFineTune';
import { TrainerError, type SftHyperparameters } from './runTrainer';
import type { TrainerBuildProgress } from './trainerBuild';

type Ctx = Omit<HandlerContext, 'actor'>;

/** Writes one split of a dataset version as chat JSONL (the stored OpenAI-format example of each row). */
export function writeSplit(db: Db, versionId: number, split: 'train' | 'validation', file: string): number {
  const rows = db
    .prepare('SELECT example FROM dataset_examples WHERE dataset_version_id = ? AND split = ? ORDER BY id')
    .iterate(versionId, split) as IterableIterator<{ example: string }>;
  const fd = fs.openSync(file, 'w', 0o600);
  let n = 0;
  try {
    for (const r of rows) {
      fs.writeSync(fd, r.example.endsWith('\n') ? r.example : `${r.example}\n`);
      n++;
    }
  } finally {
    fs.closeSync(fd);
  }
  return n;
}

/**
 * The trainer settings of a job's hyperparameters: what `runLocalFineTune` passes to tw-sft (the benchmark
 * runs the binary directly with the same ones). Without a validation split the trainer holds out
 * `validationFraction` of the training split itself.
 */
export function trainerSettings(h: LocalHyperparameters, hasValidationSplit: boolean): SftHyperparameters {
  return {
    epochs: h.epochs,
    lr: h.learningRate,
    lrMin: h.minLearningRate,
    schedule: h.lrSchedule,
    optimizer: h.optimizer,
    batch: h.batchSize,
    maxWindow: h.contextLength,
    valSplit: hasValidationSplit ? undefined : h.validationFraction,
    // The loss chart wants a point every few hundred ms, not every second.
    progressEvery: 0.2,
  };
}

/**
 * The `local_train` job: our llama.cpp SFT trainer (answer-only loss) on a dataset version's train split,
 * validated on its validation split, the output registered as a new model version with lineage.
 * Local work: one at a time, and a job the app lost while running comes back interrupted.
 */
export function createLocalTrainRunner(ctx: Ctx): JobRunner {
  return {
    kind: 'local_train',
    exclusive: true,
    onRestart: 'interrupt',
    async run(job) {
      const params: LocalTrainParams = LocalTrainParamsSchema.parse(job.job.params);
      const { db, dataDir } = ctx;
      const base = getModelRecord(db, params.baseModelId);
      if (!base || base.kind !== 'local_gguf' || !base.path) {
        throw new WorkbenchError('bad_input', `Model ${params.baseModelId} is not a local GGUF model.`);
      }
      if (!fs.existsSync(base.path)) throw new WorkbenchError('not_found', `The base model file is missing.`);
      const version = db
        .prepare(
          `SELECT v.version, v.content_hash AS hash, d.name FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE v.id = ?`,
        )
        .get(params.datasetVersionId) as { version: number; hash: string; name: string } | undefined;
      if (!version) throw new WorkbenchError('not_found', `Dataset version ${params.datasetVersionId} does not exist.`);

      const outDir = modelsDir(dataDir);
      fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
      const work = fs.mkdtempSync(path.join(outDir, `.job-${job.job.id}-`));
      const outModel = path.join(outDir, `finetune-job-${job.job.id}.gguf`);
      const h = params.hyperparameters;
      try {
        const trainFile = path.join(work, 'train.jsonl');
        const valFile = path.join(work, 'validation.jsonl');
        const trainN = writeSplit(db, params.datasetVersionId, 'train', trainFile);
        const valN = writeSplit(db, params.datasetVersionId, 'validation', valFile);
        if (trainN === 0) throw new WorkbenchError('bad_input', 'The dataset version has no training examples.');
        job.event(`Training on ${trainN} examples (validation ${valN}) of "${version.name}" v${version.version}.`);

        let steps = 0;
        const result = await runLocalFineTune({
          dataDir,
          baseModel: base.path,
          trainChatJsonl: trainFile,
          valChatJsonl: valN > 0 ? valFile : undefined,
          outModel,
          ...trainerSettings(h, valN > 0),
          signal: job.signal,
          onBuildProgress: (() => {
            let lastPct = -1;
            return (p: TrainerBuildProgress) => {
              // The first use builds llama.cpp's trainer: a line every 10% is enough for the event log.
              const pct = Math.floor(p.fraction * 10) * 10;
              if (pct !== lastPct) {
                lastPct = pct;
                job.event(`Building the trainer (${p.phase}): ${pct}%`);
                job.progress(0);
              }
            };
          })(),
          onCommand: (bin, argv) => job.event(`Trainer command: ${path.basename(bin)} ${argv.join(' ')}`),
          onPreflight: (p) => {
            for (const w of p.warnings) job.event(w, 'warn');
          },
          onEvent: (e) => {
            if (e.type === 'start') {
              steps = e.steps_total;
              job.setStatus('running');
              job.event(
                `${e.train_examples} training windows, ${e.steps_total} steps; loss on ${e.loss_on === 'answer' ? 'the answer tokens only' : 'every token'}.`,
              );
            } else if (e.type === 'progress') {
              // The trainer repeats the last validation result on every progress line; only the `val`
              // events carry it here, so the chart shows validation where it was measured.
              job.metrics({
                step: e.step,
                total_steps: e.steps_total,
                epoch: e.epoch,
                train_loss: e.train_loss,
                answer_acc: e.answer_acc,
                lr: e.lr,
                tokens_per_s: e.tokens_per_s,
              });
              job.progress(steps ? e.step / steps : 0, e.eta_s);
            } else if (e.type === 'val') {
              job.metrics({ step: e.step, epoch: e.epoch, val_loss: e.val_loss, val_acc: e.val_acc }, 'validation');
            }
          },
        });
        if (result.status === 'cancelled' || job.signal.aborted) {
          fs.rmSync(outModel, { force: true });
          return { status: 'cancelled' };
        }
        const header = await readGgufHeader(outModel);
        const sha256 = await sha256File(outModel);
        const name = params.outputName ?? `${base.name} · ${params.task} · ${version.name} v${version.version}`;
        const modelId = db.transaction(() => {
          const id = insertModel(db, { name, kind: 'local_gguf', path: outModel, sha256, parentModelId: base.id });
          const lineage = {
            job: job.job.id,
            baseModelId: base.id,
            datasetVersionId: params.datasetVersionId,
            datasetHash: version.hash,
            hyperparameters: h,
            task: params.task,
            lossOn: 'answer',
            chatTemplate: chatTemplateOf(header) !== null,
          };
          db.prepare(
            `UPDATE models SET produced_by_job_id = ?, dataset_version_id = ?,
               metadata = json_set(metadata, '$.lineage', json(?)) WHERE id = ?`,
          ).run(job.job.id, params.datasetVersionId, JSON.stringify(lineage), id);
          return id;
        })();
        ctx.bus.emit('models.changed', { ids: [modelId] });
        job.event(`Registered the fine-tuned model "${name}" (#${modelId}).`);
        return {
          status: 'succeeded',
          result: { modelId, path: outModel, trainExamples: trainN, valExamples: valN, final: result.done ?? null },
        };
      } catch (err) {
        fs.rmSync(outModel, { force: true });
        if (err instanceof TrainerError && err.code === 'CANCELLED') return { status: 'cancelled' };
        throw err;
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    },
  };
}

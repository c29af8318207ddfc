import type { Capability } from '../../src-main/core/capability';
import { LocalTrainParamsSchema } from '../../src-main/contract/index';
import type { JobRunner } from '../../src-main/jobs/jobEngine';

/**
 * A small but real `local_train` runner for tests that need a local job without building llama.cpp:
 * it reads the job's params like the trainer does, runs `epochs × 6` steps of `stepMs` each, reports
 * falling loss and rising accuracy, honours cancel, and is exclusive (one local job at a time).
 */
export function fakeLocalRunner(
  opts: { stepMs?: number; stepsPerEpoch?: number } = {},
): JobRunner & { started: number[] } {
  const started: number[] = [];
  return {
    kind: 'local_train',
    exclusive: true,
    onRestart: 'interrupt',
    started,
    async run(ctx) {
      const params = LocalTrainParamsSchema.parse(ctx.job.params);
      started.push(ctx.job.id);
      const total = params.hyperparameters.epochs * (opts.stepsPerEpoch ?? 6);
      ctx.event(`Fake trainer: ${total} steps on dataset version ${params.datasetVersionId}.`);
      ctx.setStatus('running');
      const t0 = Date.now();
      for (let step = 1; step <= total; step++) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, opts.stepMs ?? 100);
          ctx.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
        if (ctx.signal.aborted) return { status: 'cancelled' };
        const p = step / total;
        ctx.metrics(
          {
            step,
            total_steps: total,
            train_loss: Math.round((2.4 * Math.exp(-2.5 * p) + 0.3) * 1e4) / 1e4,
            train_accuracy: Math.round((0.35 + 0.5 * p) * 1e4) / 1e4,
            ...(step % 3 === 0 ? { valid_loss: Math.round((2.5 * Math.exp(-2 * p) + 0.4) * 1e4) / 1e4 } : {}),
          },
          `Step ${step} of ${total}`,
        );
        const perStep = (Date.now() - t0) / 1000 / step;
        ctx.progress(p, perStep * (total - step));
      }
      return { status: 'succeeded', result: { steps: total } };
    },
  };
}

/** Registers the fake runner (in place of the real trainer's, when that one is registered). */
export function fakeLocalCapability(runner: JobRunner): Capability {
  return {
    name: 'test-fake-local-trainer',
    handlers: {},
    start({ services }) {
      services.get('jobs').register(runner, { replace: true });
    },
  };
}

/** A local F32 base model row, as the models capability would register it (no file needed by the fake). */
export function insertLocalBase(
  db: import('../../src-main/db/connection').Db,
  name = 'tiny-f32',
  fileType = 'F32',
): number {
  return Number(
    db
      .prepare(
        `INSERT INTO models (name, kind, path, sha256, metadata, created_at) VALUES (?, 'local_gguf', ?, ?, ?, ?)`,
      )
      .run(
        name,
        `/nonexistent/${name}.gguf`,
        'f'.repeat(64),
        JSON.stringify({ info: { fileType, quantization: fileType } }),
        Date.now(),
      ).lastInsertRowid,
  );
}

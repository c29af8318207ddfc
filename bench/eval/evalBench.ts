/**
 * Evaluation throughput: the same generated model answers the same labelled examples with the structured
 * triage answer, once one example at a time and once on parallel sequences of one context (the model
 * worker's `batch` message), through the real evaluation job. Prints examples/s for both and the ratio.
 * Target: ≥ 2× on 2 cores with a small model.
 *
 *   node --import tsx bench/eval/evalBench.ts [--examples 24] [--parallel 4] [--max-tokens 256]
 *                                             [--embd 64] [--layers 2] [--threads auto] [--force]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { writeTinyModel } from '../../src-main/gguf/tinyModel';
import type { EvaluationDetail, ModelSummary } from '../../src-main/contract/index';
import { setSetting } from '../../src-main/settings/settingsRepo';
import { addMany } from '../../test/datasets/helpers';

const { values } = parseArgs({
  options: {
    examples: { type: 'string', default: '24' },
    parallel: { type: 'string', default: '4' },
    'max-tokens': { type: 'string', default: '256' },
    embd: { type: 'string', default: '64' },
    layers: { type: 'string', default: '2' },
    threads: { type: 'string', default: 'auto' },
    force: { type: 'boolean', default: false },
    model: { type: 'string' },
  },
});
const N = Number(values.examples);
const P = Number(values.parallel);
const MAX_TOKENS = Number(values['max-tokens']);
const EMBD = Number(values.embd);
const LAYERS = Number(values.layers);

/** Timings are meaningless while a trainer or a native build shares the two cores. */
function busyWith(): string[] {
  try {
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    return ps.split('\n').filter((l) => /tw-sft|llama-finetune|cmake --build/.test(l) && !l.includes('grep'));
  } catch {
    return [];
  }
}

function ok<T>(r: { ok: true; value: unknown } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value as T;
}

async function evaluate(wb: Workbench, modelId: number, parallel: number, limit: number): Promise<EvaluationDetail> {
  const started = ok<EvaluationDetail>(
    await wb.invoke('evaluation.start', {
      modelIds: [modelId],
      source: { kind: 'filter', filter: { task: 'triage' } },
      options: { parallel, limit, maxTokens: MAX_TOKENS, temperature: 0, seed: 1 },
    }),
  );
  for (;;) {
    const d = ok<EvaluationDetail>(await wb.invoke('evaluation.get', { id: started.id }));
    if (d.status === 'succeeded') return d;
    if (d.status === 'failed' || d.status === 'cancelled') throw new Error(`evaluation ${d.status}: ${d.error}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main(): Promise<void> {
  const busy = busyWith();
  if (busy.length && !values.force) {
    console.error(
      `Not benchmarking while these run (pass --force to anyway):\n  ${busy.map((b) => b.slice(0, 120)).join('\n  ')}`,
    );
    process.exit(2);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-eval-bench-'));
  const wb = await createWorkbench({ dataDir: dir, seed: false, actor: 'bench' });
  try {
    const file = values.model ?? path.join(dir, 'bench-model.gguf');
    const info = values.model
      ? { parameterCount: 0, bytes: fs.statSync(file).size }
      : writeTinyModel(file, { seed: 5, name: 'bench', embd: EMBD, layers: LAYERS, heads: EMBD >= 256 ? 8 : 4 });
    const model = ok<ModelSummary>(await wb.invoke('models.addLocal', { path: file, name: 'bench' }));
    // Threads: the app's automatic choice unless given (one for a small model alone, every core for a batch).
    setSetting(wb.db, 'runtime.local', {
      contextSize: 1024,
      ...(values.threads === 'auto' ? {} : { threads: Number(values.threads) }),
    });
    addMany(wb.db, N, (i) => ({
      status: 'approved',
      verdict: (['true_positive', 'benign', 'false_positive'] as const)[i % 3],
    }));
    console.log(
      `model: ${(info.parameterCount / 1e6).toFixed(2)}M parameters (embd ${EMBD}, ${LAYERS} layers, F32, ${(info.bytes / 2 ** 20).toFixed(1)} MiB); ` +
        `${N} examples, max ${MAX_TOKENS} tokens, threads ${values.threads}, ${os.availableParallelism()} cores, load ${os.loadavg()[0]!.toFixed(1)}`,
    );
    await evaluate(wb, model.id, 1, 2); // load the model and the grammar once, outside the timings

    const rows: { mode: string; m: EvaluationDetail['metrics'][number] }[] = [];
    for (const [mode, parallel] of [
      ['one at a time', 1],
      [`${P} parallel sequences`, P],
    ] as const) {
      const d = await evaluate(wb, model.id, parallel, N);
      rows.push({ mode, m: d.metrics[0]! });
    }
    for (const { mode, m } of rows) {
      console.log(
        `${mode.padEnd(24)} ${m.examplesPerSecond!.toFixed(2).padStart(7)} examples/s  ` +
          `${((m.completionTokens / m.done) * m.examplesPerSecond!).toFixed(0).padStart(6)} tokens/s  ` +
          `${m.completionTokens} tokens  p50 ${m.latencyMs.p50} ms  invalid ${(m.invalidRate! * 100).toFixed(0)}%`,
      );
    }
    const prompts = wb.db
      .prepare('SELECT AVG(prompt_tokens) AS avg, MAX(prompt_tokens) AS max FROM evaluation_results')
      .get() as { avg: number; max: number };
    console.log(`prompt tokens per example: ${Math.round(prompts.avg)} on average, ${prompts.max} at most`);
    const ratio = rows[1]!.m.examplesPerSecond! / rows[0]!.m.examplesPerSecond!;
    console.log(`ratio (parallel / one at a time): ${ratio.toFixed(2)}× (target ≥ 2×)`);
  } finally {
    await wb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

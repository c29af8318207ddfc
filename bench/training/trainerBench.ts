/**
 * Training throughput: our tw-sft versus the stock llama-finetune on the same model and the same data.
 *
 *   node --import tsx bench/training/trainerBench.ts [--model demo|tiny] [--reps 2] [--epochs 1]
 *
 * Both train every weight with AdamW on 2 threads, one 256-token window per optimizer step (the stock
 * trainer's smallest window: llama.cpp pads the context to 256). Tokens/s counts every position of a
 * window (padding included), measured over the training part of the epoch only: tw-sft reports it, for
 * llama-finetune it is taken from the arrival times of its first and last progress bar. Runs alternate
 * (stock, ours, stock, ours, ...) so load from other processes hits both alike; the median is reported.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDemoDataset, demoTrainingRecord } from '../../src-main/demo/demoData';
import { ensureDemoBaseModel } from '../../src-main/demo/demoBaseModel';
import { heldOutSigmaIds } from '../../src-main/demo/demoLearnCheck';
import { writeTinyModel } from '../../src-main/gguf/tinyModel';
import { runSft, runStockFinetune } from '../../src-main/training/local/runTrainer';
import { ensureTrainer } from '../../src-main/training/local/trainerBuild';

const args = process.argv.slice(2);
const arg = (n: string, d: string) => {
  const i = args.indexOf(n);
  return i >= 0 ? (args[i + 1] ?? d) : d;
};
const which = arg('--model', 'demo');
const reps = Number(arg('--reps', '2'));
const epochs = Number(arg('--epochs', '1'));
const threads = Number(arg('--threads', '2'));
const WINDOW = 256;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main() {
  process.env.TW_TRAINER_CACHE ??= path.join(os.homedir(), '.cache', 'tw-trainer');
  const bins = await ensureTrainer({ onProgress: (p) => p.phase !== 'build' && console.log(`trainer: ${p.message}`) });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-trainer-bench-'));
  try {
    const ds = buildDemoDataset({ seed: 42 });
    let model: string;
    if (which === 'tiny') {
      model = path.join(work, 'tiny.gguf');
      writeTinyModel(model, { seed: 1, contextLength: 512 });
    } else {
      const base = await ensureDemoBaseModel({
        cacheDir: process.env.TW_DEMO_CACHE ?? path.join(os.homedir(), '.cache', 'tw-demo'),
        sftPath: bins.sft,
        vocabTexts: ds.train.map((e) => e.alertText),
        excludeSigmaIds: heldOutSigmaIds(ds), // the same base as the learn check
        onProgress: (p) => p.phase !== 'pretrain' && console.log(`base: ${p.message}`),
      });
      model = base.path;
    }
    // the same examples for both: tw-sft gets prompt/answer lines, the stock trainer their text
    const records = ds.train.map(demoTrainingRecord);
    const sftData = path.join(work, 'train.jsonl');
    fs.writeFileSync(sftData, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const text = path.join(work, 'train.txt');
    fs.writeFileSync(text, records.map((r) => `${r.prompt}${r.answer}\n`).join(''));

    const ours: number[] = [];
    const stock: number[] = [];
    for (let i = 0; i < reps; i++) {
      const s = await runStockFinetune({
        finetunePath: bins.finetune,
        model,
        textFile: text,
        out: path.join(work, 'stock.gguf'),
        ctx: WINDOW,
        batch: WINDOW,
        ubatch: WINDOW,
        epochs,
        lr: 1e-4,
        valSplit: 0.05,
        threads,
      });
      const e = s.epochs[0]!;
      const tps =
        ((e.train!.done - e.firstTrain!.done) * WINDOW) / ((e.train!.receivedAt! - e.firstTrain!.receivedAt!) / 1000);
      stock.push(tps);
      console.log(
        `stock llama-finetune: ${Math.round(tps)} tokens/s (${e.train!.total} windows of ${WINDOW}, loss ${e.train!.loss.toFixed(3)})`,
      );

      const r = await runSft({
        sftPath: bins.sft,
        model,
        data: sftData,
        out: path.join(work, 'ours.gguf'),
        window: WINDOW,
        batch: 1,
        epochs,
        lr: 1e-4,
        threads,
        progressEvery: 30,
      });
      ours.push(r.done!.tokens_per_s!);
      console.log(
        `tw-sft (answer-only loss): ${Math.round(r.done!.tokens_per_s!)} tokens/s (${r.done!.windows} windows of ${WINDOW})`,
      );
    }
    const o = median(ours);
    const st = median(stock);
    console.log(
      `\nmodel ${which} (${path.basename(model)}), ${threads} threads, window ${WINDOW}, ${reps} runs each (median)`,
    );
    console.log(`tw-sft         ${Math.round(o)} tokens/s`);
    console.log(`llama-finetune ${Math.round(st)} tokens/s`);
    console.log(`ratio tw-sft / llama-finetune = ${(o / st).toFixed(3)}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

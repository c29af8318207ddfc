/**
 * Does the local fine-tune learn the triage task? Builds (or reuses) the trainer and the demo base model,
 * fine-tunes on the demo train split with the loss on the answer tokens only, and compares greedy answers
 * on the held-out test split (rules and events never seen in training) with the base model and a
 * majority-class baseline. CLI: bench/training/learnCheck.ts. CI runs the same training through the app instead
 * (the demo loop, test/demo/demo.test.ts).
 *
 * Caches: TW_TRAINER_CACHE (default ~/.cache/tw-trainer) for the trainer binaries, TW_DEMO_CACHE (default
 * ~/.cache/tw-demo) for the demo base.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  buildDemoDataset,
  demoPrompt,
  demoTrainingRecord,
  LABEL_NAMES,
  majorityLabels,
  parseAnswer,
  sigmaCatalogueExamples,
  scoreLabel,
  type DemoExample,
  type LabelScore,
} from './demoData';
import { ensureDemoBaseModel, type DemoBaseOptions } from './demoBaseModel';
import { greedyComplete, runSft } from '../training/local/runTrainer';
import { ensureTrainer } from '../training/local/trainerBuild';

export interface LearnCheckOptions {
  short?: boolean;
  seed?: number;
  epochs?: number;
  lr?: number;
  batch?: number;
  window?: number;
  base?: DemoBaseOptions;
  threads?: number;
  workDir?: string;
  /** Add the Sigma catalogue's rules as train-only examples, every n-th rule (0 or undefined: none). */
  sigmaStride?: number;
  log?: (s: string) => void;
}

export interface ModelScores {
  verdict: LabelScore;
  severity: LabelScore;
  technique: LabelScore;
}

export interface LearnCheckResult {
  testExamples: number;
  trainExamples: number;
  base: ModelScores;
  finetuned: ModelScores;
  majority: ModelScores;
  train: {
    seconds: number;
    tokensPerS: number;
    steps: number;
    firstLoss: number | null;
    lastLoss: number | null;
    valAcc: number | null;
  };
  baseBuild: { cached: boolean; params: number; vocabSize: number };
  wallSeconds: number;
  samples: { gold: string; base: string; finetuned: string }[];
}

/** Sigma rule ids behind the validation and test examples: the base never reads these rules. */
export function heldOutSigmaIds(ds: { val: DemoExample[]; test: DemoExample[] }): string[] {
  return [...ds.val, ...ds.test]
    .filter((e) => e.ruleKey.startsWith('sigma:'))
    .map((e) => e.ruleKey.slice('sigma:'.length));
}

function scores(test: DemoExample[], answers: string[]): ModelScores {
  const parsed = answers.map(parseAnswer);
  const out = {} as ModelScores;
  for (const l of LABEL_NAMES) {
    out[l] = scoreLabel(
      test.map((e) => e.labels[l]),
      parsed.map((p) => p[l]),
    );
  }
  return out;
}

export async function learnCheck(o: LearnCheckOptions = {}): Promise<LearnCheckResult> {
  const log = o.log ?? ((s: string) => console.log(s));
  const t0 = Date.now();
  const seed = o.seed ?? 42;
  const cacheRoot = process.env.TW_TRAINER_CACHE ?? path.join(os.homedir(), '.cache', 'tw-trainer');
  process.env.TW_TRAINER_CACHE = cacheRoot;
  let lastPct = -1;
  const bins = await ensureTrainer({
    onProgress: (p) => {
      const pct = Math.floor(p.fraction * 10);
      if (pct !== lastPct) log(`trainer: ${p.phase} ${Math.round(p.fraction * 100)}% ${p.message}`);
      lastPct = pct;
    },
  });

  const baseOpts: DemoBaseOptions = o.short
    ? { embd: 64, layers: 2, heads: 4, ff: 192, merges: 1500, corpusStride: 4, ...o.base }
    : { ...o.base };
  const demoCache = process.env.TW_DEMO_CACHE ?? path.join(os.homedir(), '.cache', 'tw-demo');
  const ds = buildDemoDataset({ seed });
  const base = await ensureDemoBaseModel({
    ...baseOpts,
    vocabTexts: ds.train.map((e) => e.alertText),
    excludeSigmaIds: heldOutSigmaIds(ds),
    seed,
    threads: o.threads,
    cacheDir: demoCache,
    sftPath: bins.sft,
    onProgress: (p) => {
      if (p.phase !== 'pretrain' || (p.progress && p.progress.step % 50 === 0)) {
        log(
          `base: ${p.message}${p.progress ? ` loss ${p.progress.train_loss?.toFixed(3)} ${Math.round(p.progress.tokens_per_s)} tok/s` : ''}`,
        );
      }
    },
  });
  log(`base: ${base.path} (${base.cached ? 'cached' : 'built'}, ${base.params} params, vocab ${base.vocabSize})`);

  const work = o.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tw-learncheck-'));
  fs.mkdirSync(work, { recursive: true });
  const write = (name: string, rows: object[]) => {
    const f = path.join(work, name);
    fs.writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return f;
  };
  const extra = o.sigmaStride
    ? sigmaCatalogueExamples({ excludeIds: new Set(heldOutSigmaIds(ds)), stride: o.sigmaStride })
    : [];
  if (extra.length) log(`data: ${extra.length} train-only examples from the Sigma catalogue`);
  const trainFile = write('train.jsonl', [...ds.train, ...extra].map(demoTrainingRecord));
  const valFile = write('val.jsonl', ds.val.map(demoTrainingRecord));
  const testPrompts = write(
    'test-prompts.jsonl',
    ds.test.map((e) => ({ prompt: demoPrompt(e.alertText) })),
  );
  log(
    `data: train ${ds.train.length}, val ${ds.val.length}, test ${ds.test.length} examples (grouped by rule and event)`,
  );

  // one thread: per-token work of a small model is too little to share, and two spinning threads lose badly on a busy machine
  const evalModel = (model: string) => greedyComplete(bins.sft, model, testPrompts, { maxTokens: 16, threads: 1 });
  const tb = Date.now();
  const baseAnswers = await evalModel(base.path);
  log(`eval: base model answered ${baseAnswers.length} test prompts in ${((Date.now() - tb) / 1000).toFixed(1)} s`);

  const out = path.join(work, 'finetuned.gguf');
  let firstLoss: number | null = null;
  let lastLoss: number | null = null;
  const r = await runSft({
    sftPath: bins.sft,
    model: base.path,
    data: trainFile,
    valData: valFile,
    out,
    // what worked (see bench/training/README.md): the full base at lr 3e-3, 8 examples a step, 4 epochs;
    // the small CI base needs more, smaller steps
    epochs: o.epochs ?? (o.short ? 8 : 4),
    lr: o.lr ?? (o.short ? 5e-3 : 3e-3),
    batch: o.batch ?? (o.short ? 4 : 8),
    window: o.window,
    seed,
    threads: o.threads,
    progressEvery: 5,
    onEvent: (e) => {
      if (e.type === 'start')
        log(
          `train: ${e.train_windows} windows of ${e.window} tokens, ${e.steps_total} steps, ${e.train_label_tokens} answer tokens/epoch`,
        );
      if (e.type === 'epoch') {
        log(
          `train: epoch ${e.epoch} loss ${e.train_loss?.toFixed(3)} acc ${e.train_acc?.toFixed(3)} | val loss ${e.val_loss?.toFixed(3)} acc ${e.val_acc?.toFixed(3)} (${e.elapsed_s.toFixed(0)} s)`,
        );
      }
    },
    onProgress: (p) => {
      if (firstLoss === null) firstLoss = p.train_loss;
      lastLoss = p.train_loss ?? lastLoss;
    },
  });
  if (!r.done) throw new Error('fine-tuning did not finish');
  const tf = Date.now();
  const ftAnswers = await evalModel(out);
  log(`eval: fine-tuned model answered in ${((Date.now() - tf) / 1000).toFixed(1)} s`);

  const maj = majorityLabels(ds.train);
  const majAnswers = ds.test.map(() => `verdict: ${maj.verdict} severity: ${maj.severity} technique: ${maj.technique}`);
  const result: LearnCheckResult = {
    testExamples: ds.test.length,
    trainExamples: ds.train.length,
    base: scores(ds.test, baseAnswers),
    finetuned: scores(ds.test, ftAnswers),
    majority: scores(ds.test, majAnswers),
    train: {
      seconds: r.done.train_seconds ?? 0,
      tokensPerS: r.done.tokens_per_s ?? 0,
      steps: r.done.steps ?? 0,
      firstLoss,
      lastLoss,
      valAcc: r.done.val_acc ?? null,
    },
    baseBuild: { cached: base.cached, params: base.params, vocabSize: base.vocabSize },
    wallSeconds: (Date.now() - t0) / 1000,
    samples: ds.test.slice(0, 5).map((e, i) => ({
      gold: `${e.labels.verdict} ${e.labels.severity} ${e.labels.technique}`,
      base: baseAnswers[i] ?? '',
      finetuned: ftAnswers[i] ?? '',
    })),
  };
  if (!o.workDir) fs.rmSync(work, { recursive: true, force: true });
  return result;
}

export function formatLearnCheck(r: LearnCheckResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);
  const lines = [
    `held-out test: ${r.testExamples} examples (train ${r.trainExamples}); accuracy / macro-F1`,
    `label       majority          base              fine-tuned`,
  ];
  for (const l of LABEL_NAMES) {
    lines.push(
      `${l.padEnd(10)} ${pct(r.majority[l].accuracy)} /${pct(r.majority[l].macroF1)}  ${pct(r.base[l].accuracy)} /${pct(r.base[l].macroF1)}  ${pct(r.finetuned[l].accuracy)} /${pct(r.finetuned[l].macroF1)}`,
    );
  }
  lines.push(
    `critical recall: fine-tuned ${pct(r.finetuned.severity.recall.critical ?? 0)}, majority ${pct(r.majority.severity.recall.critical ?? 0)}`,
  );
  lines.push(
    `unparsed answers: base ${r.base.verdict.unparsed}/${r.testExamples}, fine-tuned ${r.finetuned.verdict.unparsed}/${r.testExamples}`,
  );
  lines.push(
    `training: ${r.train.steps} steps in ${r.train.seconds.toFixed(0)} s (${Math.round(r.train.tokensPerS)} tokens/s), loss ${r.train.firstLoss?.toFixed(3)} → ${r.train.lastLoss?.toFixed(3)}; whole check ${r.wallSeconds.toFixed(0)} s`,
  );
  return lines.join('\n');
}

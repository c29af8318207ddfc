/**
 * The local trainer end to end: builds llama.cpp's trainer once (cached in TW_TRAINER_CACHE, default
 * ~/.cache/tw-trainer, so a CI run builds it once for every test file), then trains the generated tiny
 * model. Skipped, with the reason shown, only when cmake or a C++ compiler is missing.
 */
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoModelSpec } from '../../src-main/demo/demoBaseModel';
import { SPACE, trainVocab } from '../../src-main/demo/demoTokenizer';
import { writeGguf } from '../../src-main/gguf/ggufWriter';
import { TINY_CONTROL_TOKENS, writeTinyModel } from '../../src-main/gguf/tinyModel';
import {
  greedyComplete,
  preflight,
  runSft,
  runStockFinetune,
  tensorChecksums,
  TrainerError,
  type TrainerProgress,
} from '../../src-main/training/local/runTrainer';
import {
  checkToolchain,
  ensureTrainer,
  findTrainer,
  type TrainerBinaries,
} from '../../src-main/training/local/trainerBuild';

process.env.TW_TRAINER_CACHE ??= path.join(os.homedir(), '.cache', 'tw-trainer');

const toolchain = checkToolchain();
const available = toolchain.ok || findTrainer() !== null;

const PROMPTS = [
  ['alert: root console login from new country', 'verdict: true_positive severity: high'],
  ['alert: scheduled backup job finished', 'verdict: benign severity: low'],
  ['alert: ssh brute force against admin host', 'verdict: true_positive severity: critical'],
  ['alert: user changed own password', 'verdict: benign severity: info'],
] as const;

function dataset(n: number, answers = true): string {
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const [p, a] = PROMPTS[i % PROMPTS.length]!;
    rows.push(
      JSON.stringify({ prompt: `<|user|>\n${p}<|end|>\n<|assistant|>\n`, answer: answers ? `${a}<|end|>` : '' }),
    );
  }
  return rows.join('\n') + '\n';
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

if (!available) {
  describe('local trainer (llama.cpp build)', () => {
    it.skip(`skipped: ${toolchain.hint}`, () => undefined);
  });
} else {
  describe('local trainer (llama.cpp build)', () => {
    let bins: TrainerBinaries;
    let dir: string;
    let base: string;

    beforeAll(async () => {
      let last = -1;
      bins = await ensureTrainer({
        onProgress: (p) => {
          const tenth = Math.floor(p.fraction * 10);
          if (tenth !== last) console.log(`[trainer build] ${p.phase} ${Math.round(p.fraction * 100)}% ${p.message}`);
          last = tenth;
        },
      });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-local-trainer-'));
      base = path.join(dir, 'tiny.gguf');
      writeTinyModel(base, { seed: 5, contextLength: 512 });
    }, 45 * 60_000);

    afterAll(() => {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('trains a tiny model: the answer loss goes down, the output loads in node-llama-cpp and generates', async () => {
      const data = path.join(dir, 'train.jsonl');
      fs.writeFileSync(data, dataset(32));
      const out = path.join(dir, 'out.gguf');
      const progress: TrainerProgress[] = [];
      const r = await runSft({
        sftPath: bins.sft,
        model: base,
        data,
        out,
        epochs: 6,
        lr: 3e-3,
        batch: 2,
        valSplit: 0.25,
        threads: 2,
        progressEvery: 0,
        onProgress: (p) => progress.push(p),
      });
      expect(r.status).toBe('done');
      expect(r.start?.loss_on).toBe('answer');
      expect(r.start?.train_label_tokens).toBeGreaterThan(0);
      expect(progress.length).toBeGreaterThan(5);
      const first = progress[0]!.train_loss!;
      const lastEpoch = r.epochs.at(-1)!;
      expect(lastEpoch.train_loss!).toBeLessThan(first * 0.6);
      expect(lastEpoch.val_loss!).toBeLessThan(r.epochs[0]!.val_loss! + 1e-6);
      expect(r.done?.tokens_per_s).toBeGreaterThan(0);
      expect(fs.existsSync(out)).toBe(true);

      // every weight matrix moved; the model keeps its context length
      const before = await tensorChecksums(bins.sft, base);
      const after = await tensorChecksums(bins.sft, out);
      expect(after['blk.0.attn_q.weight']).not.toBe(before['blk.0.attn_q.weight']);
      expect(after['output.weight']).not.toBe(before['output.weight']);
      const info = (await preflight(bins.sft, out, { window: 64 })).model;
      expect(info.n_ctx_train).toBe(512);

      const { getLlama, LlamaCompletion } = await import('node-llama-cpp');
      const llama = await getLlama({ gpu: false, build: 'never' });
      const model = await llama.loadModel({ modelPath: out });
      const ctx = await model.createContext({ contextSize: 256, threads: 2 });
      try {
        const completion = new LlamaCompletion({ contextSequence: ctx.getSequence() });
        const text = await completion.generateCompletion(`<|user|>\n${PROMPTS[0][0]}<|end|>\n<|assistant|>\n`, {
          maxTokens: 12,
        });
        expect(typeof text).toBe('string');
        expect(text.length).toBeGreaterThan(0);
      } finally {
        await ctx.dispose();
        await model.dispose();
      }
      const greedy = await greedyComplete(bins.sft, out, writePrompts(dir, [PROMPTS[0][0]]), {
        maxTokens: 12,
        threads: 2,
      });
      expect(greedy).toHaveLength(1);
    });

    it('masked positions carry no loss: windows without answer tokens change no weight', async () => {
      const data = path.join(dir, 'masked.jsonl');
      fs.writeFileSync(data, dataset(8, false));
      const out = path.join(dir, 'masked.gguf');
      const r = await runSft({
        sftPath: bins.sft,
        model: base,
        data,
        out,
        epochs: 1,
        lr: 1e-2,
        batch: 2,
        weightDecay: 0,
        threads: 2,
      });
      expect(r.start?.train_label_tokens).toBe(0);
      expect(r.start?.unlabelled_windows).toBe(8);
      expect(r.done?.steps).toBe(4);
      expect(r.epochs[0]!.train_loss).toBeNull();
      expect(await tensorChecksums(bins.sft, out)).toEqual(await tensorChecksums(bins.sft, base));
    });

    it('cancel stops the trainer, writes nothing and leaves the base model untouched', async () => {
      const data = path.join(dir, 'long.jsonl');
      fs.writeFileSync(data, dataset(64));
      const out = path.join(dir, 'cancelled.gguf');
      const before = sha256(base);
      const ac = new AbortController();
      const t0 = Date.now();
      const r = await runSft({
        sftPath: bins.sft,
        model: base,
        data,
        out,
        epochs: 500,
        threads: 2,
        progressEvery: 0,
        signal: ac.signal,
        onProgress: (p) => {
          if (p.step >= 2) ac.abort();
        },
      });
      expect(r.status).toBe('cancelled');
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(fs.existsSync(out)).toBe(false);
      expect(fs.existsSync(`${out}.partial`)).toBe(false);
      expect(sha256(base)).toBe(before);
    });

    it('refuses a quantized base and says why', async () => {
      const q = path.join(dir, 'tiny-q8.gguf');
      const res = spawnSync(bins.quantize, [base, q, 'Q8_0'], { encoding: 'utf8' });
      expect(res.status, res.stderr).toBe(0);
      const pf = await preflight(bins.sft, q, { window: 64 });
      expect(pf.ok).toBe(false);
      expect(pf.refusal).toMatch(/not F32.*Q8_0/s);
      const data = path.join(dir, 'q.jsonl');
      fs.writeFileSync(data, dataset(4));
      const err = await runSft({ sftPath: bins.sft, model: q, data, out: path.join(dir, 'q-out.gguf') }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TrainerError);
      expect((err as TrainerError).code).toBe('REFUSED');
      expect((err as Error).message).toMatch(/not F32.*quantized model cannot be fine-tuned/s);
    });

    it('llama.cpp tokenizes the demo vocabulary as designed: every label word is one token', async () => {
      const vocab = trainVocab(
        ['Detects suspicious access to the AWS console', 'Adversaries may abuse valid accounts'],
        {
          merges: 50,
          forcedWords: ['verdict', 'severity', 'technique', 'true_positive', 'benign', 'critical', 'T1562'],
          controlTokens: TINY_CONTROL_TOKENS,
        },
      );
      const model = path.join(dir, 'vocab.gguf');
      writeGguf(model, demoModelSpec(vocab, { embd: 32, layers: 1, heads: 2, ff: 64 }).spec);
      const res = spawnSync(
        bins.sft,
        ['tokenize', '--model', model, '--text', 'verdict: true_positive severity: critical technique: T1562<|end|>'],
        {
          encoding: 'utf8',
        },
      );
      expect(res.status, res.stderr).toBe(0);
      const pieces = (JSON.parse(res.stdout.trim()) as { pieces: string[] }).pieces;
      expect(pieces).toEqual([
        '<s>',
        // no space prefix: a text's first word is the bare word (so an answer can start with `{`)
        'verdict',
        ':',
        `${SPACE}true_positive`,
        `${SPACE}severity`,
        ':',
        `${SPACE}critical`,
        `${SPACE}technique`,
        ':',
        `${SPACE}T1562`,
        '<|end|>',
      ]);
    });

    it('runs the stock llama-finetune and parses its progress bars', async () => {
      const text = path.join(dir, 'text.txt');
      fs.writeFileSync(
        text,
        PROMPTS.map(([p, a]) => `${p}\n${a}\n`)
          .join('')
          .repeat(40),
      );
      const r = await runStockFinetune({
        finetunePath: bins.finetune,
        model: base,
        textFile: text,
        out: path.join(dir, 'stock.gguf'),
        ctx: 256,
        epochs: 1,
        lr: 1e-3,
        threads: 2,
      });
      expect(r.status).toBe('done');
      expect(r.epochs).toHaveLength(1);
      expect(r.epochs[0]!.train?.done).toBe(r.epochs[0]!.train?.total);
      expect(r.epochs[0]!.train?.loss).toBeGreaterThan(0);
    });
  });
}

function writePrompts(dir: string, prompts: string[]): string {
  const f = path.join(dir, `prompts-${Date.now()}.jsonl`);
  fs.writeFileSync(
    f,
    prompts.map((p) => JSON.stringify({ prompt: `<|user|>\n${p}<|end|>\n<|assistant|>\n` })).join('\n') + '\n',
  );
  return f;
}

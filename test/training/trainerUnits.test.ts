import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  estimateTrainingMemory,
  parseFinetuneProgressLine,
  parseTrainerLine,
  runSft,
  sftArgs,
  TrainerError,
} from '../../src-main/training/local/runTrainer';
import { chatToSft, renderPrompt } from '../../src-main/training/local/sftData';
import {
  checkToolchain,
  ensureTrainer,
  parseBuildProgressLine,
  TrainerBuildError,
  trainerSource,
} from '../../src-main/training/local/trainerBuild';

const tmpDirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-trainer-unit-'));
  tmpDirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('stock llama-finetune progress lines', () => {
  it('parses train and val lines with uncertainties', () => {
    const p = parseFinetuneProgressLine(
      'train: [████████] data=0000249/0000249 loss=5.11653±0.00821 acc=23.93±0.17% t=00:00:02 ETA=00:00:00',
    );
    expect(p).toMatchObject({
      phase: 'train',
      done: 249,
      total: 249,
      loss: 5.11653,
      lossUnc: 0.00821,
      elapsedS: 2,
      etaS: 0,
    });
    expect(p?.acc).toBeCloseTo(0.2393, 6);
    expect(p?.accUnc).toBeCloseTo(0.0017, 6);
    const v = parseFinetuneProgressLine(
      'val:   [▌       ] data=0000003/0000013 loss=4.2±nan acc=30.00±nan% t=00:01:05 ETA=01:00:01',
    );
    expect(v?.phase).toBe('val');
    expect(v?.lossUnc).toBeNull();
    expect(v?.elapsedS).toBe(65);
    expect(v?.etaS).toBe(3601);
    expect(parseFinetuneProgressLine('llama_model_loader: loaded meta data')).toBeNull();
  });
});

describe('tw-sft JSON lines', () => {
  it('validates progress events and ignores anything else', () => {
    const line = JSON.stringify({
      type: 'progress',
      step: 3,
      steps_total: 10,
      epoch: 0.3,
      train_loss: 2.5,
      val_loss: null,
      answer_acc: 0.4,
      val_acc: null,
      lr: 0.001,
      tokens_per_s: 1200,
      eta_s: 4,
      elapsed_s: 2,
    });
    const e = parseTrainerLine(line);
    expect(e?.type).toBe('progress');
    expect(parseTrainerLine('{"type":"progress","step":"x"}')).toBeNull();
    expect(parseTrainerLine('load_tensors: CPU model buffer size')).toBeNull();
  });

  it('maps hyperparameters onto flags', () => {
    const a = sftArgs({
      model: 'm.gguf',
      data: 'd.jsonl',
      out: 'o.gguf',
      epochs: 3,
      lr: 1e-3,
      batch: 4,
      window: 128,
      maskPrompt: false,
      threads: 2,
    });
    expect(a.slice(0, 7)).toEqual(['train', '--model', 'm.gguf', '--data', 'd.jsonl', '--out', 'o.gguf']);
    expect(a).toContain('--no-mask-prompt');
    expect(a.join(' ')).toContain('--accum 4');
    expect(a.join(' ')).toContain('--window 128');
  });
});

describe('memory estimate', () => {
  it('counts weights, gradients and two AdamW moments per parameter', () => {
    const m = { params: 1_000_000_000, n_embd: 2048, n_layer: 16, n_ff: 8192, n_vocab: 128_256, n_head: 32 };
    const e = estimateTrainingMemory(m, { window: 256 });
    expect(e.weights).toBe(4e9);
    expect(e.gradients).toBe(4e9);
    expect(e.optimizer).toBe(8e9);
    expect(e.bytes).toBeGreaterThan(16e9);
    expect(estimateTrainingMemory(m, { window: 256, optimizer: 'sgd' }).optimizer).toBe(0);
  });
});

describe('chat examples to training lines', () => {
  it('renders the prompt up to the last assistant turn and trains on that turn', () => {
    const r = chatToSft({
      messages: [
        { role: 'system', content: 'You triage alerts.' },
        { role: 'user', content: 'alert: x' },
        { role: 'assistant', content: 'verdict: benign' },
      ],
    });
    expect(r.prompt).toBe('<|system|>\nYou triage alerts.<|end|>\n<|user|>\nalert: x<|end|>\n<|assistant|>\n');
    expect(r.answer).toBe('verdict: benign<|end|>');
    expect(renderPrompt([{ role: 'user', content: 'hi' }], 'chatml')).toBe(
      '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
    );
  });
});

describe('trainer build', () => {
  it('parses ninja and make progress', () => {
    expect(parseBuildProgressLine('[12/143] Building CXX object ggml.c.o')).toEqual({ step: 12, steps: 143 });
    expect(parseBuildProgressLine('[ 45%] Building C object x.o')).toEqual({ step: 45, steps: 100 });
    expect(parseBuildProgressLine('-- Configuring done')).toBeNull();
  });

  it('hashes our patches and trainer source into the cache key', () => {
    const s = trainerSource();
    expect(s.tag).toMatch(/\S/);
    expect(s.hash).toMatch(/^[0-9a-f]{12}$/);
    expect(s.patches.map((p) => path.basename(p))).toContain('0001-training-masked-labels.patch');
    expect(fs.existsSync(s.bundle)).toBe(true);
  });

  it('says what to install when cmake or the compiler is missing', async () => {
    const oldPath = process.env.PATH;
    const oldCache = process.env.TW_TRAINER_CACHE;
    const oldBin = process.env.TW_TRAINER_BIN_DIR;
    process.env.PATH = tmp(); // nothing on PATH
    process.env.TW_TRAINER_CACHE = tmp(); // nothing cached
    delete process.env.TW_TRAINER_BIN_DIR;
    try {
      const tc = checkToolchain();
      expect(tc.ok).toBe(false);
      expect(tc.missing).toContain('cmake');
      const err = await ensureTrainer().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrainerBuildError);
      expect((err as TrainerBuildError).code).toBe('TOOLCHAIN_MISSING');
      expect((err as Error).message).toContain('apt-get install cmake g++');
    } finally {
      process.env.PATH = oldPath;
      if (oldCache === undefined) delete process.env.TW_TRAINER_CACHE;
      else process.env.TW_TRAINER_CACHE = oldCache;
      if (oldBin !== undefined) process.env.TW_TRAINER_BIN_DIR = oldBin;
    }
  });
});

describe('running the trainer', () => {
  it('a missing trainer binary is a clear error', async () => {
    const d = tmp();
    const err = await runSft({ sftPath: path.join(d, 'tw-sft'), model: 'm', data: 'd', out: 'o' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TrainerError);
    expect((err as TrainerError).code).toBe('BINARY_MISSING');
    expect((err as Error).message).toMatch(/does not exist: build it first/);
  });

  it('a failing trainer reports its last stderr lines', async () => {
    const d = tmp();
    const bin = path.join(d, 'tw-sft');
    fs.writeFileSync(
      bin,
      '#!/bin/sh\nfor i in 1 2 3 4 5; do echo "llama.cpp line $i" >&2; done\necho \'{"type":"error","kind":"error","message":"out of luck"}\'\nexit 1\n',
      { mode: 0o755 },
    );
    const err = await runSft({ sftPath: bin, model: 'm', data: 'd', out: 'o' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainerError);
    const te = err as TrainerError;
    expect(te.code).toBe('FAILED');
    expect(te.message).toContain('out of luck');
    expect(te.lastLines.at(-1)).toBe('llama.cpp line 5');
    expect(te.message).toContain('llama.cpp line 5');
  });
});

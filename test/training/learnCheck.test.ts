/**
 * The shortened demo loop: a small demo base, fine-tuned on the demo train split with the loss on the
 * answers only, must answer the held-out split (rules and events it never saw) clearly better than the base
 * model and the majority-class baseline. Shares the trainer cache with localTrainer.test.ts; the small base
 * is cached in TW_DEMO_CACHE (default: a temp folder of this run).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatLearnCheck, learnCheck } from '../../src-main/demo/demoLearnCheck';
import { checkToolchain, findTrainer } from '../../src-main/training/local/trainerBuild';

process.env.TW_TRAINER_CACHE ??= path.join(os.homedir(), '.cache', 'tw-trainer');
const ownDemoCache = !process.env.TW_DEMO_CACHE;
const demoCache = process.env.TW_DEMO_CACHE ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tw-demo-cache-'));
process.env.TW_DEMO_CACHE = demoCache;

const toolchain = checkToolchain();
const available = toolchain.ok || findTrainer() !== null;
// TW_LEARN_CHECK=0 skips this check (it takes about 3 minutes on 2 cores, most of it training).
const requested = process.env.TW_LEARN_CHECK !== '0';

afterAll(() => {
  if (ownDemoCache) fs.rmSync(demoCache, { recursive: true, force: true });
});

if (!available || !requested) {
  describe('demo fine-tune learns the triage task', () => {
    const why = !available ? toolchain.hint : 'TW_LEARN_CHECK=0';
    it.skip(`skipped: ${why}`, () => undefined);
  });
} else {
  describe('demo fine-tune learns the triage task', () => {
    it(
      'beats the base model and the majority class on held-out verdict and severity',
      async () => {
        const r = await learnCheck({ short: true, seed: 42, threads: 2, log: (s) => console.log(`[learnCheck] ${s}`) });
        console.log(formatLearnCheck(r));
        // the base has never seen the answer format
        expect(r.base.verdict.accuracy).toBeLessThan(0.2);
        // every answer of the fine-tuned model parses
        expect(r.finetuned.verdict.unparsed).toBeLessThanOrEqual(r.testExamples * 0.02);
        for (const label of ['verdict', 'severity'] as const) {
          expect(r.finetuned[label].accuracy).toBeGreaterThan(r.majority[label].accuracy + 0.05);
          expect(r.finetuned[label].accuracy).toBeGreaterThan(r.base[label].accuracy + 0.2);
          expect(r.finetuned[label].macroF1).toBeGreaterThan(r.majority[label].macroF1);
        }
      },
      40 * 60_000,
    );
  });
}

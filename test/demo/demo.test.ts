/**
 * The shortened demo end to end through the CLI (`triage-workbench demo --short`): import → labels → approval
 * → dataset version → local_train job → evaluation → report. The fine-tuned model must answer the held-out
 * split (rules and events it never saw) clearly better than the base model and the majority class, and the
 * report and model card must carry those numbers. This is also the CI learn check (it replaced
 * test/training/learnCheck.test.ts, which trained a second time). The trainer is cached in TW_TRAINER_CACHE;
 * the small base in TW_DEMO_CACHE (default: a temp folder of this run). TW_LEARN_CHECK=0 skips it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/runCli';
import type { DemoResult } from '../../src-main/demo/demoLoop';
import { checkToolchain, findTrainer } from '../../src-main/training/local/trainerBuild';

process.env.TW_TRAINER_CACHE ??= path.join(os.homedir(), '.cache', 'tw-trainer');
const ownDemoCache = !process.env.TW_DEMO_CACHE;
const demoCache = process.env.TW_DEMO_CACHE ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tw-demo-cache-'));
process.env.TW_DEMO_CACHE = demoCache;

const toolchain = checkToolchain();
const available = toolchain.ok || findTrainer() !== null;
const requested = process.env.TW_LEARN_CHECK !== '0';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-demo-test-'));

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  if (ownDemoCache) fs.rmSync(demoCache, { recursive: true, force: true });
});

if (!available || !requested) {
  describe('the demo loop', () => {
    it.skip(`skipped: ${!available ? toolchain.hint : 'TW_LEARN_CHECK=0'}`, () => undefined);
  });
} else {
  describe('the demo loop', () => {
    it(
      '--short: the fine-tune beats the base and the majority class on the held-out split; report and card written',
      async () => {
        const out: string[] = [];
        const err: string[] = [];
        const dataDir = path.join(work, 'workspace');
        const outDir = path.join(work, 'report');
        const code = await runCli(['--data-dir', dataDir, 'demo', '--short', '--seed', '42', '--out', outDir], {
          out: (t) => {
            out.push(t);
            console.log(`[demo] ${t}`);
          },
          err: (t) => err.push(t),
        });
        expect(code, err.join('\n')).toBe(0);

        const r = JSON.parse(fs.readFileSync(path.join(outDir, 'results.json'), 'utf8')) as DemoResult;
        // held-out examples were never trained on: no rule or source event in two splits
        expect(r.dataset.leakedGroups).toBe(0);
        expect(r.dataset.counts.test).toBeGreaterThan(100);
        const { base, finetuned, majority } = r.models;
        // the fine-tuned model answers in the structured format
        expect(finetuned.invalidRate!).toBeLessThanOrEqual(0.02);
        const clearlyAbove = (['verdict', 'severity', 'technique'] as const).filter(
          (l) =>
            finetuned[l].accuracy! > majority[l].accuracy! + 0.05 && finetuned[l].accuracy! > base[l].accuracy! + 0.05,
        );
        expect(
          clearlyAbove.length,
          JSON.stringify({ base, finetuned, majority }, ['accuracy', 'macroF1', 'verdict', 'severity', 'technique']),
        ).toBeGreaterThanOrEqual(1);
        for (const l of clearlyAbove) expect(finetuned[l].macroF1!).toBeGreaterThan(majority[l].macroF1!);

        // the report and the model card exist and carry the numbers
        const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
        const md = fs.readFileSync(path.join(outDir, 'report.md'), 'utf8');
        const html = fs.readFileSync(path.join(outDir, 'report.html'), 'utf8');
        const card = fs.readFileSync(path.join(outDir, 'model-card.md'), 'utf8');
        for (const l of ['verdict', 'severity', 'technique'] as const) {
          for (const doc of [md, html, card]) {
            expect(doc).toContain(pct(finetuned[l].accuracy!));
            expect(doc).toContain(pct(majority[l].accuracy!));
          }
        }
        expect(html).toContain('<svg');
        expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
        expect(card).toContain(r.dataset.contentHash);
        const cardJson = JSON.parse(fs.readFileSync(path.join(outDir, 'model-card.json'), 'utf8')) as {
          lineage: { id: number }[];
          demo: { job: { id: number }; hyperparameters: { epochs: number } };
        };
        expect(cardJson.lineage.map((m) => m.id)).toEqual([r.base.modelId, finetuned.modelId]);
        expect(cardJson.demo.job.id).toBe(r.job.id);
        // the terminal summary printed the same numbers
        expect(out.join('\n')).toContain(pct(finetuned.verdict.accuracy!));
      },
      40 * 60_000,
    );
  });
}

/**
 * Does the local fine-tune learn the triage task? (src-main/demo/demoLearnCheck.ts)
 *
 *   node --import tsx bench/training/learnCheck.ts [--short] [--epochs N] [--lr X] [--batch N] [--seed N]
 *       [--window N] [--threads N] [--work DIR] [--base-embd N --base-layers N ...] [--sigma-stride N] [--save]
 *
 * Caches: TW_TRAINER_CACHE (default ~/.cache/tw-trainer), TW_DEMO_CACHE (default ~/.cache/tw-demo).
 * --save writes the numbers to bench/training/results/learnCheck-{short,full}.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_BASE_DEFAULTS, type DemoBaseOptions } from '../../src-main/demo/demoBaseModel';
import { formatLearnCheck, learnCheck } from '../../src-main/demo/demoLearnCheck';

{
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const numArg = (name: string) => (arg(name) !== undefined ? Number(arg(name)) : undefined);
  const baseArg: DemoBaseOptions = {};
  for (const k of Object.keys(DEMO_BASE_DEFAULTS) as (keyof DemoBaseOptions)[]) {
    const v = numArg(`--base-${k}`);
    if (v !== undefined) baseArg[k] = v;
  }
  learnCheck({
    short: args.includes('--short'),
    seed: numArg('--seed'),
    epochs: numArg('--epochs'),
    lr: numArg('--lr'),
    batch: numArg('--batch'),
    window: numArg('--window'),
    threads: numArg('--threads'),
    workDir: arg('--work'),
    sigmaStride: numArg('--sigma-stride'),
    base: baseArg,
  })
    .then((r) => {
      console.log(formatLearnCheck(r));
      for (const s of r.samples)
        console.log(`  gold: ${s.gold}\n    base: ${s.base.trim()}\n    ft:   ${s.finetuned.trim()}`);
      if (args.includes('--save')) {
        const dir = path.join(path.dirname(new URL(import.meta.url).pathname), 'results');
        fs.mkdirSync(dir, { recursive: true });
        const f = path.join(dir, `learnCheck-${args.includes('--short') ? 'short' : 'full'}.json`);
        fs.writeFileSync(f, JSON.stringify(r, null, 2));
        console.log(`saved ${f}`);
      }
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}

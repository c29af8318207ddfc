/**
 * `npm run bench -- <name> [args…]` runs one benchmark; with no name it lists them. Each benchmark prints
 * its own numbers next to a raw baseline measured in the same run (see the file's header for its options).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const BENCHES: Record<string, { file: string; what: string }> = {
  import: {
    file: 'import/importBench.ts',
    what: 'rows/s importing 1,000,000 OpenAI examples vs a raw better-sqlite3 loop',
  },
  'import-1gb': { file: 'import/bigFileBench.ts', what: 'a 1 GB JSONL import: peak memory and progress' },
  review: { file: 'review/reviewBench.ts', what: 'bulk approve 100k by filter and queue paging vs raw SQL' },
  export: { file: 'export/exportBench.ts', what: 'export 1,000,000 examples vs a raw fs write' },
  decode: { file: 'decode/decodeBench.ts', what: "decode tokens/s and first-token time vs llama.cpp's llama-bench" },
  eval: { file: 'eval/evalBench.ts', what: 'evaluation throughput, parallel sequences vs one at a time' },
  trainer: { file: 'training/trainerBench.ts', what: "our SFT trainer's tokens/s vs the stock llama-finetune" },
  'train-app': {
    file: 'training/appVsDirect.ts',
    what: 'training tokens/s through the app (a local_train job) vs the same tw-sft run directly',
  },
  'learn-check': { file: 'training/learnCheck.ts', what: 'fine-tune the demo base and score it vs base and majority' },
};

const [name, ...args] = process.argv.slice(2);
if (!name || !BENCHES[name]) {
  console.log('usage: npm run bench -- <name> [args…]\n');
  for (const [n, b] of Object.entries(BENCHES)) console.log(`  ${n.padEnd(12)} ${b.what}`);
  process.exit(name ? 2 : 0);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, BENCHES[name]!.file), ...args], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);

/**
 * Decode speed and time to first token through the app's own path (model worker process, LlamaChat,
 * the same ChatProvider the chat service uses) versus llama.cpp's llama-bench, on the same generated
 * ≥100M-parameter GGUF quantized with llama-quantize from the same llama.cpp release.
 *
 *   node --import tsx bench/decode/decodeBench.ts [--threads 2] [--quant Q4_K_M] [--tokens 128] [--runs 3]
 *
 * Not a test: numbers depend on the machine and on what else runs. Nothing else should use the CPU.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readGgufHeader } from '../../src-main/gguf/ggufReader';
import { writeTinyModel } from '../../src-main/gguf/tinyModel';
import { LocalModelRuntime } from '../../src-main/runtime/local/workerClient';
import type { ChatTurn } from '../../src-main/runtime/provider';
import { llamaTools } from './llamaTools';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    quant: { type: 'string', default: 'Q4_K_M' },
    tokens: { type: 'string', default: '128' },
    runs: { type: 'string', default: '3' },
  },
});
const threads = Number(args.threads);
const nGen = Number(args.tokens);
const runs = Number(args.runs);

const cache = path.join(process.env.TW_BENCH_CACHE ?? path.join(os.homedir(), '.cache', 'tw-bench'), 'models');
fs.mkdirSync(cache, { recursive: true });
const f32 = path.join(cache, 'bench-1024x8-f32.gguf');
const quantized = path.join(cache, `bench-1024x8-${args.quant.toLowerCase()}.gguf`);

const tools = llamaTools();
if (!fs.existsSync(quantized)) {
  if (!fs.existsSync(f32)) {
    console.log('generating the F32 benchmark model…');
    // Same generator as the demo model, scaled up: 1024-dim, 8 blocks, ~101M parameters.
    writeTinyModel(f32, { embd: 1024, layers: 8, heads: 16, ff: 2816, contextLength: 4096, name: 'bench-101m' });
  }
  execFileSync(tools.quantize, [f32, quantized, args.quant], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const header = await readGgufHeader(quantized);
console.log(
  `model: ${header.summary.parameterCount.toLocaleString()} parameters, ${header.summary.quantization}, ` +
    `${(header.summary.sizeBytes / 2 ** 20).toFixed(1)} MiB; llama.cpp ${tools.release}; threads ${threads}`,
);

interface BenchRow {
  n_prompt: number;
  n_gen: number;
  avg_ts: number;
}

function llamaBench(extra: string[], repetitions = runs): BenchRow[] {
  const out = execFileSync(
    tools.bench,
    ['-m', quantized, '-t', String(threads), '-r', String(repetitions), '-o', 'json', ...extra],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  return JSON.parse(out) as BenchRow[];
}

// The app path: one worker, model loaded once, a fresh prompt per run so nothing is served from the KV cache.
const runtime = new LocalModelRuntime({ loadTimeoutMs: 300_000 });
const request = { modelPath: quantized, modelBytes: header.summary.sizeBytes, runtime: { threads, contextSize: 1024 } };
const turns = (i: number): ChatTurn[] => [
  { role: 'system', content: `Run ${i}. You are a security analyst. Answer briefly and precisely.` },
  {
    role: 'user',
    content: 'Triage: 40 failed SSH logins for root from 203.0.113.7 within a minute, then one success.',
  },
];
await runtime.chat(request, turns(0), { maxTokens: 4, temperature: 0 }); // load and warm up

const app: { decodeTps: number; ttftMs: number; promptTokens: number }[] = [];
const lcDecode: number[] = [];
for (let i = 1; i <= runs; i++) {
  // Interleaved, so a burst of load elsewhere hits both sides alike.
  const r = await runtime.chat(request, turns(i), { maxTokens: nGen, temperature: 0 });
  const decodeMs = r.latencyMs - (r.firstTokenMs ?? 0);
  app.push({
    decodeTps: ((r.completionTokens - 1) * 1000) / decodeMs,
    ttftMs: r.firstTokenMs ?? NaN,
    promptTokens: r.promptTokens,
  });
  // One repetition per round: each round is a pair of single runs taken back to back.
  lcDecode.push(llamaBench(['-p', '0', '-n', String(nGen)], 1)[0]!.avg_ts);
}
await runtime.dispose();

const promptTokens = Math.round(app.reduce((a, b) => a + b.promptTokens, 0) / app.length);
const pp = llamaBench(['-p', String(promptTokens), '-n', '0'])[0]!.avg_ts;
const best = (xs: number[], hi = true) => (hi ? Math.max(...xs) : Math.min(...xs));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const appDecode = best(app.map((a) => a.decodeTps));
const appTtft = best(
  app.map((a) => a.ttftMs),
  false,
);
const lcDecodeBest = best(lcDecode);
// llama.cpp's time to first token: evaluate the prompt, then produce one token.
const lcTtft = (promptTokens / pp) * 1000 + 1000 / lcDecodeBest;

const fmt = (n: number) => n.toFixed(1);
console.log('');
console.log(`                       app path    llama-bench   ratio (app / llama.cpp)`);
console.log(
  `decode tokens/s        ${fmt(appDecode).padStart(8)}    ${fmt(lcDecodeBest).padStart(11)}   ${(appDecode / lcDecodeBest).toFixed(2)}`,
);
console.log(
  `first token, ms (${promptTokens} prompt tokens) ${fmt(appTtft).padStart(6)}    ${fmt(lcTtft).padStart(11)}   ${(lcTtft / appTtft).toFixed(2)} (speed)`,
);
const appMedian = median(app.map((a) => a.decodeTps));
const lcMedian = median(lcDecode);
const pairRatio = median(app.map((a, k) => a.decodeTps / lcDecode[k]!));
console.log(
  `decode tokens/s, median ${fmt(appMedian).padStart(8)}    ${fmt(lcMedian).padStart(11)}   ${(appMedian / lcMedian).toFixed(2)}`,
);
console.log(`decode ratio, median of back-to-back pairs: ${pairRatio.toFixed(2)}`);
console.log('');
console.log(`app runs: ${app.map((a) => `${fmt(a.decodeTps)} t/s, ttft ${a.ttftMs} ms`).join('; ')}`);
console.log(`llama-bench tg${nGen} runs: ${lcDecode.map(fmt).join(', ')} t/s; pp${promptTokens}: ${fmt(pp)} t/s`);

/**
 * Export benchmark: 1,000,000 stored examples → OpenAI JSONL through `exportDataset` (DB read,
 * checks, hashing, temp file + fsync + rename, card, egress log), next to a raw baseline in the
 * same run: the same lines, already serialised in memory, written to a file in 1 MiB chunks + fsync.
 * Prints the ratio raw / export (target ≥ 0.5).
 *
 *   node --import tsx bench/export/exportBench.ts [--examples N]
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../../src-main/db/connection';
import { BuildOptionsSchema, DatasetFilterSchema, type BuildReport } from '../../src-main/contract/index';
import { SYSTEM_PROMPTS } from '../../src-main/datasets/systemPrompts';
import { exportDataset } from '../../src-main/export/exportDataset';

const { values } = parseArgs({ options: { examples: { type: 'string', default: '1000000' } } });
const N = Number(values.examples);

function report(n: number): BuildReport {
  const options = BuildOptionsSchema.parse({});
  return {
    filter: DatasetFilterSchema.parse({}),
    options,
    steps: {
      selected: n,
      validation: { in: n, valid: n, invalid: 0, byRule: {}, failures: [] },
      dedup: { in: n, kept: n, droppedExact: 0, droppedNear: 0, clusters: [] },
      limits: { in: n, out: n, min: 1, max: n, sampled: false, belowMin: false },
      redaction: {
        in: n,
        out: n,
        secretsFound: 0,
        secretExamples: 0,
        secretsRedacted: 0,
        excluded: 0,
        blocking: 0,
        findings: [],
        entities: { ip: 0, host: 0, user: 0, email: 0, account: 0 },
        samples: [],
        allowlisted: 0,
      },
      tokens: {
        in: n,
        out: n,
        tokenizer: 'exact',
        encoding: 'o200k_base',
        limit: 65536,
        refused: [],
        total: 0,
        max: 0,
        mean: 0,
      },
      split: { train: n, validation: 0, test: 0, groups: n, byLabel: [] },
    },
    cost: {
      model: options.target.model,
      trainingTokens: 0,
      billedTokensPerEpoch: 0,
      epochs: 1,
      epochsSource: 'fixed',
      usdPerMillion: 3,
      usd: 0,
    },
    secretsClean: true,
    blockers: [],
    examples: n,
  };
}

function exampleJson(i: number): string {
  const alert = {
    eventName: 'ConsoleLogin',
    eventTime: `2024-05-01T10:${String(i % 60).padStart(2, '0')}:00Z`,
    sourceIPAddress: '<IP_1>',
    userIdentity: { userName: `<USER_${(i % 97) + 1}>`, accountId: '<ACCOUNT_1>' },
    additionalEventData: { MFAUsed: i % 2 ? 'Yes' : 'No' },
    requestId: crypto.createHash('md5').update(String(i)).digest('hex'),
  };
  return JSON.stringify({
    messages: [
      { role: 'system', content: SYSTEM_PROMPTS.triage },
      {
        role: 'user',
        content: `Alert (cloudtrail): Console login ${i}\nEvent:\n\`\`\`json\n${JSON.stringify(alert)}\n\`\`\`\n\nIs this login suspicious?`,
      },
      {
        role: 'assistant',
        content: `Verdict: ${i % 3 ? 'benign' : 'true_positive'}. Severity: medium. The login ${i % 2 ? 'used' : 'did not use'} MFA from a known address; confirm with the user and review the session's follow-up API calls.`,
      },
    ],
  });
}

const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;

async function rawWrite(file: string, lines: readonly string[]): Promise<number> {
  const t = performance.now();
  const fh = await fsp.open(file, 'w', 0o600);
  let pending = '';
  for (const l of lines) {
    pending += l + '\n';
    if (pending.length >= 1 << 20) {
      await fh.write(pending);
      pending = '';
    }
  }
  if (pending) await fh.write(pending);
  await fh.sync();
  await fh.close();
  return performance.now() - t;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-export-bench-'));
  const db = openDatabase(path.join(dataDir, 'workbench.db'));
  try {
    let t = performance.now();
    const versionId = db.transaction(() => {
      db.prepare("INSERT INTO datasets (name, task, created_at) VALUES ('bench', 'triage', 0)").run();
      db.prepare(
        "INSERT INTO dataset_versions (dataset_id, version, content_hash, filter, build_report, seed, created_at) VALUES (1, 1, 'bench', '{}', ?, 42, 0)",
      ).run(JSON.stringify(report(N)));
      const ins = db.prepare(
        "INSERT INTO dataset_examples (dataset_version_id, split, group_key, example, labels, token_count, content_hash) VALUES (1, 'train', ?, ?, '{}', 0, '')",
      );
      for (let i = 0; i < N; i++) ins.run(`g${i}`, exampleJson(i));
      return 1;
    })();
    console.log(
      `generated ${N.toLocaleString('en')} stored examples in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    // The baseline's input: every line already serialised in memory (not timed).
    t = performance.now();
    const lines = db
      .prepare('SELECT example FROM dataset_examples WHERE dataset_version_id = 1 ORDER BY id')
      .pluck()
      .all() as string[];
    console.log(`loaded the raw baseline's lines in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const rawFile = path.join(dataDir, 'raw.jsonl');

    const runs: { raw: number; exp: number }[] = [];
    let last = { bytes: 0, path: '' };
    const load = os.loadavg().map((x) => x.toFixed(1));
    console.log(`load average before the runs: ${load.join(' ')} on ${os.availableParallelism()} cores`);
    for (let r = 0; r < 3; r++) {
      let c = process.cpuUsage();
      const raw = await rawWrite(rawFile, lines);
      const rawCpu = cpuMs(process.cpuUsage(c));
      c = process.cpuUsage();
      t = performance.now();
      const res = await exportDataset({ versionId, format: 'openai' }, { db, dataDir, actor: 'bench' });
      const exp = performance.now() - t;
      const expCpu = cpuMs(process.cpuUsage(c));
      last = res;
      runs.push({ raw, exp });
      const sec = (ms: number) => (ms / 1000).toFixed(2);
      console.log(
        `run ${r + 1}: raw write ${sec(raw)} s (cpu ${sec(rawCpu)} s), export ${sec(exp)} s (cpu ${sec(expCpu)} s, both threads), ratio ${(raw / exp).toFixed(2)}`,
      );
    }
    const rawSize = fs.statSync(rawFile).size;
    if (rawSize !== last.bytes) throw new Error(`export wrote ${last.bytes} bytes, raw ${rawSize}`);
    const best = { raw: Math.min(...runs.map((r) => r.raw)), exp: Math.min(...runs.map((r) => r.exp)) };
    const mb = last.bytes / 1e6;
    console.log(`file: ${mb.toFixed(0)} MB, ${N.toLocaleString('en')} lines`);
    console.log(
      `best: raw ${(best.raw / 1000).toFixed(2)} s (${(mb / (best.raw / 1000)).toFixed(0)} MB/s), export ${(best.exp / 1000).toFixed(2)} s (${(mb / (best.exp / 1000)).toFixed(0)} MB/s)`,
    );
    // Each run pairs a raw write with an export taken right after it, so both see the same machine;
    // the median of those paired ratios is the figure (a best-of-each ratio mixes lucky moments).
    const ratios = runs.map((r) => r.raw / r.exp).sort((a, b) => a - b);
    const ratio = ratios[Math.floor(ratios.length / 2)]!;
    console.log(`best-of-each ratio: ${(best.raw / best.exp).toFixed(2)}`);
    console.log(
      `export / raw throughput ratio (median of paired runs): ${ratio.toFixed(2)} (target ≥ 0.5) — ${ratio >= 0.5 ? 'OK' : 'BELOW TARGET'}`,
    );
  } finally {
    db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();

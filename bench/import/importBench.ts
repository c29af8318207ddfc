/**
 * Import throughput: N OpenAI-format examples (default 1,000,000) through the app's importer
 * (stream → strict parse → validate → hash → batched writes, one transaction per batch) versus a
 * raw better-sqlite3 loop inserting the same rows (conversation, FTS row, messages, label, pending
 * review) in one transaction, in the same run. Prints rows/s, the ratio (target ≥ 0.6) and peak RSS.
 *
 *   node --import tsx bench/import/importBench.ts [N]
 *
 * Rows are examples (one conversation with its three messages, FTS row, label and review each).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src-main/db/connection';
import { IMPORT_LIMITS } from '../../src-main/importers/limits';

// Each measured phase runs in its own process so its peak RSS is its own.
const phase = process.argv.find((a) => a.startsWith('--phase='))?.slice(8) ?? null;
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const N = Number(args[0] ?? process.env.IMPORT_BENCH_N ?? 1_000_000);
const MiB = 1024 * 1024;
const SYSTEM = 'You are a security operations (SOC) analyst. Triage the log event. Answer with a JSON verdict.';

function example(i: number): { user: string; assistant: string } {
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  return {
    user: `Log source: AWS CloudTrail\nEvent:\n{"eventName":"ConsoleLogin","eventTime":"2024-01-01T00:00:00Z","sourceIPAddress":"${ip}","userIdentity":{"userName":"user${i % 5000}"},"n":${i}}`,
    assistant: `{"verdict":"${i % 3 ? 'benign' : 'alert'}","severity":"${i % 3 ? 'Info' : 'High'}","rationale":"Login from ${ip} for user${i % 5000}."}`,
  };
}

function line(i: number): string {
  const e = example(i);
  return JSON.stringify({
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: e.user },
      { role: 'assistant', content: e.assistant },
    ],
  });
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

class PeakRss {
  peak = 0;
  base = 0;
  private timer: NodeJS.Timeout | null = null;
  start(): void {
    this.base = process.memoryUsage().rss;
    this.peak = this.base;
    this.timer = setInterval(() => (this.peak = Math.max(this.peak, process.memoryUsage().rss)), 20);
  }
  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
    return this.peak;
  }
}

async function writeFile(file: string): Promise<number> {
  const out = fs.createWriteStream(file);
  let bytes = 0;
  for (let i = 0; i < N; i++) {
    const l = `${line(i)}\n`;
    bytes += Buffer.byteLength(l);
    if (!out.write(l)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return bytes;
}

interface PhaseResult {
  seconds: number;
  /** CPU seconds (user + system) of the phase's process: less sensitive than wall time to other load on the machine. */
  cpu: number;
  peak: number;
  base: number;
  progressEvents?: number;
  ok?: number;
}

async function viaImporter(file: string): Promise<PhaseResult> {
  // The importer the `imports.start` command runs, on a fresh workspace DB; loaded here so the raw
  // phase's process does not carry it.
  const { startImport } = await import('../../src-main/importers/runImport');
  const { EventBus } = await import('../../src-main/core/eventBus');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-bench-imp-'));
  const db = openDatabase(path.join(dataDir, 'workbench.db'));
  const bus = new EventBus();
  let progressEvents = 0;
  bus.on('import.progress', () => progressEvents++);
  const rss = new PeakRss();
  rss.start();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const started = startImport(
    { db, bus, log: null },
    { path: file, fileName: path.basename(file) },
    { format: 'openai_chat', keepValid: false, actor: 'bench' },
    new AbortController().signal,
  );
  const report = await started.done;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  const peak = rss.stop();
  if (report.status !== 'done') throw new Error(`import ${report.status}: ${report.error}`);
  db.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { seconds, cpu, peak, base: rss.base, progressEvents, ok: report.recordsOk };
}

/** The same rows, straight into the same schema with prepared statements, one transaction, no parsing or checks. */
function rawLoop(): PhaseResult {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-bench-raw-'));
  const db = openDatabase(path.join(dataDir, 'workbench.db'));
  db.pragma(`cache_size = -${IMPORT_LIMITS.importCacheKiB}`); // the importer runs with this cache too
  const conv = db.prepare(
    `INSERT INTO conversations (source_kind, source_format, title, task, alert_payload, key_fields, content_hash, import_id, group_key,
       example_options, created_at, updated_at) VALUES ('imported_example', 'openai_chat', ?, 'triage', NULL, '{}', ?, NULL, NULL, NULL, ?, ?)`,
  );
  const fts = db.prepare('INSERT INTO conversations_fts (rowid, title, body) VALUES (?, ?, ?)');
  const msg = db.prepare(
    'INSERT INTO messages (conversation_id, seq, role, content, tool_calls, tool_call_id, weight, created_at) VALUES (?, ?, ?, ?, NULL, NULL, NULL, ?)',
  );
  const label = db.prepare(
    `INSERT INTO training_labels (conversation_id, techniques, labeller, created_at, updated_at) VALUES (?, '[]', 'bench', ?, ?)`,
  );
  const review = db.prepare(`INSERT INTO reviews (label_id, status, updated_at) VALUES (?, 'pending', ?)`);
  const rss = new PeakRss();
  rss.start();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  db.transaction(() => {
    for (let i = 0; i < N; i++) {
      const e = example(i);
      const at = Date.now();
      const title = e.user.replace(/\s+/g, ' ').slice(0, 120);
      const hash = crypto.createHash('sha256').update(e.user).digest('hex');
      const id = Number(conv.run(title, hash, at, at).lastInsertRowid);
      fts.run(id, title, `\n${SYSTEM}\n${e.user}\n${e.assistant}`);
      msg.run(id, 1, 'system', SYSTEM, at);
      msg.run(id, 2, 'user', e.user, at);
      msg.run(id, 3, 'assistant', e.assistant, at);
      review.run(Number(label.run(id, at, at).lastInsertRowid), at);
    }
  })();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  const peak = rss.stop();
  db.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { seconds, cpu, peak, base: rss.base };
}

function runPhase(name: 'importer' | 'raw', file: string): PhaseResult {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, [...process.execArgv, self, `--phase=${name}`, String(N), file], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as PhaseResult;
}

const mib = (n: number) => `${(n / MiB).toFixed(0)} MiB`;

if (phase === 'importer') {
  console.log(JSON.stringify(await viaImporter(args[1]!)));
} else if (phase === 'raw') {
  console.log(JSON.stringify(rawLoop()));
} else {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-bench-file-'));
  const file = path.join(dir, 'examples.jsonl');
  try {
    const bytes = await writeFile(file);
    console.log(
      `examples: ${N.toLocaleString('en')} (${(bytes / MiB).toFixed(0)} MiB JSONL), node ${process.version}, ${os.cpus().length} cores`,
    );
    const load = () => os.loadavg()[0]!.toFixed(1);
    const loadBefore = load();
    const imp = runPhase('importer', file);
    if (imp.ok !== N) throw new Error(`importer wrote ${imp.ok} of ${N}`);
    const raw = runPhase('raw', file);
    const line = (name: string, r: PhaseResult) =>
      `${name}: ${r.seconds.toFixed(1)} s wall (${Math.round(N / r.seconds).toLocaleString('en')} rows/s), ` +
      `${r.cpu.toFixed(1)} s CPU (${Math.round(N / r.cpu).toLocaleString('en')} rows/CPU-s), peak RSS ${mib(r.peak)} (process at start ${mib(r.base)})`;
    console.log(line('importer', imp) + `, ${imp.progressEvents} progress events`);
    console.log(line('raw loop', raw));
    const wall = raw.seconds / imp.seconds;
    const cpu = raw.cpu / imp.cpu;
    console.log(
      `ratio importer/raw rows/s: wall ${wall.toFixed(2)}, CPU ${cpu.toFixed(2)} (target >= 0.6: ${Math.min(wall, cpu) >= 0.6 ? 'met' : cpu >= 0.6 ? 'met on CPU time' : 'NOT met'}); load average ${loadBefore} → ${load()} on ${os.cpus().length} cores`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A generated JSONL file of a given size (default 1 GiB) through the import pipeline in a fresh
 * process: prints throughput, progress events and peak RSS (the target is under 300 MB), and the
 * RSS growth over the process at start. Only the importer and the DB are loaded, not the whole app.
 *
 *   node --import tsx bench/import/bigFileBench.ts [MiB]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src-main/db/connection';
import { EventBus } from '../../src-main/core/eventBus';
import { startImport } from '../../src-main/importers/runImport';

const MiB = 1024 * 1024;
// The import runs in its own process (started by this one) so the file generation's garbage is not in its RSS.
const importFile = process.argv.find((a) => a.startsWith('--import='))?.slice(9) ?? null;
const target = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 1024) * MiB;

async function generate(file: string): Promise<{ bytes: number; lines: number }> {
  const out = fs.createWriteStream(file);
  let bytes = 0;
  let lines = 0;
  const pad = 'The sign-in came from a hosting provider; the account had no MFA. '.repeat(12);
  while (bytes < target) {
    const l = `${JSON.stringify({
      messages: [
        { role: 'user', content: `Alert ${lines}: ${pad}` },
        { role: 'assistant', content: `Verdict for alert ${lines}: benign.` },
      ],
    })}\n`;
    bytes += Buffer.byteLength(l);
    lines++;
    if (!out.write(l)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { bytes, lines };
}

async function importPhase(file: string): Promise<void> {
  const dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-bigfile-db-'));
  const db = openDatabase(path.join(dbDir, 'workbench.db'));
  const bus = new EventBus();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  let events = 0;
  let lastPct = -10;
  bus.on('import.progress', (p) => {
    events++;
    const pct = Math.floor((100 * p.bytesRead) / Math.max(1, p.totalBytes));
    if (pct >= lastPct + 10) {
      lastPct = pct;
      const m = process.memoryUsage();
      console.log(
        `  ${String(pct).padStart(3)}%  ${(p.bytesRead / MiB).toFixed(0)} MiB read, ${p.records.toLocaleString('en')} records, RSS ${(m.rss / MiB).toFixed(0)} MiB (JS heap ${(m.heapUsed / MiB).toFixed(0)}/${(m.heapTotal / MiB).toFixed(0)}, external ${(m.external / MiB).toFixed(0)} MiB)`,
      );
    }
  });
  const t0 = performance.now();
  const started = startImport(
    { db, bus, log: null },
    { path: file, fileName: path.basename(file) },
    { format: 'openai_chat', keepValid: false, actor: 'bench' },
    new AbortController().signal,
  );
  const report = await started.done;
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  db.close();
  fs.rmSync(dbDir, { recursive: true, force: true });
  const bytes = report.bytes;
  console.log(`status ${report.status}, ${report.recordsOk.toLocaleString('en')} records`);
  console.log(
    `time: ${seconds.toFixed(1)} s (${(bytes / MiB / seconds).toFixed(1)} MiB/s, ${Math.round(report.recordsOk / seconds).toLocaleString('en')} records/s), ${events} progress events`,
  );
  console.log(
    `peak RSS: ${(peak / MiB).toFixed(0)} MiB (process at start ${(base / MiB).toFixed(0)} MiB; growth ${((peak - base) / MiB).toFixed(0)} MiB); target < 300 MiB: ${peak < 300 * MiB ? 'met' : 'NOT met'}`,
  );
}

if (importFile) {
  await importPhase(importFile);
} else {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-bigfile-'));
  const file = path.join(dir, 'big.jsonl');
  try {
    const { bytes, lines } = await generate(file);
    console.log(`file: ${(bytes / MiB).toFixed(0)} MiB, ${lines.toLocaleString('en')} lines`);
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), `--import=${file}`], {
      stdio: 'inherit',
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

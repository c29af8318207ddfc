/**
 * Review queue benchmark on a generated workspace of 1,000,000 labelled examples:
 *  - bulk-approve 100,000 by filter (review.bulkByFilter: count guard, undo rows, audit) vs a raw UPDATE
 *    (with SQLite's automatic checkpoint in its commit, and without it);
 *  - page the pending queue (p95 of 100 page loads through review.list) vs a raw SELECT of the same page.
 * Targets: bulk approve ≤ 1 s, page load p95 ≤ 10 ms.
 *
 *   node --import tsx bench/review/reviewBench.ts [--rows 1000000] [--db DIR (reuse/keep a generated workspace)]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase, type Db } from '../../src-main/db/connection';
import { EventBus } from '../../src-main/core/eventBus';
import { createLogger } from '../../src-main/core/logger';
import { createDispatcher, mergeHandlers } from '../../src-main/core/dispatcher';
import type { Capability, ServiceRegistry } from '../../src-main/core/capability';
import { appCapability } from '../../src-main/core/appCapability';
import { attackCapability } from '../../src-main/attack/attackCapability';
import { labelsCapability } from '../../src-main/labels/labelsCapability';
import { createReviewCapability } from '../../src-main/review/reviewCapability';
import type { ReviewItem } from '../../src-main/contract/index';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, db: { type: 'string' } },
});
const ROWS = Number(values.rows);
const THREAT_TYPES = Array.from({ length: 10 }, (_, i) => `threat-${i}`);
const VERDICTS = ['true_positive', 'benign', 'false_positive'];
const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];
const TECHNIQUES = ['T1110.003', 'T1059.001', 'T1046', 'T1078', 'T1105', 'T1021.001', 'T1566.001', 'T1486'];
const WORDS = [
  'login',
  'failed',
  'powershell',
  'bucket',
  'policy',
  'spray',
  'root',
  'token',
  'pod',
  'exec',
  'admin',
  'vpn',
];
const LABELLERS = ['alice', 'bob', 'carol', 'dave', 'erin'];

// Small deterministic PRNG so every run builds the same workspace.
let seed = 42;
function rnd(): number {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

function ms(t0: number): number {
  return performance.now() - t0;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

function generate(db: Db, rows: number): void {
  const base = Date.UTC(2025, 0, 1);
  const conv = db.prepare(
    "INSERT INTO conversations (id, source_kind, title, task, key_fields, created_at, updated_at) VALUES (?, ?, ?, 'triage', '{}', ?, ?)",
  );
  const fts = db.prepare('INSERT INTO conversations_fts (rowid, title, body) VALUES (?, ?, ?)');
  const msg = db.prepare(
    'INSERT INTO messages (conversation_id, seq, role, content, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const label = db.prepare(
    `INSERT INTO training_labels (id, conversation_id, verdict, threat_type, severity, techniques, quality, notes, corrected_answer, labeller, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)`,
  );
  const review = db.prepare("INSERT INTO reviews (label_id, status, updated_at) VALUES (?, 'pending', ?)");
  const kinds = ['triage_chat', 'imported_alert', 'imported_example'];
  const BATCH = 100_000;
  for (let start = 1; start <= rows; start += BATCH) {
    db.transaction(() => {
      for (let id = start; id < Math.min(start + BATCH, rows + 1); id++) {
        const at = base + id * 1000;
        const title = `${pick(WORDS)} ${pick(WORDS)} alert ${id}`;
        const prompt = `Triage: ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} from host-${id % 5000}`;
        const answer = `Verdict: ${pick(VERDICTS)}. ${pick(WORDS)} ${pick(WORDS)}.`;
        conv.run(id, pick(kinds), title, at, at);
        fts.run(id, title, `${prompt}\n${answer}`);
        msg.run(id, 1, 'user', prompt, at);
        msg.run(id, 2, 'assistant', answer, at);
        const techniques = rnd() < 0.7 ? [pick(TECHNIQUES)] : [pick(TECHNIQUES), pick(TECHNIQUES)];
        label.run(
          id,
          id,
          pick(VERDICTS),
          THREAT_TYPES[id % THREAT_TYPES.length],
          pick(SEVERITIES),
          JSON.stringify([...new Set(techniques)]),
          1 + Math.floor(rnd() * 5),
          answer,
          pick(LABELLERS),
          at,
          at,
        );
        review.run(id, at);
      }
    })();
    process.stdout.write(`  generated ${Math.min(start + BATCH - 1, rows).toLocaleString('en')} rows\r`);
  }
  process.stdout.write('\n');
}

async function main(): Promise<void> {
  const dataDir = values.db ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tw-review-bench-'));
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'workbench.db');
  const existed = fs.existsSync(file);
  const db = openDatabase(file);
  if (!existed || (db.prepare('SELECT COUNT(*) FROM reviews').pluck().get() as number) !== ROWS) {
    if (existed) throw new Error(`${file} exists with a different row count; pass another --db`);
    console.log(`Generating ${ROWS.toLocaleString('en')} labelled examples in ${dataDir} …`);
    const t0 = performance.now();
    generate(db, ROWS);
    db.pragma('wal_checkpoint(TRUNCATE)');
    console.log(`  done in ${(ms(t0) / 1000).toFixed(1)} s (${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB)`);
  } else {
    // a reused workspace: put every example back to pending
    db.exec(
      "UPDATE reviews SET status = 'pending', reviewer = NULL, reason = NULL, decided_at = NULL, updated_at = (SELECT updated_at FROM training_labels WHERE id = label_id) WHERE status <> 'pending'; DELETE FROM review_batches;",
    );
    db.pragma('wal_checkpoint(TRUNCATE)');
  }

  // The real dispatcher (zod parsing, handlers, audit) with the capabilities under test.
  const bus = new EventBus();
  const services = new Map<string, unknown>();
  const registry: ServiceRegistry = { get: (n) => services.get(n) as never, set: (n, s) => void services.set(n, s) };
  const caps: Capability[] = [appCapability('http'), attackCapability, labelsCapability, createReviewCapability()];
  const ctx = {
    db,
    bus,
    dataDir,
    log: createLogger(dataDir),
    services: registry,
    signal: new AbortController().signal,
  };
  for (const c of caps) await c.start?.(ctx);
  const dispatch = createDispatcher(mergeHandlers(caps), ctx);
  const invoke = async <T>(name: string, args: unknown): Promise<T> => {
    const r = await dispatch(name, args, 'bench');
    if (!r.ok) throw new Error(`${name}: ${r.error.message}`);
    return r.value as T;
  };

  console.log(
    `\nSQLite ${db.prepare('SELECT sqlite_version()').pluck().get() as string}, Node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}`,
  );

  // ---- paging ------------------------------------------------------------------------------
  // review.list and the raw SELECT take turns page by page, so both see the same machine load.
  const PAGES = 100;
  const LIMIT = 50;
  const rawPage = db.prepare(
    `SELECT r.id AS review_id, r.status, r.reviewer, r.reason, r.decided_at, r.updated_at, l.id AS label_id, l.conversation_id,
       l.verdict, l.threat_type, l.severity, l.techniques, l.quality, l.labeller, l.updated_at AS labelled_at,
       c.title, c.source_kind, c.source_format
     FROM reviews r JOIN training_labels l ON l.id = r.label_id JOIN conversations c ON c.id = l.conversation_id
     WHERE r.status = 'pending' AND r.updated_at <= ? AND (r.updated_at < ? OR r.id > ?)
     ORDER BY r.updated_at DESC, r.id ASC LIMIT ?`,
  );
  const pagePair = async (): Promise<{ product: number[]; raw: number[] }> => {
    const product: number[] = [];
    const raw: number[] = [];
    let cursor: string | null = null;
    let u = Number.MAX_SAFE_INTEGER;
    let id = 0;
    for (let i = 0; i < PAGES; i++) {
      let t0 = performance.now();
      const r: { items: ReviewItem[]; nextCursor: string | null } = await invoke('review.list', {
        filter: { status: 'pending' },
        limit: LIMIT,
        cursor,
      });
      product.push(ms(t0));
      cursor = r.nextCursor;
      t0 = performance.now();
      const rows = rawPage.all(u, u, id, LIMIT) as { updated_at: number; review_id: number }[];
      raw.push(ms(t0));
      u = rows[rows.length - 1]!.updated_at;
      id = rows[rows.length - 1]!.review_id;
    }
    return { product, raw };
  };
  await pagePair(); // warm the page cache the same way for both
  const { product: pq, raw } = await pagePair();
  const pageTimes = async (filter: Record<string, unknown>): Promise<number[]> => {
    const times: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < PAGES; i++) {
      const t0 = performance.now();
      const r: { items: ReviewItem[]; nextCursor: string | null } = await invoke('review.list', {
        filter,
        limit: LIMIT,
        cursor,
      });
      times.push(ms(t0));
      cursor = r.nextCursor;
      if (!cursor) break;
    }
    return times;
  };
  const offsets: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await invoke('review.list', {
      filter: { status: 'pending' },
      limit: LIMIT,
      offset: Math.floor(rnd() * (ROWS - LIMIT)),
    });
    offsets.push(ms(t0));
  }
  const filtered: [string, Record<string, unknown>][] = [
    ['threat type (10%)', { status: 'pending', threatType: 'threat-3' }],
    ['technique T1059 (~16%)', { status: 'pending', technique: 'T1059' }],
    ['quality ≥ 4 + verdict (~13%)', { status: 'pending', qualityMin: 4, verdict: 'benign' }],
    [
      'labeller+threat+technique (~0.3%)',
      { status: 'pending', labeller: 'alice', threatType: 'threat-3', technique: 'T1486' },
    ],
    ['text "powershell spray" (broad)', { status: 'pending', text: 'powershell spray' }],
    ['text "host 1234" (200 rows)', { status: 'pending', text: 'host 1234' }],
  ];
  const filteredTimes: [string, number[]][] = [];
  for (const [name, f] of filtered) filteredTimes.push([name, await pageTimes(f)]);
  const t0c = performance.now();
  const tabCounts = await invoke<{ byStatus: Record<string, number> }>('review.countByFilter', {
    filter: { status: 'pending' },
  });
  const countMs = ms(t0c);

  // ---- bulk approve ------------------------------------------------------------------------
  // Three rounds; each approves a fresh tenth of the queue (100,000 rows) through review.bulkByFilter
  // (count guard, undo rows, audit), another tenth with one raw UPDATE as a hand-written tool would
  // (SQLite's automatic checkpoint runs in its commit), and a third with the same UPDATE but its
  // checkpoint left out, as the app leaves it to a worker thread. Each starts from an empty WAL.
  const rawUpdate = db.prepare(
    `UPDATE reviews SET status = 'approved', reviewer = ?, decided_at = ?, updated_at = ?
     WHERE status = 'pending' AND label_id IN (SELECT id FROM training_labels WHERE threat_type = ?)`,
  );
  const timed = async <T>(f: () => Promise<T> | T): Promise<{ value: T; wall: number; cpu: number }> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const value = await f();
    const wall = ms(t0);
    const c = process.cpuUsage(c0);
    return { value, wall, cpu: (c.user + c.system) / 1000 };
  };
  const rounds: {
    preview: number;
    bulk: number;
    bulkCpu: number;
    raw: number;
    rawCpu: number;
    rawNoCkpt: number;
    changed: number;
    rawChanged: number;
    afterBulkCkpt: number;
  }[] = [];
  // Untimed: waits for the app's background checkpoint and empties the WAL, so every timed write starts alike.
  const settleWal = (): number => {
    const t0 = performance.now();
    db.pragma('wal_checkpoint(TRUNCATE)');
    return ms(t0);
  };
  let undoTimes: { wall: number; cpu: number; restored: number } | null = null;
  for (let round = 0; round < 3; round++) {
    const filter = { status: 'pending', threatType: `threat-${1 + round * 3}` };
    settleWal();
    const preview = await timed(() => invoke<{ count: number }>('review.countByFilter', { filter }));
    const bulk = await timed(() =>
      invoke<{ batchId: number; changed: number }>('review.bulkByFilter', {
        filter,
        decision: 'approve',
        expectedCount: preview.value.count,
      }),
    );
    if (round === 0) {
      settleWal();
      const u = await timed(() => invoke<{ restored: number }>('review.undo', { batchId: bulk.value.batchId }));
      undoTimes = { wall: u.wall, cpu: u.cpu, restored: u.value.restored };
      // approve it again so every round leaves the same state behind
      await invoke('review.bulkByFilter', { filter, decision: 'approve', expectedCount: preview.value.count });
    }
    const afterBulkCkpt = settleWal();
    const rawRun = await timed(() =>
      db.transaction(() => rawUpdate.run('bench', Date.now(), Date.now(), `threat-${2 + round * 3}`).changes)(),
    );
    settleWal();
    const auto = db.pragma('wal_autocheckpoint', { simple: true }) as number;
    db.pragma('wal_autocheckpoint = 0');
    const rawNoCkpt = await timed(() =>
      db.transaction(() => rawUpdate.run('bench', Date.now(), Date.now(), `threat-${3 + round * 3}`).changes)(),
    );
    db.pragma(`wal_autocheckpoint = ${auto}`);
    rounds.push({
      preview: preview.wall,
      bulk: bulk.wall,
      bulkCpu: bulk.cpu,
      raw: rawRun.wall,
      rawCpu: rawRun.cpu,
      rawNoCkpt: rawNoCkpt.wall,
      afterBulkCkpt,
      changed: bulk.value.changed,
      rawChanged: rawRun.value,
    });
  }

  const overviewFirst = await timed(() => invoke('review.overview', {}));
  const overviewAgain = await timed(() => invoke('review.overview', {}));

  const fmt = (x: number) => `${x.toFixed(2)} ms`;
  const med = (xs: number[]) => pct(xs, 50);
  console.log(
    `\nPage the pending queue (${LIMIT} rows per page, ${PAGES} consecutive pages, keyset; interleaved with raw):`,
  );
  console.log(`  review.list   p50 ${fmt(pct(pq, 50))}  p95 ${fmt(pct(pq, 95))}  max ${fmt(Math.max(...pq))}`);
  console.log(`  raw SELECT    p50 ${fmt(pct(raw, 50))}  p95 ${fmt(pct(raw, 95))}  max ${fmt(Math.max(...raw))}`);
  console.log(
    `  ratio review.list / raw: p50 ${(pct(pq, 50) / pct(raw, 50)).toFixed(2)}×, p95 ${(pct(pq, 95) / pct(raw, 95)).toFixed(2)}×   target p95 ≤ 10 ms: ${pct(pq, 95) <= 10 ? 'met' : 'MISSED'}`,
  );
  console.log(`  random jumps by offset (20): p50 ${fmt(pct(offsets, 50))}  p95 ${fmt(pct(offsets, 95))}`);
  for (const [name, t] of filteredTimes) {
    console.log(`  filtered: ${name.padEnd(36)} p50 ${fmt(pct(t, 50))}  p95 ${fmt(pct(t, 95))}  (${t.length} pages)`);
  }
  console.log(`  tab counts (countByFilter + byStatus): ${fmt(countMs)} → ${JSON.stringify(tabCounts.byStatus)}`);

  console.log(`\nBulk-approve 100,000 by filter (threat type = 1/10 of the queue), 3 rounds:`);
  for (const [i, r] of rounds.entries()) {
    console.log(
      `  round ${i + 1}: review.bulkByFilter ${fmt(r.bulk)} (cpu ${fmt(r.bulkCpu)}, ${r.changed.toLocaleString('en')} changed)` +
        ` | raw UPDATE ${fmt(r.raw)} (cpu ${fmt(r.rawCpu)}, ${r.rawChanged.toLocaleString('en')}) | ratio ${(r.bulk / r.raw).toFixed(2)}×` +
        ` | raw without its checkpoint ${fmt(r.rawNoCkpt)} (ratio ${(r.bulk / r.rawNoCkpt).toFixed(2)}×) | preview count ${fmt(r.preview)}` +
        ` | then waited ${fmt(r.afterBulkCkpt)} for the background checkpoint`,
    );
  }
  const bulkMed = med(rounds.map((r) => r.bulk));
  const rawMed = med(rounds.map((r) => r.raw));
  const rawNoCkptMed = med(rounds.map((r) => r.rawNoCkpt));
  console.log(
    `  median: bulkByFilter ${fmt(bulkMed)} (cpu ${fmt(med(rounds.map((r) => r.bulkCpu)))}) vs raw ${fmt(rawMed)} (cpu ${fmt(med(rounds.map((r) => r.rawCpu)))}) → ratio ${(bulkMed / rawMed).toFixed(2)}×   target ≤ 1 s: ${bulkMed <= 1000 ? 'met' : 'MISSED'}`,
  );
  console.log(
    `  vs raw without its checkpoint: ${fmt(rawNoCkptMed)} → ratio ${(bulkMed / rawNoCkptMed).toFixed(2)}× (the app's checkpoint runs on a worker thread after the commit)`,
  );
  if (undoTimes) {
    console.log(
      `  review.undo of round 1: ${fmt(undoTimes.wall)} (cpu ${fmt(undoTimes.cpu)}, ${undoTimes.restored.toLocaleString('en')} restored)`,
    );
  }
  console.log(
    `\nreview.overview on ${ROWS.toLocaleString('en')} rows: ${fmt(overviewFirst.wall)} (cpu ${fmt(overviewFirst.cpu)}); unchanged queue, cached: ${fmt(overviewAgain.wall)}`,
  );
  console.log(
    `load average at the end: ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${os.cpus().length} CPUs`,
  );
  for (const c of [...caps].reverse()) await c.stop?.();
  db.close();
  if (!values.db) fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

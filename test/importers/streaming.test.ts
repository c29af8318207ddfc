import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workbench } from '../../src-main/core/workbench';
import { count, newWorkbench, runImport, tmpDir } from './helpers';

// Bad input 12: big files stream with bounded memory, a per-line cap, progress and cancel.
// (The 1 GB run and the throughput comparison are in bench/import/.)

const MiB = 1024 * 1024;
let wb: Workbench;
let dir: string;
beforeAll(async () => {
  wb = await newWorkbench();
  dir = tmpDir('tw-big-');
});
afterAll(async () => {
  await wb.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function example(i: number, pad = 0): string {
  return JSON.stringify({
    messages: [
      { role: 'user', content: `event ${i} ${'x'.repeat(pad)}` },
      { role: 'assistant', content: `verdict ${i}` },
    ],
  });
}

/** Samples resident memory while `fn` runs; returns the peak above the level at the start. */
async function peakRssGrowth<T>(fn: () => Promise<T>): Promise<{ value: T; growth: number }> {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, growth: peak - base };
  } finally {
    clearInterval(timer);
  }
}

describe('big inputs', () => {
  it('a single 300 MB line is rejected at the per-line cap without being buffered', async () => {
    const f = path.join(dir, 'huge-line.jsonl');
    const fd = fs.openSync(f, 'w');
    const first = `${example(1)}\n`;
    fs.writeSync(fd, first);
    fs.writeSync(fd, '{"messages":[{"role":"user","content":"');
    const block = Buffer.alloc(MiB, 'x');
    for (let i = 0; i < 300; i++) fs.writeSync(fd, block);
    fs.writeSync(fd, `"},{"role":"assistant","content":"y"}]}\n${example(3)}\n`);
    fs.closeSync(fd);
    const size = fs.statSync(f).size;
    const { value: run, growth } = await peakRssGrowth(() => runImport(wb, { path: f, keepValid: true }));
    expect(run.report.rejections).toEqual([
      {
        line: 2,
        offset: Buffer.byteLength(first),
        reason: 'line is longer than the 16 MiB limit for one record; it was skipped',
      },
    ]);
    expect(run.report).toMatchObject({
      status: 'done',
      recordsOk: 2,
      recordsRejected: 1,
      bytes: size,
      bytesRead: size,
    });
    expect(growth).toBeLessThan(100 * MiB);
    // Progress came in steps while the line was being skipped (events are at most every 150 ms).
    expect(run.progress.filter((p) => p.bytesRead > 0 && p.bytesRead < size).length).toBeGreaterThan(0);
    const reads = run.progress.map((p) => p.bytesRead);
    expect(reads).toEqual([...reads].sort((a, b) => a - b));
    expect(reads.at(-1)).toBe(size);
    fs.rmSync(f);
  });

  it('a 50 MB JSONL file streams: records are written while it is still being read, memory stays flat', async () => {
    const f = path.join(dir, 'fifty.jsonl');
    const fd = fs.openSync(f, 'w');
    let size = 0;
    let i = 0;
    while (size < 50 * MiB) {
      const line = `${example(i++, 3900)}\n`;
      size += Buffer.byteLength(line);
      fs.writeSync(fd, line);
    }
    fs.closeSync(fd);
    let writtenMidway = 0;
    const { value: run, growth } = await peakRssGrowth(() =>
      runImport(
        wb,
        { path: f },
        {
          onProgress: (p) => {
            if (p.bytesRead > 0 && p.bytesRead < p.totalBytes / 2) {
              writtenMidway = Math.max(
                writtenMidway,
                count(wb, "SELECT COUNT(*) AS n FROM conversations WHERE source_format = 'openai_chat'"),
              );
            }
          },
        },
      ),
    );
    expect(run.report).toMatchObject({ status: 'done', recordsOk: i, recordsRejected: 0, bytes: size });
    // Streaming evidence: batches were committed before half of the file had been read.
    expect(writtenMidway).toBeGreaterThan(0);
    expect(run.progress.filter((p) => p.bytesRead > 0 && p.bytesRead < size).length).toBeGreaterThan(1);
    expect(run.progress.at(-1)).toMatchObject({ bytesRead: size, totalBytes: size, records: i });
    expect(growth).toBeLessThan(120 * MiB);
    fs.rmSync(f);
  });

  it('records over a smaller cap are rejected in every container', async () => {
    const svc = wb.services.get('importer');
    const f = path.join(dir, 'arr.json');
    fs.writeFileSync(
      f,
      `[${example(1)},\n{"eventName":"X","eventSource":"s","pad":"${'y'.repeat(5000)}"},\n${example(2)}]`,
    );
    const started = svc.start(
      { path: f, fileName: 'arr.json' },
      { format: 'alpaca', keepValid: true, actor: 'alice', limits: { maxRecordBytes: 1000 } },
    );
    const report = await started.done;
    expect(report.rejections.find((r) => /larger than the 1000 bytes limit/.test(r.reason))).toMatchObject({ line: 2 });
  });
});

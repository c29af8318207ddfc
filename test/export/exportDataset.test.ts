import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatasetVersionDetail, ExportResult } from '../../src-main/contract/index';
import { exportDataset } from '../../src-main/export/exportDataset';
import { exportDownloadRoute } from '../../src-main/export/downloadRoute';
import { readEncodedChunks } from '../../src-main/export/exportReader';
import { toAlpaca, toShareGpt } from '../../src-main/export/exportFormats';
import { fileSink, writeLinesAtomic, type SinkFactory } from '../../src-main/export/writeAtomic';
import { addExample, addMany, ok, openWorkbench, tmpDir, type TestBench } from '../datasets/helpers';
import { CANARY, canaryNeedles, canaryText } from '../redaction/canaries';

let wb: TestBench | null = null;
afterEach(async () => {
  await wb?.close();
  wb = null;
});

const FORMATS = ['openai', 'sharegpt', 'alpaca'] as const;

function checkJsonl(file: string): string[] {
  const buf = fs.readFileSync(file);
  expect(buf.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
  const text = buf.toString('utf8');
  expect(text.includes('\r')).toBe(false);
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  for (const l of lines) {
    expect(l.trim().length).toBeGreaterThan(0);
    expect(typeof JSON.parse(l)).toBe('object');
  }
  return lines;
}

async function withCanaries(): Promise<TestBench> {
  wb = await openWorkbench();
  addMany(wb.db, 60);
  addExample(
    wb.db,
    {
      alert: { commandLine: canaryText() },
      question: `Seen in a script: ${CANARY.openai} and ${CANARY.jwt}`,
      answer: `Leaked: rotate ${CANARY.awsKeyId} now.`,
      corrected: `True positive: ${CANARY.awsKeyId} and the private key leaked; rotate.`,
    },
    999,
  );
  return wb;
}

describe('datasets.export', () => {
  it('refuses while secrets block, then exports all three formats with no canary anywhere', async () => {
    const w = await withCanaries();
    const blocked = ok<DatasetVersionDetail>(await w.invoke('datasets.createVersion', { name: 'leaky' }));
    expect(blocked.secretsClean).toBe(false);
    for (const format of FORMATS) {
      const r = await w.invoke('datasets.export', { versionId: blocked.id, format });
      expect(r).toEqual({ ok: false, error: { code: 'forbidden', message: expect.stringContaining('holds secrets') } });
    }
    expect(
      fs.existsSync(path.join(w.dataDir, 'exports')) ? fs.readdirSync(path.join(w.dataDir, 'exports')) : [],
    ).toEqual([]);
    expect(w.db.prepare('SELECT COUNT(*) AS n FROM egress_log').get()).toEqual({ n: 0 });

    for (const fix of ['redact', 'exclude'] as const) {
      const v = ok<DatasetVersionDetail>(
        await w.invoke('datasets.createVersion', { name: `clean-${fix}`, options: { secrets: { fix } } }),
      );
      expect(v.secretsClean).toBe(true);
      for (const format of FORMATS) {
        const r = ok<ExportResult>(await w.invoke('datasets.export', { versionId: v.id, format }));
        const lines = checkJsonl(r.path);
        expect(lines).toHaveLength(v.counts.total);
        const everything = [r.path, r.cardPath, r.cardJsonPath].map((p) => fs.readFileSync(p, 'utf8')).join('\n');
        for (const needle of canaryNeedles()) expect(everything).not.toContain(needle);
        if (fix === 'redact') expect(everything).toMatch(/<SECRET_\d+>/);
      }
    }
    // Nothing secret in the logs or the audit either.
    const logs = fs.readFileSync(path.join(w.dataDir, 'logs', 'workbench.log'), 'utf8');
    const audit = JSON.stringify(w.db.prepare('SELECT * FROM audit_log').all());
    const report = JSON.stringify(w.db.prepare('SELECT build_report FROM dataset_versions').all());
    for (const needle of canaryNeedles()) {
      expect(logs).not.toContain(needle);
      expect(audit).not.toContain(needle);
      expect(report).not.toContain(needle);
    }
  });

  it('writes LF-only JSONL plus a card, records the egress, and splits on request', async () => {
    wb = await openWorkbench();
    const w = wb;
    addMany(w.db, 80);
    const v = ok<DatasetVersionDetail>(await w.invoke('datasets.createVersion', { name: 'Triage: Q1 set' }));
    const r = ok<ExportResult>(await w.invoke('datasets.export', { versionId: v.id, format: 'openai' }));
    expect(r.fileName).toBe('triage-q1-set-v1-openai.jsonl');
    expect(r.downloadUrl).toBe('/api/exports/triage-q1-set-v1-openai.jsonl');
    const lines = checkJsonl(r.path);
    expect(lines).toHaveLength(80);
    expect(JSON.parse(lines[0]!)).toEqual({ messages: expect.any(Array) });
    expect(r.bytes).toBe(fs.statSync(r.path).size);
    const card = JSON.parse(fs.readFileSync(r.cardJsonPath, 'utf8')) as {
      versionContentHash: string;
      file: { sha256: string };
      splits: { train: number; validation: number; test: number };
      labelDistribution: unknown[];
      redaction: Record<string, unknown>;
    };
    expect(card.versionContentHash).toBe(v.contentHash);
    expect(card.file.sha256).toBe(r.sha256);
    expect(card.splits.train + card.splits.validation + card.splits.test).toBe(80);
    expect(card.labelDistribution.length).toBe(3);
    expect(card.redaction).toMatchObject({ secretsFound: 0, secretsClean: true, pseudonymised: true });
    expect(fs.readFileSync(r.cardPath, 'utf8')).toContain(`\`${v.contentHash}\``);
    const egress = w.db.prepare('SELECT * FROM egress_log').all() as {
      kind: string;
      destination: string;
      content_hash: string;
      bytes: number;
      details: string;
    }[];
    expect(egress).toHaveLength(1);
    expect(egress[0]).toMatchObject({ kind: 'export', destination: r.path, content_hash: r.sha256, bytes: r.bytes });
    expect(JSON.parse(egress[0]!.details)).toMatchObject({
      versionId: v.id,
      versionContentHash: v.contentHash,
      format: 'openai',
      examples: 80,
    });

    const validation = ok<ExportResult>(
      await w.invoke('datasets.export', { versionId: v.id, format: 'sharegpt', split: 'validation' }),
    );
    expect(checkJsonl(validation.path)).toHaveLength(v.counts.validation);
    expect(validation.fileName).toBe('triage-q1-set-v1-sharegpt-validation.jsonl');

    const dest = tmpDir('tw-dest-');
    const elsewhere = ok<ExportResult>(
      await w.invoke('datasets.export', { versionId: v.id, format: 'alpaca', destDir: dest }),
    );
    expect(path.dirname(elsewhere.path)).toBe(dest);
    expect(elsewhere.downloadUrl).toBeNull();
    expect((await w.invoke('datasets.export', { versionId: v.id, format: 'alpaca', destDir: 'relative/dir' })).ok).toBe(
      false,
    );
    expect((await w.invoke('datasets.export', { versionId: 4242, format: 'alpaca' })).ok).toBe(false);
    expect(w.db.prepare('SELECT COUNT(*) AS n FROM egress_log').get()).toEqual({ n: 3 });
  });

  it('disk full mid-export: the temp file is removed, nothing is left half-written, no egress is recorded', async () => {
    wb = await openWorkbench();
    const w = wb;
    addMany(w.db, 400, (i) => ({ answer: `Assessment ${i}: ${'long reasoning '.repeat(300)}` }));
    const v = ok<DatasetVersionDetail>(
      await w.invoke('datasets.createVersion', { name: 'full', options: { dedup: { threshold: 1 } } }),
    );
    const dir = path.join(w.dataDir, 'exports');
    let tempSeen: string | null = null;
    const fullDisk: SinkFactory = async (temp) => {
      tempSeen = temp;
      const real = await fileSink(temp);
      return {
        // The disk fills up half-way through the first chunk: part of it reaches the file, then ENOSPC.
        async write(chunk) {
          await real.write(chunk.subarray(0, chunk.length >> 1));
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        },
        close: () => real.close(),
        abort: () => real.abort(),
      };
    };
    await expect(
      exportDataset(
        { versionId: v.id, format: 'openai' },
        { db: w.db, dataDir: w.dataDir, actor: 't', sink: fullDisk },
      ),
    ).rejects.toThrow(/disk is full/);
    expect(tempSeen).not.toBeNull();
    expect(fs.existsSync(tempSeen!)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(w.db.prepare('SELECT COUNT(*) AS n FROM egress_log').get()).toEqual({ n: 0 });
    // The app stays usable: the same export works once there is space.
    const r = ok<ExportResult>(await w.invoke('datasets.export', { versionId: v.id, format: 'openai' }));
    expect(checkJsonl(r.path)).toHaveLength(v.counts.total);
  });

  it('an existing export is replaced whole or not at all', async () => {
    const dir = tmpDir('tw-atomic-');
    const dest = path.join(dir, 'x.jsonl');
    fs.writeFileSync(dest, 'old\n');
    const failing = (function* () {
      yield '{"a":1}';
      throw new Error('converter broke');
    })();
    await expect(writeLinesAtomic(dest, failing)).rejects.toThrow();
    expect(fs.readFileSync(dest, 'utf8')).toBe('old\n');
    expect(fs.readdirSync(dir)).toEqual(['x.jsonl']);
    await expect(writeLinesAtomic(dest, ['{"a":1}', ''])).rejects.toThrow(/empty/);
    await expect(writeLinesAtomic(dest, ['{"a":\n1}'])).rejects.toThrow(/spans lines/);
    const ok1 = await writeLinesAtomic(dest, ['{"a":1}', '{"b":2}']);
    expect(fs.readFileSync(dest, 'utf8')).toBe('{"a":1}\n{"b":2}\n');
    expect(ok1).toMatchObject({ lines: 2, bytes: 16 });
  });
});

describe('writeLinesAtomic', () => {
  it('writes many chunks and oversized lines byte for byte, with the right hash', async () => {
    const dir = tmpDir('tw-chunks-');
    const dest = path.join(dir, 'big.jsonl');
    const lines = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ i, text: `é ${'x'.repeat(600)} ${i} 🔐` }));
    lines.splice(777, 0, JSON.stringify({ huge: 'y'.repeat(3 << 20) }));
    const r = await writeLinesAtomic(dest, lines);
    const expected = Buffer.from(lines.join('\n') + '\n', 'utf8');
    const actual = fs.readFileSync(dest);
    expect(actual.equals(expected)).toBe(true);
    expect(r).toEqual({
      lines: lines.length,
      bytes: expected.length,
      sha256: crypto.createHash('sha256').update(expected).digest('hex'),
    });
    expect(fs.readdirSync(dir)).toEqual(['big.jsonl']);
  });
});

describe('export reader thread', () => {
  it('streams a version as encoded chunks, small chunks and big lines included', async () => {
    wb = await openWorkbench();
    const w = wb;
    // Multi-byte UTF-8 too: the reader copies the stored bytes as they are.
    addMany(w.db, 60, (i) => ({
      answer: i === 7 ? `long ${'z'.repeat(5000)}` : i % 5 === 0 ? `Benign: café login from 東京 🔐 #${i}` : undefined,
    }));
    const v = ok<DatasetVersionDetail>(await w.invoke('datasets.createVersion', { name: 'reader' }));
    const rows = w.db
      .prepare('SELECT example FROM dataset_examples WHERE dataset_version_id = ? ORDER BY id')
      .pluck()
      .all(v.id) as string[];
    const parts: Buffer[] = [];
    let lines = 0;
    for await (const c of readEncodedChunks({
      dbFile: path.join(w.dataDir, 'workbench.db'),
      versionId: v.id,
      chunkBytes: 4096,
    })) {
      parts.push(c.buf);
      lines += c.lines;
    }
    expect(lines).toBe(60);
    expect(parts.length).toBeGreaterThan(10);
    expect(Buffer.concat(parts).toString('utf8')).toBe(rows.join('\n') + '\n');
    expect(Buffer.concat(parts).equals(Buffer.from(rows.join('\n') + '\n', 'utf8'))).toBe(true);
    expect(rows.join('\n')).toContain('東京 🔐');
  });

  it('refuses a stored example that spans lines: the export fails and leaves nothing', async () => {
    wb = await openWorkbench();
    const w = wb;
    addMany(w.db, 55);
    const v = ok<DatasetVersionDetail>(await w.invoke('datasets.createVersion', { name: 'pretty' }));
    // A second version written by hand whose JSON is pretty-printed (valid JSON, not a JSONL line).
    w.db
      .prepare(
        'INSERT INTO dataset_versions (dataset_id, version, content_hash, filter, build_report, seed, created_at) SELECT dataset_id, 99, content_hash, filter, build_report, seed, created_at FROM dataset_versions WHERE id = ?',
      )
      .run(v.id);
    const v2 = (w.db.prepare('SELECT MAX(id) AS id FROM dataset_versions').get() as { id: number }).id;
    w.db
      .prepare(
        "INSERT INTO dataset_examples (dataset_version_id, split, group_key, example, labels, token_count, content_hash) VALUES (?, 'train', 'g', ?, '{}', 1, 'h')",
      )
      .run(v2, '{\n  "messages": []\n}');
    const r = await w.invoke('datasets.export', { versionId: v2, format: 'openai' });
    expect(r).toEqual({ ok: false, error: { code: 'internal', message: expect.stringContaining('no partial file') } });
    expect(fs.readdirSync(path.join(w.dataDir, 'exports'))).toEqual([]);
    expect(w.db.prepare('SELECT COUNT(*) AS n FROM egress_log').get()).toEqual({ n: 0 });
  });
});

describe('export formats', () => {
  const ex = {
    messages: [
      { role: 'system' as const, content: 'SYS' },
      { role: 'user' as const, content: 'first question' },
      { role: 'assistant' as const, content: 'first answer' },
      { role: 'user' as const, content: 'second question' },
      {
        role: 'assistant' as const,
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function' as const, function: { name: 'lookup', arguments: '{"ip":"<IP_1>"}' } },
        ],
      },
      { role: 'tool' as const, tool_call_id: 'c1', content: '{"bad":true}' },
      { role: 'assistant' as const, content: 'final answer' },
    ],
    tools: [{ type: 'function', function: { name: 'lookup' } }],
  };
  it('ShareGPT keeps roles, tool calls and the system prompt', () => {
    expect(toShareGpt(ex)).toEqual({
      conversations: [
        { from: 'human', value: 'first question' },
        { from: 'gpt', value: 'first answer' },
        { from: 'human', value: 'second question' },
        { from: 'function_call', value: '[{"name":"lookup","arguments":{"ip":"<IP_1>"}}]' },
        { from: 'observation', value: '{"bad":true}' },
        { from: 'gpt', value: 'final answer' },
      ],
      system: 'SYS',
      tools: JSON.stringify(ex.tools),
    });
  });
  it('Alpaca puts the prompt in instruction, the last question in input, earlier turns in history', () => {
    expect(toAlpaca(ex)).toEqual({
      instruction: 'SYS',
      input: 'second question',
      output: 'final answer',
      history: [['first question', 'first answer']],
    });
  });
});

describe('download route (headless host)', () => {
  it('serves a file from <dataDir>/exports and refuses anything else', async () => {
    const dataDir = tmpDir('tw-dl-');
    fs.mkdirSync(path.join(dataDir, 'exports'));
    fs.writeFileSync(path.join(dataDir, 'exports', 'set-v1-openai.jsonl'), '{"messages":[]}\n');
    fs.writeFileSync(path.join(dataDir, 'secret.txt'), 'nope');
    const route = exportDownloadRoute(dataDir);
    const server = http.createServer((req, res) => {
      if (!route(req, res, new URL(req.url ?? '/', 'http://127.0.0.1'))) {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const good = await fetch(`http://127.0.0.1:${port}/api/exports/set-v1-openai.jsonl`);
      expect(good.status).toBe(200);
      expect(good.headers.get('content-disposition')).toContain('attachment');
      expect(await good.text()).toBe('{"messages":[]}\n');
      for (const bad of ['..%2Fsecret.txt', '%2E%2E%2Fsecret.txt', '.hidden', 'a%2Fb.jsonl']) {
        const r = await fetch(`http://127.0.0.1:${port}/api/exports/${bad}`);
        expect(r.status).toBe(400);
      }
      expect((await fetch(`http://127.0.0.1:${port}/api/exports/missing.jsonl`)).status).toBe(404);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

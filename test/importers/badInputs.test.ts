import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workbench } from '../../src-main/core/workbench';
import type { ImportReport } from '../../src-main/contract/index';
import { BAD, FINETUNE, count, newWorkbench, runImport, tmpDir } from './helpers';

// Bad inputs 1–6 of the security spec: each is reported with its line (and byte offset), and an
// import is all or nothing unless the valid records are asked for.

let wb: Workbench;
beforeAll(async () => {
  wb = await newWorkbench();
});
afterAll(async () => {
  await wb.close();
});

const file = (name: string) => path.join(BAD, name);
const bytesOf = (name: string) => fs.readFileSync(file(name));
const conversationsOf = (r: ImportReport) =>
  count(wb, 'SELECT COUNT(*) AS n FROM conversations WHERE import_id = ?', r.id);

async function imp(name: string, extra: Record<string, unknown> = {}): Promise<ImportReport> {
  return (await runImport(wb, { path: file(name), ...extra })).report;
}

/** Offset of `needle` in the fixture's bytes. */
function offsetOf(name: string, needle: string | Buffer, from = 0): number {
  const i = bytesOf(name).indexOf(needle, from);
  if (i < 0) throw new Error(`${String(needle)} not in ${name}`);
  return i;
}

describe('1. BOM and CRLF', () => {
  it('parses JSONL with a BOM and CRLF line ends', async () => {
    const r = await imp('bom-crlf.jsonl');
    expect(r).toMatchObject({ status: 'done', recordsOk: 3, recordsRejected: 0 });
    const contents = wb.db
      .prepare(
        'SELECT m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.import_id = ? ORDER BY m.id',
      )
      .all(r.id)
      .map((x) => (x as { content: string }).content);
    expect(contents).toEqual(['a', '1', 'b', '2', 'c', '3']);
  });
});

describe('2. valid JSON that is not an object', () => {
  it('reports each such line with its number; nothing is imported by default', async () => {
    const r = await imp('non-object-lines.jsonl');
    expect(r).toMatchObject({ status: 'failed', recordsOk: 0, recordsRejected: 3 });
    expect(r.rejections.map((x) => [x.line, x.reason])).toEqual([
      [2, 'the record is an array, not a JSON object'],
      [3, 'the record is a number, not a JSON object'],
      [4, 'the record is null, not a JSON object'],
    ]);
    expect(r.rejections[0]!.offset).toBe(offsetOf('non-object-lines.jsonl', '\n[]') + 1);
    expect(r.error).toMatch(/3 records were rejected, so nothing was imported/);
    expect(conversationsOf(r)).toBe(0);
  });

  it('imports the valid lines when asked to keep them', async () => {
    const r = await imp('non-object-lines.jsonl', { keepValid: true });
    // Line 1 repeats an example of the BOM fixture imported above: a duplicate, not a new record.
    expect(r).toMatchObject({ status: 'done', recordsOk: 1, recordsDuplicate: 1, recordsRejected: 3, keepValid: true });
    expect(conversationsOf(r)).toBe(1);
  });
});

describe('3. a JSON array or pretty-printed JSON given as JSONL', () => {
  for (const name of ['json-array.jsonl', 'pretty-array.jsonl', 'pretty-object.jsonl']) {
    it(`${name}: rejected with a hint, nothing imported even when keeping valid records`, async () => {
      const r = await imp(name, { keepValid: true });
      expect(r.status).toBe('failed');
      expect(r.error).toMatch(/not JSON Lines/);
      expect(r.error).toMatch(/one complete JSON object per line/);
      expect(r.rejections[0]).toMatchObject({ line: 1, offset: 0 });
      expect(conversationsOf(r)).toBe(0);
    });
  }

  it('an OpenAI-format JSON array in a .json file is refused before anything is written', async () => {
    const dir = tmpDir();
    const f = path.join(dir, 'examples.json');
    const lines = fs
      .readFileSync(path.join(FINETUNE, 'security-triage-openai-chat.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .slice(0, 2);
    fs.writeFileSync(
      f,
      JSON.stringify(
        lines.map((l) => JSON.parse(l) as unknown),
        null,
        2,
      ),
    );
    const before = count(wb, 'SELECT COUNT(*) AS n FROM imports');
    const res = await wb.invoke('imports.start', { path: f, format: 'openai_chat' });
    expect(res).toMatchObject({ ok: false, error: { code: 'bad_input' } });
    expect((res as { error: { message: string } }).error.message).toMatch(/JSON Lines.*jq/);
    expect(count(wb, 'SELECT COUNT(*) AS n FROM imports')).toBe(before);
  });
});

describe('4. a truncated last line or an unterminated string', () => {
  it('reports the line and byte offset and rolls the whole import back', async () => {
    const r = await imp('truncated-last-line.jsonl');
    expect(r).toMatchObject({ status: 'failed', recordsOk: 0, recordsRejected: 1 });
    const third = offsetOf('truncated-last-line.jsonl', '{"messages":[{"role":"user","content":"hel');
    expect(r.rejections[0]).toEqual({
      line: 3,
      offset: third + '{"messages":[{"role":"user","content":'.length,
      reason: expect.stringMatching(
        /^unterminated string \(the record is cut short\) at byte \d+; the last line has no line end \(truncated file\?\)$/,
      ),
    });
    // Lines 1 and 2 were valid and had been read: nothing of them stays.
    expect(conversationsOf(r)).toBe(0);
  });

  it('an unterminated string mid-file is reported at its opening quote', async () => {
    const r = await imp('unterminated-string.jsonl');
    expect(r.rejections).toHaveLength(1);
    expect(r.rejections[0]).toMatchObject({ line: 2, offset: offsetOf('unterminated-string.jsonl', '"abc}]}') });
    expect(r.rejections[0]!.reason).toMatch(/unterminated string/);
    expect(conversationsOf(r)).toBe(0);
  });
});

describe('5. invalid UTF-8, lone surrogates, NUL and control characters', () => {
  const cases: [string, RegExp, () => number, number][] = [
    [
      'invalid-utf8.jsonl',
      /^invalid UTF-8 byte \(0xff\) at byte \d+$/,
      () => offsetOf('invalid-utf8.jsonl', Buffer.from([0xff])),
      2,
    ],
    [
      'encoded-surrogate.jsonl',
      /^invalid UTF-8 byte \(0xed\) at byte \d+$/,
      () => offsetOf('encoded-surrogate.jsonl', Buffer.from([0xed])),
      1,
    ],
    [
      'lone-surrogate.jsonl',
      /^lone surrogate \(invalid Unicode\) in a string at byte \d+$/,
      () => offsetOf('lone-surrogate.jsonl', '\\ud800'),
      2,
    ],
    ['nul-raw.jsonl', /^NUL character at byte \d+$/, () => offsetOf('nul-raw.jsonl', Buffer.from([0])), 2],
    ['nul-escaped.jsonl', /^NUL character in a string at byte \d+$/, () => offsetOf('nul-escaped.jsonl', '\\u0000'), 2],
    [
      'control-escaped.jsonl',
      /^control character U\+001B in a string at byte \d+$/,
      () => offsetOf('control-escaped.jsonl', '\\u001b'),
      1,
    ],
    [
      'control-raw.log',
      /^control character U\+0007 at byte \d+$/,
      () => offsetOf('control-raw.log', Buffer.from([7])),
      2,
    ],
  ];
  for (const [name, reason, offset, line] of cases) {
    it(`${name}: reported with line ${line} and the exact offset, never replaced`, async () => {
      const r = await imp(name, { keepValid: true });
      expect(r.recordsRejected).toBe(1);
      expect(r.rejections[0]).toEqual({ line, offset: offset(), reason: expect.stringMatching(reason) });
      expect(r.rejections[0]!.reason).toContain(`at byte ${offset()}`);
      const stored = wb.db
        .prepare(
          `SELECT COUNT(*) AS n FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id
           WHERE c.import_id = ? AND (instr(COALESCE(m.content, ''), char(65533)) > 0 OR instr(COALESCE(c.alert_payload, ''), char(65533)) > 0)`,
        )
        .get(r.id) as { n: number };
      expect(stored.n).toBe(0);
    });
  }
});

describe('6. __proto__ / constructor keys and unknown keys', () => {
  it('rejects prototype keys anywhere, without polluting any prototype', async () => {
    const a = await imp('proto-key.jsonl');
    expect(a.rejections).toEqual([
      {
        line: 2,
        offset: offsetOf('proto-key.jsonl', '"__proto__"'),
        reason: expect.stringMatching(/^forbidden key "__proto__" at byte \d+$/),
      },
    ]);
    const b = await imp('constructor-key.jsonl');
    expect(b.rejections[0]).toMatchObject({ line: 1, offset: offsetOf('constructor-key.jsonl', '"constructor"') });
    expect(b.rejections[0]!.reason).toMatch(/forbidden key "constructor"/);
    const c = await imp('proto-key-alert.jsonl', { format: 'cloudtrail' });
    expect(c.rejections[0]!.reason).toMatch(/forbidden key "__proto__"/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(count(wb, 'SELECT COUNT(*) AS n FROM conversations WHERE import_id IN (?, ?, ?)', a.id, b.id, c.id)).toBe(0);
  });

  it('rejects unknown keys in fine-tuning examples at every level', async () => {
    const r = await imp('unknown-keys.jsonl', { keepValid: true });
    expect(r.rejections.map((x) => [x.line, x.reason])).toEqual([
      [1, 'unknown key "extra"'],
      [2, 'unknown key "foo" in messages[0]'],
    ]);
    expect(r.recordsOk + r.recordsDuplicate).toBe(1);
  });

  it('bad roles, tool messages without tool_call_id and bad weights are rejected too', async () => {
    const dir = tmpDir();
    const f = path.join(dir, 'roles.jsonl');
    const lines = [
      {
        messages: [
          { role: 'System', content: 'x' },
          { role: 'assistant', content: 'y' },
        ],
      },
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'bot', content: 'y' },
        ],
      },
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'tool', content: 'y' },
          { role: 'assistant', content: 'z' },
        ],
      },
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: 'y', weight: 0.5 },
        ],
      },
      {
        messages: [
          { role: 'user', content: 'x', weight: 1 },
          { role: 'assistant', content: 'y' },
        ],
      },
      { messages: [{ role: 'user', content: 'only a question' }] },
      { messages: [] },
    ];
    fs.writeFileSync(f, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = await runImport(wb, { path: f, format: 'openai_chat' });
    expect(r.report.rejections.map((x) => x.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(r.report.rejections[4]!.reason).toBe('unknown key "weight" in messages[0]');
    expect(r.report.rejections[5]!.reason).toBe('the example has no assistant message');
  });
});

describe('re-importing and cancelling', () => {
  it('re-importing the same file adds nothing and points at the first import', async () => {
    const f = path.join(FINETUNE, 'security-triage-alpaca.json');
    const first = (await runImport(wb, { path: f })).report;
    const total = count(wb, 'SELECT COUNT(*) AS n FROM conversations');
    const again = (await runImport(wb, { path: f })).report;
    expect(again).toMatchObject({
      status: 'done',
      recordsOk: 0,
      recordsDuplicate: first.recordsOk,
      sameFileAs: first.id,
      fileHash: first.fileHash,
    });
    expect(count(wb, 'SELECT COUNT(*) AS n FROM conversations')).toBe(total);
    // The same records in another layout (JSONL) are the same records.
    const dir = tmpDir();
    const asJsonl = path.join(dir, 'alpaca.jsonl');
    const recs = JSON.parse(fs.readFileSync(f, 'utf8')) as unknown[];
    fs.writeFileSync(asJsonl, recs.map((x) => JSON.stringify(x)).join('\n') + '\n');
    const third = (await runImport(wb, { path: asJsonl })).report;
    expect(third).toMatchObject({ recordsOk: 0, recordsDuplicate: 50 });
    expect(count(wb, 'SELECT COUNT(*) AS n FROM conversations')).toBe(total);
  });

  it('imports.list shows the imports, newest first', async () => {
    const res = await wb.invoke('imports.list', { limit: 3 });
    expect(res.ok).toBe(true);
    const items = (res as { value: { items: { id: number; status: string; actor: string }[] } }).value.items;
    expect(items).toHaveLength(3);
    expect(items[0]!.id).toBeGreaterThan(items[1]!.id);
    expect(items[0]!.actor).toBe('alice');
  });

  it('a cancelled import leaves the data exactly as it was', async () => {
    const dir = tmpDir();
    const f = path.join(dir, 'many.jsonl');
    const out = fs.openSync(f, 'w');
    for (let i = 0; i < 60_000; i++) {
      fs.writeSync(
        out,
        JSON.stringify({
          messages: [
            { role: 'user', content: `question ${i} ${'x'.repeat(100)}` },
            { role: 'assistant', content: `answer ${i}` },
          ],
        }) + '\n',
      );
    }
    fs.closeSync(out);
    const before = snapshot();
    let cancelled = false;
    const run = await runImport(
      wb,
      { path: f },
      {
        onProgress: (p, id) => {
          // Cancel once some batches are committed.
          if (!cancelled && id !== null && p.records > 3000) {
            cancelled = true;
            void wb.invoke('imports.cancel', { importId: id });
          }
        },
      },
    );
    expect(cancelled).toBe(true);
    expect(run.report).toMatchObject({ status: 'cancelled', recordsOk: 0 });
    expect(run.finished.status).toBe('cancelled');
    expect(run.report.bytesRead).toBeGreaterThan(0);
    expect(snapshot()).toBe(before);
  });

  it('an import cut off by a crash is rolled back at the next start', async () => {
    const dir = tmpDir();
    let w = await newWorkbench({ dataDir: dir });
    const before = snapshotOf(w);
    const id = Number(
      w.db
        .prepare(
          "INSERT INTO imports (file_name, format, file_hash, bytes, status, created_at) VALUES ('x', 'cloudtrail', '', 1, 'running', 1)",
        )
        .run().lastInsertRowid,
    );
    w.db
      .prepare(
        "INSERT INTO conversations (source_kind, title, content_hash, import_id, created_at, updated_at) VALUES ('imported_alert', 't', 'h', ?, 1, 1)",
      )
      .run(id);
    await w.close();
    w = await newWorkbench({ dataDir: dir });
    expect(snapshotOf(w)).toBe(before);
    const r = await w.invoke('imports.get', { importId: id });
    expect(r).toMatchObject({
      ok: true,
      value: { status: 'failed', error: expect.stringMatching(/app stopped during this import/) },
    });
    await w.close();
  });
});

function snapshotOf(w: Workbench): string {
  return ['conversations', 'messages', 'training_labels', 'reviews', 'conversations_fts']
    .map((t) => JSON.stringify(w.db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()))
    .join('\n');
}

function snapshot(): string {
  return snapshotOf(wb);
}

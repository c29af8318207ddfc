import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chatTemplateOf, readGgufHeader } from '../../src-main/gguf/ggufReader';
import { setGgufString } from '../../src-main/gguf/ggufSetString';
import { GgmlType } from '../../src-main/gguf/ggufTypes';
import { gv, writeGguf } from '../../src-main/gguf/ggufWriter';
import { TINY_CHAT_TEMPLATE } from '../../src-main/gguf/tinyModel';
import { keepChatTemplate } from '../../src-main/training/local/runTrainer';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-gguf-set-'));

function tensorBytes(file: string, h: Awaited<ReturnType<typeof readGgufHeader>>): Buffer[] {
  const all = fs.readFileSync(file);
  return h.tensors.map((t) => all.subarray(h.dataOffset + t.offset, h.dataOffset + t.offset + t.bytes));
}

function writeModel(file: string, extra: [string, ReturnType<typeof gv.str>][] = []): void {
  writeGguf(file, {
    metadata: [
      ['general.architecture', gv.str('llama')],
      ['t.strings', gv.strings(['a', 'ß', '\u2581word'])],
      ['t.ints', gv.i32s([1, -2, 3])],
      ['t.u64', gv.u64(2 ** 40)],
      ...extra,
      ['llama.context_length', gv.u32(1024)],
    ],
    tensors: [
      { name: 'a.weight', dims: [3, 2], type: GgmlType.F32, data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      { name: 'b.weight', dims: [37], type: GgmlType.F32, data: new Float32Array(37).map((_, i) => i / 7) },
    ],
  });
}

describe('setGgufString', () => {
  it('adds a string key; the other metadata and every tensor byte stay as they were', async () => {
    const file = path.join(dir, 'add.gguf');
    writeModel(file);
    const before = await readGgufHeader(file);
    const data = tensorBytes(file, before);
    setGgufString(file, 'tokenizer.chat_template', TINY_CHAT_TEMPLATE);
    const after = await readGgufHeader(file);
    expect(chatTemplateOf(after)).toBe(TINY_CHAT_TEMPLATE);
    expect(after.metadata.size).toBe(before.metadata.size + 1);
    for (const [k, v] of before.metadata) expect(after.metadata.get(k)).toEqual(v);
    expect(after.dataOffset % 32).toBe(0);
    expect(tensorBytes(file, after)).toEqual(data);
  });

  it('replaces a key that is there', async () => {
    const file = path.join(dir, 'replace.gguf');
    writeModel(file, [['tokenizer.chat_template', gv.str('old')]]);
    const before = await readGgufHeader(file);
    const data = tensorBytes(file, before);
    setGgufString(file, 'tokenizer.chat_template', 'a much longer template than the old one');
    const after = await readGgufHeader(file);
    expect(chatTemplateOf(after)).toBe('a much longer template than the old one');
    expect(after.metadata.size).toBe(before.metadata.size);
    expect(tensorBytes(file, after)).toEqual(data);
  });

  it('keepChatTemplate gives a trained file (saved without one) the base model’s template', async () => {
    const base = path.join(dir, 'base.gguf');
    const out = path.join(dir, 'trained.gguf');
    writeModel(base, [['tokenizer.chat_template', gv.str(TINY_CHAT_TEMPLATE)]]);
    writeModel(out);
    await keepChatTemplate(base, out);
    expect(chatTemplateOf(await readGgufHeader(out))).toBe(TINY_CHAT_TEMPLATE);
  });
});

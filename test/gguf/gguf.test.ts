import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../src-main/contract/index';
import { readGgufHeader } from '../../src-main/gguf/ggufReader';
import { GgmlType, GgufValueType } from '../../src-main/gguf/ggufTypes';
import { encodeGguf, gv, writeGguf } from '../../src-main/gguf/ggufWriter';
import { TINY_CHAT_TEMPLATE, buildTinyVocab, tinyModelSpec, writeTinyModel } from '../../src-main/gguf/tinyModel';
import { writeBadModels } from './badModels';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-gguf-'));
});

describe('GGUF writer and reader', () => {
  it('round-trips typed metadata, arrays and tensor infos with aligned data', async () => {
    const q8 = new Uint8Array(2 * 34).fill(7); // two Q8_0 blocks of 32 values
    const file = path.join(dir, 'roundtrip.gguf');
    writeGguf(file, {
      metadata: [
        ['general.architecture', gv.str('llama')],
        ['general.name', gv.str('round trip ✓')],
        ['t.u8', { type: 'u8', value: 200 }],
        ['t.i8', { type: 'i8', value: -5 }],
        ['t.u16', { type: 'u16', value: 60000 }],
        ['t.i16', { type: 'i16', value: -30000 }],
        ['t.u32', gv.u32(4_000_000_000)],
        ['t.i32', gv.i32(-2_000_000_000)],
        ['t.f32', gv.f32(0.5)],
        ['t.f64', gv.f64(Math.PI)],
        ['t.u64', gv.u64(2 ** 40)],
        ['t.i64', { type: 'i64', value: -(2 ** 40) }],
        ['t.bool', gv.bool(true)],
        ['t.strings', gv.strings(['a', 'ß', '\u2581word'])],
        ['t.ints', gv.i32s([1, -2, 3])],
        ['t.bools', { type: 'array', itemType: 'bool', values: [true, false] }],
        ['llama.context_length', gv.u32(1024)],
      ],
      tensors: [
        { name: 'a.weight', dims: [3, 2], type: GgmlType.F32, data: new Float32Array([1, 2, 3, 4, 5, 6]) },
        { name: 'b.weight', dims: [64], type: GgmlType.Q8_0, data: q8 },
        { name: 'c.weight', dims: [5], type: GgmlType.F32, data: () => new Float32Array(5).fill(9) },
      ],
    });
    const h = await readGgufHeader(file);
    expect(h.version).toBe(3);
    const m = h.metadata;
    expect(m.get('general.name')).toBe('round trip ✓');
    expect([m.get('t.u8'), m.get('t.i8'), m.get('t.u16'), m.get('t.i16')]).toEqual([200, -5, 60000, -30000]);
    expect([m.get('t.u32'), m.get('t.i32'), m.get('t.f32'), m.get('t.f64')]).toEqual([
      4_000_000_000,
      -2_000_000_000,
      0.5,
      Math.PI,
    ]);
    expect([m.get('t.u64'), m.get('t.i64'), m.get('t.bool')]).toEqual([2 ** 40, -(2 ** 40), true]);
    expect(m.get('t.strings')).toEqual({ array: GgufValueType.STRING, length: 3, values: ['a', 'ß', '\u2581word'] });
    expect(m.get('t.ints')).toEqual({ array: GgufValueType.INT32, length: 3, values: [1, -2, 3] });
    expect(m.get('t.bools')).toEqual({ array: GgufValueType.BOOL, length: 2, values: [true, false] });
    expect(h.tensors.map((t) => [t.name, t.dims, t.type, t.bytes])).toEqual([
      ['a.weight', [3, 2], GgmlType.F32, 24],
      ['b.weight', [64], GgmlType.Q8_0, 68],
      ['c.weight', [5], GgmlType.F32, 20],
    ]);
    expect(h.dataOffset % 32).toBe(0);
    const bytes = fs.readFileSync(file);
    for (const t of h.tensors) expect((h.dataOffset + t.offset) % 32).toBe(0);
    const a = h.tensors[0]!;
    expect(
      Array.from(
        new Float32Array(
          bytes.buffer.slice(
            bytes.byteOffset + h.dataOffset + a.offset,
            bytes.byteOffset + h.dataOffset + a.offset + 24,
          ),
        ),
      ),
    ).toEqual([1, 2, 3, 4, 5, 6]);
    const c = h.tensors[2]!;
    expect(bytes.readFloatLE(h.dataOffset + c.offset)).toBe(9);
    expect(h.summary).toMatchObject({
      architecture: 'llama',
      parameterCount: 6 + 64 + 5,
      quantization: 'Q8_0',
      contextLength: 1024,
      hasChatTemplate: false,
    });
    expect(fs.readdirSync(dir).some((f) => f.endsWith('.partial'))).toBe(false);
  });

  it('keeps only the length of long arrays unless asked', async () => {
    const file = path.join(dir, 'long-array.gguf');
    fs.writeFileSync(file, encodeGguf(tinyModelSpec().spec));
    const short = await readGgufHeader(file, { maxArrayValues: 10 });
    expect(short.metadata.get('tokenizer.ggml.tokens')).toMatchObject({
      length: buildTinyVocab().tokens.length,
      values: null,
    });
    expect(short.metadata.get('tokenizer.ggml.scores')).toMatchObject({ values: null });
    const full = await readGgufHeader(file);
    const tokens = full.metadata.get('tokenizer.ggml.tokens') as { values: string[] };
    expect(tokens.values.slice(0, 7)).toEqual([
      '<unk>',
      '<s>',
      '</s>',
      '<|system|>',
      '<|user|>',
      '<|assistant|>',
      '<|end|>',
    ]);
    expect(tokens.values).toContain('<0x0A>');
    expect(tokens.values).toContain('\u2581alert');
  });

  it('generates the tiny llama model with a chat template and a summary that says so', async () => {
    const file = path.join(dir, 'tiny.gguf');
    const info = writeTinyModel(file);
    const again = path.join(dir, 'tiny-again.gguf');
    writeTinyModel(again);
    expect(fs.readFileSync(file).equals(fs.readFileSync(again))).toBe(true); // seeded: same bytes
    const h = await readGgufHeader(file);
    expect(h.metadata.get('tokenizer.chat_template')).toBe(TINY_CHAT_TEMPLATE);
    expect(h.summary).toEqual({
      ggufVersion: 3,
      architecture: 'llama',
      name: 'tiny-demo',
      parameterCount: info.parameterCount,
      quantization: 'F32',
      fileType: 'F32',
      dominantTensorType: 'F32',
      contextLength: 8192,
      embeddingLength: 64,
      blockCount: 2,
      vocabSize: info.vocabSize,
      hasChatTemplate: true,
      tensorCount: 3 + 2 * 9,
      sizeBytes: info.bytes,
    });
    expect(h.summary.sizeBytes).toBeLessThan(2_000_000);
  });

  it('sizes a benchmark model past 100M parameters from the same generator', () => {
    const { info } = tinyModelSpec({ embd: 1024, layers: 8, heads: 16, ff: 2816 });
    expect(info.parameterCount).toBeGreaterThan(100_000_000);
  });

  it('rejects bad model files with a clear reason, reading only the header', async () => {
    const bad = writeBadModels(dir);
    const reasons: Record<string, RegExp> = {
      empty: /empty/,
      wrongMagic: /not a GGUF file/,
      truncatedTensor: /beyond the end of the file/,
      truncatedHeader: /ends inside its header/,
      absurdTensorCount: /not plausible/,
      unknownArchitecture: /architecture "quantum-brain" is not supported/,
      hugeString: /implausibly long|ends inside/,
    };
    for (const [name, file] of Object.entries(bad)) {
      const err = await readGgufHeader(file).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, name).toBeInstanceOf(WorkbenchError);
      expect((err as WorkbenchError).code, name).toBe('model_invalid');
      expect((err as WorkbenchError).message, name).toMatch(/^Not a usable model: /);
      expect((err as WorkbenchError).message, name).toMatch(reasons[name]!);
      expect((err as WorkbenchError).message, name).not.toContain(dir);
    }
    await expect(readGgufHeader(path.join(dir, 'missing.gguf'))).rejects.toMatchObject({ code: 'not_found' });
    await expect(readGgufHeader(dir)).rejects.toMatchObject({ code: 'bad_input' });
  });

  it('checks a large sparse file without reading it whole', async () => {
    // A header whose one tensor claims 3 GiB of data; the file is sparse, so only the header is real.
    const file = path.join(dir, 'sparse.gguf');
    const n = 3 * 1024 * 1024 * 256; // 3 GiB of F32
    const header = encodeGguf({
      metadata: [['general.architecture', gv.str('llama')]],
      tensors: [{ name: 'big', dims: [32], type: GgmlType.F32, data: new Float32Array(32) }],
    });
    const patched = Buffer.from(header);
    // Rewrite the tensor's first dim (after magic, version, counts, one kv and the name) to the big size.
    const dimsAt = patched.indexOf(Buffer.from('big')) + 3 + 4;
    patched.writeBigUInt64LE(BigInt(n), dimsAt);
    fs.writeFileSync(file, patched.subarray(0, 64 + patched.indexOf(Buffer.from('big'))));
    const dataOffset = Math.ceil((patched.indexOf(Buffer.from('big')) + 3 + 4 + 8 + 4 + 8) / 32) * 32;
    fs.truncateSync(file, dataOffset + n * 4);
    const started = Date.now();
    const h = await readGgufHeader(file);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(h.summary.parameterCount).toBe(n);
    fs.truncateSync(file, dataOffset + n * 4 - 1);
    await expect(readGgufHeader(file)).rejects.toThrow(/beyond the end of the file/);
    fs.rmSync(file);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { encodeGguf, gv } from '../../src-main/gguf/ggufWriter';
import { GgmlType } from '../../src-main/gguf/ggufTypes';
import { tinyModelSpec } from '../../src-main/gguf/tinyModel';

/** The bad model files of the bad-input list (item 14), written into `dir`. */
export function writeBadModels(dir: string): Record<string, string> {
  const good = encodeGguf(tinyModelSpec().spec);
  const files: Record<string, Buffer> = {
    empty: Buffer.alloc(0),
    wrongMagic: Buffer.from('{"this": "is a JSON file renamed to .gguf", "padding": "' + 'x'.repeat(200) + '"}'),
    truncatedTensor: good.subarray(0, good.length - 1000),
    truncatedHeader: good.subarray(0, 600),
    absurdTensorCount: (() => {
      const b = Buffer.from(good);
      b.writeBigUInt64LE(10n ** 12n, 8);
      return b;
    })(),
    unknownArchitecture: encodeGguf({
      metadata: [
        ['general.architecture', gv.str('quantum-brain')],
        ['general.name', gv.str('nope')],
      ],
      tensors: [{ name: 'w', dims: [32], type: GgmlType.F32, data: new Float32Array(32) }],
    }),
    hugeString: (() => {
      const b = Buffer.from(good);
      // First metadata key's length (right after the 24-byte header) claims 2^40 bytes.
      b.writeBigUInt64LE(2n ** 40n, 24);
      return b;
    })(),
  };
  const out: Record<string, string> = {};
  for (const [name, buf] of Object.entries(files)) {
    const p = path.join(dir, `${name}.gguf`);
    fs.writeFileSync(p, buf);
    out[name] = p;
  }
  return out;
}

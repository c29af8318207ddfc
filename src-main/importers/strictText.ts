import { RecordError } from './recordError';

// fatal: invalid bytes throw instead of becoming U+FFFD; ignoreBOM: a BOM inside a record stays visible.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** C0 controls except tab, LF and CR; DEL; C1 controls. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** Index of the first byte that starts an invalid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c === 0xe0) [need, lo] = [2, 0xa0];
    else if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) need = 2;
    else if (c === 0xed)
      [need, hi] = [2, 0x9f]; // no UTF-16 surrogates in UTF-8
    else if (c === 0xf0) [need, lo] = [3, 0x90];
    else if (c >= 0xf1 && c <= 0xf3) need = 3;
    else if (c === 0xf4) [need, hi] = [3, 0x8f];
    else return i;
    if (i + need >= n) return i; // sequence cut short by the end
    const second = b[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k <= need; k++) {
      const x = b[i + k]!;
      if (x < 0x80 || x > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** Decodes strict UTF-8; an invalid byte is reported with its absolute offset, never replaced. */
export function decodeStrict(bytes: Uint8Array, baseOffset: number): string {
  try {
    return decoder.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const where = baseOffset + Math.max(0, at);
    const byte = at >= 0 ? ` (0x${bytes[at]!.toString(16).padStart(2, '0')})` : '';
    throw new RecordError(`invalid UTF-8 byte${byte} at byte ${where}`, where);
  }
}

/** Byte length of the first `charIndex` UTF-16 units of `text`. */
export function byteIndex(text: string, charIndex: number): number {
  return Buffer.byteLength(text.slice(0, charIndex), 'utf8');
}

export function describeChar(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Rejects raw control characters in decoded text, with their absolute byte offset and line. */
export function assertNoControlChars(text: string, baseOffset: number, baseLine: number): void {
  const m = FORBIDDEN_CONTROL.exec(text);
  if (!m) return;
  const offset = baseOffset + byteIndex(text, m.index);
  const line = baseLine + countNewlines(text, m.index);
  const what = m[0] === '\u0000' ? 'NUL character' : `control character ${describeChar(m[0])}`;
  throw new RecordError(`${what} at byte ${offset}`, offset, line);
}

export function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

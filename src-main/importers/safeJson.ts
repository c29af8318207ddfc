import { RecordError } from './recordError';
import { IMPORT_LIMITS } from './limits';
import { FORBIDDEN_CONTROL, assertNoControlChars, byteIndex, countNewlines, describeChar } from './strictText';

/** Keys that could reach an object's prototype if the data were ever merged into another object. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface TextPosition {
  /** Absolute byte offset of the first character of `text`. */
  offset: number;
  /** Absolute line of the first character of `text`. */
  line: number;
}

/**
 * Parses one record's JSON text strictly: raw control characters, syntax errors (with the byte
 * offset of the problem), prototype keys, lone surrogates and escaped control characters are all
 * rejected. Never returns a partially trusted value.
 */
export function parseJsonRecord(text: string, at: TextPosition): unknown {
  assertNoControlChars(text, at.offset, at.line);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const err = locateJsonError(text);
    const index = err?.index ?? text.length;
    const offset = at.offset + byteIndex(text, index);
    const line = at.line + countNewlines(text, index);
    throw new RecordError(`${err?.reason ?? 'invalid JSON'} at byte ${offset}`, offset, line);
  }
  const problem = findUnsafeValue(value);
  if (problem) {
    const idx = problem.hint ? findHint(text, problem.hint) : -1;
    const offset = idx >= 0 ? at.offset + byteIndex(text, idx) : at.offset;
    const line = idx >= 0 ? at.line + countNewlines(text, idx) : at.line;
    throw new RecordError(idx >= 0 ? `${problem.reason} at byte ${offset}` : problem.reason, offset, line);
  }
  return value;
}

interface UnsafeValue {
  reason: string;
  /** A pattern that finds where in the raw text the problem is. */
  hint: RegExp | string | null;
}

const ESCAPED_CONTROL = /\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])|\\[bf]/;

/** Walks a parsed value without recursion (deep input cannot overflow the stack). */
export function findUnsafeValue(root: unknown): UnsafeValue | null {
  const stack: { v: unknown; depth: number }[] = [{ v: root, depth: 0 }];
  while (stack.length) {
    const { v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const bad = checkString(v);
      if (bad) return bad;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= IMPORT_LIMITS.maxJsonDepth) {
      return { reason: `nested more than ${IMPORT_LIMITS.maxJsonDepth} levels deep`, hint: null };
    }
    if (Array.isArray(v)) {
      for (const x of v) stack.push({ v: x, depth: depth + 1 });
      continue;
    }
    for (const k of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(k)) return { reason: `forbidden key "${k}"`, hint: `"${k}"` };
      const bad = checkString(k);
      if (bad) return bad;
      stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1 });
    }
  }
  return null;
}

// String.prototype.isWellFormed is in Node 20+, but not in the ES2023 lib this project compiles against.
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

function checkString(s: string): UnsafeValue | null {
  if (!isWellFormed(s)) return { reason: 'lone surrogate (invalid Unicode) in a string', hint: 'surrogate' };
  const m = FORBIDDEN_CONTROL.exec(s);
  if (m) {
    const what = m[0] === '\u0000' ? 'NUL character' : `control character ${describeChar(m[0])}`;
    return { reason: `${what} in a string`, hint: ESCAPED_CONTROL };
  }
  return null;
}

function findHint(text: string, hint: RegExp | string): number {
  if (hint === 'surrogate') return findLoneSurrogateEscape(text);
  if (typeof hint === 'string') return text.indexOf(hint);
  return hint.exec(text)?.index ?? -1;
}

/** Index of the first `\uD8xx`-style escape that is not part of a valid pair. */
function findLoneSurrogateEscape(text: string): number {
  const re = /\\u([dD][89a-fA-F][0-9a-fA-F]{2})/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const unit = parseInt(m[1]!, 16);
    if (unit >= 0xdc00) return m.index; // low surrogate with no high one before it
    const next = /^\\u([dD][c-fC-F][0-9a-fA-F]{2})/.exec(text.slice(re.lastIndex, re.lastIndex + 6));
    if (!next) return m.index;
    re.lastIndex += 6;
  }
  return -1;
}

type Expect = 'value' | 'valueOrEnd' | 'key' | 'keyOrEnd' | 'colon' | 'commaOrEnd' | 'done';
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Finds where and why JSON text is invalid (JSON.parse's messages do not always say where).
 * Only run after JSON.parse failed; returns null if the text is in fact valid.
 */
export function locateJsonError(s: string): { index: number; reason: string } | null {
  const stack: string[] = [];
  let state: Expect = 'value';
  let i = 0;
  const n = s.length;
  while (true) {
    while (i < n && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
    if (i >= n) {
      if (state === 'done') return null;
      return { index: n, reason: n === 0 ? 'empty record' : 'unexpected end of the record (it is cut short)' };
    }
    const c = s[i]!;
    switch (state) {
      case 'done':
        return { index: i, reason: 'unexpected text after the JSON value' };
      case 'colon':
        if (c !== ':') return { index: i, reason: "expected ':' after a property name" };
        i++;
        state = 'value';
        continue;
      case 'commaOrEnd': {
        const top = stack[stack.length - 1];
        if (c === ',') {
          i++;
          state = top === '{' ? 'key' : 'value';
          continue;
        }
        if ((c === '}' && top === '{') || (c === ']' && top === '[')) {
          i++;
          stack.pop();
          state = stack.length ? 'commaOrEnd' : 'done';
          continue;
        }
        return { index: i, reason: top === '{' ? "expected ',' or '}'" : "expected ',' or ']'" };
      }
      case 'key':
      case 'keyOrEnd': {
        if (c === '}' && state === 'keyOrEnd') {
          i++;
          stack.pop();
          state = stack.length ? 'commaOrEnd' : 'done';
          continue;
        }
        if (c !== '"') return { index: i, reason: 'expected a property name in double quotes' };
        const end = scanString(s, i);
        if (typeof end !== 'number') return end;
        i = end;
        state = 'colon';
        continue;
      }
      case 'value':
      case 'valueOrEnd': {
        if (c === ']' && state === 'valueOrEnd') {
          i++;
          stack.pop();
          state = stack.length ? 'commaOrEnd' : 'done';
          continue;
        }
        if (c === '{' || c === '[') {
          stack.push(c);
          i++;
          state = c === '{' ? 'keyOrEnd' : 'valueOrEnd';
          continue;
        }
        if (c === '"') {
          const end = scanString(s, i);
          if (typeof end !== 'number') return end;
          i = end;
          state = stack.length ? 'commaOrEnd' : 'done';
          continue;
        }
        if (c === '-' || (c >= '0' && c <= '9')) {
          NUMBER.lastIndex = i;
          if (!NUMBER.test(s)) return { index: i, reason: 'invalid number' };
          i = NUMBER.lastIndex;
          state = stack.length ? 'commaOrEnd' : 'done';
          continue;
        }
        const lit = ['true', 'false', 'null'].find((w) => s.startsWith(w, i));
        if (lit) {
          i += lit.length;
          state = stack.length ? 'commaOrEnd' : 'done';
          continue;
        }
        if (['t', 'f', 'n'].includes(c) && ['true', 'false', 'null'].some((w) => w.startsWith(s.slice(i, n)))) {
          return { index: n, reason: 'unexpected end of the record (it is cut short)' };
        }
        return { index: i, reason: `unexpected character ${JSON.stringify(c)}` };
      }
    }
  }
}

/** Returns the index after the closing quote, or the error. */
function scanString(s: string, start: number): number | { index: number; reason: string } {
  let i = start + 1;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      const e = s[i + 1];
      if (e === undefined) break;
      if (e === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) {
          if (i + 6 > s.length) break;
          return { index: i, reason: 'invalid \\u escape in a string' };
        }
        i += 6;
        continue;
      }
      if (!'"\\/bfnrt'.includes(e)) return { index: i, reason: `invalid escape \\${e} in a string` };
      i += 2;
      continue;
    }
    if (c < 0x20) return { index: i, reason: 'raw control character in a string (escape it)' };
    i++;
  }
  return { index: start, reason: 'unterminated string (the record is cut short)' };
}

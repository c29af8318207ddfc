import { SaxesParser } from 'saxes';
import { RecordError } from './recordError';
import { byteIndex } from './strictText';
import type { TextPosition } from './safeJson';

type Node = Record<string, unknown>;

interface Frame {
  name: string;
  attrs: Record<string, string>;
  children: { name: string; value: unknown }[];
  text: string;
}

/**
 * Parses one Windows <Event> element into the JSON shape evtx tools produce (and the Sigma
 * regression files use): child elements become keys, attributes go under `#attributes`, text
 * under `#text` when the element also has attributes, and `<Data Name="X">v</Data>` in EventData
 * becomes `EventData.X = v`. Malformed XML and DOCTYPEs are rejected with their position.
 */
export function parseEventXml(text: string, at: TextPosition): Node {
  const parser = new SaxesParser({ position: true });
  const stack: Frame[] = [];
  let result: Node | null = null;
  let failure: RecordError | null = null;
  const fail = (reason: string) => {
    if (failure) return;
    const pos = Math.min(parser.position, text.length);
    const offset = at.offset + byteIndex(text, pos);
    failure = new RecordError(`${reason} at byte ${offset}`, offset, at.line + parser.line - 1);
  };
  parser.on('error', (e) => fail(`malformed XML: ${cleanSaxesMessage(e.message)}`));
  parser.on('doctype', () => fail('DOCTYPE declarations are not allowed in event XML'));
  parser.on('opentag', (tag) => {
    const attrs: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [k, v] of Object.entries(tag.attributes)) attrs[k] = typeof v === 'string' ? v : String(v.value);
    stack.push({ name: tag.name, attrs, children: [], text: '' });
  });
  const onText = (t: string) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    const frame = stack.pop()!;
    const value = frameValue(frame);
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push({ name: frame.name, value });
    else {
      const root: Node = Object.create(null) as Node;
      root[frame.name] = value;
      result = root;
    }
  });
  try {
    parser.write(text).close();
  } catch (e) {
    fail(`malformed XML: ${cleanSaxesMessage((e as Error).message)}`);
  }
  if (failure) throw failure;
  if (!result) throw new RecordError('no XML element found', at.offset, at.line);
  return result;
}

function frameValue(f: Frame): unknown {
  const text = f.text.replace(/^[\s-]+$/, '').trim();
  const hasAttrs = Object.keys(f.attrs).length > 0;
  if (!f.children.length && !hasAttrs) return text === '' ? null : text;
  const out: Node = Object.create(null) as Node;
  if (hasAttrs) out['#attributes'] = f.attrs;
  // <EventData><Data Name="X">v</Data>…: named data items become keys.
  const named = f.children.length > 0 && f.children.every((c) => c.name === 'Data' && namedData(c.value) !== null);
  if (named) {
    for (const c of f.children) {
      const [k, v] = namedData(c.value)!;
      out[k] = v;
    }
  } else {
    for (const c of f.children) {
      const prev = out[c.name];
      if (prev === undefined) out[c.name] = c.value;
      else if (Array.isArray(prev) && manyMarker.has(prev)) prev.push(c.value);
      else {
        const arr = [prev, c.value];
        manyMarker.add(arr);
        out[c.name] = arr;
      }
    }
  }
  if (text !== '') out['#text'] = text;
  return out;
}

// Arrays made here for repeated elements (as opposed to values that happen to be arrays).
const manyMarker = new WeakSet<unknown[]>();

function namedData(v: unknown): [string, unknown] | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Node;
  const attrs = o['#attributes'] as Record<string, string> | undefined;
  if (!attrs || Object.keys(attrs).length !== 1 || typeof attrs.Name !== 'string') return null;
  const keys = Object.keys(o).filter((k) => k !== '#attributes');
  if (keys.length > 1 || (keys.length === 1 && keys[0] !== '#text')) return null;
  return [attrs.Name, (o['#text'] as string | undefined) ?? null];
}

function cleanSaxesMessage(m: string): string {
  // saxes prefixes "line:column: "; the caller reports its own absolute position.
  return m.replace(/^\d+:\d+:\s*/, '');
}

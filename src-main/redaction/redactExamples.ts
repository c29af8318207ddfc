import type { EntityKind, RedactionSample, SecretFinding, SecretFix } from '../contract/index';
import type { Candidate, ChatExample, ChatMessage } from '../datasets/types';
import { Pseudonymizer, type PseudonymEntry } from './pseudonymizer';
import { maskedSnippet, scanSecrets, type SecretMatch } from './secretScanner';

export interface RedactOptions {
  fix: SecretFix;
  perConversation: Record<string, 'redact' | 'exclude'>;
  pseudonymise: boolean;
  allowlist: readonly string[];
  /** How many before/after samples to keep for the preview. */
  samples?: number;
}

export interface RedactResult<T extends Candidate> {
  kept: T[];
  findings: SecretFinding[];
  secretsFound: number;
  secretExamples: number;
  secretsRedacted: number;
  excluded: number;
  /** Examples still holding a secret (fix = block): the version cannot be exported. */
  blocking: number;
  entities: Record<EntityKind, number>;
  mapping: PseudonymEntry[];
  samples: RedactionSample[];
  allowlisted: number;
}

/** The texts of one message that are scanned and rewritten: its content and its tool-call arguments. */
function mapTexts(m: ChatMessage, fn: (text: string) => string): ChatMessage {
  const out: ChatMessage = { ...m };
  if (typeof m.content === 'string') out.content = fn(m.content);
  if (m.tool_calls) {
    out.tool_calls = m.tool_calls.map((c) => ({
      ...c,
      function: { ...c.function, arguments: fn(c.function.arguments) },
    }));
  }
  return out;
}

function textsOf(m: ChatMessage): string[] {
  const out: string[] = [];
  if (typeof m.content === 'string') out.push(m.content);
  for (const c of m.tool_calls ?? []) out.push(c.function.arguments);
  return out;
}

function replaceSpans(text: string, spans: readonly SecretMatch[], tokenFor: (value: string) => string): string {
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += text.slice(at, s.start) + tokenFor(text.slice(s.start, s.end));
    at = s.end;
  }
  return out + text.slice(at);
}

/** A window of text around the first difference, so a person can compare before and after. */
function snippet(before: string, after: string, width = 320): { before: string; after: string } {
  let i = 0;
  while (i < before.length && i < after.length && before[i] === after[i]) i++;
  const from = Math.max(0, i - 80);
  const cut = (s: string) => (from > 0 ? '…' : '') + s.slice(from, from + width) + (s.length > from + width ? '…' : '');
  return { before: cut(before), after: cut(after) };
}

/**
 * Step 5: secrets block (or are redacted to `<SECRET_n>`, or their example is dropped, as the user
 * chose), then personal data becomes consistent pseudonyms across the whole set. Findings carry
 * masked snippets only: a secret never goes into a report, a log or a preview.
 */
export async function redactExamples<T extends Candidate>(
  items: readonly T[],
  opts: RedactOptions,
): Promise<RedactResult<T>> {
  const findings: SecretFinding[] = [];
  const secretTokens = new Map<string, string>();
  const tokenFor = (value: string) => {
    let t = secretTokens.get(value);
    if (!t) {
      t = `<SECRET_${secretTokens.size + 1}>`;
      secretTokens.set(value, t);
    }
    return t;
  };
  let secretsFound = 0;
  let secretExamples = 0;
  let secretsRedacted = 0;
  let excluded = 0;
  let blocking = 0;
  const afterSecrets: { item: T; example: ChatExample; masked: ChatExample; redacted: boolean }[] = [];
  for (const item of items) {
    const fix: SecretFix = opts.perConversation[String(item.conversationId)] ?? opts.fix;
    let hits = 0;
    const spansByText = new Map<string, SecretMatch[]>();
    for (const [messageIndex, m] of item.example.messages.entries()) {
      for (const text of textsOf(m)) {
        const spans = spansByText.get(text) ?? (await scanSecrets(text));
        spansByText.set(text, spans);
        for (const s of spans) {
          hits++;
          findings.push({
            conversationId: item.conversationId,
            title: item.title,
            ruleId: s.ruleId,
            messageIndex,
            masked: maskedSnippet(text, s, spans),
            fix,
          });
        }
      }
    }
    secretsFound += hits;
    if (hits) secretExamples++;
    if (hits && fix === 'exclude') {
      excluded++;
      continue;
    }
    const rewrite = (text: string) => {
      const spans = spansByText.get(text) ?? [];
      return spans.length ? replaceSpans(text, spans, tokenFor) : text;
    };
    // What previews show as "before": secrets hidden even there.
    const masked = {
      ...item.example,
      messages: item.example.messages.map((m) =>
        mapTexts(m, (t) => replaceSpans(t, spansByText.get(t) ?? [], () => '████')),
      ),
    };
    let example = item.example;
    const redacted = hits > 0 && fix === 'redact';
    if (redacted) {
      example = { ...example, messages: example.messages.map((m) => mapTexts(m, rewrite)) };
      secretsRedacted += hits;
    } else if (hits) blocking++;
    afterSecrets.push({ item, example, masked, redacted });
  }

  const pseudo = new Pseudonymizer(opts.allowlist);
  if (opts.pseudonymise) {
    for (const { example } of afterSecrets)
      for (const m of example.messages) if (m.role !== 'system') textsOf(m).forEach((t) => pseudo.collect(t));
  }
  const samples: RedactionSample[] = [];
  const maxSamples = opts.samples ?? 10;
  const kept = afterSecrets.map(({ item, example, masked, redacted }) => {
    const messages = opts.pseudonymise
      ? example.messages.map((m) => (m.role === 'system' ? m : mapTexts(m, (t) => pseudo.apply(t))))
      : example.messages;
    for (const [i, m] of (redacted ? example : masked).messages.entries()) {
      if (samples.length >= maxSamples) break;
      const before = masked.messages[i]?.content;
      if (m.role === 'system' || typeof m.content !== 'string' || typeof before !== 'string') continue;
      // An unresolved secret stays hidden in the "after" too: previews never show one.
      const after = opts.pseudonymise ? pseudo.apply(m.content) : m.content;
      if (after !== before)
        samples.push({ conversationId: item.conversationId, messageIndex: i, ...snippet(before, after) });
    }
    return { ...item, example: { ...example, messages } };
  });
  return {
    kept,
    findings,
    secretsFound,
    secretExamples,
    secretsRedacted,
    excluded,
    blocking,
    entities: pseudo.counts(),
    mapping: pseudo.entries(),
    samples,
    allowlisted: pseudo.allowlisted,
  };
}

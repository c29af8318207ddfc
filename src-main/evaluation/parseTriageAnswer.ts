import { TriageAnswerSchema, type EvaluationExpected, type TriageAnswer } from '../contract/index';

export type ParsedAnswer = { ok: true; answer: TriageAnswer } | { ok: false; reason: string };

/** The first balanced {...} in a text (models sometimes wrap JSON in prose or a code fence). */
function firstJsonObject(text: string): string | null {
  const start = text.indexOf('{');
  if (start < 0) return null;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  return null;
}

/**
 * A model's answer as the structured triage answer, or why it is not one. The grammar's parse (local) or the
 * provider's structured output is tried first, then the text itself, then the first JSON object in it.
 */
export function parseTriageAnswer(text: string, structured: unknown): ParsedAnswer {
  const candidates: unknown[] = [];
  if (structured !== null && structured !== undefined) candidates.push(structured);
  for (const source of [text.trim(), firstJsonObject(text)]) {
    if (!source) continue;
    try {
      candidates.push(JSON.parse(source) as unknown);
    } catch {
      // not JSON; try the next form
    }
  }
  if (!candidates.length) return { ok: false, reason: text.trim() ? 'not JSON' : 'empty answer' };
  let reason = 'not a triage answer';
  for (const c of candidates) {
    const parsed = TriageAnswerSchema.safeParse(c);
    if (parsed.success) return { ok: true, answer: parsed.data };
    const issue = parsed.error.issues[0];
    reason = issue ? `${issue.path.join('.') || 'answer'}: ${issue.message}` : reason;
  }
  return { ok: false, reason };
}

export function answerToExpected(a: TriageAnswer): EvaluationExpected {
  return { verdict: a.verdict, severity: a.severity, threatType: a.threat_type, techniques: a.techniques };
}

/** Threat types are free text: compare them lower-cased with runs of spaces, dashes and slashes as "_". */
export function normaliseThreatType(s: string | null | undefined): string | null {
  if (s === null || s === undefined) return null;
  const n = s
    .trim()
    .toLowerCase()
    .replace(/[\s\-/]+/g, '_')
    .replace(/[^a-z0-9_.&]/g, '');
  return n || null;
}

export const NO_TECHNIQUE = '(none)';

/** The primary technique: the first id listed (upper-cased), or "(none)". */
export function primaryTechnique(techniques: readonly string[]): string {
  const t = techniques[0]?.trim().toUpperCase();
  return t ? t : NO_TECHNIQUE;
}

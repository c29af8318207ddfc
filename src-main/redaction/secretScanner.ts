import { lintSource } from '@secretlint/core';
import { creator as recommendedPreset } from '@secretlint/secretlint-rule-preset-recommend';

/** A secret found in a text: the span that must not leave the machine. */
export interface SecretMatch {
  ruleId: string;
  start: number;
  end: number;
}

interface Pattern {
  id: string;
  re: RegExp;
  /** Capture group holding the secret; 0 = the whole match. */
  group: number;
}

// Values a generic `password=` match may have that are not secrets (placeholders, already redacted, booleans).
const NOT_A_SECRET =
  /^(?:<[^>]*>|\*+|x+|null|none|true|false|undefined|redacted|\[redacted\]|changeme|\$\{[^}]*\}|\{\{[^}]*\}\})$/i;

/** Our own patterns, on top of secretlint's recommended preset (which has no JWT or generic `password=` rule). */
export const SECRET_PATTERNS: readonly Pattern[] = [
  { id: 'openai-api-key', re: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g, group: 0 },
  { id: 'aws-access-key-id', re: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g, group: 0 },
  {
    id: 'aws-secret-access-key',
    re: /(?:aws_?secret_?access_?key|aws_?secret|secret_?access_?key)["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
  },
  {
    id: 'private-key',
    re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|(?=["'`])|$)/g,
    group: 0,
  },
  { id: 'jwt', re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, group: 0 },
  { id: 'bearer-token', re: /\bBearer\s+([A-Za-z0-9._~+/-]{16,}=*)/gi, group: 1 },
  { id: 'basic-auth-header', re: /\bAuthorization["']?\s*[:=]\s*["']?Basic\s+([A-Za-z0-9+/]{12,}=*)/gi, group: 1 },
  { id: 'password-in-url', re: /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:@/"'<>]+:([^\s@/"'<>]+)@/gi, group: 1 },
  { id: 'github-token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g, group: 0 },
  { id: 'slack-token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, group: 0 },
  { id: 'google-api-key', re: /\bAIza[0-9A-Za-z_-]{35}\b/g, group: 0 },
  { id: 'stripe-key', re: /\b(?:sk|rk)_live_[0-9A-Za-z]{16,}\b/g, group: 0 },
  {
    id: 'generic-password',
    re: /\b(?:pass(?:word|wd|phrase)?|pwd|secret|client_?secret|api_?key|apikey|access_?token|auth_?token|private_?key)["']?\s*[:=]\s*["']?([^\s"',;&}{)\]]{4,})/gi,
    group: 1,
  },
];

/** Our patterns only: synchronous and cheap, for re-checks. */
export function scanSecretsSync(text: string): SecretMatch[] {
  const found: SecretMatch[] = [];
  for (const p of SECRET_PATTERNS) {
    p.re.lastIndex = 0;
    for (const m of text.matchAll(p.re)) {
      const value = m[p.group];
      if (value === undefined || value.length === 0) continue;
      if (p.id === 'generic-password' && NOT_A_SECRET.test(value)) continue;
      if (p.id === 'password-in-url' && NOT_A_SECRET.test(value)) continue;
      const start = m.index + (p.group === 0 ? 0 : m[0].lastIndexOf(value));
      found.push({ ruleId: p.id, start, end: start + value.length });
    }
  }
  return mergeSpans(found);
}

const SECRETLINT_CONFIG: Parameters<typeof lintSource>[0]['options']['config'] = {
  rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: recommendedPreset }],
};

/** Our patterns plus secretlint's recommended preset. */
export async function scanSecrets(text: string): Promise<SecretMatch[]> {
  const ours = scanSecretsSync(text);
  if (!text) return ours;
  const result = await lintSource({
    source: { content: text, filePath: 'example.txt', contentType: 'text' },
    options: { config: SECRETLINT_CONFIG, noPhysicFilePath: true, maskSecrets: true },
  });
  const theirs: SecretMatch[] = result.messages.map((m) => {
    // secretlint's ranges can start at the key name rather than the value: widen to whole tokens so nothing is left half-shown.
    const [s, e] = widenToTokens(text, m.range[0], m.range[1]);
    return { ruleId: `secretlint:${m.ruleId.replace('@secretlint/secretlint-rule-', '')}`, start: s, end: e };
  });
  return mergeSpans([...ours, ...theirs]);
}

const TOKEN_EDGE = /[\s"'`,;<>(){}[\]]/;

function widenToTokens(text: string, start: number, end: number): [number, number] {
  let s = Math.max(0, Math.min(start, text.length));
  let e = Math.max(s, Math.min(end, text.length));
  while (s > 0 && !TOKEN_EDGE.test(text[s - 1]!)) s--;
  while (e < text.length && !TOKEN_EDGE.test(text[e]!)) e++;
  return [s, e];
}

/** Sorted, non-overlapping spans; overlapping finds merge and keep the first rule's id. */
export function mergeSpans(spans: SecretMatch[]): SecretMatch[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || b.end - a.end);
  const out: SecretMatch[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.start < last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

/** A snippet that helps a person find the secret without showing any of it. */
export function maskedSnippet(text: string, match: SecretMatch, all: readonly SecretMatch[]): string {
  const from = Math.max(0, match.start - 32);
  let before = text.slice(from, match.start);
  // Another secret just before this one must not show either.
  for (const o of all) {
    if (o !== match && o.end > from && o.start < match.start) {
      const a = Math.max(0, o.start - from);
      const b = Math.min(before.length, o.end - from);
      before = before.slice(0, a) + '█'.repeat(Math.min(8, b - a)) + before.slice(b);
    }
  }
  return `${from > 0 ? '…' : ''}${before.replace(/\s+/g, ' ')}[${match.ruleId}: ${match.end - match.start} characters hidden]`;
}

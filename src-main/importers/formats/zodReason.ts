import type { z } from 'zod';

/** The first zod issue as one readable sentence: where, then what. */
export function zodReason(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'invalid record';
  const where = issue.path.length
    ? issue.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, '')
    : '';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}${where ? ` in ${where}` : ''}`;
  }
  return where ? `${where}: ${issue.message}` : issue.message;
}

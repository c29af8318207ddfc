import type { ReviewStatus, SourceKind, Task } from '../api/contract';

export const SOURCE_KIND_LABEL: Record<SourceKind, string> = {
  triage_chat: 'Triage chat',
  imported_alert: 'Imported alert',
  imported_example: 'Imported example',
};

export const REVIEW_STATUS_LABEL: Record<ReviewStatus, string> = {
  pending: 'Pending review',
  approved: 'Approved',
  rejected: 'Rejected',
};

export const TASK_LABEL: Record<Task, string> = {
  triage: 'Alert triage',
  incident: 'Incident summary',
  audit_log: 'Audit log review',
  code_review: 'Code review',
  chat: 'General chat',
};

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const shortDate = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** Epoch ms or an ISO string as a local date and time; unparseable input is returned as is. */
export function formatDateTime(value: number | string): string {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : dateTime.format(d);
}

/** "just now", "5m ago", "3h ago", "2d ago", then a short date. */
export function formatRelative(ms: number, now: number = Date.now()): string {
  const s = Math.round((now - ms) / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h}h ago`;
  const d = Math.round(h / 24);
  if (d < 7) return `${d}d ago`;
  return shortDate.format(new Date(ms));
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** Known severities get a colour; anything else is shown neutral. */
export function severityClass(severity: string | undefined): string {
  const s = (severity ?? '').toLowerCase();
  return ['critical', 'high', 'medium', 'low', 'info'].includes(s) ? `sev-${s}` : 'sev-unknown';
}

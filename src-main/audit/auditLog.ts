import type { Db } from '../db/connection';
import type { AuditEntry } from '../contract/index';

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  subject: string | null;
  details: string;
}

export interface AuditInput {
  actor: string;
  action: string;
  subject?: string | null;
  details?: Record<string, unknown>;
  at?: number;
}

// Keys whose values never go into the audit log, whatever command carries them.
const SECRET_KEYS = /key|secret|token|password|authorization/i;
const MAX_DETAIL_CHARS = 2000;

export function sanitizeDetails(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (SECRET_KEYS.test(k)) {
      out[k] = '[redacted]';
    } else if (typeof v === 'string' && v.length > 200) {
      out[k] = `${v.slice(0, 200)}… (${v.length} chars)`;
    } else {
      out[k] = v;
    }
  }
  const json = JSON.stringify(out);
  return json.length > MAX_DETAIL_CHARS ? { truncated: true, keys: Object.keys(out) } : out;
}

export function appendAudit(db: Db, entry: AuditInput): number {
  const info = db
    .prepare('INSERT INTO audit_log (at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?)')
    .run(
      entry.at ?? Date.now(),
      entry.actor,
      entry.action,
      entry.subject ?? null,
      JSON.stringify(sanitizeDetails(entry.details ?? {})),
    );
  return Number(info.lastInsertRowid);
}

export function listAudit(db: Db, limit: number): AuditEntry[] {
  const rows = db.prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?').all(limit) as AuditRow[];
  return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
}

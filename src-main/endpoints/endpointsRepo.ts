import type { Db } from '../db/connection';
import type { EndpointKind, KeyStatus } from '../contract/index';

interface EndpointRow {
  id: number;
  name: string;
  kind: EndpointKind;
  base_url: string;
  key_ref: string | null;
  key_status: KeyStatus;
  key_checked_at: number | null;
  last_error: string | null;
  created_at: number;
}

/** An endpoint as stored: `keyRef` names the key-store entry, never the key itself. */
export interface EndpointRecord {
  id: number;
  name: string;
  kind: EndpointKind;
  baseUrl: string;
  keyRef: string | null;
  keyStatus: KeyStatus;
  keyCheckedAt: number | null;
  lastError: string | null;
  createdAt: number;
}

function toRecord(r: EndpointRow): EndpointRecord {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    baseUrl: r.base_url,
    keyRef: r.key_ref,
    keyStatus: r.key_status,
    keyCheckedAt: r.key_checked_at,
    lastError: r.last_error,
    createdAt: r.created_at,
  };
}

export function listEndpoints(db: Db): EndpointRecord[] {
  return (db.prepare('SELECT * FROM endpoints ORDER BY name COLLATE NOCASE, id').all() as EndpointRow[]).map(toRecord);
}

export function getEndpoint(db: Db, id: number): EndpointRecord | null {
  const row = db.prepare('SELECT * FROM endpoints WHERE id = ?').get(id) as EndpointRow | undefined;
  return row ? toRecord(row) : null;
}

export function findEndpointByName(db: Db, name: string): EndpointRecord | null {
  const row = db.prepare('SELECT * FROM endpoints WHERE name = ?').get(name) as EndpointRow | undefined;
  return row ? toRecord(row) : null;
}

/** The first endpoint of a kind (used for OpenAI models registered without an endpoint). */
export function firstEndpointOfKind(db: Db, kind: EndpointKind): EndpointRecord | null {
  const row = db.prepare('SELECT * FROM endpoints WHERE kind = ? ORDER BY id LIMIT 1').get(kind) as
    EndpointRow | undefined;
  return row ? toRecord(row) : null;
}

export function insertEndpoint(db: Db, e: { name: string; kind: EndpointKind; baseUrl: string }): number {
  const info = db
    .prepare('INSERT INTO endpoints (name, kind, base_url, key_ref, created_at) VALUES (?, ?, ?, NULL, ?)')
    .run(e.name, e.kind, e.baseUrl, Date.now());
  return Number(info.lastInsertRowid);
}

/** Records where the key lives (or that there is none); a new key has not been checked yet. */
export function setKeyRef(db: Db, id: number, keyRef: string | null): void {
  db.prepare(
    "UPDATE endpoints SET key_ref = ?, key_status = 'unknown', key_checked_at = NULL, last_error = NULL WHERE id = ?",
  ).run(keyRef, id);
}

export function setKeyStatus(db: Db, id: number, status: KeyStatus, lastError: string | null): void {
  db.prepare('UPDATE endpoints SET key_status = ?, key_checked_at = ?, last_error = ? WHERE id = ?').run(
    status,
    Date.now(),
    lastError,
    id,
  );
}

/** Records a failure that says nothing about the key (rate limit, server error, timeout). */
export function setLastError(db: Db, id: number, lastError: string | null): void {
  db.prepare('UPDATE endpoints SET last_error = ? WHERE id = ?').run(lastError, id);
}

export function countModelsUsingEndpoint(db: Db, id: number): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM models WHERE endpoint_id = ?').get(id) as { n: number }).n;
}

export function deleteEndpoint(db: Db, id: number): boolean {
  return db.prepare('DELETE FROM endpoints WHERE id = ?').run(id).changes > 0;
}

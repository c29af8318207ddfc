import type { Db } from '../db/connection';

export interface EgressInput {
  actor: string;
  kind: 'export' | 'upload';
  destination: string;
  contentHash: string;
  bytes: number;
  details: Record<string, unknown>;
  at?: number;
}

/** Records something that left the machine (or was written for another system): what, when, where, hash, size. */
export function recordEgress(db: Db, e: EgressInput): number {
  const info = db
    .prepare(
      'INSERT INTO egress_log (at, actor, kind, destination, content_hash, bytes, details) VALUES (?, ?, ?, ?, ?, ?, ?)',
    )
    .run(e.at ?? Date.now(), e.actor, e.kind, e.destination, e.contentHash, e.bytes, JSON.stringify(e.details));
  return Number(info.lastInsertRowid);
}

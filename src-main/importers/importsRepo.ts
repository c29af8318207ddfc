import type { Db } from '../db/connection';
import type { ImportRejection, ImportReport, ImportStatus, ImportSummary } from '../contract/index';

interface ImportRow {
  id: number;
  file_name: string;
  format: string;
  file_hash: string;
  bytes: number;
  records_ok: number;
  records_rejected: number;
  records_duplicate: number;
  status: ImportStatus;
  error: string | null;
  created_at: number;
  finished_at: number | null;
  actor: string | null;
  keep_valid: 0 | 1;
  report: string | null;
}

interface StoredReport {
  rejections: ImportRejection[];
  truncated: boolean;
}

function toSummary(r: ImportRow): ImportSummary {
  return {
    id: r.id,
    fileName: r.file_name,
    format: r.format,
    status: r.status,
    keepValid: r.keep_valid === 1,
    bytes: r.bytes,
    bytesRead: r.status === 'running' ? 0 : r.bytes,
    recordsOk: r.records_ok,
    recordsRejected: r.records_rejected,
    recordsDuplicate: r.records_duplicate,
    error: r.error,
    actor: r.actor,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

export interface NewImport {
  fileName: string;
  format: string;
  bytes: number;
  keepValid: boolean;
  actor: string;
  at?: number;
}

export function createImport(db: Db, i: NewImport): number {
  const info = db
    .prepare(
      `INSERT INTO imports (file_name, format, file_hash, bytes, status, created_at, actor, keep_valid)
       VALUES (?, ?, '', ?, 'running', ?, ?, ?)`,
    )
    .run(i.fileName, i.format, i.bytes, i.at ?? Date.now(), i.actor, i.keepValid ? 1 : 0);
  return Number(info.lastInsertRowid);
}

export interface ImportOutcome {
  status: Exclude<ImportStatus, 'running'>;
  fileHash: string;
  bytes: number;
  recordsOk: number;
  recordsRejected: number;
  recordsDuplicate: number;
  error: string | null;
  rejections: ImportRejection[];
  truncated: boolean;
  at?: number;
}

export function finishImport(db: Db, id: number, o: ImportOutcome): void {
  const report: StoredReport = { rejections: o.rejections, truncated: o.truncated };
  db.prepare(
    `UPDATE imports SET status = ?, file_hash = ?, bytes = ?, records_ok = ?, records_rejected = ?, records_duplicate = ?,
       error = ?, report = ?, finished_at = ? WHERE id = ?`,
  ).run(
    o.status,
    o.fileHash,
    o.bytes,
    o.recordsOk,
    o.recordsRejected,
    o.recordsDuplicate,
    o.error,
    JSON.stringify(report),
    o.at ?? Date.now(),
    id,
  );
}

export function getImport(db: Db, id: number): ImportReport | null {
  const row = db.prepare('SELECT * FROM imports WHERE id = ?').get(id) as ImportRow | undefined;
  if (!row) return null;
  const report = row.report ? (JSON.parse(row.report) as StoredReport) : { rejections: [], truncated: false };
  const same = row.file_hash
    ? (db
        .prepare("SELECT id FROM imports WHERE file_hash = ? AND id < ? AND status = 'done' ORDER BY id LIMIT 1")
        .get(row.file_hash, row.id) as { id: number } | undefined)
    : undefined;
  return {
    ...toSummary(row),
    fileHash: row.file_hash,
    sameFileAs: same?.id ?? null,
    rejections: report.rejections,
    rejectionsTruncated: report.truncated,
  };
}

export function listImports(db: Db, limit: number): ImportSummary[] {
  const rows = db.prepare('SELECT * FROM imports ORDER BY created_at DESC, id DESC LIMIT ?').all(limit) as ImportRow[];
  return rows.map(toSummary);
}

/** Removes everything one import wrote (its conversations cascade to messages, labels and reviews). */
export function deleteImportedRows(db: Db, importId: number): number {
  return db.transaction(() => {
    db.prepare('DELETE FROM conversations_fts WHERE rowid IN (SELECT id FROM conversations WHERE import_id = ?)').run(
      importId,
    );
    return db.prepare('DELETE FROM conversations WHERE import_id = ?').run(importId).changes;
  })();
}

/** Imports still marked running when the app starts were cut off (crash, kill): undo them. */
export function recoverInterruptedImports(db: Db): number[] {
  const ids = (db.prepare("SELECT id FROM imports WHERE status = 'running'").all() as { id: number }[]).map(
    (r) => r.id,
  );
  for (const id of ids) {
    db.transaction(() => {
      deleteImportedRows(db, id);
      db.prepare("UPDATE imports SET status = 'failed', records_ok = 0, error = ?, finished_at = ? WHERE id = ?").run(
        'The app stopped during this import; nothing from it was kept. Import the file again.',
        Date.now(),
        id,
      );
    })();
  }
  return ids;
}

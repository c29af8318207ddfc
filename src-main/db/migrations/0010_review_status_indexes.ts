import type { Migration } from './types';

// Cheaper decisions at a million examples. Approving 100,000 by filter spent most of its time keeping
// reviews_status (status, updated_at, id) in step: every decision deletes a wide entry among a million
// and inserts another. One partial index per status holds only (updated_at, rowid) and only that
// status's rows, so a decision deletes a narrow entry from one and appends it to another: the same
// UPDATE measured ~40% faster on a generated 1M DB. Queries still say `status = ?`: SQLite re-plans
// a statement for the bound status, and paging walks the chosen status's index in display order
// (updated_at DESC, then rowid).
// The undo rows become one b-tree keyed (batch_id, review_id) instead of a rowid table plus a unique
// index on the same key, halving what a bulk decision writes for undo.
export const migration0010: Migration = {
  version: 10,
  name: 'review_status_indexes',
  up: `
DROP INDEX reviews_status;
CREATE INDEX reviews_pending ON reviews(updated_at DESC) WHERE status = 'pending';
CREATE INDEX reviews_approved ON reviews(updated_at DESC) WHERE status = 'approved';
CREATE INDEX reviews_rejected ON reviews(updated_at DESC) WHERE status = 'rejected';

CREATE TABLE review_batch_rows_0010 (
  batch_id INTEGER NOT NULL REFERENCES review_batches(id) ON DELETE CASCADE,
  review_id INTEGER NOT NULL,
  prev_status TEXT NOT NULL CHECK (prev_status IN ('pending', 'approved', 'rejected')),
  prev_reviewer TEXT,
  prev_reason TEXT,
  prev_decided_at INTEGER,
  prev_updated_at INTEGER NOT NULL,
  PRIMARY KEY (batch_id, review_id)
) STRICT, WITHOUT ROWID;
INSERT INTO review_batch_rows_0010 (batch_id, review_id, prev_status, prev_reviewer, prev_reason, prev_decided_at, prev_updated_at)
  SELECT batch_id, review_id, prev_status, prev_reviewer, prev_reason, prev_decided_at, prev_updated_at
  FROM review_batch_rows ORDER BY batch_id, review_id;
DROP TABLE review_batch_rows;
ALTER TABLE review_batch_rows_0010 RENAME TO review_batch_rows;
`,
};

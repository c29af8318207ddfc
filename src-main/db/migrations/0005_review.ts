import type { Migration } from './types';

// Review queue: undoable decision batches, a technique → label index kept by triggers (labels store
// techniques as a JSON array), and indexes for the queue filters so they stay fast at 1M rows.
export const migration0005: Migration = {
  version: 5,
  name: 'review',
  up: `
-- One row per decision: a single example, a selection, or everything matching a filter.
CREATE TABLE review_batches (
  id INTEGER PRIMARY KEY,
  actor TEXT NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
  reason TEXT,
  scope TEXT NOT NULL CHECK (scope IN ('selection', 'filter')),
  filter TEXT CHECK (filter IS NULL OR json_valid(filter)),
  matched INTEGER NOT NULL,
  changed INTEGER NOT NULL,
  decided_at INTEGER NOT NULL,
  undone_at INTEGER,
  undone_by TEXT,
  -- set when the batch's undo rows were pruned; it can no longer be undone
  expired INTEGER NOT NULL DEFAULT 0 CHECK (expired IN (0, 1))
) STRICT;

-- Each changed review's state before the batch, so undo restores it exactly. No foreign key on
-- review_id: deleting a conversation must not scan this table; undo skips reviews that are gone.
CREATE TABLE review_batch_rows (
  batch_id INTEGER NOT NULL REFERENCES review_batches(id) ON DELETE CASCADE,
  review_id INTEGER NOT NULL,
  prev_status TEXT NOT NULL CHECK (prev_status IN ('pending', 'approved', 'rejected')),
  prev_reviewer TEXT,
  prev_reason TEXT,
  prev_decided_at INTEGER,
  prev_updated_at INTEGER NOT NULL
) STRICT;
-- A batch's rows are inserted in review id order, so this index also walks reviews in page order.
CREATE UNIQUE INDEX review_batch_rows_batch ON review_batch_rows(batch_id, review_id);

-- training_labels.techniques is a JSON array; this side table makes "technique = T1059" an index lookup.
CREATE TABLE label_techniques (
  label_id INTEGER NOT NULL REFERENCES training_labels(id) ON DELETE CASCADE,
  technique TEXT NOT NULL,
  UNIQUE (label_id, technique)
) STRICT;
CREATE INDEX label_techniques_technique ON label_techniques(technique, label_id);

INSERT OR IGNORE INTO label_techniques (label_id, technique)
  SELECT l.id, j.value FROM training_labels l, json_each(l.techniques) j WHERE j.type = 'text';

CREATE TRIGGER training_labels_techniques_insert AFTER INSERT ON training_labels
BEGIN
  INSERT OR IGNORE INTO label_techniques (label_id, technique)
    SELECT NEW.id, value FROM json_each(NEW.techniques) WHERE type = 'text';
END;
CREATE TRIGGER training_labels_techniques_update AFTER UPDATE OF techniques ON training_labels
  WHEN OLD.techniques IS NOT NEW.techniques
BEGIN
  DELETE FROM label_techniques WHERE label_id = OLD.id;
  INSERT OR IGNORE INTO label_techniques (label_id, technique)
    SELECT NEW.id, value FROM json_each(NEW.techniques) WHERE type = 'text';
END;

-- Filter indexes: counts and bulk decisions drive from these; paging walks reviews_status in order.
CREATE INDEX training_labels_threat_type ON training_labels(threat_type);
CREATE INDEX training_labels_labeller ON training_labels(labeller);
CREATE INDEX training_labels_updated ON training_labels(updated_at);
`,
};

import type { Migration } from './types';

// Dataset versions: the local pseudonym mapping of each version, and immutability that also covers
// DELETE. The examples' UPDATE trigger is narrowed so that deleting a source conversation (its
// foreign key is ON DELETE SET NULL) only unlinks the example instead of failing: the example's
// content, split and hash never change.
export const migration0006: Migration = {
  version: 6,
  name: 'datasets',
  up: `
CREATE TABLE dataset_pseudonyms (
  dataset_version_id INTEGER NOT NULL REFERENCES dataset_versions(id) ON DELETE RESTRICT,
  token TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('ip', 'host', 'user', 'email', 'account')),
  original TEXT NOT NULL,
  PRIMARY KEY (dataset_version_id, token)
) STRICT;

CREATE TRIGGER dataset_pseudonyms_immutable BEFORE UPDATE ON dataset_pseudonyms
BEGIN SELECT RAISE(ABORT, 'dataset pseudonyms are immutable'); END;
CREATE TRIGGER dataset_pseudonyms_no_delete BEFORE DELETE ON dataset_pseudonyms
BEGIN SELECT RAISE(ABORT, 'dataset pseudonyms are immutable'); END;

DROP TRIGGER dataset_examples_immutable;
CREATE TRIGGER dataset_examples_immutable BEFORE UPDATE ON dataset_examples
WHEN NOT (
  NEW.conversation_id IS NULL AND OLD.conversation_id IS NOT NULL
  AND NEW.id = OLD.id AND NEW.dataset_version_id = OLD.dataset_version_id AND NEW.split = OLD.split
  AND NEW.group_key = OLD.group_key AND NEW.example = OLD.example AND NEW.labels = OLD.labels
  AND NEW.token_count = OLD.token_count AND NEW.content_hash = OLD.content_hash
)
BEGIN SELECT RAISE(ABORT, 'dataset examples are immutable'); END;
CREATE TRIGGER dataset_examples_no_delete BEFORE DELETE ON dataset_examples
BEGIN SELECT RAISE(ABORT, 'dataset examples are immutable'); END;
CREATE TRIGGER dataset_versions_no_delete BEFORE DELETE ON dataset_versions
BEGIN SELECT RAISE(ABORT, 'dataset versions are immutable'); END;

CREATE INDEX dataset_versions_dataset ON dataset_versions(dataset_id, version DESC);
`,
};

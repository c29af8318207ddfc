import type { Migration } from './types';

// Imports: who ran them, whether they kept valid records, and their report (the rejected records,
// bounded). Example-level fine-tuning fields (OpenAI's `tools`, `parallel_tool_calls`) live with
// the conversation so an export can rebuild the line. The import_id index makes rolling back or
// listing one import's rows an index lookup at a million rows.
export const migration0004: Migration = {
  version: 4,
  name: 'imports',
  up: `
ALTER TABLE imports ADD COLUMN actor TEXT;
ALTER TABLE imports ADD COLUMN keep_valid INTEGER NOT NULL DEFAULT 0 CHECK (keep_valid IN (0, 1));
ALTER TABLE imports ADD COLUMN report TEXT CHECK (report IS NULL OR json_valid(report));
CREATE INDEX imports_created ON imports(created_at DESC, id DESC);
CREATE INDEX imports_file_hash ON imports(file_hash);

ALTER TABLE conversations ADD COLUMN example_options TEXT CHECK (example_options IS NULL OR json_valid(example_options));
CREATE INDEX conversations_import ON conversations(import_id) WHERE import_id IS NOT NULL;
`,
};

import type { Migration } from './types';

// Jobs keep what they produced (model id, remote model name, files) so a restart can show it.
export const migration0007: Migration = {
  version: 7,
  name: 'job_results',
  up: `
ALTER TABLE jobs ADD COLUMN result TEXT CHECK (result IS NULL OR json_valid(result));
ALTER TABLE jobs ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 3;
CREATE INDEX jobs_kind ON jobs(kind, created_at DESC);
`,
};

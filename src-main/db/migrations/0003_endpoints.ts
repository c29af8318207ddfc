import type { Migration } from './types';

// Endpoints remember whether their key was last accepted or rejected (a 401 marks it invalid),
// and the last failure shown to people. The key itself still never lives in the DB.
export const migration0003: Migration = {
  version: 3,
  name: 'endpoints',
  up: `
ALTER TABLE endpoints ADD COLUMN key_status TEXT NOT NULL DEFAULT 'unknown'
  CHECK (key_status IN ('unknown', 'ok', 'invalid'));
ALTER TABLE endpoints ADD COLUMN key_checked_at INTEGER;
ALTER TABLE endpoints ADD COLUMN last_error TEXT;
`,
};

import type { Migration } from './types';

// What an OpenAI fine-tuning job needs to pick up where it left off after a restart: the files it
// uploaded, the reference it put in the remote job's metadata (to find a job whose creation answer was
// lost), the remote job, how far its events were read, and what it produced.
export const migration0009: Migration = {
  version: 9,
  name: 'training',
  up: `
CREATE TABLE openai_finetunes (
  job_id INTEGER PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
  endpoint_id INTEGER REFERENCES endpoints(id) ON DELETE SET NULL,
  -- sent as metadata.tw_ref with metadata.tw_job_id; a new one for each remote job this local job creates
  client_ref TEXT NOT NULL,
  training_file_id TEXT,
  validation_file_id TEXT,
  -- set before a create request is sent: from then on, look the job up by metadata before creating another
  create_sent_at INTEGER,
  remote_job_id TEXT,
  remote_status TEXT,
  -- id of the newest remote event already turned into a job event
  events_cursor TEXT,
  fine_tuned_model TEXT,
  trained_tokens INTEGER,
  checkpoints TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(checkpoints)),
  result TEXT CHECK (result IS NULL OR json_valid(result)),
  failure TEXT CHECK (failure IS NULL OR failure IN ('creation_refused', 'key_rejected')),
  model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX openai_finetunes_remote ON openai_finetunes(remote_job_id);
`,
};

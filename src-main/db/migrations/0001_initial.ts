import type { Migration } from './types';

// The first schema: everything the triage → label → review → dataset → job → model → evaluation loop stores.
// Times are unix milliseconds (INTEGER). JSON columns are TEXT checked with json_valid().
export const migration0001: Migration = {
  version: 1,
  name: 'initial',
  up: `
CREATE TABLE conversations (
  id INTEGER PRIMARY KEY,
  source_kind TEXT NOT NULL CHECK (source_kind IN ('triage_chat', 'imported_alert', 'imported_example')),
  source_format TEXT,
  title TEXT NOT NULL,
  task TEXT NOT NULL DEFAULT 'triage',
  alert_payload TEXT CHECK (alert_payload IS NULL OR json_valid(alert_payload)),
  key_fields TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(key_fields)),
  content_hash TEXT UNIQUE,
  import_id INTEGER REFERENCES imports(id) ON DELETE SET NULL,
  group_key TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX conversations_updated ON conversations(updated_at DESC);
CREATE INDEX conversations_source ON conversations(source_kind, updated_at DESC);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
  content TEXT NOT NULL,
  tool_calls TEXT CHECK (tool_calls IS NULL OR json_valid(tool_calls)),
  tool_call_id TEXT,
  weight INTEGER CHECK (weight IS NULL OR weight IN (0, 1)),
  model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
  structured TEXT CHECK (structured IS NULL OR json_valid(structured)),
  prompt_tokens INTEGER,
  completion_tokens INTEGER,
  latency_ms INTEGER,
  stopped INTEGER NOT NULL DEFAULT 0 CHECK (stopped IN (0, 1)),
  error TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (conversation_id, seq)
) STRICT;

CREATE VIRTUAL TABLE conversations_fts USING fts5(title, body, tokenize = 'unicode61');

CREATE TABLE imports (
  id INTEGER PRIMARY KEY,
  file_name TEXT NOT NULL,
  format TEXT NOT NULL,
  file_hash TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  records_ok INTEGER NOT NULL DEFAULT 0,
  records_rejected INTEGER NOT NULL DEFAULT 0,
  records_duplicate INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
  error TEXT,
  created_at INTEGER NOT NULL,
  finished_at INTEGER
) STRICT;

CREATE TABLE training_labels (
  id INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL UNIQUE REFERENCES conversations(id) ON DELETE CASCADE,
  message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
  verdict TEXT CHECK (verdict IS NULL OR verdict IN ('true_positive', 'benign', 'false_positive')),
  threat_type TEXT,
  severity TEXT CHECK (severity IS NULL OR severity IN ('info', 'low', 'medium', 'high', 'critical')),
  techniques TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(techniques)),
  quality INTEGER CHECK (quality IS NULL OR quality BETWEEN 1 AND 5),
  notes TEXT NOT NULL DEFAULT '',
  corrected_answer TEXT,
  labeller TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE reviews (
  id INTEGER PRIMARY KEY,
  label_id INTEGER NOT NULL UNIQUE REFERENCES training_labels(id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  reviewer TEXT,
  reason TEXT,
  decided_at INTEGER,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX reviews_status ON reviews(status, updated_at DESC, id);

CREATE TABLE datasets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  task TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE dataset_versions (
  id INTEGER PRIMARY KEY,
  dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE RESTRICT,
  version INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  filter TEXT NOT NULL CHECK (json_valid(filter)),
  build_report TEXT NOT NULL CHECK (json_valid(build_report)),
  seed INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (dataset_id, version)
) STRICT;

CREATE TABLE dataset_examples (
  id INTEGER PRIMARY KEY,
  dataset_version_id INTEGER NOT NULL REFERENCES dataset_versions(id) ON DELETE RESTRICT,
  conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
  split TEXT NOT NULL CHECK (split IN ('train', 'validation', 'test')),
  group_key TEXT NOT NULL,
  example TEXT NOT NULL CHECK (json_valid(example)),
  labels TEXT NOT NULL CHECK (json_valid(labels)),
  token_count INTEGER NOT NULL,
  content_hash TEXT NOT NULL
) STRICT;
CREATE INDEX dataset_examples_version ON dataset_examples(dataset_version_id, split);

-- A dataset version is immutable once written.
CREATE TRIGGER dataset_versions_immutable BEFORE UPDATE ON dataset_versions
BEGIN SELECT RAISE(ABORT, 'dataset versions are immutable'); END;
CREATE TRIGGER dataset_examples_immutable BEFORE UPDATE ON dataset_examples
BEGIN SELECT RAISE(ABORT, 'dataset examples are immutable'); END;

CREATE TABLE models (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('local_gguf', 'openai', 'openai_compatible')),
  path TEXT,
  sha256 TEXT,
  endpoint_id INTEGER REFERENCES endpoints(id) ON DELETE RESTRICT,
  remote_model TEXT,
  metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  parent_model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
  produced_by_job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
  dataset_version_id INTEGER REFERENCES dataset_versions(id) ON DELETE SET NULL,
  archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE endpoints (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('openai', 'openai_compatible')),
  base_url TEXT NOT NULL,
  -- the key itself never lives in the DB; this names where the main process keeps it
  key_ref TEXT,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE active_models (
  task TEXT PRIMARY KEY CHECK (task IN ('triage', 'incident', 'audit_log', 'code_review', 'chat')),
  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE RESTRICT,
  previous_model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('local_train', 'openai_finetune', 'trainer_build', 'evaluation')),
  status TEXT NOT NULL CHECK (status IN ('queued', 'preparing', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
  params TEXT NOT NULL CHECK (json_valid(params)),
  base_model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
  dataset_version_id INTEGER REFERENCES dataset_versions(id) ON DELETE SET NULL,
  remote_id TEXT,
  progress REAL NOT NULL DEFAULT 0,
  eta_seconds INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER
) STRICT;
CREATE INDEX jobs_status ON jobs(status, created_at);

CREATE TABLE job_events (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  level TEXT NOT NULL CHECK (level IN ('info', 'warn', 'error')),
  type TEXT NOT NULL CHECK (type IN ('message', 'metrics', 'status')),
  message TEXT NOT NULL,
  metrics TEXT CHECK (metrics IS NULL OR json_valid(metrics)),
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX job_events_job ON job_events(job_id, id);

CREATE TABLE evaluations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  dataset_version_id INTEGER REFERENCES dataset_versions(id) ON DELETE SET NULL,
  filter TEXT CHECK (filter IS NULL OR json_valid(filter)),
  model_ids TEXT NOT NULL CHECK (json_valid(model_ids)),
  metrics TEXT CHECK (metrics IS NULL OR json_valid(metrics)),
  created_at INTEGER NOT NULL,
  finished_at INTEGER
) STRICT;

CREATE TABLE evaluation_results (
  id INTEGER PRIMARY KEY,
  evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  example_ref TEXT NOT NULL,
  expected TEXT NOT NULL CHECK (json_valid(expected)),
  predicted TEXT CHECK (predicted IS NULL OR json_valid(predicted)),
  raw_output TEXT NOT NULL,
  valid INTEGER NOT NULL CHECK (valid IN (0, 1)),
  latency_ms INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  UNIQUE (evaluation_id, model_id, example_ref)
) STRICT;

CREATE TABLE ab_votes (
  id INTEGER PRIMARY KEY,
  prompt TEXT NOT NULL,
  model_a_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  model_b_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  vote TEXT NOT NULL CHECK (vote IN ('a', 'b', 'tie', 'both_bad')),
  analyst TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL CHECK (json_valid(value)),
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT,
  details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
) STRICT;
CREATE INDEX audit_log_at ON audit_log(at DESC);

CREATE TABLE egress_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('export', 'upload')),
  destination TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
) STRICT;
`,
};

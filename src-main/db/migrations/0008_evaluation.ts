import type { Migration } from './types';

// Evaluation runs become jobs (cancel, resume): each run keeps its job, options and failure, and each
// per-example result its prompt tokens, provider error and cost. Wall-clock time per model is kept so
// throughput survives a resume. The registry remembers every promote and roll-back (who, why, from
// what), A/B votes keep both answers and whether the sides were hidden, and retraining triggers leave
// notices (suggestions and alerts) that stay until dismissed.
export const migration0008: Migration = {
  version: 8,
  name: 'evaluation',
  up: `
ALTER TABLE evaluations ADD COLUMN job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL;
ALTER TABLE evaluations ADD COLUMN options TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(options));
ALTER TABLE evaluations ADD COLUMN error TEXT;
CREATE INDEX evaluations_created ON evaluations(created_at DESC, id DESC);

ALTER TABLE evaluation_results ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE evaluation_results ADD COLUMN error TEXT;
ALTER TABLE evaluation_results ADD COLUMN cost_usd REAL;
ALTER TABLE evaluation_results ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX evaluation_results_model ON evaluation_results(evaluation_id, model_id, id);

CREATE TABLE evaluation_model_runs (
  evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  wall_ms INTEGER NOT NULL DEFAULT 0,
  parallel INTEGER,
  PRIMARY KEY (evaluation_id, model_id)
) STRICT;

CREATE TABLE active_model_history (
  id INTEGER PRIMARY KEY,
  task TEXT NOT NULL CHECK (task IN ('triage', 'incident', 'audit_log', 'code_review', 'chat')),
  action TEXT NOT NULL CHECK (action IN ('promote', 'rollback')),
  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  from_model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX active_model_history_task ON active_model_history(task, id DESC);

ALTER TABLE ab_votes ADD COLUMN task TEXT NOT NULL DEFAULT 'triage';
ALTER TABLE ab_votes ADD COLUMN blind INTEGER NOT NULL DEFAULT 1 CHECK (blind IN (0, 1));
ALTER TABLE ab_votes ADD COLUMN answer_a TEXT NOT NULL DEFAULT '';
ALTER TABLE ab_votes ADD COLUMN answer_b TEXT NOT NULL DEFAULT '';
CREATE INDEX ab_votes_models ON ab_votes(model_a_id, model_b_id);

CREATE TABLE trigger_notices (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('suggestion', 'alert')),
  rule TEXT NOT NULL CHECK (rule IN ('newApproved', 'metricBelow', 'regression')),
  task TEXT,
  -- the same situation raises one open notice, not one per check
  dedup_key TEXT NOT NULL,
  message TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
  job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  dismissed_at INTEGER
) STRICT;
CREATE UNIQUE INDEX trigger_notices_open ON trigger_notices(dedup_key) WHERE dismissed_at IS NULL;
CREATE INDEX trigger_notices_created ON trigger_notices(created_at DESC, id DESC);
`,
};

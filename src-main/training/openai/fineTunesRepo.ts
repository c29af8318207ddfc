import type { Db } from '../../db/connection';
import type { OpenAICheckpoint, OpenAIJobState, ResultFileSummary } from '../../contract/index';

interface FineTuneRow {
  job_id: number;
  endpoint_id: number | null;
  client_ref: string;
  training_file_id: string | null;
  validation_file_id: string | null;
  create_sent_at: number | null;
  remote_job_id: string | null;
  remote_status: string | null;
  events_cursor: string | null;
  fine_tuned_model: string | null;
  trained_tokens: number | null;
  checkpoints: string;
  result: string | null;
  failure: OpenAIJobState['failure'];
  model_id: number | null;
  updated_at: number;
}

/** One local OpenAI fine-tuning job's progress with the remote service: enough to resume after a restart. */
export interface FineTuneRecord {
  jobId: number;
  endpointId: number | null;
  clientRef: string;
  trainingFileId: string | null;
  validationFileId: string | null;
  createSentAt: number | null;
  remoteJobId: string | null;
  remoteStatus: string | null;
  eventsCursor: string | null;
  fineTunedModel: string | null;
  trainedTokens: number | null;
  checkpoints: OpenAICheckpoint[];
  result: ResultFileSummary | null;
  failure: OpenAIJobState['failure'];
  modelId: number | null;
}

function parseJson<T>(s: string | null, fallback: T): T {
  if (s === null) return fallback;
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
}

function toRecord(r: FineTuneRow): FineTuneRecord {
  return {
    jobId: r.job_id,
    endpointId: r.endpoint_id,
    clientRef: r.client_ref,
    trainingFileId: r.training_file_id,
    validationFileId: r.validation_file_id,
    createSentAt: r.create_sent_at,
    remoteJobId: r.remote_job_id,
    remoteStatus: r.remote_status,
    eventsCursor: r.events_cursor,
    fineTunedModel: r.fine_tuned_model,
    trainedTokens: r.trained_tokens,
    checkpoints: parseJson<OpenAICheckpoint[]>(r.checkpoints, []),
    result: parseJson<ResultFileSummary | null>(r.result, null),
    failure: r.failure,
    modelId: r.model_id,
  };
}

export function getFineTune(db: Db, jobId: number): FineTuneRecord | null {
  const row = db.prepare('SELECT * FROM openai_finetunes WHERE job_id = ?').get(jobId) as FineTuneRow | undefined;
  return row ? toRecord(row) : null;
}

export function insertFineTune(db: Db, f: { jobId: number; endpointId: number; clientRef: string }): void {
  db.prepare('INSERT INTO openai_finetunes (job_id, endpoint_id, client_ref, updated_at) VALUES (?, ?, ?, ?)').run(
    f.jobId,
    f.endpointId,
    f.clientRef,
    Date.now(),
  );
}

export interface FineTunePatch {
  clientRef?: string;
  trainingFileId?: string | null;
  validationFileId?: string | null;
  createSentAt?: number | null;
  remoteJobId?: string | null;
  remoteStatus?: string | null;
  eventsCursor?: string | null;
  fineTunedModel?: string | null;
  trainedTokens?: number | null;
  checkpoints?: OpenAICheckpoint[];
  result?: ResultFileSummary | null;
  failure?: OpenAIJobState['failure'];
  modelId?: number | null;
}

const COLUMNS: Record<keyof FineTunePatch, string> = {
  clientRef: 'client_ref',
  trainingFileId: 'training_file_id',
  validationFileId: 'validation_file_id',
  createSentAt: 'create_sent_at',
  remoteJobId: 'remote_job_id',
  remoteStatus: 'remote_status',
  eventsCursor: 'events_cursor',
  fineTunedModel: 'fine_tuned_model',
  trainedTokens: 'trained_tokens',
  checkpoints: 'checkpoints',
  result: 'result',
  failure: 'failure',
  modelId: 'model_id',
};

/** Column names come from the closed COLUMNS map; values are bound. */
export function patchFineTune(db: Db, jobId: number, patch: FineTunePatch): void {
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const [key, value] of Object.entries(patch) as [keyof FineTunePatch, unknown][]) {
    if (value === undefined) continue;
    sets.push(`${COLUMNS[key]} = ?`);
    values.push(
      (key === 'checkpoints' || key === 'result') && value !== null ? JSON.stringify(value) : (value as unknown),
    );
  }
  if (!sets.length) return;
  sets.push('updated_at = ?');
  values.push(Date.now());
  db.prepare(`UPDATE openai_finetunes SET ${sets.join(', ')} WHERE job_id = ?`).run(...values, jobId);
}

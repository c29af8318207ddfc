import {
  TRAINING_TASK_LABEL,
  TRAINING_TASKS,
  type Job,
  type JobEvent,
  type JobKind,
  type JobStatus,
} from './jobsContract';

export const STATUS_LABEL: Record<JobStatus, string> = {
  queued: 'Queued',
  preparing: 'Preparing',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};

export const KIND_LABEL: Record<JobKind, string> = {
  local_train: 'Local fine-tune',
  openai_finetune: 'OpenAI fine-tune',
  trainer_build: 'Trainer build',
  evaluation: 'Evaluation',
};

/** Jobs a person may cancel (anything not finished) and retry ("restartable with one click"). */
export function canCancel(status: JobStatus): boolean {
  return status === 'queued' || status === 'preparing' || status === 'running' || status === 'interrupted';
}

export function canRetry(status: JobStatus): boolean {
  return status === 'failed' || status === 'cancelled' || status === 'interrupted';
}

export function isActive(status: JobStatus): boolean {
  return status === 'preparing' || status === 'running';
}

/** 75 → "1m 15s", 3725 → "1h 2m"; null → "—". */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${m % 60}m`;
}

export function formatPercent(fraction: number): string {
  return `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
}

/** One point of the loss and accuracy charts. Missing values stay null (drawn as gaps, shown as unknown). */
export interface MetricPoint {
  step: number;
  trainLoss: number | null;
  validLoss: number | null;
  trainAccuracy: number | null;
  validAccuracy: number | null;
}

type Metrics = Record<string, number | null>;

function first(m: Metrics, keys: string[]): number | null {
  for (const k of keys) {
    const v = m[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

/**
 * A metrics event as a chart point. Trainers name things differently (OpenAI: train_mean_token_accuracy,
 * valid_loss; llama.cpp trainers: train_accuracy, val_loss, answer_acc …); every known name is read.
 */
export function toPoint(e: Pick<JobEvent, 'metrics'>, fallbackStep: number): MetricPoint | null {
  const m = e.metrics;
  if (!m) return null;
  const point: MetricPoint = {
    step: first(m, ['step']) ?? fallbackStep,
    trainLoss: first(m, ['train_loss', 'loss']),
    validLoss: first(m, ['valid_loss', 'val_loss', 'validation_loss', 'full_valid_loss']),
    trainAccuracy: first(m, ['train_mean_token_accuracy', 'train_accuracy', 'train_acc', 'answer_acc', 'accuracy']),
    validAccuracy: first(m, [
      'valid_mean_token_accuracy',
      'val_acc',
      'valid_accuracy',
      'validation_accuracy',
      'full_valid_mean_token_accuracy',
    ]),
  };
  const any = point.trainLoss ?? point.validLoss ?? point.trainAccuracy ?? point.validAccuracy;
  return any === null ? null : point;
}

/** Points from metrics events, one per step (a later report of the same step wins). */
export function pointsFrom(events: JobEvent[]): MetricPoint[] {
  const byStep = new Map<number, MetricPoint>();
  let n = 0;
  for (const e of events) {
    if (e.type !== 'metrics') continue;
    n += 1;
    const p = toPoint(e, n);
    if (!p) continue;
    const prev = byStep.get(p.step);
    byStep.set(
      p.step,
      prev
        ? {
            step: p.step,
            trainLoss: p.trainLoss ?? prev.trainLoss,
            validLoss: p.validLoss ?? prev.validLoss,
            trainAccuracy: p.trainAccuracy ?? prev.trainAccuracy,
            validAccuracy: p.validAccuracy ?? prev.validAccuracy,
          }
        : p,
    );
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** The line under a job in the list: what it is training, from its params. */
export function jobSubtitle(job: Job): string {
  const p = job.params;
  const parts: string[] = [];
  const task = TRAINING_TASKS.find((t) => t === p.task);
  if (task) parts.push(TRAINING_TASK_LABEL[task]);
  if (typeof p.baseModel === 'string') parts.push(p.baseModel);
  if (typeof p.suffix === 'string') parts.push(`“${p.suffix}”`);
  if (job.datasetVersionId !== null) parts.push(`dataset version ${job.datasetVersionId}`);
  return parts.join(' · ');
}

export function formatNumber(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'unknown';
  return Number(v.toPrecision(digits)).toString();
}

/** 1 → "1st", 2 → "2nd", 11 → "11th", 23 → "23rd". */
export function ordinal(n: number): string {
  const s = ['th', 'st', 'nd', 'rd'];
  const v = n % 100;
  return `${n}${s[(v - 20) % 10] ?? s[v] ?? s[0]}`;
}

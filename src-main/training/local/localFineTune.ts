import fs from 'node:fs';
import path from 'node:path';
import {
  preflight,
  runSft,
  TrainerError,
  type PreflightResult,
  type SftHyperparameters,
  type SftResult,
  type TrainerEvent,
} from './runTrainer';
import { convertChatJsonl, type TurnFormat } from './sftData';
import { ensureTrainer, type TrainerBuildProgress } from './trainerBuild';

/**
 * One call for the job engine: build (or reuse) the trainer, check the base (F32, memory), turn the dataset
 * version's chat JSONL into tw-sft's format, and fine-tune with the loss on the assistant answers only.
 * Progress arrives as typed events; the AbortSignal cancels the build or the training cleanly.
 */
export interface LocalFineTuneOptions extends SftHyperparameters {
  dataDir: string;
  baseModel: string;
  /** Chat JSONL (the dataset builder's OpenAI export): training split. */
  trainChatJsonl: string;
  /** Optional validation split in the same format. */
  valChatJsonl?: string;
  /** Where the fine-tuned GGUF goes. */
  outModel: string;
  /** Turn format of the base model's chat template (default phi3, the demo and tiny models). */
  turnFormat?: TurnFormat;
  signal?: AbortSignal;
  onBuildProgress?: (p: TrainerBuildProgress) => void;
  onPreflight?: (p: PreflightResult) => void;
  onEvent?: (e: TrainerEvent) => void;
  /** The trainer command line, just before it starts. */
  onCommand?: (bin: string, args: string[]) => void;
}

export interface LocalFineTuneResult extends SftResult {
  preflight: PreflightResult;
  trainExamples: number;
  valExamples: number;
}

/** Below this many parameters one thread trains best (see trainingThreads). */
export const SMALL_MODEL_PARAMS = 20_000_000;

/**
 * Threads for a training run: one for small models, else every core. A small model's steps are too short to
 * share: its threads meet at a barrier many times a step and busy-wait there, so on a busy 2-core machine
 * (load ~6) the demo base trained at 880 tokens/s on two threads and 8,900 on one.
 */
export function trainingThreads(params: number): number | undefined {
  return params < SMALL_MODEL_PARAMS ? 1 : undefined;
}

export async function runLocalFineTune(o: LocalFineTuneOptions): Promise<LocalFineTuneResult> {
  const bins = await ensureTrainer({ dataDir: o.dataDir, onProgress: o.onBuildProgress, signal: o.signal });
  const pf = await preflight(bins.sft, o.baseModel, { window: o.window, batch: o.batch, optimizer: o.optimizer });
  o.onPreflight?.(pf);
  if (!pf.ok) throw new TrainerError('REFUSED', pf.refusal ?? 'the base model cannot be trained');
  const work = fs.mkdtempSync(path.join(path.dirname(o.outModel), '.train-'));
  try {
    const train = path.join(work, 'train.jsonl');
    const trainExamples = convertChatJsonl(o.trainChatJsonl, train, o.turnFormat);
    let valData: string | undefined;
    let valExamples = 0;
    if (o.valChatJsonl) {
      valData = path.join(work, 'val.jsonl');
      valExamples = convertChatJsonl(o.valChatJsonl, valData, o.turnFormat);
    }
    const r = await runSft({
      ...o,
      threads: o.threads ?? trainingThreads(pf.model.params),
      sftPath: bins.sft,
      model: o.baseModel,
      data: train,
      valData,
      out: o.outModel,
      onEvent: o.onEvent,
    });
    return { ...r, preflight: pf, trainExamples, valExamples };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The whole learning loop on a fresh workspace, headless, through the app's own commands (the same
 * dispatcher the desktop and the headless host use):
 *
 *   labelled samples → chat examples imported by the OpenAI-chat importer (grouped by rule and event)
 *   → labels with the ground truth (labels.save) → approved in the review queue (review.bulkByFilter)
 *   → dataset version (datasets.createVersion: validated, deduplicated, grouped split)
 *   → demo base built from the version's train split and registered (models.addLocal)
 *   → local fine-tune job (training.startLocal, the local_train runner on the job engine)
 *   → evaluation of the base and the fine-tuned model on the held-out test split (evaluation.start)
 *     plus a majority-class baseline scored the same way → report (demoReport.ts).
 *
 * `runDemo` returns the numbers; the CLI (`triage-workbench demo`) shows the progress and writes the report.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  WorkbenchError,
  type CommandName,
  type CommandRequest,
  type CommandResponse,
  type DatasetExample,
  type DatasetVersionDetail,
  type EvaluationDetail,
  type EvaluationExpected,
  type Job,
  type LocalHyperparameters,
  type ModelCard,
  type ModelEvalMetrics,
  type Split,
} from '../contract/index';
import { attackCatalogue } from '../attack/attackCatalogue';
import { STRUCTURED_ANSWER_INSTRUCTION } from '../chat/buildTurns';
import { createWorkbench, type Workbench } from '../core/workbench';
import { cleanFileName, saveUpload } from '../importers/uploads';
import { scoreModel, type ScoredRow } from '../evaluation/scoreModel';
import { ensureTrainer } from '../training/local/trainerBuild';
import { demoGroups, loadDemoExamples, majorityLabels, type DemoExample, type DemoLabels } from './demoData';
import { ensureDemoBaseModel, type DemoBaseOptions } from './demoBaseModel';

export const DEMO_STAGES = [
  'workspace',
  'import',
  'label',
  'review',
  'dataset',
  'trainer',
  'base',
  'train',
  'evaluate',
  'report',
] as const;
export type DemoStage = (typeof DEMO_STAGES)[number];

export interface DemoProgress {
  stage: DemoStage;
  /** 0..1 within the stage, null when unknown. */
  fraction: number | null;
  /** Seconds left in the stage, when the stage knows. */
  etaS: number | null;
  message: string;
}

export interface DemoOptions {
  /** Workspace folder; must not hold a workspace yet (the demo starts from nothing). */
  dataDir: string;
  seed?: number;
  /** Small base and few steps (CI). */
  short?: boolean;
  /** Where the demo base is cached (default $TW_DEMO_CACHE or ~/.cache/tw-demo). */
  baseCacheDir?: string;
  onProgress?: (p: DemoProgress) => void;
  signal?: AbortSignal;
}

/** Per label: accuracy and macro-F1 on the held-out split (null when the split has none of it). */
export interface DemoLabelScores {
  accuracy: number | null;
  macroF1: number | null;
}

export interface DemoModelResult {
  name: string;
  modelId: number | null;
  verdict: DemoLabelScores;
  severity: DemoLabelScores;
  technique: DemoLabelScores;
  criticalRecall: number | null;
  invalidRate: number | null;
  metrics: ModelEvalMetrics;
}

export interface DemoConfig {
  seed: number;
  short: boolean;
  base: DemoBaseOptions;
  hyperparameters: LocalHyperparameters;
  systemPrompt: string;
}

export interface DemoResult {
  config: DemoConfig;
  dataDir: string;
  examples: { samples: number; imported: number; duplicates: number; approved: number };
  dataset: {
    versionId: number;
    name: string;
    contentHash: string;
    counts: { train: number; validation: number; test: number };
    groups: number;
    /** Groups found in more than one split (must be 0). */
    leakedGroups: number;
  };
  base: { modelId: number; path: string; params: number; vocabSize: number; cached: boolean; buildSeconds: number };
  job: {
    id: number;
    seconds: number;
    steps: number | null;
    firstLoss: number | null;
    lastLoss: number | null;
    tokensPerS: number | null;
  };
  evaluationId: number;
  majorityAnswer: DemoLabels;
  models: { base: DemoModelResult; finetuned: DemoModelResult; majority: DemoModelResult };
  card: ModelCard;
  stageSeconds: Partial<Record<DemoStage, number>>;
  wallSeconds: number;
}

/**
 * Short, and ending with the structured-answer instruction the evaluation adds, so the model is evaluated with
 * exactly the system prompt it was trained with (systemTurn sends such a prompt as it is).
 */
export const DEMO_SYSTEM_PROMPT = `Triage the alert.\n\n${STRUCTURED_ANSWER_INSTRUCTION}`;

/** What the full and the short (CI) demo train. See bench/training/README.md for how they were chosen. */
export function demoConfig(o: { seed?: number; short?: boolean }): DemoConfig {
  const seed = o.seed ?? 42;
  const short = o.short ?? false;
  const base: DemoBaseOptions = short
    ? { embd: 64, layers: 2, heads: 4, ff: 192, merges: 1500, corpusStride: 4, seed }
    : { seed };
  const hyperparameters: LocalHyperparameters = {
    epochs: short ? 8 : 4,
    learningRate: short ? 5e-3 : 3e-3,
    lrSchedule: 'cosine',
    contextLength: 512,
    batchSize: short ? 4 : 8,
    validationFraction: 0.1,
    optimizer: 'adamw',
  };
  return { seed, short, base, hyperparameters, systemPrompt: DEMO_SYSTEM_PROMPT };
}

/** The threat type a demo label carries: the first ATT&CK tactic of its technique ("unmapped" without one). */
export function demoThreatType(technique: string): string {
  if (technique === 'none') return 'unmapped';
  return attackCatalogue().get(technique)?.tactics[0]?.name.toLowerCase() ?? 'unmapped';
}

/** The structured triage answer the model is taught (the evaluation's JSON answer, property order of its grammar). */
export function demoJsonAnswer(l: DemoLabels): string {
  return JSON.stringify({
    verdict: l.verdict,
    threat_type: demoThreatType(l.technique),
    severity: l.severity,
    techniques: l.technique === 'none' ? [] : [l.technique],
    rationale: '',
  });
}

/**
 * The sample with a technique the app can label: a few Sigma rules tag ids newer than the shipped ATT&CK
 * v18.1 (T1685, T1686); labels and the evaluation's grammar only know catalogue ids, so those become `none`.
 */
export function inCatalogue(e: DemoExample): DemoExample {
  const t = e.labels.technique;
  return t === 'none' || attackCatalogue().has(t) ? e : { ...e, labels: { ...e.labels, technique: 'none' } };
}

/** One importable line: the alert as an analyst pastes it, the answer, and the leak-free group. */
export function demoImportLine(e: DemoExample, group: string): string {
  return JSON.stringify({
    messages: [
      { role: 'user', content: e.alertText },
      { role: 'assistant', content: demoJsonAnswer(e.labels) },
    ],
    metadata: { group },
  });
}

function labelScores(m: ModelEvalMetrics, field: 'verdict' | 'severity' | 'technique'): DemoLabelScores {
  return { accuracy: m.fields[field].accuracy, macroF1: m.fields[field].macroF1 };
}

function modelResult(name: string, modelId: number | null, m: ModelEvalMetrics): DemoModelResult {
  return {
    name,
    modelId,
    verdict: labelScores(m, 'verdict'),
    severity: labelScores(m, 'severity'),
    technique: labelScores(m, 'technique'),
    criticalRecall: m.criticalRecall,
    invalidRate: m.invalidRate,
    metrics: m,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

export class DemoError extends Error {
  constructor(
    readonly stage: DemoStage,
    message: string,
  ) {
    super(message);
  }
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const cfg = demoConfig(o);
  const t0 = Date.now();
  const stageSeconds: Partial<Record<DemoStage, number>> = {};
  let stage: DemoStage = 'workspace';
  let stageStart = Date.now();
  const report = (fraction: number | null, message: string, etaS: number | null = null) =>
    o.onProgress?.({ stage, fraction, etaS, message });
  const enter = (s: DemoStage, message: string) => {
    stageSeconds[stage] = (stageSeconds[stage] ?? 0) + (Date.now() - stageStart) / 1000;
    stage = s;
    stageStart = Date.now();
    report(0, message);
  };
  const checkAbort = () => {
    if (o.signal?.aborted) throw new DemoError(stage, 'cancelled');
  };

  // The trainer build is the same for every workspace: share it across demo runs instead of rebuilding it.
  process.env.TW_TRAINER_CACHE ??= path.join(os.homedir(), '.cache', 'tw-trainer');
  report(0, `opening a new workspace in ${o.dataDir}`);
  if (fs.existsSync(path.join(o.dataDir, 'workbench.db'))) {
    throw new DemoError('workspace', `${o.dataDir} already holds a workspace; the demo needs a fresh folder.`);
  }
  const wb = await createWorkbench({ dataDir: o.dataDir, host: 'http', seed: false, actor: 'demo' });
  const call = async <K extends CommandName>(name: K, args: CommandRequest<K>): Promise<CommandResponse<K>> => {
    const r = await wb.invoke(name, args);
    if (!r.ok) throw new DemoError(stage, `${name}: ${r.error.message}`);
    return r.value as CommandResponse<K>;
  };
  try {
    const result = await runStages(wb, call, cfg, o, { enter, report, checkAbort });
    stageSeconds[stage] = (stageSeconds[stage] ?? 0) + (Date.now() - stageStart) / 1000;
    return { ...result, stageSeconds, wallSeconds: (Date.now() - t0) / 1000 };
  } catch (err) {
    if (err instanceof DemoError) throw err;
    if (err instanceof WorkbenchError) throw new DemoError(stage, err.message);
    throw new DemoError(stage, (err as Error)?.message ?? String(err));
  } finally {
    await wb.close();
  }
}

type Call = <K extends CommandName>(name: K, args: CommandRequest<K>) => Promise<CommandResponse<K>>;

interface StageKit {
  enter(s: DemoStage, message: string): void;
  report(fraction: number | null, message: string, etaS?: number | null): void;
  checkAbort(): void;
}

async function runStages(
  wb: Workbench,
  call: Call,
  cfg: DemoConfig,
  o: DemoOptions,
  k: StageKit,
): Promise<Omit<DemoResult, 'stageSeconds' | 'wallSeconds'>> {
  // ---- import: every labelled sample as the alert an analyst pastes, through the OpenAI-chat importer
  k.enter('import', 'importing the labelled samples');
  const samples = loadDemoExamples().map(inCatalogue);
  const groups = demoGroups(samples);
  const byContent = new Map<string, DemoExample[]>();
  const lines: string[] = [];
  for (const e of samples) {
    lines.push(demoImportLine(e, groups.get(e.id)!));
    const key = `${e.alertText}\u0000${demoJsonAnswer(e.labels)}`;
    byContent.set(key, [...(byContent.get(key) ?? []), e]);
  }
  const { uploadId } = await saveUpload(wb.dataDir, Readable.from([lines.join('\n') + '\n']), {
    fileName: cleanFileName('demo-labelled-samples.jsonl'),
    maxBytes: 64 * 1024 * 1024,
  });
  const { importId } = await call('imports.start', { uploadId, format: 'openai_chat', keepValid: false });
  let imp = await call('imports.get', { importId });
  while (imp.status === 'running') {
    k.report(imp.bytes ? imp.bytesRead / imp.bytes : null, `${imp.recordsOk} examples imported`);
    await sleep(100);
    imp = await call('imports.get', { importId });
  }
  if (imp.status !== 'done') {
    throw new DemoError('import', `the import ${imp.status}: ${imp.error ?? imp.rejections[0]?.reason ?? ''}`);
  }
  k.report(1, `${imp.recordsOk} examples imported (${imp.recordsDuplicate} exact duplicates merged)`);

  // ---- labels: the ground truth of each sample, saved as the analyst's label
  k.enter('label', 'labelling with the ground truth');
  const pending: { labelId: number; conversationId: number }[] = [];
  let cursor: string | null = null;
  do {
    const page: CommandResponse<'review.list'> = await call('review.list', {
      filter: { status: 'pending' },
      limit: 500,
      cursor,
      withTotal: false,
    });
    pending.push(...page.items.map((i) => ({ labelId: i.labelId, conversationId: i.conversationId })));
    cursor = page.nextCursor;
  } while (cursor);
  const exampleOfConversation = new Map<number, DemoExample>();
  for (const [i, p] of pending.entries()) {
    k.checkAbort();
    const conv = await call('conversations.get', { id: p.conversationId });
    const user = conv.messages.find((m) => m.role === 'user')?.content ?? '';
    const answer = conv.messages.find((m) => m.role === 'assistant')?.content ?? '';
    const e = byContent.get(`${user}\u0000${answer}`)?.[0];
    if (!e) throw new DemoError('label', `conversation ${p.conversationId} is not one of the demo samples`);
    exampleOfConversation.set(p.conversationId, e);
    await call('labels.save', {
      conversationId: p.conversationId,
      verdict: e.labels.verdict,
      threatType: demoThreatType(e.labels.technique),
      severity: e.labels.severity,
      techniques: e.labels.technique === 'none' ? [] : [e.labels.technique],
      quality: 5,
      notes: `ground truth from ${e.origin}`,
      correctedAnswer: '',
    });
    if (i % 50 === 0) k.report(i / pending.length, `${i}/${pending.length} labelled`);
  }
  k.report(1, `${pending.length} labelled`);

  // ---- review: approve everything that was labelled
  k.enter('review', 'approving in the review queue');
  const { count } = await call('review.countByFilter', { filter: { status: 'pending' } });
  const decided = await call('review.bulkByFilter', {
    filter: { status: 'pending' },
    decision: 'approve',
    reason: 'demo: ground truth from the labelled samples',
    expectedCount: count,
  });
  k.report(1, `${decided.changed} approved`);

  // ---- dataset version: the builder's grouped split (groups = rule + identical event)
  k.enter('dataset', 'building the dataset version');
  const version: DatasetVersionDetail = await call('datasets.createVersion', {
    name: `demo (seed ${cfg.seed})`,
    description: 'Labelled Panther and Sigma samples; ground truth from the sample files.',
    filter: { task: 'triage' },
    options: {
      target: { kind: 'local_gguf', model: 'demo base', tokenLimit: 480 },
      systemPrompt: cfg.systemPrompt,
      // keep every labelled example; near-duplicates (same rule, similar event) stay together in one split
      dedup: { threshold: 0.9, keepPerCluster: 100 },
      split: { validation: 0.1, test: 0.2, stratifyBy: 'verdict' },
      seed: cfg.seed,
      limits: { min: 50, max: 100_000 },
      secrets: { fix: 'redact', perConversation: {} },
      // public sample data; pseudonyms would only lengthen the prompts
      pseudonymise: false,
    },
  });
  const splitRows: Record<Split, DatasetExample[]> = { train: [], validation: [], test: [] };
  for (const split of ['train', 'validation', 'test'] as const) {
    for (let offset = 0; ; offset += 500) {
      const page = await call('datasets.examples', { versionId: version.id, split, limit: 500, offset });
      splitRows[split].push(...page.items);
      if (page.items.length < 500) break;
    }
  }
  // no demo group (rule or source event) may sit in two splits
  const splitOfGroup = new Map<string, Set<Split>>();
  for (const split of ['train', 'validation', 'test'] as const) {
    for (const r of splitRows[split]) {
      const e = r.conversationId === null ? undefined : exampleOfConversation.get(r.conversationId);
      if (!e) throw new DemoError('dataset', `dataset example ${r.id} has no demo sample behind it`);
      const g = groups.get(e.id)!;
      splitOfGroup.set(g, (splitOfGroup.get(g) ?? new Set()).add(split));
    }
  }
  const leakedGroups = [...splitOfGroup.values()].filter((s) => s.size > 1).length;
  if (leakedGroups > 0) {
    throw new DemoError('dataset', `${leakedGroups} rule/event groups landed in more than one split`);
  }
  const exampleOf = (r: DatasetExample) => exampleOfConversation.get(r.conversationId!)!;
  k.report(
    1,
    `version ${version.version}: train ${version.counts.train}, validation ${version.counts.validation}, test ${version.counts.test}`,
  );

  // ---- trainer (built once from node-llama-cpp's llama.cpp source, cached)
  k.enter('trainer', 'building or finding the trainer');
  const bins = await ensureTrainer({
    dataDir: wb.dataDir,
    signal: o.signal,
    onProgress: (p) => k.report(p.fraction, `${p.phase}: ${p.message}`),
  });

  // ---- demo base: vocabulary from the train split only, pre-training without the held-out Sigma rules
  k.enter('base', 'building the demo base model');
  const tb = Date.now();
  const textOf = (r: DatasetExample, role: string) =>
    String(r.example.messages.find((m) => m.role === role)?.content ?? '');
  const heldOutSigma = [...splitRows.validation, ...splitRows.test]
    .map(exampleOf)
    .filter((e) => e.ruleKey.startsWith('sigma:'))
    .map((e) => e.ruleKey.slice('sigma:'.length));
  const baseCache = o.baseCacheDir ?? process.env.TW_DEMO_CACHE ?? path.join(os.homedir(), '.cache', 'tw-demo');
  const base = await ensureDemoBaseModel({
    // small models train best on one thread (trainingThreads); threads are not part of the cache key
    threads: 1,
    ...cfg.base,
    vocabTexts: splitRows.train.flatMap((r) => [textOf(r, 'user'), textOf(r, 'assistant')]),
    excludeSigmaIds: [...new Set(heldOutSigma)].sort(),
    cacheDir: baseCache,
    sftPath: bins.sft,
    signal: o.signal,
    onProgress: (p) => {
      const pr = p.progress;
      k.report(
        pr ? pr.step / Math.max(1, pr.steps_total) : null,
        pr ? `pre-training, loss ${pr.train_loss?.toFixed(3) ?? '—'}` : p.message,
        pr?.eta_s ?? null,
      );
    },
  });
  const baseModel = await call('models.addLocal', {
    path: base.path,
    mode: 'copy',
    name: `demo base (seed ${cfg.seed}${cfg.short ? ', short' : ''})`,
  });
  const baseSeconds = (Date.now() - tb) / 1000;

  // ---- fine-tune: the local_train job on the job engine
  k.enter('train', 'fine-tuning the demo base (local_train job)');
  const job = await call('training.startLocal', {
    task: 'threat_detection',
    baseModelId: baseModel.id,
    datasetVersionId: version.id,
    outputName: `demo fine-tune (seed ${cfg.seed}${cfg.short ? ', short' : ''})`,
    hyperparameters: cfg.hyperparameters,
  });
  let firstLoss: number | null = null;
  let lastLoss: number | null = null;
  let steps: number | null = null;
  let tokensPerS: number | null = null;
  const offMetrics = wb.bus.on('job.event', (e) => {
    if (e.jobId !== job.id || !e.metrics) return;
    const loss = e.metrics.train_loss;
    if (typeof loss === 'number') {
      firstLoss ??= loss;
      lastLoss = loss;
    }
    if (typeof e.metrics.total_steps === 'number') steps = e.metrics.total_steps;
    if (typeof e.metrics.tokens_per_s === 'number') tokensPerS = e.metrics.tokens_per_s;
  });
  const tj = Date.now();
  let done: Job = await call('jobs.get', { id: job.id });
  try {
    while (!TERMINAL.has(done.status)) {
      if (o.signal?.aborted) await call('jobs.cancel', { id: job.id });
      k.report(done.progress, lastLoss === null ? done.status : `loss ${Number(lastLoss).toFixed(3)}`, done.etaSeconds);
      await sleep(250);
      done = await call('jobs.get', { id: job.id });
    }
  } finally {
    offMetrics();
  }
  if (done.status !== 'succeeded') throw new DemoError('train', `the training job ${done.status}: ${done.error ?? ''}`);
  const ftModelId = Number(done.result?.modelId);
  const jobSeconds = (Date.now() - tj) / 1000;

  // ---- evaluation: base and fine-tuned on the held-out test split, through the evaluation capability
  k.enter('evaluate', 'evaluating on the held-out test split');
  const started = await call('evaluation.start', {
    name: `demo: base vs fine-tuned (seed ${cfg.seed})`,
    modelIds: [baseModel.id, ftModelId],
    source: { kind: 'dataset', versionId: version.id, split: 'test' },
    options: { parallel: 1, concurrency: 1, maxTokens: 128, temperature: 0, seed: cfg.seed },
  });
  const te = Date.now();
  let evaluation: EvaluationDetail = started;
  while (!TERMINAL.has(evaluation.status)) {
    const { done: d, total } = evaluation.progress;
    const rate = d / Math.max(0.001, (Date.now() - te) / 1000);
    k.report(total ? d / total : null, `${d}/${total} answers`, d > 0 ? (total - d) / rate : null);
    if (o.signal?.aborted) await call('evaluation.cancel', { id: started.id });
    await sleep(250);
    evaluation = await call('evaluation.get', { id: started.id });
  }
  if (evaluation.status !== 'succeeded') {
    throw new DemoError('evaluate', `the evaluation ${evaluation.status}: ${evaluation.error ?? ''}`);
  }
  const metricsOf = (id: number) => {
    const m = evaluation.metrics.find((x) => x.modelId === id);
    if (!m) throw new DemoError('evaluate', `the evaluation has no metrics for model ${id}`);
    return m;
  };

  // ---- majority-class baseline: the train split's most frequent labels, scored like a model
  const majority = majorityLabels(splitRows.train.map(exampleOf));
  const predicted: EvaluationExpected = {
    verdict: majority.verdict,
    severity: majority.severity,
    threatType: demoThreatType(majority.technique),
    techniques: majority.technique === 'none' ? [] : [majority.technique],
  };
  const rows: ScoredRow[] = splitRows.test.map((r) => ({
    expected: {
      verdict: r.labels.verdict,
      severity: r.labels.severity,
      threatType: r.labels.threatType,
      techniques: r.labels.techniques,
    },
    predicted,
    latencyMs: 0,
    promptTokens: 0,
    completionTokens: 0,
    costUsd: null,
    error: null,
  }));
  const majorityMetrics = scoreModel(
    { modelId: 0, modelName: 'majority class', kind: 'local_gguf', total: rows.length, wallMs: 0, parallel: null },
    rows,
  );

  k.enter('report', 'collecting the model card');
  const card = await call('registry.card', { modelId: ftModelId });
  const ft = await call('models.get', { id: ftModelId });
  return {
    config: cfg,
    dataDir: wb.dataDir,
    examples: {
      samples: samples.length,
      imported: imp.recordsOk,
      duplicates: imp.recordsDuplicate,
      approved: decided.changed,
    },
    dataset: {
      versionId: version.id,
      name: version.datasetName,
      contentHash: version.contentHash,
      counts: { train: version.counts.train, validation: version.counts.validation, test: version.counts.test },
      groups: splitOfGroup.size,
      leakedGroups,
    },
    base: {
      modelId: baseModel.id,
      path: base.path,
      params: base.params,
      vocabSize: base.vocabSize,
      cached: base.cached,
      buildSeconds: baseSeconds,
    },
    job: { id: job.id, seconds: jobSeconds, steps, firstLoss, lastLoss, tokensPerS },
    evaluationId: evaluation.id,
    majorityAnswer: majority,
    models: {
      base: modelResult(baseModel.name, baseModel.id, metricsOf(baseModel.id)),
      finetuned: modelResult(ft.name, ftModelId, metricsOf(ftModelId)),
      majority: modelResult('majority class (train split)', null, majorityMetrics),
    },
    card,
  };
}

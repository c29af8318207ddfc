import { EVAL_FIELDS, type EvalField, type EvaluationDetail, type ModelEvalMetrics } from '../contract/index';
import {
  EXIT_ERROR,
  EXIT_GATE,
  EXIT_OK,
  UsageError,
  parseIntArg,
  pct,
  resolveModel,
  table,
  type CliSession,
} from './cliContext';

export interface EvalArgs {
  models?: string;
  dataset?: string;
  split: string;
  labelled?: string;
  parallel?: string;
  concurrency?: string;
  limit?: string;
  maxTokens?: string;
  seed?: string;
  temperature?: string;
  json?: boolean;
  failIfMacroF1Drop?: string;
  baseline?: string;
  gateField: string;
}

export interface GateResult {
  field: EvalField;
  threshold: number;
  baseline: { modelId: number; name: string; macroF1: number | null };
  checks: { modelId: number; name: string; macroF1: number | null; drop: number | null; pass: boolean }[];
  pass: boolean;
}

/**
 * The CI gate: every model other than the baseline must keep the field's macro-F1 within `threshold` of the
 * baseline's. A model with no macro-F1 (nothing scorable) fails the gate.
 */
export function macroF1Gate(
  metrics: readonly ModelEvalMetrics[],
  baselineId: number,
  field: EvalField,
  threshold: number,
): GateResult {
  const base = metrics.find((m) => m.modelId === baselineId);
  if (!base) throw new UsageError('The baseline model is not in the evaluation.');
  const baseF1 = base.fields[field].macroF1;
  const checks = metrics
    .filter((m) => m.modelId !== baselineId)
    .map((m) => {
      const f1 = m.fields[field].macroF1;
      const drop = f1 === null || baseF1 === null ? null : baseF1 - f1;
      return {
        modelId: m.modelId,
        name: m.modelName,
        macroF1: f1,
        drop,
        pass: drop !== null && drop <= threshold + 1e-12,
      };
    });
  return {
    field,
    threshold,
    baseline: { modelId: base.modelId, name: base.modelName, macroF1: baseF1 },
    checks,
    pass: checks.every((c) => c.pass),
  };
}

function badges(m: ModelEvalMetrics): string {
  return m.badges.map((b) => `${b.pass === null ? '·' : b.pass ? '✓' : '✗'} ${b.label}`).join('; ');
}

export function formatEvaluation(d: EvaluationDetail): string {
  const rows = d.metrics.map((m) => [
    `${m.modelName} (#${m.modelId})`,
    `${m.done}/${m.total}`,
    pct(m.accuracy),
    pct(m.fields.verdict.macroF1),
    pct(m.fields.severity.macroF1),
    pct(m.fields.threatType.macroF1),
    pct(m.fields.technique.macroF1),
    pct(m.criticalRecall),
    pct(m.highPrecision),
    pct(m.fpr),
    pct(m.invalidRate),
    m.latencyMs.p50 === null ? '—' : `${m.latencyMs.p50}/${m.latencyMs.p95} ms`,
    m.tokensPerSecond === null ? '—' : m.tokensPerSecond.toFixed(1),
    m.costUsd === null ? '—' : `$${m.costUsd.toFixed(4)}`,
  ]);
  const header = [
    'model',
    'done',
    'accuracy',
    'verdict F1',
    'severity F1',
    'threat F1',
    'technique F1',
    'crit recall',
    'high prec',
    'FPR',
    'invalid',
    'p50/p95',
    'tok/s',
    'cost',
  ];
  return [
    `Evaluation #${d.id} ${d.name} — ${d.status} — ${d.sourceLabel}${d.datasetHash ? ` (sha256 ${d.datasetHash.slice(0, 12)}…)` : ''}`,
    table(header, rows),
    ...d.metrics.map((m) => `${m.modelName}: ${badges(m)}`),
  ].join('\n');
}

function formatGate(g: GateResult): string {
  const lines = [
    `Gate: ${g.field} macro-F1 may drop at most ${pct(g.threshold)} below ${g.baseline.name} (${pct(g.baseline.macroF1)}).`,
  ];
  for (const c of g.checks) {
    lines.push(
      `  ${c.pass ? 'PASS' : 'FAIL'} ${c.name}: ${pct(c.macroF1)} (drop ${c.drop === null ? 'unknown' : pct(c.drop)})`,
    );
  }
  lines.push(g.pass ? 'Gate passed.' : 'Gate FAILED.');
  return lines.join('\n');
}

/** Waits for a run to finish, printing progress to stderr now and then. */
async function waitFor(s: CliSession, id: number, quiet: boolean): Promise<EvaluationDetail> {
  let last = 0;
  const off = s.wb.bus.on('evaluation.progress', (e) => {
    if (quiet || e.evaluationId !== id) return;
    const now = Date.now();
    if (now - last < 2000 && e.done !== e.total) return;
    last = now;
    s.io.err(`evaluation #${id}: ${e.done}/${e.total} answers`);
  });
  try {
    for (;;) {
      const d = await s.call('evaluation.get', { id });
      if (d.status === 'succeeded' || d.status === 'failed' || d.status === 'cancelled') return d;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    off();
  }
}

function parseTemperature(v: string): number {
  const t = Number(v);
  if (!Number.isFinite(t) || t < 0 || t > 2) throw new UsageError('--temperature is between 0 and 2.');
  return t;
}

export async function evalCommand(s: CliSession, a: EvalArgs): Promise<number> {
  if (!a.dataset && !a.labelled)
    throw new UsageError('Give --dataset <versionId> (its test split) or --labelled <task>.');
  if (a.dataset && a.labelled) throw new UsageError('Give either --dataset or --labelled, not both.');
  if (!['train', 'validation', 'test'].includes(a.split)) throw new UsageError('--split is train, validation or test.');
  if (!(EVAL_FIELDS as readonly string[]).includes(a.gateField)) {
    throw new UsageError(`--gate-field is one of ${EVAL_FIELDS.join(', ')}.`);
  }
  let threshold: number | null = null;
  if (a.failIfMacroF1Drop !== undefined) {
    threshold = Number(a.failIfMacroF1Drop);
    if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
      throw new UsageError('--fail-if-macro-f1-drop is a fraction between 0 and 1, e.g. 0.05.');
    }
  }
  const { items: models } = await s.call('models.list', { includeArchived: false });
  const refs = (a.models ?? 'active')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const chosen = refs.map((r) => resolveModel(models, r));
  let baselineId: number | null = null;
  if (threshold !== null) {
    const baseline = a.baseline ? resolveModel(models, a.baseline) : chosen[0]!;
    if (!chosen.some((m) => m.id === baseline.id)) chosen.unshift(baseline);
    if (chosen.length < 2) throw new UsageError('The macro-F1 gate needs a baseline and at least one other model.');
    baselineId = baseline.id;
  }
  const datasetId = parseIntArg('dataset', a.dataset);
  const options = {
    ...(a.parallel !== undefined ? { parallel: parseIntArg('parallel', a.parallel)! } : {}),
    ...(a.concurrency !== undefined ? { concurrency: parseIntArg('concurrency', a.concurrency)! } : {}),
    ...(a.limit !== undefined ? { limit: parseIntArg('limit', a.limit)! } : {}),
    ...(a.maxTokens !== undefined ? { maxTokens: parseIntArg('max-tokens', a.maxTokens, 16)! } : {}),
    ...(a.seed !== undefined ? { seed: parseIntArg('seed', a.seed, 0)! } : {}),
    ...(a.temperature !== undefined ? { temperature: parseTemperature(a.temperature) } : {}),
  };
  const started = await s.call('evaluation.start', {
    modelIds: [...new Set(chosen.map((m) => m.id))],
    source:
      datasetId !== undefined
        ? { kind: 'dataset', versionId: datasetId, split: a.split as 'test' }
        : { kind: 'filter', filter: { task: a.labelled as 'triage' } },
    options,
  });
  const done = await waitFor(s, started.id, a.json === true);
  const gate =
    threshold !== null && baselineId !== null && done.status === 'succeeded'
      ? macroF1Gate(done.metrics, baselineId, a.gateField as EvalField, threshold)
      : null;
  if (a.json) s.io.out(JSON.stringify({ evaluation: done, gate }, null, 2));
  else {
    s.io.out(formatEvaluation(done));
    if (gate) s.io.out(formatGate(gate));
  }
  if (done.status !== 'succeeded') {
    s.io.err(`The evaluation ${done.status}${done.error ? `: ${done.error}` : '.'}`);
    return EXIT_ERROR;
  }
  return gate && !gate.pass ? EXIT_GATE : EXIT_OK;
}

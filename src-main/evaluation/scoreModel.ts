import {
  SEVERITIES,
  SUCCESS_CRITERIA,
  VERDICTS,
  type Badge,
  type EvalField,
  type EvalMetric,
  type EvaluationExpected,
  type FieldReport,
  type ModelEvalMetrics,
} from '../contract/index';
import { classificationReport, falsePositiveRate, INVALID, percentile, precisionOf, recallOf } from './metrics';
import { normaliseThreatType, primaryTechnique } from './parseTriageAnswer';

/** One stored per-example result, as scoring needs it. */
export interface ScoredRow {
  expected: EvaluationExpected;
  /** null when the answer was invalid (unparseable, off-schema, or the call failed). */
  predicted: EvaluationExpected | null;
  latencyMs: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number | null;
  error: string | null;
}

type Pair = { expected: string; predicted: string };

/**
 * The label of one field of an answer, as scored. Null means "not labelled": the example is left out of
 * that field's report (an example labelled only with a verdict still counts for the verdict).
 */
export function fieldLabel(field: EvalField, v: EvaluationExpected): string | null {
  switch (field) {
    case 'verdict':
      return v.verdict;
    case 'severity':
      return v.severity;
    case 'threatType':
      return normaliseThreatType(v.threatType);
    case 'technique':
      return primaryTechnique(v.techniques);
  }
}

/** The (expected, predicted) pair of one field for one row, or null when the example has no label there. */
export function fieldPair(field: EvalField, row: Pick<ScoredRow, 'expected' | 'predicted'>): Pair | null {
  const expected = fieldLabel(field, row.expected);
  if (expected === null) return null;
  const predicted = row.predicted ? (fieldLabel(field, row.predicted) ?? INVALID) : INVALID;
  return { expected, predicted };
}

const DECLARED: Record<EvalField, readonly string[]> = {
  verdict: VERDICTS,
  severity: SEVERITIES,
  threatType: [],
  technique: [],
};

function fieldReport(field: EvalField, rows: readonly ScoredRow[]): FieldReport {
  const pairs = rows.map((r) => fieldPair(field, r)).filter((p): p is Pair => p !== null);
  // Closed classes are shown even when absent, so every matrix of a field has the same rows and columns.
  const r = classificationReport(pairs, DECLARED[field]);
  return {
    total: r.total,
    correct: r.correct,
    accuracy: r.accuracy,
    macroF1: r.macroF1,
    perClass: r.perClass,
    confusion: r.confusion,
  };
}

function ratio(n: number, d: number): number | null {
  return d === 0 ? null : n / d;
}

export function badgesOf(values: Record<EvalMetric, number | null>): Badge[] {
  return SUCCESS_CRITERIA.map((c) => {
    const value = values[c.metric];
    return {
      label: c.label,
      metric: c.metric,
      value,
      threshold: c.threshold,
      pass: value === null ? null : value > c.threshold,
    };
  });
}

export interface ModelRunInfo {
  modelId: number;
  modelName: string;
  kind: ModelEvalMetrics['kind'];
  total: number;
  wallMs: number;
  parallel: number | null;
}

/** Every metric of one model in one evaluation, from its stored per-example results. */
export function scoreModel(info: ModelRunInfo, rows: readonly ScoredRow[]): ModelEvalMetrics {
  const fields = {
    verdict: fieldReport('verdict', rows),
    severity: fieldReport('severity', rows),
    threatType: fieldReport('threatType', rows),
    technique: fieldReport('technique', rows),
  };
  const valid = rows.filter((r) => r.predicted !== null).length;
  const verdictPairs = rows.map((r) => fieldPair('verdict', r)).filter((p): p is Pair => p !== null);

  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const r of rows) {
    const expected = new Set(r.expected.techniques.map((t) => t.toUpperCase()));
    const predicted = new Set((r.predicted?.techniques ?? []).map((t) => t.toUpperCase()));
    for (const t of predicted) {
      if (expected.has(t)) tp++;
      else fp++;
    }
    for (const t of expected) if (!predicted.has(t)) fn++;
  }
  const setP = ratio(tp, tp + fp);
  const setR = ratio(tp, tp + fn);
  const setF1 = setP === null || setR === null ? null : setP + setR === 0 ? 0 : (2 * setP * setR) / (setP + setR);

  const fullyLabelled = rows.filter((r) => r.expected.verdict && r.expected.severity && r.expected.threatType);
  const exact = fullyLabelled.filter((r) =>
    (['verdict', 'severity', 'threatType', 'technique'] as const).every((f) => {
      const p = fieldPair(f, r);
      return p !== null && p.expected === p.predicted;
    }),
  ).length;

  const timed = rows.filter((r) => r.error === null);
  const latencies = timed.map((r) => r.latencyMs);
  const genMs = timed.reduce((a, r) => a + r.latencyMs, 0);
  const genTokens = timed.reduce((a, r) => a + r.completionTokens, 0);
  const priced = rows.filter((r) => r.costUsd !== null);

  const metrics: ModelEvalMetrics = {
    modelId: info.modelId,
    modelName: info.modelName,
    kind: info.kind,
    done: rows.length,
    total: info.total,
    valid,
    invalid: rows.length - valid,
    invalidRate: ratio(rows.length - valid, rows.length),
    accuracy: fields.verdict.accuracy,
    exactMatch: ratio(exact, fullyLabelled.length),
    fields,
    techniqueSet: { precision: setP, recall: setR, f1: setF1 },
    criticalRecall: recallOf(fields.severity, 'critical'),
    highPrecision: precisionOf(fields.severity, 'high'),
    fpr: falsePositiveRate(verdictPairs),
    badges: [],
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      mean: latencies.length ? genMs / latencies.length : null,
    },
    tokensPerSecond: genMs > 0 ? genTokens / (genMs / 1000) : null,
    examplesPerSecond: info.wallMs > 0 ? rows.length / (info.wallMs / 1000) : null,
    promptTokens: rows.reduce((a, r) => a + r.promptTokens, 0),
    completionTokens: rows.reduce((a, r) => a + r.completionTokens, 0),
    costUsd: info.kind === 'local_gguf' || !priced.length ? null : priced.reduce((a, r) => a + r.costUsd!, 0),
    parallel: info.parallel,
  };
  metrics.badges = badgesOf(headline(metrics));
  return metrics;
}

/** The numbers charts, triggers and gates compare. */
export function headline(m: ModelEvalMetrics): Record<EvalMetric, number | null> {
  return {
    accuracy: m.accuracy,
    verdictMacroF1: m.fields.verdict.macroF1,
    severityMacroF1: m.fields.severity.macroF1,
    threatTypeMacroF1: m.fields.threatType.macroF1,
    techniqueMacroF1: m.fields.technique.macroF1,
    criticalRecall: m.criticalRecall,
    highPrecision: m.highPrecision,
    fpr: m.fpr,
    invalidRate: m.invalidRate,
  };
}

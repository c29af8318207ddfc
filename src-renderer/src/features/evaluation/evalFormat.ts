import type { EvalField, EvalMetric } from '../../api/contract';

export function pct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(digits)}%`;
}

export const FIELD_LABEL: Record<EvalField, string> = {
  verdict: 'Verdict',
  severity: 'Severity',
  threatType: 'Threat type',
  technique: 'Primary technique',
};

/** Short labels for chart legends and selectors. */
export const METRIC_SHORT: Record<EvalMetric, string> = {
  accuracy: 'Accuracy',
  verdictMacroF1: 'Verdict macro-F1',
  severityMacroF1: 'Severity macro-F1',
  threatTypeMacroF1: 'Threat type macro-F1',
  techniqueMacroF1: 'Technique macro-F1',
  criticalRecall: 'Critical recall',
  highPrecision: 'High precision',
  fpr: 'False-positive rate',
  invalidRate: 'Invalid outputs',
};

/** How a class label reads in a matrix header. */
export function classLabel(label: string): string {
  if (label === '<invalid>') return 'invalid';
  return label.replace(/_/g, ' ');
}

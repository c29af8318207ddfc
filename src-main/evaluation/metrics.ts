/** Classification metrics for evaluation runs. Pure functions; hand-checked in test/evaluation. */

export interface ConfusionMatrix {
  /** Class labels in a fixed order (expected ∪ predicted, plus any declared classes). */
  labels: string[];
  /** cells[i][j] = count of items whose expected label is labels[i] and predicted label is labels[j]. */
  cells: number[][];
}

export interface ClassMetrics {
  label: string;
  support: number;
  predicted: number;
  truePositives: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

export interface ClassificationReport {
  total: number;
  correct: number;
  accuracy: number | null;
  macroF1: number | null;
  perClass: ClassMetrics[];
  confusion: ConfusionMatrix;
}

/** The label used for an answer that could not be parsed. It counts as wrong and is never a "class" of its own in macro-F1. */
export const INVALID = '<invalid>';

export function confusionMatrix(
  pairs: readonly { expected: string; predicted: string }[],
  declared: readonly string[] = [],
): ConfusionMatrix {
  const labels = [...declared];
  const add = (l: string) => {
    if (!labels.includes(l)) labels.push(l);
  };
  for (const p of pairs) add(p.expected);
  for (const p of pairs) add(p.predicted);
  const index = new Map(labels.map((l, i) => [l, i]));
  const cells = labels.map(() => labels.map(() => 0));
  for (const p of pairs) cells[index.get(p.expected)!]![index.get(p.predicted)!]!++;
  return { labels, cells };
}

function ratio(n: number, d: number): number | null {
  return d === 0 ? null : n / d;
}

/**
 * Per-class precision/recall/F1 and macro-F1. The macro average runs over the classes that occur in the
 * expected labels: a class that was only predicted is reported (precision 0) but not averaged.
 */
export function classificationReport(
  pairs: readonly { expected: string; predicted: string }[],
  declared: readonly string[] = [],
): ClassificationReport {
  const confusion = confusionMatrix(pairs, declared);
  const { labels, cells } = confusion;
  const perClass: ClassMetrics[] = labels
    .filter((l) => l !== INVALID)
    .map((label) => {
      const i = labels.indexOf(label);
      const tp = cells[i]![i]!;
      const support = cells[i]!.reduce((a, b) => a + b, 0);
      const predicted = cells.reduce((a, row) => a + row[i]!, 0);
      const precision = ratio(tp, predicted);
      const recall = ratio(tp, support);
      const f1 =
        precision === null || recall === null
          ? support === 0 && predicted === 0
            ? null
            : 0
          : precision + recall === 0
            ? 0
            : (2 * precision * recall) / (precision + recall);
      return { label, support, predicted, truePositives: tp, precision, recall, f1 };
    });
  const correct = pairs.filter((p) => p.expected === p.predicted).length;
  const averaged = perClass.filter((c) => c.support > 0);
  const macroF1 = averaged.length ? averaged.reduce((a, c) => a + (c.f1 ?? 0), 0) / averaged.length : null;
  return { total: pairs.length, correct, accuracy: ratio(correct, pairs.length), macroF1, perClass, confusion };
}

/** Wilson score interval for a proportion (z = 1.96 → 95%). */
export function wilsonInterval(
  successes: number,
  trials: number,
  z = 1.959964,
): { low: number; high: number; p: number } | null {
  if (trials <= 0) return null;
  const p = successes / trials;
  const z2 = z * z;
  const denom = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denom;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half), p };
}

/** Nearest-rank percentile of a list of numbers (p in [0, 100]). */
export function percentile(values: readonly number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Recall of one class (e.g. critical severity), null when the class never occurs. */
export function recallOf(report: ClassificationReport, label: string): number | null {
  return report.perClass.find((c) => c.label === label)?.recall ?? null;
}

export function precisionOf(report: ClassificationReport, label: string): number | null {
  return report.perClass.find((c) => c.label === label)?.precision ?? null;
}

/**
 * False-positive rate of the triage verdict: of the items that are really benign or false positives,
 * the share the model called a true positive.
 */
export function falsePositiveRate(
  pairs: readonly { expected: string; predicted: string }[],
  positive = 'true_positive',
): number | null {
  const negatives = pairs.filter((p) => p.expected !== positive);
  return ratio(negatives.filter((p) => p.predicted === positive).length, negatives.length);
}

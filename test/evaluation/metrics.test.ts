import { describe, expect, it } from 'vitest';
import {
  classificationReport,
  confusionMatrix,
  falsePositiveRate,
  INVALID,
  percentile,
  wilsonInterval,
} from '../../src-main/evaluation/metrics';

const pairs = (spec: [string, string, number][]) =>
  spec.flatMap(([expected, predicted, n]) => Array.from({ length: n }, () => ({ expected, predicted })));

describe('classification metrics (hand-computed)', () => {
  // expected\predicted  tp  benign  fp
  // tp                   5     2     1
  // benign               1     3     0
  // fp                   0     1     2
  const data = pairs([
    ['tp', 'tp', 5],
    ['tp', 'benign', 2],
    ['tp', 'fp', 1],
    ['benign', 'tp', 1],
    ['benign', 'benign', 3],
    ['fp', 'benign', 1],
    ['fp', 'fp', 2],
  ]);

  it('builds the confusion matrix', () => {
    expect(confusionMatrix(data)).toEqual({
      labels: ['tp', 'benign', 'fp'],
      cells: [
        [5, 2, 1],
        [1, 3, 0],
        [0, 1, 2],
      ],
    });
  });

  it('computes accuracy, per-class P/R/F1 and macro-F1', () => {
    const r = classificationReport(data);
    expect(r.total).toBe(15);
    expect(r.correct).toBe(10);
    expect(r.accuracy).toBeCloseTo(10 / 15, 10);
    const tp = r.perClass.find((c) => c.label === 'tp')!;
    expect(tp.precision).toBeCloseTo(5 / 6, 10);
    expect(tp.recall).toBeCloseTo(5 / 8, 10);
    expect(tp.f1).toBeCloseTo((2 * (5 / 6) * (5 / 8)) / (5 / 6 + 5 / 8), 10);
    const benign = r.perClass.find((c) => c.label === 'benign')!;
    expect(benign.precision).toBeCloseTo(3 / 6, 10);
    expect(benign.recall).toBeCloseTo(3 / 4, 10);
    const fp = r.perClass.find((c) => c.label === 'fp')!;
    expect(fp.precision).toBeCloseTo(2 / 3, 10);
    expect(fp.recall).toBeCloseTo(2 / 3, 10);
    const f1 = (p: number, q: number) => (2 * p * q) / (p + q);
    expect(r.macroF1).toBeCloseTo((f1(5 / 6, 5 / 8) + f1(1 / 2, 3 / 4) + f1(2 / 3, 2 / 3)) / 3, 10);
  });

  it('handles a declared class nobody expected or predicted (empty class)', () => {
    const r = classificationReport(pairs([['a', 'a', 2]]), ['a', 'b']);
    const b = r.perClass.find((c) => c.label === 'b')!;
    expect(b).toMatchObject({ support: 0, predicted: 0, precision: null, recall: null, f1: null });
    expect(r.macroF1).toBe(1);
    expect(r.confusion.cells).toEqual([
      [2, 0],
      [0, 0],
    ]);
  });

  it('all wrong: accuracy 0, F1 0, precision of a never-correct predicted class 0', () => {
    const r = classificationReport(
      pairs([
        ['a', 'b', 3],
        ['b', 'a', 2],
      ]),
    );
    expect(r.accuracy).toBe(0);
    expect(r.macroF1).toBe(0);
    for (const c of r.perClass) expect(c).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });

  it('a class predicted but never expected has precision 0 and no recall, and is not averaged', () => {
    const r = classificationReport(
      pairs([
        ['a', 'a', 1],
        ['a', 'z', 1],
      ]),
    );
    const z = r.perClass.find((c) => c.label === 'z')!;
    expect(z).toMatchObject({ support: 0, predicted: 1, precision: 0, recall: null, f1: 0 });
    expect(r.macroF1).toBeCloseTo((2 * 1 * 0.5) / 1.5, 10);
  });

  it('invalid answers count as wrong but are not a class', () => {
    const r = classificationReport(
      pairs([
        ['a', 'a', 1],
        ['a', INVALID, 1],
      ]),
    );
    expect(r.accuracy).toBe(0.5);
    expect(r.perClass.map((c) => c.label)).toEqual(['a']);
    expect(r.perClass[0]!.recall).toBe(0.5);
    expect(r.perClass[0]!.precision).toBe(1);
  });

  it('no items at all', () => {
    const r = classificationReport([]);
    expect(r).toMatchObject({ total: 0, accuracy: null, macroF1: null, perClass: [] });
  });

  it('false-positive rate of the verdict', () => {
    expect(
      falsePositiveRate(
        pairs([
          ['true_positive', 'true_positive', 3],
          ['benign', 'true_positive', 1],
          ['benign', 'benign', 3],
        ]),
      ),
    ).toBeCloseTo(1 / 4, 10);
    expect(falsePositiveRate(pairs([['true_positive', 'benign', 2]]))).toBeNull();
  });
});

describe('intervals and percentiles', () => {
  it('Wilson interval matches reference values', () => {
    // Reference: 8 of 10 → [0.4902, 0.9433] (Wilson, z = 1.96).
    const w = wilsonInterval(8, 10)!;
    expect(w.low).toBeCloseTo(0.4902, 3);
    expect(w.high).toBeCloseTo(0.9433, 3);
    // 0 of 20 → [0, 0.1611]
    const zero = wilsonInterval(0, 20)!;
    expect(zero.low).toBe(0);
    expect(zero.high).toBeCloseTo(0.1611, 3);
    // 50 of 100 → [0.4038, 0.5962]
    const half = wilsonInterval(50, 100)!;
    expect(half.low).toBeCloseTo(0.4038, 3);
    expect(half.high).toBeCloseTo(0.5962, 3);
    expect(wilsonInterval(0, 0)).toBeNull();
  });

  it('nearest-rank percentiles', () => {
    expect(percentile([15, 20, 35, 40, 50], 50)).toBe(35);
    expect(percentile([15, 20, 35, 40, 50], 95)).toBe(50);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([], 50)).toBeNull();
  });
});

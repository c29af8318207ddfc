import { describe, expect, it } from 'vitest';
import type { EvaluationExpected } from '../../src-main/contract/index';
import { parseTriageAnswer, normaliseThreatType } from '../../src-main/evaluation/parseTriageAnswer';
import { scoreModel, type ScoredRow } from '../../src-main/evaluation/scoreModel';
import { costOf, priceFor, DEFAULT_INFERENCE_PRICES } from '../../src-main/evaluation/prices';

const e = (
  verdict: EvaluationExpected['verdict'],
  severity: EvaluationExpected['severity'],
  threatType: string | null,
  techniques: string[] = [],
): EvaluationExpected => ({ verdict, severity, threatType, techniques });

const row = (
  expected: EvaluationExpected,
  predicted: EvaluationExpected | null,
  latencyMs = 100,
  extra: Partial<ScoredRow> = {},
): ScoredRow => ({
  expected,
  predicted,
  latencyMs,
  promptTokens: 10,
  completionTokens: 20,
  costUsd: null,
  error: null,
  ...extra,
});

const info = { modelId: 1, modelName: 'm', kind: 'local_gguf' as const, total: 6, wallMs: 3000, parallel: 2 };

describe('scoring one model (hand-computed)', () => {
  // expected → predicted
  // 1 TP/critical/Credential Access [T1110]    → TP/critical/credential-access [T1110, T1078]
  // 2 TP/critical/execution [T1059.001]        → TP/high/execution [T1059.001]
  // 3 benign/low/discovery []                  → TP/high/discovery []            (a false positive)
  // 4 FP/info/discovery []                     → FP/info/discovery []
  // 5 benign/medium/execution [T1059]          → invalid
  // 6 TP/high/exfiltration [T1041]             → TP/high/exfiltration [T1048]
  const rows = [
    row(
      e('true_positive', 'critical', 'Credential Access', ['T1110']),
      e('true_positive', 'critical', 'credential-access', ['T1110', 'T1078']),
      100,
    ),
    row(
      e('true_positive', 'critical', 'execution', ['T1059.001']),
      e('true_positive', 'high', 'execution', ['T1059.001']),
      200,
    ),
    row(e('benign', 'low', 'discovery'), e('true_positive', 'high', 'discovery'), 300),
    row(e('false_positive', 'info', 'discovery'), e('false_positive', 'info', 'discovery'), 400),
    row(e('benign', 'medium', 'execution', ['T1059']), null, 500),
    row(
      e('true_positive', 'high', 'exfiltration', ['T1041']),
      e('true_positive', 'high', 'exfiltration', ['T1048']),
      600,
    ),
  ];
  const m = scoreModel(info, rows);

  it('verdict: accuracy, per-class scores, macro-F1, FPR', () => {
    // TP: support 3, predicted 4 (rows 1,2,3,6), tp 3 → P 0.75 R 1 F1 6/7
    // benign: support 2, predicted 0 → P null R 0 F1 0;  FP: support 1, predicted 1, tp 1 → F1 1
    expect(m.accuracy).toBeCloseTo(4 / 6);
    const tp = m.fields.verdict.perClass.find((c) => c.label === 'true_positive')!;
    expect([tp.precision, tp.recall, tp.f1]).toEqual([0.75, 1, 6 / 7]);
    expect(m.fields.verdict.macroF1).toBeCloseTo((6 / 7 + 0 + 1) / 3);
    // negatives: rows 3, 4, 5 → one called a true positive
    expect(m.fpr).toBeCloseTo(1 / 3);
    expect(m.fields.verdict.confusion.labels).toEqual(['true_positive', 'benign', 'false_positive', '<invalid>']);
    expect(m.fields.verdict.confusion.cells[1]).toEqual([1, 0, 0, 1]);
  });

  it('severity: recall on critical, precision on high', () => {
    // critical: support 2, predicted critical once (row 1) → recall 0.5
    expect(m.criticalRecall).toBe(0.5);
    // predicted high: rows 2, 3, 6 → only row 6 is high → 1/3
    expect(m.highPrecision).toBeCloseTo(1 / 3);
    expect(m.badges.map((b) => b.pass)).toEqual([false, false, false]);
  });

  it('threat types are compared normalised; techniques as primary id and as sets', () => {
    expect(normaliseThreatType('Credential Access')).toBe('credential_access');
    expect(normaliseThreatType('credential-access')).toBe('credential_access');
    expect(m.fields.threatType.accuracy).toBeCloseTo(5 / 6);
    // primary technique: rows 1,2,3,4 right ((none) counts as a class), 5 invalid, 6 wrong → 4/6
    expect(m.fields.technique.accuracy).toBeCloseTo(4 / 6);
    // sets: tp = T1110, T1059.001 = 2; fp = T1078, T1048 = 2; fn = T1059, T1041 = 2
    expect(m.techniqueSet).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5 });
  });

  it('invalid rate, latency percentiles, throughput, exact match', () => {
    expect(m.invalid).toBe(1);
    expect(m.invalidRate).toBeCloseTo(1 / 6);
    expect(m.latencyMs).toEqual({ p50: 300, p95: 600, mean: 350 });
    // 120 tokens over 2.1 s of generation; 6 examples in 3 s of wall time
    expect(m.tokensPerSecond).toBeCloseTo(120 / 2.1);
    expect(m.examplesPerSecond).toBeCloseTo(2);
    // all four fields right (primary technique only): rows 1 and 4
    expect(m.exactMatch).toBeCloseTo(2 / 6);
    expect(m.costUsd).toBeNull();
  });

  it('an all-wrong run and an empty run', () => {
    const wrong = scoreModel(info, [
      row(e('benign', 'low', 'x'), null),
      row(e('true_positive', 'critical', 'y'), null),
    ]);
    expect(wrong.accuracy).toBe(0);
    expect(wrong.fields.verdict.macroF1).toBe(0);
    expect(wrong.invalidRate).toBe(1);
    expect(wrong.criticalRecall).toBe(0);
    expect(wrong.highPrecision).toBeNull();
    expect(wrong.badges[1]!.pass).toBeNull();
    const empty = scoreModel({ ...info, wallMs: 0 }, []);
    expect([empty.accuracy, empty.invalidRate, empty.latencyMs.p50, empty.examplesPerSecond]).toEqual([
      null,
      null,
      null,
      null,
    ]);
  });

  it('adds up the cost of remote answers', () => {
    const remote = scoreModel({ ...info, kind: 'openai' }, [
      row(e('benign', 'low', 'x'), null, 1, { costUsd: 0.25 }),
      row(e('benign', 'low', 'x'), null, 1, { costUsd: 0.5 }),
    ]);
    expect(remote.costUsd).toBe(0.75);
  });
});

describe('reading answers and prices', () => {
  it('takes the structured answer, the JSON text, or the first JSON object in prose', () => {
    const answer = { verdict: 'benign', threat_type: 'x', severity: 'low', techniques: ['T1078'], rationale: 'r' };
    expect(parseTriageAnswer('', answer)).toMatchObject({ ok: true });
    expect(parseTriageAnswer(JSON.stringify(answer), null)).toMatchObject({ ok: true });
    expect(parseTriageAnswer(`Here you go:\n\`\`\`json\n${JSON.stringify(answer)}\n\`\`\``, null)).toMatchObject({
      ok: true,
    });
    expect(parseTriageAnswer('{"verdict": "maybe"}', null)).toMatchObject({ ok: false });
    expect(parseTriageAnswer('no idea', null)).toEqual({ ok: false, reason: 'not JSON' });
    expect(parseTriageAnswer('{"verdict": "benign", "threat_type": "x", "sev', null)).toMatchObject({ ok: false });
  });

  it('prices fine-tunes and dated snapshots by their base', () => {
    expect(priceFor(DEFAULT_INFERENCE_PRICES, 'gpt-4o-mini')).toEqual({ input: 0.15, output: 0.6 });
    expect(priceFor(DEFAULT_INFERENCE_PRICES, 'gpt-4o-mini-2024-07-18')).toEqual({ input: 0.15, output: 0.6 });
    expect(priceFor(DEFAULT_INFERENCE_PRICES, 'ft:gpt-4o-mini-2024-07-18:acme::abc123')).toEqual({
      input: 0.3,
      output: 1.2,
    });
    expect(priceFor(DEFAULT_INFERENCE_PRICES, 'llama-3-8b')).toBeNull();
    expect(costOf({ input: 2, output: 10 }, 1000, 500)).toBeCloseTo(0.007);
  });
});

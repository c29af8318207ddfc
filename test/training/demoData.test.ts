import { describe, expect, it } from 'vitest';
import {
  buildDemoDataset,
  demoTrainingRecord,
  formatAnswer,
  majorityLabels,
  normaliseSeverity,
  parentTechnique,
  parseAnswer,
  scoreLabel,
} from '../../src-main/demo/demoData';
import { preTokenize, SPACE, trainVocab } from '../../src-main/demo/demoTokenizer';

describe('demo labels', () => {
  it('maps Panther and Sigma metadata onto verdict, severity and technique', () => {
    expect(normaliseSeverity('Informational')).toBe('info');
    expect(normaliseSeverity('High')).toBe('high');
    expect(normaliseSeverity('weird')).toBeNull();
    expect(parentTechnique(['TA0004:T1078.004'])).toBe('T1078');
    expect(parentTechnique(['attack.execution', 'attack.t1059.001'])).toBe('T1059');
    expect(parentTechnique([])).toBe('none');
  });

  it('formats and parses the compact answer', () => {
    const a = formatAnswer({ verdict: 'benign', severity: 'critical', technique: 'T1562' });
    expect(a).toBe('verdict: benign severity: critical technique: T1562');
    expect(parseAnswer(` ${a}`)).toEqual({ verdict: 'benign', severity: 'critical', technique: 'T1562' });
    expect(parseAnswer('verdict: maybe severity: loud')).toEqual({ verdict: null, severity: null, technique: null });
  });

  it('builds examples from the labelled samples with honest ground truth', () => {
    const ds = buildDemoDataset({ seed: 7 });
    expect(ds.examples.length).toBeGreaterThan(900);
    const sources = new Set(ds.examples.map((e) => e.source));
    expect([...sources].sort()).toEqual(['aws-cloudtrail', 'kubernetes-audit', 'microsoft-365', 'windows-sysmon']);
    // Sigma regression events are all positive detections; Panther tests carry both outcomes
    expect(
      ds.examples.filter((e) => e.source === 'windows-sysmon').every((e) => e.labels.verdict === 'true_positive'),
    ).toBe(true);
    const ct = ds.examples.filter((e) => e.source === 'aws-cloudtrail');
    expect(new Set(ct.map((e) => e.labels.verdict))).toEqual(new Set(['true_positive', 'benign']));
    // the prompt never carries the labels
    for (const e of ds.examples) {
      expect(e.alertText).not.toMatch(/verdict|expected_alert|severity:/i);
      const r = demoTrainingRecord(e);
      expect(r.prompt.endsWith('<|assistant|>\n')).toBe(true);
      expect(r.answer.endsWith('<|end|>')).toBe(true);
    }
  });
});

describe('leak-free split', () => {
  it('keeps every rule and every source record in one split', () => {
    const ds = buildDemoDataset({ seed: 42 });
    const splitOfRule = new Map<string, string>();
    const splitOfEvent = new Map<string, string>();
    for (const e of ds.examples) {
      expect(splitOfRule.get(e.ruleKey) ?? e.split).toBe(e.split);
      expect(splitOfEvent.get(e.eventHash) ?? e.split).toBe(e.split);
      splitOfRule.set(e.ruleKey, e.split);
      splitOfEvent.set(e.eventHash, e.split);
    }
    expect(ds.test.length).toBeGreaterThan(150);
    expect(ds.val.length).toBeGreaterThan(50);
    expect(new Set(ds.test.map((e) => e.source)).size).toBe(4);
  });

  it('is deterministic for a seed and different across seeds', () => {
    const a = buildDemoDataset({ seed: 1 }).test.map((e) => e.id);
    const b = buildDemoDataset({ seed: 1 }).test.map((e) => e.id);
    const c = buildDemoDataset({ seed: 2 }).test.map((e) => e.id);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('scores accuracy, macro-F1 and per-class recall; the majority baseline comes from train', () => {
    const s = scoreLabel(['a', 'a', 'b', 'c'], ['a', 'b', 'b', null]);
    expect(s.accuracy).toBe(0.5);
    expect(s.recall).toEqual({ a: 0.5, b: 1, c: 0 });
    expect(s.unparsed).toBe(1);
    const m = majorityLabels([
      { labels: { verdict: 'benign', severity: 'low', technique: 'none' } },
      { labels: { verdict: 'benign', severity: 'high', technique: 'T1' } },
      { labels: { verdict: 'true_positive', severity: 'high', technique: 'T1' } },
    ]);
    expect(m).toEqual({ verdict: 'benign', severity: 'high', technique: 'T1' });
  });
});

describe('demo vocabulary', () => {
  it('pre-tokenizes like llama.cpp writes spaces', () => {
    expect(preTokenize('alert: AWS root\neventName=StopLogging')).toEqual([
      `${SPACE}alert`,
      ':',
      `${SPACE}AWS`,
      `${SPACE}root`,
      'eventName',
      '=',
      'StopLogging',
    ]);
  });

  it('learns merges deterministically and makes forced words single tokens with all prefixes', () => {
    const texts = ['the quick brown fox', 'the quick red fox', 'the lazy dog', 'quick quick quick'];
    const a = trainVocab(texts, { merges: 20, forcedWords: ['T1078'] });
    const b = trainVocab(texts, { merges: 20, forcedWords: ['T1078'] });
    expect(a).toEqual(b);
    expect(a.tokens).toContain(`${SPACE}quick`);
    for (const p of ['T1', 'T10', 'T107', 'T1078', `${SPACE}T`, `${SPACE}T1078`]) expect(a.tokens).toContain(p);
    expect(a.tokens.slice(0, 3)).toEqual(['<unk>', '<s>', '</s>']);
    expect(a.tokens).toContain('<0x0A>');
  });
});

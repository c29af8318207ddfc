import { describe, expect, it } from 'vitest';
import type { Candidate } from '../../src-main/datasets/types';
import { dedupExamples, normaliseText } from '../../src-main/datasets/dedupExamples';
import { splitDataset } from '../../src-main/datasets/splitDataset';
import { applyLimits } from '../../src-main/datasets/applyLimits';
import { defaultEpochs, estimateCost } from '../../src-main/datasets/costEstimate';
import { chatTokens, createTokenCounter } from '../../src-main/datasets/countTokens';
import { mulberry32 } from '../../src-main/datasets/prng';
import { words } from './helpers';

function cand(
  i: number,
  over: Partial<Candidate> & { text?: string; verdict?: Candidate['labels']['verdict'] } = {},
): Candidate {
  return {
    conversationId: i,
    title: `c${i}`,
    task: 'triage',
    groupKey: over.groupKey ?? `g${i}`,
    labelledAt: i,
    labels: {
      verdict:
        over.verdict === undefined ? (['true_positive', 'benign', 'false_positive'] as const)[i % 3]! : over.verdict,
      threatType: null,
      severity: (['low', 'high'] as const)[i % 2]!,
      techniques: [],
      quality: 3,
      labeller: 'a',
      sourceKind: 'imported_alert',
    },
    example: {
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: over.text ?? words(i, 30) },
        { role: 'assistant', content: words(i + 777, 10) },
      ],
    },
  };
}

describe('dedup', () => {
  it('normalises case, whitespace, numbers, hex, IPs and timestamps', () => {
    expect(normaliseText('Login  FROM 10.0.0.1 at 2024-05-01T10:11:12Z pid 4242 hash deadbeef00112233')).toBe(
      'login from <ip> at <ts> pid <n> hash <hex>',
    );
  });

  it('collapses the same rule firing 500 times to the kept count, and keeps distinct alerts', () => {
    const firings = Array.from({ length: 500 }, (_, i) => {
      const c = cand(i, {
        text: `Rule "Suspicious kubectl exec into privileged pod" fired for pod web-${i} from 10.0.${i % 250}.${i % 7} at 2024-05-01T10:${String(i % 60).padStart(2, '0')}:00Z; namespace prod; user system:serviceaccount:ci:deployer; verb create; subresource exec; command /bin/sh -c id`,
      });
      c.example.messages[2]!.content = 'True positive: interactive shell in a privileged pod.';
      return c;
    });
    const distinct = Array.from({ length: 40 }, (_, i) => cand(1000 + i));
    const one = dedupExamples([...firings, ...distinct], { threshold: 0.9, keepPerCluster: 1 });
    expect(one.kept.length).toBe(41);
    expect(one.droppedExact + one.droppedNear).toBe(499);
    const three = dedupExamples([...firings, ...distinct], { threshold: 0.9, keepPerCluster: 3 });
    expect(three.kept.length).toBe(43);
  });

  it('finds near duplicates that differ in a few words', () => {
    const base = words(5, 60);
    const a = cand(1, { text: base });
    const b = cand(2, { text: `${base} extra` });
    b.example.messages[2]!.content = a.example.messages[2]!.content;
    const c = cand(3);
    const r = dedupExamples([a, b, c], { threshold: 0.9, keepPerCluster: 1 });
    expect(r.kept.map((x) => x.conversationId)).toEqual([1, 3]);
    expect(r.droppedNear).toBe(1);
    expect(r.clusters).toEqual([{ kind: 'near', keptConversationIds: [1], droppedConversationIds: [2] }]);
    // With the bar at 1.0 only exact copies collapse.
    expect(dedupExamples([a, b, c], { threshold: 1, keepPerCluster: 1 }).kept).toHaveLength(3);
  });
});

describe('split', () => {
  const items = Array.from({ length: 300 }, (_, i) => cand(i, { groupKey: `incident-${i % 70}` }));

  it('never puts one group in two splits', () => {
    const r = splitDataset(items, { validation: 0.2, test: 0.1, stratifyBy: 'verdict', seed: 7 });
    const splitOf = new Map<string, string>();
    for (const a of r.assigned) {
      const key = a.item.groupKey;
      expect(splitOf.get(key) ?? a.split).toBe(a.split);
      splitOf.set(key, a.split);
    }
    expect(r.groups).toBe(70);
    expect(r.counts.train + r.counts.validation + r.counts.test).toBe(300);
    expect(r.counts.validation / 300).toBeGreaterThan(0.1);
    expect(r.counts.validation / 300).toBeLessThan(0.3);
  });

  it('keeps near-duplicate clusters together', () => {
    const clusterOf = new Map(items.map((c) => [c.conversationId, `cluster:${c.conversationId % 5}`]));
    const r = splitDataset(items, { validation: 0.2, test: 0.1, stratifyBy: 'verdict', seed: 1, clusterOf });
    // Five clusters bridge every group into five unions.
    expect(r.groups).toBe(5);
    const byCluster = new Map<string, Set<string>>();
    for (const a of r.assigned) {
      const k = clusterOf.get(a.item.conversationId)!;
      byCluster.set(k, (byCluster.get(k) ?? new Set()).add(a.split));
    }
    for (const s of byCluster.values()) expect(s.size).toBe(1);
  });

  it('is reproducible: same seed same split, another seed another split', () => {
    const sig = (seed: number) =>
      splitDataset(items, { validation: 0.2, test: 0.1, stratifyBy: 'verdict', seed })
        .assigned.map((a) => a.split)
        .join();
    expect(sig(42)).toBe(sig(42));
    expect(sig(42)).not.toBe(sig(43));
  });

  it('stratifies each label across the splits', () => {
    const r = splitDataset(items, { validation: 0.2, test: 0.2, stratifyBy: 'verdict_severity', seed: 3 });
    for (const l of r.byLabel) {
      expect(l.train).toBeGreaterThan(0);
      expect(l.validation).toBeGreaterThan(0);
    }
  });
});

describe('limits', () => {
  it('samples above the maximum, seeded and stratified', () => {
    const items = Array.from({ length: 3000 }, (_, i) =>
      cand(i, { verdict: i % 10 === 0 ? 'true_positive' : 'benign' }),
    );
    const a = applyLimits(items, { min: 50, max: 1000, seed: 9, stratifyBy: 'verdict' });
    expect(a.items).toHaveLength(1000);
    expect(a.sampled).toBe(true);
    expect(a.items.filter((c) => c.labels.verdict === 'true_positive')).toHaveLength(100);
    const b = applyLimits(items, { min: 50, max: 1000, seed: 9, stratifyBy: 'verdict' });
    expect(b.items.map((c) => c.conversationId)).toEqual(a.items.map((c) => c.conversationId));
    const c = applyLimits(items, { min: 50, max: 1000, seed: 10, stratifyBy: 'verdict' });
    expect(c.items.map((x) => x.conversationId)).not.toEqual(a.items.map((x) => x.conversationId));
  });

  it('flags fewer than the minimum', () => {
    expect(applyLimits([cand(1)], { min: 50, max: 1000, seed: 1, stratifyBy: 'verdict' }).belowMin).toBe(true);
  });
});

describe('tokens and cost', () => {
  it("uses the cookbook's per-message overhead", async () => {
    const ex = {
      messages: [
        { role: 'user' as const, content: 'hi' },
        { role: 'assistant' as const, content: 'yo', name: 'bot' },
      ],
    };
    const oneEach = (s: string) => (s ? 1 : 0);
    // 3 (reply priming) + 2 × (3 + role + content) + name (1 + 1)
    expect(chatTokens(ex, oneEach)).toBe(3 + 2 * (3 + 1 + 1) + 2);
    const counter = await createTokenCounter({ kind: 'openai', model: 'gpt-4o-mini-2024-07-18' });
    expect(counter).toMatchObject({ tokenizer: 'exact', encoding: 'o200k_base', limit: 65_536 });
    expect(counter.count({ messages: [{ role: 'user', content: 'Hello world' }] })).toBe(3 + 3 + 1 + 2);
    // Special-token text is data, not control.
    expect(counter.count({ messages: [{ role: 'user', content: '<|endoftext|>' }] })).toBeGreaterThan(6);
  });

  it('reports local targets without a loaded tokenizer as approximate', async () => {
    expect(await createTokenCounter({ kind: 'local_gguf', model: 'qwen' })).toMatchObject({
      tokenizer: 'approximate',
      limit: 8192,
    });
    expect(
      await createTokenCounter({ kind: 'local_gguf', model: 'qwen', localTokenize: (s) => s.length }),
    ).toMatchObject({
      tokenizer: 'exact',
    });
  });

  it("follows the cookbook's default-epochs rule", () => {
    expect(defaultEpochs(10)).toBe(10);
    expect(defaultEpochs(3)).toBe(25);
    expect(defaultEpochs(1000)).toBe(3);
    expect(defaultEpochs(20_000)).toBe(1);
    expect(defaultEpochs(5000)).toBe(3);
    expect(defaultEpochs(10_000)).toBe(2);
    const est = estimateCost({
      model: 'gpt-4o-mini-2024-07-18',
      trainTokenCounts: [1000, 2000, 70_000],
      limit: 65_536,
      prices: { 'gpt-4o-mini-2024-07-18': 3 },
    });
    expect(est.epochs).toBe(25);
    expect(est.billedTokensPerEpoch).toBe(1000 + 2000 + 65_536);
    expect(est.usd).toBeCloseTo(((68_536 * 25) / 1e6) * 3, 4);
    expect(
      estimateCost({
        model: 'ft:gpt-4o-mini-2024-07-18:org::x',
        trainTokenCounts: [10],
        limit: 100,
        epochs: 2,
        prices: { 'gpt-4o-mini-2024-07-18': 3 },
      }).usdPerMillion,
    ).toBe(3);
  });

  it('mulberry32 is deterministic', () => {
    const a = mulberry32(5);
    const b = mulberry32(5);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});

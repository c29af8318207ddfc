import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TriageAnswerSchema, WorkbenchError, triageGrammarSchema } from '../../src-main/contract/index';
import { writeTinyModel } from '../../src-main/gguf/tinyModel';
import { LocalModelRuntime, type LocalChatRequest } from '../../src-main/runtime/local/workerClient';
import type { ChatResult } from '../../src-main/runtime/provider';

// The worker's `batch` message: several prompts on parallel sequences of one context.
let dir: string;
let model: LocalChatRequest;
let runtime: LocalModelRuntime;
const schema = triageGrammarSchema(['T1078', 'T1110', 'T1059.001']);
const turns = (i: number) => [
  { role: 'system' as const, content: 'You are a SOC analyst. Answer with JSON.' },
  { role: 'user' as const, content: `Alert ${i}: ${i * 7} failed ssh logins for root from 203.0.113.${i}.` },
];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-batch-'));
  const file = path.join(dir, 'tiny.gguf');
  const info = writeTinyModel(file, { seed: 11 });
  model = {
    modelPath: file,
    modelBytes: info.bytes,
    trainContextLength: 2048,
    runtime: { threads: 1, contextSize: 512 },
  };
  runtime = new LocalModelRuntime();
});

afterAll(async () => {
  await runtime.dispose();
});

describe('parallel sequences in the model worker', () => {
  it('answers every item once, on the sequences asked for, with schema-valid JSON', async () => {
    const got = new Map<string, ChatResult | WorkbenchError>();
    const items = Array.from({ length: 6 }, (_, i) => ({
      key: `k${i}`,
      turns: turns(i),
      maxTokens: 300,
      temperature: 0,
      jsonSchema: schema,
    }));
    const out = await runtime.chatBatch(model, items, { parallel: 3, onItem: (k, r) => got.set(k, r) });
    expect(out).toEqual({ parallel: 3, stopped: false });
    expect([...got.keys()].sort()).toEqual(items.map((i) => i.key).sort());
    for (const r of got.values()) {
      expect(r).not.toBeInstanceOf(WorkbenchError);
      const result = r as ChatResult;
      expect(result.completionTokens).toBeGreaterThan(0);
      expect(result.promptTokens).toBeGreaterThan(10);
      const parsed = TriageAnswerSchema.safeParse(result.structured);
      if (result.completionTokens < 300) expect(parsed.success, result.text).toBe(true);
    }
  });

  it('gives the same greedy answer as a single chat for a prompt', async () => {
    const single = await runtime.chat(model, turns(2), { maxTokens: 40, temperature: 0 });
    const got = new Map<string, ChatResult | WorkbenchError>();
    await runtime.chatBatch(
      model,
      [0, 1, 2].map((i) => ({ key: `k${i}`, turns: turns(i), maxTokens: 40, temperature: 0 })),
      { parallel: 3, onItem: (k, r) => got.set(k, r) },
    );
    const batched = got.get('k2') as ChatResult;
    // Batched decoding may differ in the last float bits; the start of a greedy answer must agree.
    expect(batched.text.slice(0, 10)).toBe(single.text.slice(0, 10));
  });

  it('stops every item when aborted and keeps serving afterwards', async () => {
    const abort2 = new AbortController();
    const items: string[] = [];
    const started = Date.now();
    const p = runtime.chatBatch(
      model,
      Array.from({ length: 8 }, (_, i) => ({
        key: `b${i}`,
        turns: turns(i),
        maxTokens: 4000,
        temperature: 0.8,
        seed: i,
      })),
      { parallel: 2, signal: abort2.signal, onItem: (k) => items.push(k) },
    );
    setTimeout(() => abort2.abort(), 300);
    const res = await p;
    expect(res.stopped).toBe(true);
    expect(items.length).toBeLessThan(8);
    expect(Date.now() - started).toBeLessThan(6000);
    const after = await runtime.chat(model, turns(1), { maxTokens: 5, temperature: 0 });
    expect(after.completionTokens).toBeGreaterThan(0);
  });

  async function batchOf(items: Parameters<LocalModelRuntime['chatBatch']>[1], parallel = 2) {
    const got = new Map<string, ChatResult>();
    await runtime.chatBatch(model, items, {
      parallel,
      onItem: (k, r) => {
        if (r instanceof WorkbenchError) throw r;
        got.set(k, r);
      },
    });
    return got;
  }

  it('stops at maxTokens exactly, and at a stop string with the string cut off', async () => {
    const plain = (await batchOf([{ key: 'a', turns: turns(3), maxTokens: 24, temperature: 0 }])).get('a')!;
    // A random-weight model does not end its answer: it runs to the limit.
    expect(plain.completionTokens).toBe(24);
    expect(plain.text.length).toBeGreaterThan(6);
    // A stop string taken from inside the greedy answer: the same prompt stops there, without the string.
    const stop = plain.text.slice(4, 7);
    const stopped = (await batchOf([{ key: 'b', turns: turns(3), maxTokens: 24, temperature: 0, stop: [stop] }])).get(
      'b',
    )!;
    expect(stopped.completionTokens).toBeLessThan(plain.completionTokens);
    expect(plain.text.startsWith(stopped.text)).toBe(true);
    expect(stopped.text).not.toContain(stop);
    expect(stopped.text.length).toBeLessThanOrEqual(plain.text.indexOf(stop));
  });

  it('answers the same when a sequence reuses the shared system-prompt prefix of its previous item', async () => {
    const items = [0, 1, 2, 3].map((i) => ({ key: `p${i}`, turns: turns(i), maxTokens: 16, temperature: 0 }));
    const first = await batchOf(items, 2);
    const again = await batchOf([...items].reverse(), 2);
    for (const it of items) expect(again.get(it.key)!.text).toBe(first.get(it.key)!.text);
    expect(first.get('p0')!.promptTokens).toBe(again.get('p0')!.promptTokens);
  });

  it('gives the same schema-constrained greedy answer as a single chat', async () => {
    const opts = { maxTokens: 300, temperature: 0, jsonSchema: schema };
    const single = await runtime.chat(model, turns(4), opts);
    const batched = (await batchOf([{ key: 'j', turns: turns(4), ...opts }])).get('j')!;
    expect(batched.text.slice(0, 40)).toBe(single.text.slice(0, 40));
    expect(batched.completionTokens).toBe(single.completionTokens);
    expect(batched.structured).toEqual(single.structured);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TriageAnswerSchema, WorkbenchError, triageGrammarSchema } from '../../src-main/contract/index';
import { writeTinyModel } from '../../src-main/gguf/tinyModel';
import {
  LocalModelRuntime,
  WORKER_ENV,
  forkLauncher,
  type LocalChatRequest,
} from '../../src-main/runtime/local/workerClient';
import type { ChatTurn } from '../../src-main/runtime/provider';

let dir: string;
let model: LocalChatRequest;
let runtime: LocalModelRuntime;
const turns: ChatTurn[] = [
  { role: 'system', content: 'You are a security analyst.' },
  { role: 'user', content: 'Triage this alert: 40 failed ssh logins for root from 203.0.113.7, then one success.' },
];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-runtime-'));
  const file = path.join(dir, 'tiny.gguf');
  const info = writeTinyModel(file);
  model = {
    modelPath: file,
    modelBytes: info.bytes,
    trainContextLength: 8192,
    runtime: { threads: 1, contextSize: 512 },
  };
  runtime = new LocalModelRuntime();
});

afterAll(async () => {
  await runtime.dispose();
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('local model runtime (worker process + node-llama-cpp)', () => {
  it('loads the generated tiny model and streams an answer', async () => {
    const tokens: string[] = [];
    const r = await runtime.chat(model, turns, { maxTokens: 24, temperature: 0, onToken: (t) => tokens.push(t) });
    expect(tokens.length).toBeGreaterThan(3);
    expect(r.text).toBe(tokens.join(''));
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.completionTokens).toBeGreaterThan(0);
    expect(r.completionTokens).toBeLessThanOrEqual(24);
    expect(r.promptTokens).toBeGreaterThan(10);
    expect(r.stopped).toBe(false);
    expect(r.firstTokenMs).not.toBeNull();
    expect(r.latencyMs).toBeGreaterThanOrEqual(r.firstTokenMs!);
  });

  it('reuses the loaded model across requests in the same worker', async () => {
    const pid = runtime.workerPid;
    expect(pid).toBeDefined();
    const r = await runtime.chat(model, turns, { maxTokens: 8, temperature: 0 });
    expect(runtime.workerPid).toBe(pid);
    expect(r.completionTokens).toBeGreaterThan(0);
  });

  it('keeps the partial answer when aborted mid-stream', async () => {
    const abort = new AbortController();
    let seen = '';
    const r = await runtime.chat(model, turns, {
      maxTokens: 2000,
      temperature: 0,
      signal: abort.signal,
      onToken: (t) => {
        seen += t;
        if (seen.length > 10) abort.abort();
      },
    });
    expect(r.stopped).toBe(true);
    expect(r.text.length).toBeGreaterThan(0);
    expect(seen.startsWith(r.text) || r.text.startsWith(seen)).toBe(true);
    expect(r.completionTokens).toBeLessThan(2000);
  });

  it('constrains decoding to the triage JSON schema', async () => {
    const schema = triageGrammarSchema(['T1078', 'T1110', 'T1110.001', 'T1021.004']);
    const r = await runtime.chat(model, turns, { maxTokens: 1500, temperature: 0.8, seed: 7, jsonSchema: schema });
    expect(r.stopped).toBe(false);
    const parsed = TriageAnswerSchema.safeParse(r.structured);
    expect(parsed.success, JSON.stringify(r.structured)).toBe(true);
    expect(JSON.parse(r.text)).toEqual(r.structured);
  });

  it('turns a killed worker into an error, and the next request gets a fresh worker', async () => {
    await runtime.chat(model, turns, { maxTokens: 2, temperature: 0 });
    const pid = runtime.workerPid!;
    let killed = false;
    const failing = runtime.chat(model, turns, {
      maxTokens: 5000,
      temperature: 0,
      onToken: () => {
        if (!killed) {
          killed = true;
          process.kill(pid, 'SIGKILL');
        }
      },
    });
    await expect(failing).rejects.toMatchObject({
      code: 'model_failed',
      message: expect.stringMatching(/stopped unexpectedly/),
    });
    const r = await runtime.chat(model, turns, { maxTokens: 6, temperature: 0 });
    expect(r.completionTokens).toBeGreaterThan(0);
    expect(runtime.workerPid).not.toBe(pid);
  });

  it('reports a native load failure and keeps serving', async () => {
    const notAModel = path.join(dir, 'not-a-model.gguf');
    fs.writeFileSync(notAModel, 'definitely not gguf');
    await expect(runtime.chat({ ...model, modelPath: notAModel }, turns, { maxTokens: 4 })).rejects.toBeInstanceOf(
      WorkbenchError,
    );
    const r = await runtime.chat(model, turns, { maxTokens: 4, temperature: 0 });
    expect(r.completionTokens).toBeGreaterThan(0);
  });

  it('says so plainly when the conversation does not fit in the context', async () => {
    const huge: ChatTurn[] = [{ role: 'system', content: `Alert: ${'{"k": "v"}, '.repeat(400)}` }, turns[1]!];
    await expect(runtime.chat(model, huge, { maxTokens: 8, temperature: 0 })).rejects.toThrow(
      /does not fit in the model's context window/,
    );
    const r = await runtime.chat(model, turns, { maxTokens: 4, temperature: 0 });
    expect(r.completionTokens).toBeGreaterThan(0);
  });

  it('refuses a model bigger than memory with the numbers', async () => {
    await expect(runtime.chat({ ...model, modelBytes: os.totalmem() * 2 }, turns, { maxTokens: 4 })).rejects.toThrow(
      /needs about [\d.]+ GiB of memory; this machine has [\d.]+ GiB/,
    );
  });

  it('kills a worker whose load hangs, and says so', async () => {
    const silent = fileURLToPath(new URL('./fixtures/silentWorker.mjs', import.meta.url));
    const hung = new LocalModelRuntime({
      launcher: forkLauncher({ entry: { file: silent, execArgv: [] } }),
      loadTimeoutMs: 400,
    });
    try {
      const pending = hung.chat(model, turns, { maxTokens: 4 });
      await new Promise((r) => setTimeout(r, 100));
      const pid = hung.workerPid!;
      expect(pid).toBeDefined();
      await expect(pending).rejects.toMatchObject({
        code: 'model_failed',
        message: expect.stringMatching(/took longer than/),
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(isAlive(pid)).toBe(false);
    } finally {
      await hung.dispose();
    }
  });

  it('starts workers with one libuv pool thread, whatever the caller passes', async () => {
    expect(WORKER_ENV.UV_THREADPOOL_SIZE).toBe('1');
    const file = fileURLToPath(new URL('./fixtures/envWorker.mjs', import.meta.url));
    const handle = forkLauncher({ entry: { file, execArgv: [] }, env: { UV_THREADPOOL_SIZE: '8' } }).launch();
    const msg = await new Promise<unknown>((resolve) => handle.onMessage(resolve));
    expect(msg).toEqual({ type: 'env', uvThreadpoolSize: '1' });
  });
});

import fs from 'node:fs';
import { z } from 'zod';
import {
  TRIAGE_ANSWER_JSON_SCHEMA,
  WorkbenchError,
  triageGrammarSchema,
  type EvaluationOptions,
} from '../contract/index';
import { attackTechniqueIds } from '../chat/techniqueIds';
import type { ServiceRegistry } from '../core/capability';
import type { Db } from '../db/connection';
import type { ModelRecord } from '../models/modelsRepo';
import type { LocalChatRequest, RuntimeDefaults } from '../runtime/local/workerClient';
import type { ChatProvider, ChatResult } from '../runtime/provider';
import { getSetting } from '../settings/settingsRepo';
import type { EvalExample } from './evalExamples';

/** What came back for one example: an answer, or a failure that is scored as an invalid answer. */
export type ExampleOutcome = { ok: true; result: ChatResult } | { ok: false; error: string };

export interface AnswerOptions {
  db: Db;
  services: ServiceRegistry;
  model: ModelRecord;
  examples: readonly EvalExample[];
  options: EvaluationOptions;
  signal: AbortSignal;
  onOutcome(example: EvalExample, outcome: ExampleOutcome): void;
}

/** Errors that mean every request will fail the same way: the run stops (and can be resumed) instead. */
const FATAL: readonly string[] = ['unauthorized', 'forbidden', 'not_found', 'model_invalid', 'cancelled'];

const RuntimeSetting = z
  .object({
    threads: z.number().int().min(1).max(256).optional(),
    contextSize: z.number().int().min(256).max(1_048_576).optional(),
    gpuLayers: z.number().int().min(0).max(10_000).optional(),
    gpu: z.boolean().optional(),
  })
  .strip();

function runtimeSettings(db: Db): Partial<RuntimeDefaults> {
  const parsed = RuntimeSetting.safeParse(getSetting(db, 'runtime.local') ?? {});
  if (!parsed.success) return {};
  return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as Partial<RuntimeDefaults>;
}

/** A per-example seed that does not change when a run is resumed with fewer examples left. */
export function exampleSeed(base: number, ref: string): number {
  let h = 2166136261;
  for (let i = 0; i < ref.length; i++) h = Math.imul(h ^ ref.charCodeAt(i), 16777619);
  return (base + (h >>> 0)) % 0x1_0000_0000;
}

export function localRequest(db: Db, model: ModelRecord): LocalChatRequest {
  if (!model.path) throw new WorkbenchError('model_invalid', `"${model.name}" has no model file.`);
  if (!fs.existsSync(model.path)) {
    throw new WorkbenchError('not_found', `The file of "${model.name}" is missing; add the model again or archive it.`);
  }
  return {
    modelPath: model.path,
    ...(model.info?.sizeBytes ? { modelBytes: model.info.sizeBytes } : {}),
    trainContextLength: model.info?.contextLength ?? null,
    parameterCount: model.info?.parameterCount ?? null,
    runtime: runtimeSettings(db),
  };
}

export function remoteProvider(services: ServiceRegistry, model: ModelRecord): ChatProvider {
  if (model.kind === 'local_gguf') throw new Error('not a remote model');
  let remote;
  try {
    remote = services.get('remoteProviders');
  } catch {
    throw new WorkbenchError('provider_error', 'Remote models are not available in this build.');
  }
  return remote.forModel({
    id: model.id,
    kind: model.kind,
    endpointId: model.endpointId,
    remoteModel: model.remoteModel,
  });
}

/**
 * Asks one model every example. Local models: chunks of examples on parallel sequences of the model worker
 * (a chunk at a time, so a chat request waits at most one chunk). Remote models: up to `concurrency`
 * requests in flight. Returns the parallelism actually used.
 */
export async function answerExamples(o: AnswerOptions): Promise<number> {
  if (!o.examples.length) return 0;
  return o.model.kind === 'local_gguf' ? answerLocal(o) : answerRemote(o);
}

async function answerLocal(o: AnswerOptions): Promise<number> {
  const runtime = o.services.get('localRuntime');
  const req = localRequest(o.db, o.model);
  const jsonSchema = triageGrammarSchema(attackTechniqueIds());
  const byRef = new Map(o.examples.map((e) => [e.ref, e]));
  const chunkSize = Math.max(o.options.parallel * 2, 1);
  let used = 0;
  for (let at = 0; at < o.examples.length && !o.signal.aborted; at += chunkSize) {
    const chunk = o.examples.slice(at, at + chunkSize);
    const out = await runtime.chatBatch(
      req,
      chunk.map((e) => ({
        key: e.ref,
        turns: e.turns,
        temperature: o.options.temperature,
        maxTokens: o.options.maxTokens,
        jsonSchema,
        seed: exampleSeed(o.options.seed, e.ref),
      })),
      {
        parallel: o.options.parallel,
        signal: o.signal,
        onItem: (key, outcome) => {
          const example = byRef.get(key);
          if (!example) return;
          if (outcome instanceof WorkbenchError) o.onOutcome(example, { ok: false, error: outcome.message });
          else if (!outcome.stopped) o.onOutcome(example, { ok: true, result: outcome });
        },
      },
    );
    used = Math.max(used, out.parallel);
  }
  return used;
}

async function answerRemote(o: AnswerOptions): Promise<number> {
  const provider = remoteProvider(o.services, o.model);
  const limit = Math.max(1, o.options.concurrency);
  let next = 0;
  let fatal: unknown = null;
  const worker = async () => {
    while (!o.signal.aborted && fatal === null) {
      const example = o.examples[next++];
      if (!example) return;
      let outcome: ExampleOutcome | null = null;
      for (let attempt = 1; attempt <= 2 && outcome === null; attempt++) {
        try {
          const result = await provider.chat(example.turns, {
            temperature: o.options.temperature,
            maxTokens: o.options.maxTokens,
            jsonSchema: { ...TRIAGE_ANSWER_JSON_SCHEMA },
            seed: exampleSeed(o.options.seed, example.ref),
            signal: o.signal,
          });
          if (result.stopped) return;
          outcome = { ok: true, result };
        } catch (err) {
          if (o.signal.aborted) return;
          const code = err instanceof WorkbenchError ? err.code : 'internal';
          if (FATAL.includes(code)) {
            fatal = err;
            return;
          }
          if (attempt === 2) {
            outcome = {
              ok: false,
              error: err instanceof WorkbenchError ? err.message : 'The request failed.',
            };
          }
        }
      }
      if (outcome) o.onOutcome(example, outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, o.examples.length) }, worker));
  if (fatal) throw fatal;
  return Math.min(limit, o.examples.length);
}

import { z } from 'zod';

/**
 * The one message protocol between the workbench and the model worker process. Both sides parse every
 * message they receive: the worker runs native code that can fail in odd ways, and the parent is the
 * only thing the worker should trust.
 */

export const LoadOptionsSchema = z
  .object({
    modelPath: z.string().min(1).max(4096),
    contextSize: z.number().int().min(64).max(1_048_576),
    threads: z.number().int().min(1).max(256),
    /** 0 keeps every layer on the CPU. */
    gpuLayers: z.number().int().min(0).max(10_000),
    gpu: z.boolean(),
  })
  .strict();
export type LoadOptions = z.infer<typeof LoadOptionsSchema>;

export const TurnSchema = z
  .object({ role: z.enum(['system', 'user', 'assistant', 'tool']), content: z.string() })
  .strict();

export const GenerateOptionsSchema = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().min(1).max(131_072).optional(),
    stop: z.array(z.string().min(1)).max(16).optional(),
    jsonSchema: z.record(z.string(), z.unknown()).optional(),
    seed: z.number().int().min(0).optional(),
  })
  .strict();
export type GenerateOptions = z.infer<typeof GenerateOptionsSchema>;

const RequestId = z.string().min(1).max(64);

export const BatchItemSchema = z
  .object({
    key: z.string().min(1).max(200),
    turns: z.array(TurnSchema).min(1).max(10_000),
    options: GenerateOptionsSchema,
  })
  .strict();
export type BatchItem = z.infer<typeof BatchItemSchema>;

export const ToWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('load'), id: RequestId, options: LoadOptionsSchema }).strict(),
  z
    .object({
      type: z.literal('chat'),
      id: RequestId,
      turns: z.array(TurnSchema).min(1).max(10_000),
      options: GenerateOptionsSchema,
    })
    .strict(),
  /**
   * Several independent prompts answered on parallel sequences of one context (evaluation): llama.cpp
   * decodes the sequences' tokens in shared batches. No token stream; one `batchItem` per prompt, then
   * `batchDone`. `abort` with the batch id stops every item.
   */
  z
    .object({
      type: z.literal('batch'),
      id: RequestId,
      items: z.array(BatchItemSchema).min(1).max(1000),
      parallel: z.number().int().min(1).max(64),
    })
    .strict(),
  z.object({ type: z.literal('abort'), id: RequestId }).strict(),
  z.object({ type: z.literal('unload'), id: RequestId }).strict(),
  z.object({ type: z.literal('ping'), id: RequestId }).strict(),
]);
export type ToWorker = z.infer<typeof ToWorkerSchema>;

export const WorkerResultSchema = z
  .object({
    text: z.string(),
    structured: z.unknown(),
    promptTokens: z.number().int().min(0),
    completionTokens: z.number().int().min(0),
    latencyMs: z.number().int().min(0),
    firstTokenMs: z.number().int().min(0).nullable(),
    stopped: z.boolean(),
    stopReason: z.string(),
  })
  .strict();
export type WorkerResult = z.infer<typeof WorkerResultSchema>;

export const LoadedInfoSchema = z
  .object({
    reused: z.boolean(),
    loadMs: z.number().int().min(0),
    contextSize: z.number().int(),
    threads: z.number().int(),
    gpu: z.string(),
    gpuLayers: z.number().int(),
  })
  .strict();
export type LoadedInfo = z.infer<typeof LoadedInfoSchema>;

export const WORKER_ERROR_CODES = [
  'model_invalid',
  'model_failed',
  'out_of_memory',
  'not_loaded',
  'bad_request',
  'internal',
] as const;

export const FromWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), pid: z.number().int() }).strict(),
  z.object({ type: z.literal('loaded'), id: RequestId, info: LoadedInfoSchema }).strict(),
  z.object({ type: z.literal('token'), id: RequestId, text: z.string() }).strict(),
  z.object({ type: z.literal('result'), id: RequestId, result: WorkerResultSchema }).strict(),
  z.object({ type: z.literal('batchItem'), id: RequestId, key: z.string(), result: WorkerResultSchema }).strict(),
  z
    .object({ type: z.literal('batchItemError'), id: RequestId, key: z.string(), message: z.string().max(2000) })
    .strict(),
  /** `parallel`: the sequences actually used (fewer than asked when memory was short). */
  z.object({ type: z.literal('batchDone'), id: RequestId, parallel: z.number().int().min(1) }).strict(),
  z.object({ type: z.literal('unloaded'), id: RequestId }).strict(),
  z.object({ type: z.literal('pong'), id: RequestId, loaded: z.string().nullable() }).strict(),
  z
    .object({
      type: z.literal('error'),
      id: RequestId.nullable(),
      code: z.enum(WORKER_ERROR_CODES),
      message: z.string().max(2000),
    })
    .strict(),
  z
    .object({ type: z.literal('log'), level: z.enum(['info', 'warn', 'error']), message: z.string().max(4000) })
    .strict(),
]);
export type FromWorker = z.infer<typeof FromWorkerSchema>;

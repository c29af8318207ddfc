import { z } from 'zod';
import { action, query } from '../define';
import { Empty, Id, TaskSchema, type ModelKind, type Task } from '../common';

/** What the pure-JS pre-flight reads from a GGUF header. */
export interface GgufSummary {
  ggufVersion: number;
  architecture: string;
  name: string | null;
  parameterCount: number;
  /** The file type people know (Q4_K_M, F16 …), or the dominant tensor type when the file does not say. */
  quantization: string;
  fileType: string | null;
  dominantTensorType: string;
  contextLength: number | null;
  embeddingLength: number | null;
  blockCount: number | null;
  vocabSize: number | null;
  hasChatTemplate: boolean;
  tensorCount: number;
  sizeBytes: number;
}

export type ModelStorage = 'reference' | 'copy' | 'generated';

export interface ModelSummary {
  id: number;
  name: string;
  kind: ModelKind;
  /** Local models: where the file is (in the data dir for copies and the demo model). */
  path: string | null;
  sha256: string | null;
  storage: ModelStorage | null;
  /** Header summary of a local model, as read when it was added. */
  info: GgufSummary | null;
  endpointId: number | null;
  remoteModel: string | null;
  parentModelId: number | null;
  archived: boolean;
  /** Tasks this model is the active (preferred) model for. */
  activeFor: Task[];
  createdAt: number;
}

export interface ActiveModelChange {
  task: Task;
  modelId: number;
  previousModelId: number | null;
}

const LocalPath = z.string().trim().min(1).max(4096);

export const modelCommands = {
  'models.list': query<{ items: ModelSummary[] }>()(z.object({ includeArchived: z.boolean().default(false) }).strict()),
  'models.get': query<ModelSummary>()(z.object({ id: Id }).strict()),
  'models.inspect': query<GgufSummary>()(z.object({ path: LocalPath }).strict()),
  'models.addLocal': action<ModelSummary>()(
    z
      .object({
        path: LocalPath,
        mode: z.enum(['reference', 'copy']).default('reference'),
        name: z.string().trim().min(1).max(200).optional(),
      })
      .strict(),
  ),
  'models.addRemote': action<ModelSummary>()(
    z
      .object({
        endpointId: Id,
        remoteModel: z.string().trim().min(1).max(200),
        name: z.string().trim().min(1).max(200),
      })
      .strict(),
  ),
  'models.archive': action<ModelSummary>()(z.object({ id: Id, archived: z.boolean().default(true) }).strict()),
  'models.ensureDemo': action<ModelSummary>()(Empty),
  'models.setActive': action<ActiveModelChange>()(z.object({ task: TaskSchema, modelId: Id }).strict()),
} as const;

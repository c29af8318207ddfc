import fs from 'node:fs';
import path from 'node:path';
import { WorkbenchError, type ModelSummary } from '../contract/index';
import type { Capability, HandlerContext } from '../core/capability';
import type { Db } from '../db/connection';
import { readGgufHeader } from '../gguf/ggufReader';
import { getSetting } from '../settings/settingsRepo';
import { ensureDemoModel } from './demoModel';
import { copyModelIntoWorkspace, sha256File } from './modelFiles';
import {
  endpointKind,
  findModelBySha,
  getModelSummary,
  insertModel,
  listModels,
  setActiveModel,
  setModelArchived,
} from './modelsRepo';

function summaryOrThrow(db: Db, id: number): ModelSummary {
  const m = getModelSummary(db, id);
  if (!m) throw new WorkbenchError('not_found', `Model ${id} does not exist.`);
  return m;
}

function requireAbsolute(p: string): string {
  if (!path.isAbsolute(p)) throw new WorkbenchError('bad_input', 'Give the full path to the model file.');
  return path.normalize(p);
}

async function addLocal(
  args: { path: string; mode: 'reference' | 'copy'; name?: string | undefined },
  ctx: HandlerContext,
): Promise<ModelSummary> {
  const source = requireAbsolute(args.path);
  // Pre-flight: only the header is read; a bad file never reaches llama.cpp.
  const header = await readGgufHeader(source);
  let filePath = source;
  let sha256: string;
  if (args.mode === 'copy') {
    const copied = await copyModelIntoWorkspace(source, ctx.dataDir, ctx.signal);
    filePath = copied.path;
    sha256 = copied.sha256;
  } else {
    sha256 = await sha256File(source, ctx.signal);
  }
  const duplicate = findModelBySha(ctx.db, sha256);
  if (duplicate && !duplicate.archived) {
    if (args.mode === 'copy' && filePath !== source) fs.rmSync(filePath, { force: true });
    throw new WorkbenchError('conflict', `This model file is already registered as "${duplicate.name}".`);
  }
  const fallbackName = header.summary.name ?? path.basename(source).replace(/\.gguf$/i, '');
  const id = insertModel(ctx.db, {
    name: args.name ?? fallbackName,
    kind: 'local_gguf',
    path: filePath,
    sha256,
    storage: args.mode,
    info: header.summary,
  });
  if (ctx.audit) {
    ctx.audit.subject = String(id);
    ctx.audit.details = { mode: args.mode, file: path.basename(source), sha256 };
  }
  ctx.bus.emit('models.changed', { ids: [id] });
  return summaryOrThrow(ctx.db, id);
}

export const modelsCapability: Capability = {
  name: 'models',
  async start({ db, dataDir, log }) {
    // First start of a workspace: the demo model is generated (about a megabyte, no native code) and
    // registered so the Triage chat works out of the box. Later starts find the setting and do nothing.
    if (getSetting(db, 'models.demo_id') !== undefined) return;
    try {
      await ensureDemoModel(db, dataDir, log, { revive: false });
    } catch (err) {
      log.error('could not set up the demo model', { error: String(err) });
    }
  },
  handlers: {
    'models.list': (args, { db }) => ({ items: listModels(db, args.includeArchived) }),
    'models.get': (args, { db }) => summaryOrThrow(db, args.id),
    'models.inspect': async (args) => (await readGgufHeader(requireAbsolute(args.path))).summary,
    'models.addLocal': (args, ctx) => addLocal(args, ctx),
    'models.addRemote': (args, { db, bus, audit }) => {
      const kind = endpointKind(db, args.endpointId);
      if (!kind) throw new WorkbenchError('not_found', `Endpoint ${args.endpointId} does not exist.`);
      const id = insertModel(db, { name: args.name, kind, endpointId: args.endpointId, remoteModel: args.remoteModel });
      if (audit) audit.subject = String(id);
      bus.emit('models.changed', { ids: [id] });
      return summaryOrThrow(db, id);
    },
    'models.archive': (args, { db, bus }) => {
      const model = summaryOrThrow(db, args.id);
      if (args.archived && model.activeFor.length) {
        throw new WorkbenchError(
          'conflict',
          `"${model.name}" is the active model for ${model.activeFor.join(', ')}. Make another model active first.`,
        );
      }
      setModelArchived(db, args.id, args.archived);
      bus.emit('models.changed', { ids: [args.id] });
      return summaryOrThrow(db, args.id);
    },
    'models.ensureDemo': async (_args, { db, dataDir, log, bus, audit }) => {
      const id = await ensureDemoModel(db, dataDir, log, { revive: true });
      if (audit) audit.subject = String(id);
      bus.emit('models.changed', { ids: [id] });
      return summaryOrThrow(db, id);
    },
    'models.setActive': (args, { db, bus, audit }) => {
      const model = summaryOrThrow(db, args.modelId);
      if (model.archived)
        throw new WorkbenchError('conflict', `"${model.name}" is archived; restore it before making it active.`);
      const change = setActiveModel(db, args.task, args.modelId);
      if (audit) audit.subject = args.task;
      const touched = [args.modelId, ...(change.previousModelId ? [change.previousModelId] : [])];
      bus.emit('models.changed', { ids: touched });
      return change;
    },
  },
};

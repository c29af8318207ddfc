import { TASKS, WorkbenchError, type RegistryChange, type Task } from '../contract/index';
import type { Capability, HandlerContext } from '../core/capability';
import type { Db } from '../db/connection';
import { getModelRecord, setActiveModel } from '../models/modelsRepo';
import { buildModelCard } from './modelCard';
import {
  activeRow,
  activeRows,
  getVersion,
  insertHistory,
  lineageOf,
  listHistory,
  listVersions,
  promotedFrom,
  setLineage,
  setPrevious,
} from './registryRepo';

function usableModel(db: Db, id: number, verb: string) {
  const m = getModelRecord(db, id);
  if (!m) throw new WorkbenchError('not_found', `Model ${id} does not exist.`);
  if (m.archived) throw new WorkbenchError('conflict', `"${m.name}" is archived; restore it before you ${verb} it.`);
  return m;
}

function announce(ctx: Pick<HandlerContext, 'bus'>, change: RegistryChange): void {
  ctx.bus.emit('registry.changed', { task: change.task, modelId: change.modelId, action: change.action });
  ctx.bus.emit('models.changed', {
    ids: [change.modelId, ...(change.previousModelId ? [change.previousModelId] : [])],
  });
}

/** Promote: the active model of a task becomes this one (models.setActive's rule), and the step is recorded. */
export function promote(db: Db, task: Task, modelId: number, actor: string, reason: string): RegistryChange {
  usableModel(db, modelId, 'promote');
  return db.transaction(() => {
    const before = activeRow(db, task);
    const change = setActiveModel(db, task, modelId);
    if (before?.model_id !== modelId) {
      insertHistory(db, { task, action: 'promote', modelId, fromModelId: before?.model_id ?? null, actor, reason });
    }
    return { ...change, action: 'promote' as const };
  })();
}

/**
 * Roll back: the task returns to the model that was active before the current one. The target's own
 * predecessor (from when it was promoted) becomes the next roll-back target, so repeated roll-backs walk
 * back through the promotions.
 */
export function rollback(db: Db, task: Task, actor: string, reason: string): RegistryChange {
  const row = activeRow(db, task);
  if (!row || row.previous_model_id === null) {
    throw new WorkbenchError('conflict', `There is no earlier ${task} model to roll back to.`);
  }
  const target = usableModel(db, row.previous_model_id, 'roll back to');
  return db.transaction(() => {
    setActiveModel(db, task, target.id);
    const next = promotedFrom(db, task, target.id);
    const previous = next !== null && next !== target.id && getModelRecord(db, next) ? next : null;
    setPrevious(db, task, previous);
    insertHistory(db, { task, action: 'rollback', modelId: target.id, fromModelId: row.model_id, actor, reason });
    return { task, modelId: target.id, previousModelId: previous, action: 'rollback' as const };
  })();
}

function card(db: Db, modelId: number) {
  const v = getVersion(db, modelId);
  if (!v) throw new WorkbenchError('not_found', `Model ${modelId} does not exist.`);
  return buildModelCard(db, v);
}

/** Model versions with lineage and cards; the active model per task with promote and roll-back. */
export const registryCapability: Capability = {
  name: 'registry',
  handlers: {
    'registry.versions': (args, { db }) => ({ items: listVersions(db, args.includeArchived) }),
    'registry.card': (args, { db }) => card(db, args.modelId),
    'registry.active': (_args, { db }) => {
      const name = (id: number | null) => (id === null ? null : (getModelRecord(db, id)?.name ?? `Model ${id}`));
      return {
        tasks: [...TASKS],
        items: activeRows(db).map((r) => ({
          task: r.task,
          modelId: r.model_id,
          modelName: name(r.model_id)!,
          previousModelId: r.previous_model_id,
          previousModelName: name(r.previous_model_id),
          updatedAt: r.updated_at,
        })),
      };
    },
    'registry.promote': (args, ctx) => {
      const change = promote(ctx.db, args.task, args.modelId, ctx.actor, args.reason);
      if (ctx.audit) ctx.audit.subject = args.task;
      announce(ctx, change);
      return change;
    },
    'registry.rollback': (args, ctx) => {
      const change = rollback(ctx.db, args.task, ctx.actor, args.reason);
      if (ctx.audit) {
        ctx.audit.subject = args.task;
        ctx.audit.details = { ...args, modelId: change.modelId };
      }
      announce(ctx, change);
      return change;
    },
    'registry.history': (args, { db }) => ({ items: listHistory(db, args.task, args.limit) }),
    'registry.setLineage': (args, { db, bus, audit }) => {
      if (!getModelRecord(db, args.modelId))
        throw new WorkbenchError('not_found', `Model ${args.modelId} does not exist.`);
      if (args.parentModelId !== undefined && args.parentModelId !== null) {
        if (!getModelRecord(db, args.parentModelId)) {
          throw new WorkbenchError('not_found', `Model ${args.parentModelId} does not exist.`);
        }
        if (lineageOf(db, args.parentModelId).some((l) => l.id === args.modelId)) {
          throw new WorkbenchError('bad_input', 'A model cannot descend from itself.');
        }
      }
      if (args.datasetVersionId !== undefined && args.datasetVersionId !== null) {
        if (!db.prepare('SELECT 1 FROM dataset_versions WHERE id = ?').get(args.datasetVersionId)) {
          throw new WorkbenchError('not_found', `Dataset version ${args.datasetVersionId} does not exist.`);
        }
      }
      setLineage(db, args.modelId, {
        ...(args.parentModelId !== undefined ? { parentModelId: args.parentModelId } : {}),
        ...(args.datasetVersionId !== undefined ? { datasetVersionId: args.datasetVersionId } : {}),
        ...(args.hyperparameters !== undefined ? { hyperparameters: args.hyperparameters } : {}),
      });
      if (audit) audit.subject = String(args.modelId);
      bus.emit('models.changed', { ids: [args.modelId] });
      return card(db, args.modelId);
    },
  },
};

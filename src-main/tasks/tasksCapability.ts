import type { Capability } from '../core/capability';
import { activeModelIds } from '../models/modelsRepo';
import { TASK_PRESETS } from './taskPresets';

export const tasksCapability: Capability = {
  name: 'tasks',
  handlers: {
    'tasks.list': (_args, { db }) => {
      const active = activeModelIds(db);
      return { items: TASK_PRESETS.map((p) => ({ ...p, preferredModelId: active.get(p.id) ?? null })) };
    },
  },
};

import { schemaVersion } from '../db/migrate';
import { listAudit } from '../audit/auditLog';
import { getSetting, setSetting } from '../settings/settingsRepo';
import { countConversations } from '../conversations/conversationsRepo';
import type { AppInfo, Task } from '../contract/index';
import type { Capability } from './capability';

export const APP_VERSION = '0.1.0';

export function appCapability(host: AppInfo['host']): Capability {
  return {
    name: 'app',
    handlers: {
      'app.info': (_args, { db, dataDir }) => {
        const active = db
          .prepare(
            'SELECT a.task, a.model_id AS modelId, m.name AS modelName FROM active_models a JOIN models m ON m.id = a.model_id ORDER BY a.task',
          )
          .all() as { task: Task; modelId: number; modelName: string }[];
        const pending = db.prepare("SELECT COUNT(*) AS n FROM reviews WHERE status = 'pending'").get() as { n: number };
        const models = db.prepare('SELECT COUNT(*) AS n FROM models WHERE archived = 0').get() as { n: number };
        return {
          version: APP_VERSION,
          dataDir,
          schemaVersion: schemaVersion(db),
          host,
          activeModels: active,
          counts: { conversations: countConversations(db), pendingReviews: pending.n, models: models.n },
        };
      },
      'settings.get': (args, { db }) => ({ key: args.key, value: getSetting(db, args.key) ?? null }),
      'settings.set': (args, { db, bus }) => {
        setSetting(db, args.key, args.value);
        bus.emit('settings.changed', { key: args.key });
        return { key: args.key, value: args.value };
      },
      'audit.list': (args, { db }) => ({ items: listAudit(db, args.limit) }),
    },
  };
}

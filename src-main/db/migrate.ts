import type { Database } from 'better-sqlite3';
import { migrations as allMigrations, LATEST_SCHEMA_VERSION } from './migrations/index';
import type { Migration } from './migrations/types';
import { WorkbenchError } from '../contract/errors';

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the DB to the latest schema. Each migration runs in its own transaction together with
 * its `user_version` bump, so a crash leaves the DB at a whole version. A DB written by a newer
 * build is refused rather than touched.
 */
export function migrate(db: Database, migrations: readonly Migration[] = allMigrations): number {
  const latest = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  const current = schemaVersion(db);
  if (current > latest) {
    throw new WorkbenchError(
      'db_too_new',
      `This workspace was written by a newer Triage Workbench (schema ${current}; this build knows ${latest}). Update the app; the data was not changed.`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.up);
      db.pragma(`user_version = ${Number(m.version)}`);
    })();
  }
  return schemaVersion(db);
}

export { LATEST_SCHEMA_VERSION };

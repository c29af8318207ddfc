import BetterSqlite3, { type Database } from 'better-sqlite3';
import { migrate, LATEST_SCHEMA_VERSION } from './migrate';
import { WorkbenchError } from '../contract/errors';

export type Db = Database;

/**
 * Opens (and migrates) the workspace DB with explicit pragmas.
 * `:memory:` is accepted for tests.
 */
export function openDatabase(file: string, opts: { readonly?: boolean } = {}): Db {
  let db: Database;
  try {
    db = new BetterSqlite3(file, { readonly: opts.readonly ?? false, timeout: 5000 });
  } catch (err) {
    throw new WorkbenchError('db_open_failed', `Could not open the workspace database: ${(err as Error).message}`);
  }
  try {
    // Nothing is written before we know the file is healthy and not from a newer build.
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') {
      throw new WorkbenchError(
        'db_corrupt',
        `The workspace database failed its integrity check (${String(check)}). It was left as it is.`,
      );
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > LATEST_SCHEMA_VERSION) {
      throw new WorkbenchError(
        'db_too_new',
        `This workspace was written by a newer Triage Workbench (schema ${version}; this build knows ${LATEST_SCHEMA_VERSION}). Update the app; the data was not changed.`,
      );
    }
    // WAL: readers (UI paging) never block the writer (imports, bulk approve) and commits are cheap.
    if (file !== ':memory:' && !opts.readonly) db.pragma('journal_mode = WAL');
    // NORMAL is crash-safe under WAL (a power loss may drop the last commit, never corrupt the DB).
    db.pragma('synchronous = NORMAL');
    // Foreign keys are off by default in SQLite; our cascades and RESTRICTs depend on them.
    db.pragma('foreign_keys = ON');
    // Wait for a lock held by another connection instead of failing at once.
    db.pragma('busy_timeout = 5000');
    // Temp b-trees (sorts, FTS merges) in memory: faster, and no stray temp files with user data.
    db.pragma('temp_store = MEMORY');
    if (!opts.readonly) migrate(db);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof WorkbenchError) throw err;
    const msg = (err as Error).message;
    if (/locked|busy/i.test(msg)) {
      throw new WorkbenchError(
        'db_locked',
        'The workspace database is locked by another process. Close the other Triage Workbench and try again.',
      );
    }
    if (/not a database|malformed/i.test(msg)) {
      throw new WorkbenchError('db_corrupt', `The workspace database is damaged (${msg}). It was left as it is.`);
    }
    throw new WorkbenchError('db_open_failed', `Could not open the workspace database: ${msg}`);
  }
}

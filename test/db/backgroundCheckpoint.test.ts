import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src-main/db/connection';
import { BackgroundCheckpointer, withBackgroundCheckpoint } from '../../src-main/db/backgroundCheckpoint';

const open: { db: Db; cp: BackgroundCheckpointer; dir: string }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.cp.close();
    o.db.close();
    fs.rmSync(o.dir, { recursive: true, force: true });
  }
});

function fileDb(): { db: Db; cp: BackgroundCheckpointer; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-ckpt-'));
  const file = path.join(dir, 'workbench.db');
  const db = openDatabase(file);
  db.exec('CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT NOT NULL) STRICT');
  const cp = new BackgroundCheckpointer(db);
  open.push({ db, cp, dir });
  return { db, cp, file };
}

const autocheckpoint = (db: Db) => Number(db.pragma('wal_autocheckpoint', { simple: true }));

/** ~2,500 pages: well past SQLite's automatic checkpoint at 1,000. */
function bigWrite(db: Db): number {
  const ins = db.prepare('INSERT INTO big (v) VALUES (?)');
  return db.transaction(() => {
    for (let i = 0; i < 5000; i++) ins.run(`${i} ${'x'.repeat(2000)}`);
    return 5000;
  })();
}

describe('background WAL checkpoint', () => {
  it('a large write commits without checkpointing; the worker copies every frame, then automatic checkpoints resume', async () => {
    const { db, cp } = fileDb();
    expect(autocheckpoint(db)).toBe(1000);
    expect(withBackgroundCheckpoint(cp, () => bigWrite(db))).toBe(5000);
    // Still off until the worker is done, so the next small commit here does not do the big copy itself.
    expect(autocheckpoint(db)).toBe(0);
    db.prepare("INSERT INTO big (v) VALUES ('audit-sized')").run();
    await cp.idle();
    expect(autocheckpoint(db)).toBe(1000);
    expect(cp.last).not.toBeNull();
    expect(cp.last!.log).toBeGreaterThan(1000);
    expect(cp.last!.checkpointed).toBe(cp.last!.log);
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(db.prepare('SELECT COUNT(*) FROM big').pluck().get()).toBe(5001);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('folds requests made while one runs into one more run, and leaves a value someone else set meanwhile', async () => {
    const { db, cp } = fileDb();
    withBackgroundCheckpoint(cp, () => bigWrite(db));
    withBackgroundCheckpoint(cp, () => bigWrite(db));
    db.pragma('wal_autocheckpoint = 5000'); // e.g. an import raising the interval for its duration
    await cp.idle();
    expect(autocheckpoint(db)).toBe(5000);
    expect(cp.last!.checkpointed).toBe(cp.last!.log);
    expect(db.prepare('SELECT COUNT(*) FROM big').pluck().get()).toBe(10_000);
  });

  it('an in-memory database just runs the write', async () => {
    const db = openDatabase(':memory:');
    const cp = new BackgroundCheckpointer(db);
    expect(cp.usable).toBe(false);
    db.exec('CREATE TABLE t (x INTEGER) STRICT');
    expect(withBackgroundCheckpoint(cp, () => db.prepare('INSERT INTO t VALUES (1)').run().changes)).toBe(1);
    await cp.idle();
    expect(cp.last).toBeNull();
    await cp.close();
    db.close();
  });

  it('closing waits for the running checkpoint and stops the worker; the database then closes cleanly', async () => {
    const { db, cp, file } = fileDb();
    withBackgroundCheckpoint(cp, () => bigWrite(db));
    await cp.close();
    expect(cp.last!.checkpointed).toBe(cp.last!.log);
    open.splice(0);
    db.close();
    // The last connection to close removes the WAL: nothing else still had the file open.
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });
});

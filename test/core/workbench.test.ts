import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';

let wb: Workbench | null = null;
afterEach(async () => {
  await wb?.close();
  wb = null;
});

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tw-core-'));
}

describe('createWorkbench', () => {
  it('seeds a new workspace once and reuses it', async () => {
    const dir = tmpDir();
    wb = await createWorkbench({ dataDir: dir });
    const first = await wb.invoke('conversations.list', {});
    expect(first.ok).toBe(true);
    const n = (first as { value: { total: number } }).value.total;
    expect(n).toBeGreaterThan(10);
    await wb.close();
    wb = await createWorkbench({ dataDir: dir });
    const second = await wb.invoke('conversations.list', {});
    expect((second as { value: { total: number } }).value.total).toBe(n);
  });

  it('returns typed errors for unknown commands and invalid payloads, and changes nothing', async () => {
    wb = await createWorkbench({ dataDir: tmpDir() });
    const before = wb.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get();
    expect(await wb.invoke('nope.nothing', {})).toEqual({
      ok: false,
      error: { code: 'unknown_command', message: 'Unknown command: nope.nothing' },
    });
    const bad = await wb.invoke('conversations.create', { title: 42 });
    expect(bad.ok).toBe(false);
    expect((bad as { error: { code: string } }).error.code).toBe('invalid_request');
    const extra = await wb.invoke('conversations.create', { title: 'x', evil: true });
    expect((extra as { error: { code: string } }).error.code).toBe('invalid_request');
    expect(wb.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get()).toEqual(before);
  });

  it('audits actions and searches with FTS', async () => {
    wb = await createWorkbench({ dataDir: tmpDir(), actor: 'alice' });
    const created = await wb.invoke('conversations.create', { title: 'Suspicious kerberoasting burst' });
    expect(created.ok).toBe(true);
    const audit = await wb.invoke('audit.list', { limit: 5 });
    const items = (audit as { value: { items: { actor: string; action: string }[] } }).value.items;
    expect(items[0]).toMatchObject({ actor: 'alice', action: 'conversations.create' });
    const found = await wb.invoke('conversations.list', { text: 'kerberoast' });
    expect((found as { value: { total: number } }).value.total).toBe(1);
  });
});

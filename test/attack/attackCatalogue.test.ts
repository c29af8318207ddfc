import { afterEach, describe, expect, it } from 'vitest';
import { attackCatalogue } from '../../src-main/attack/attackCatalogue';
import { emptyWorkbench, fails, ok, type TestWorkbench } from '../labels/labelFixtures';

describe('ATT&CK catalogue', () => {
  const cat = attackCatalogue();

  it('loads v18.1 with its tactics and techniques once', () => {
    expect(cat.version).toBe('18.1');
    expect(cat.tactics).toHaveLength(14);
    expect(cat.size).toBe(835);
    expect(attackCatalogue()).toBe(cat);
  });

  it('finds an exact id first, with its tactics', () => {
    const r = cat.search('T1059', { limit: 5 });
    expect(r.items[0]).toMatchObject({ id: 'T1059', name: 'Command and Scripting Interpreter', subtechnique: false });
    expect(r.items[0]!.tactics.map((t) => t.name)).toEqual(['Execution']);
    // the rest of the run are its sub-techniques
    expect(r.items.slice(1).every((t) => t.id.startsWith('T1059.'))).toBe(true);
    expect(r.total).toBeGreaterThan(10);
  });

  it('finds a sub-technique by full id, in any case, with its parent name', () => {
    const r = cat.search(' t1059.001 ', { limit: 5 });
    expect(r.items).toHaveLength(1);
    expect(r.items[0]).toMatchObject({
      id: 'T1059.001',
      name: 'PowerShell',
      parentName: 'Command and Scripting Interpreter',
    });
  });

  it('finds by id prefix, with or without the T', () => {
    const ids = cat.search('T105', { limit: 100 }).items.map((t) => t.id);
    expect(ids.length).toBeGreaterThan(3);
    expect(ids.every((id) => id.startsWith('T105'))).toBe(true);
    expect(ids).toContain('T1055');
    expect(cat.search('1110', { limit: 1 }).items[0]!.id).toBe('T1110');
  });

  it('finds by name words, prefixes included, best match first', () => {
    expect(cat.search('powershell', { limit: 3 }).items[0]!.id).toBe('T1059.001');
    const spray = cat.search('password spray', { limit: 3 }).items;
    expect(spray[0]).toMatchObject({ id: 'T1110.003', name: 'Password Spraying' });
    expect(cat.search('brute', { limit: 1 }).items[0]!.id).toBe('T1110');
    // words may come from the parent: "scripting powersh" finds PowerShell
    expect(cat.search('scripting powersh', { limit: 3 }).items.map((t) => t.id)).toContain('T1059.001');
  });

  it('leaves deprecated techniques out unless asked', () => {
    expect(cat.search('T1002', { limit: 5 }).items).toEqual([]);
    expect(cat.search('T1002', { limit: 5, includeDeprecated: true }).items[0]).toMatchObject({
      id: 'T1002',
      deprecated: true,
    });
  });

  it('answers a search in well under a millisecond on average', () => {
    const queries = ['T1', 'T1059', 'cred', 'password spray', 'valid accounts', 'exfil over', 'x'];
    const t0 = performance.now();
    for (let i = 0; i < 700; i++) cat.search(queries[i % queries.length]!, { limit: 20 });
    expect((performance.now() - t0) / 700).toBeLessThan(1);
  });

  it('maps techniques to tactics', () => {
    const cred = cat.techniquesOfTactic('TA0006');
    expect(cred).toContain('T1110');
    expect(cred).toContain('T1110.003');
    expect(cred).not.toContain('T1059');
  });
});

describe('attack.* commands', () => {
  let wb: TestWorkbench | null = null;
  afterEach(async () => {
    await wb?.close();
    wb = null;
  });

  it('search, get and tactics over the contract', async () => {
    wb = await emptyWorkbench();
    const s = await ok(wb, 'attack.search', { query: 'T1059.001' });
    expect(s.items[0]!.id).toBe('T1059.001');
    const g = await ok(wb, 'attack.get', { id: 't1110.003' });
    expect(g).toMatchObject({
      id: 'T1110.003',
      name: 'Password Spraying',
      url: 'https://attack.mitre.org/techniques/T1110/003',
    });
    expect(g.tactics.map((t) => t.id)).toEqual(['TA0006']);
    expect((await fails(wb, 'attack.get', { id: 'T9999' })).code).toBe('not_found');
    expect((await fails(wb, 'attack.get', { id: 'powershell' })).code).toBe('invalid_request');
    expect((await ok(wb, 'attack.tactics', {})).items).toHaveLength(14);
  });
});

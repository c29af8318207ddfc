import { afterEach, describe, expect, it } from 'vitest';
import type { BuildReport, DatasetExample, DatasetVersionDetail } from '../../src-main/contract/index';
import { addExample, addMany, ok, openWorkbench, words, type TestBench } from './helpers';
import { CANARY, canaryNeedles, canaryText } from '../redaction/canaries';

let wb: TestBench | null = null;
afterEach(async () => {
  await wb?.close();
  wb = null;
});

async function bench(): Promise<TestBench> {
  wb = await openWorkbench();
  return wb;
}

describe('datasets.preview', () => {
  it('reports every step with counts and writes nothing', async () => {
    const w = await bench();
    addMany(w.db, 60);
    addMany(w.db, 5, () => ({ status: 'pending' }), 100);
    addMany(w.db, 3, () => ({ status: 'rejected' }), 200);
    // The same rule firing 30 times with different addresses and times.
    addMany(
      w.db,
      30,
      (i) => ({
        title: 'Console login without MFA',
        alert: {
          eventName: 'ConsoleLogin',
          sourceIPAddress: `198.51.100.${i}`,
          eventTime: `2024-03-0${1 + (i % 9)}T10:00:00Z`,
          mfa: 'No',
        },
        question: 'Is this login suspicious?',
        answer: 'Suspicious: console login without MFA from a new address; verify with the user and enforce MFA.',
        groupKey: `mfa-${i}`,
      }),
      300,
    );
    // Invalid: a control character in the alert; a tool result without its call id.
    addExample(w.db, { question: 'bell \u0007 in the text' }, 400);
    addExample(w.db, { extra: [{ role: 'tool', content: '{"ok":true}' }] }, 401);
    // Over the token limit set below.
    addExample(w.db, { answer: words(402, 3000) }, 402);
    const before = w.db.prepare('SELECT COUNT(*) AS n FROM dataset_versions').get();
    const events: string[] = [];
    w.bus.on('dataset.progress', (p) => events.push(p.stage));
    const r = ok<BuildReport>(
      await w.invoke('datasets.preview', {
        options: { target: { kind: 'openai', model: 'gpt-4o-mini-2024-07-18', tokenLimit: 2000 } },
      }),
    );
    expect(r.steps.selected).toBe(93);
    expect(r.steps.validation).toMatchObject({ in: 93, valid: 91, invalid: 2 });
    expect(r.steps.validation.byRule).toEqual({ control_character: 1, tool_missing_call_id: 1 });
    expect(r.steps.validation.failures.map((f) => f.ruleId).sort()).toEqual([
      'control_character',
      'tool_missing_call_id',
    ]);
    expect(r.steps.dedup).toMatchObject({ in: 91, kept: 62, droppedExact: 29 });
    expect(r.steps.tokens.refused).toEqual([expect.objectContaining({ limit: 2000 })]);
    expect(r.steps.tokens.refused[0]!.tokens).toBeGreaterThan(2000);
    expect(r.steps.tokens.out).toBe(61);
    expect(r.steps.split.train + r.steps.split.validation + r.steps.split.test).toBe(61);
    expect(r.examples).toBe(61);
    expect(r.secretsClean).toBe(true);
    expect(r.blockers).toEqual([]);
    expect(r.cost.usd).toBeGreaterThan(0);
    expect(events).toEqual(['select', 'validate', 'dedup', 'limits', 'redact', 'tokens', 'split']);
    expect(w.db.prepare('SELECT COUNT(*) AS n FROM dataset_versions').get()).toEqual(before);
  });

  it('filters by verdict, severity, technique (with sub-techniques), quality, labeller, dates and source', async () => {
    const w = await bench();
    addExample(
      w.db,
      {
        verdict: 'true_positive',
        severity: 'high',
        techniques: ['T1078.004'],
        quality: 5,
        labeller: 'alice',
        labelledAt: 1000,
      },
      1,
    );
    addExample(
      w.db,
      { verdict: 'benign', severity: 'low', techniques: ['T1110'], quality: 2, labeller: 'bob', labelledAt: 2000 },
      2,
    );
    addExample(
      w.db,
      {
        verdict: 'false_positive',
        severity: 'medium',
        techniques: ['T1078'],
        quality: 4,
        labeller: 'carol',
        labelledAt: 3000,
        sourceKind: 'triage_chat',
      },
      3,
    );
    const count = async (filter: Record<string, unknown>) =>
      ok<BuildReport>(await w.invoke('datasets.preview', { filter, options: { limits: { min: 1, max: 1000 } } })).steps
        .selected;
    expect(await count({})).toBe(3);
    expect(await count({ verdicts: ['true_positive', 'benign'] })).toBe(2);
    expect(await count({ severities: ['medium'] })).toBe(1);
    expect(await count({ technique: 'T1078' })).toBe(2);
    expect(await count({ technique: 'T1078.004' })).toBe(1);
    expect(await count({ qualityMin: 4 })).toBe(2);
    expect(await count({ labellers: ['bob'] })).toBe(1);
    expect(await count({ from: 1500, to: 2500 })).toBe(1);
    expect(await count({ sourceKinds: ['triage_chat'] })).toBe(1);
    expect(await count({ threatTypes: ['credential_access'] })).toBe(3);
    expect(await count({ task: 'incident' })).toBe(0);
    const bad = await w.invoke('datasets.preview', { filter: { technique: 'DROP TABLE' } });
    expect(bad.ok).toBe(false);
  });

  it('assembles system prompt, alert context and the corrected answer', async () => {
    const w = await bench();
    addExample(
      w.db,
      {
        alert: { eventName: 'CreateAccessKey' },
        question: 'Is this expected?',
        answer: 'model answer',
        corrected: 'Corrected: true positive.',
        threatType: 'persistence',
        techniques: ['T1098'],
      },
      1,
    );
    addMany(w.db, 55, () => ({}), 10);
    const v = ok<DatasetVersionDetail>(
      await w.invoke('datasets.createVersion', {
        name: 'triage-set',
        options: { labelHints: true, pseudonymise: false },
      }),
    );
    const page = ok<{ items: DatasetExample[] }>(await w.invoke('datasets.examples', { versionId: v.id, limit: 500 }));
    const ex = page.items.find((e) => e.conversationId === 1)!.example;
    expect(ex.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(ex.messages[0]!.content).toContain('security operations (SOC) analyst');
    expect(ex.messages[0]!.content).toContain('threat type: persistence; ATT&CK techniques: T1098');
    expect(ex.messages[1]!.content).toContain('{"eventName":"CreateAccessKey"}');
    expect(ex.messages[1]!.content).toContain('Is this expected?');
    expect(ex.messages[2]!.content).toBe('Corrected: true positive.');
  });
});

describe('assembly details', () => {
  it('does not repeat an alert the analyst already quoted, and keeps one task per dataset name', async () => {
    const w = await bench();
    const alert = { eventName: 'DeleteTrail', trailName: 'org-trail' };
    addExample(w.db, { alert, question: `Why was this done? ${JSON.stringify(alert)}` }, 1);
    addExample(w.db, { alert, question: 'Is ```json code``` relevant?' }, 2);
    addMany(w.db, 55, () => ({}), 10);
    const v = ok<DatasetVersionDetail>(
      await w.invoke('datasets.createVersion', { name: 'quoted', options: { pseudonymise: false } }),
    );
    const items = ok<{ items: DatasetExample[] }>(
      await w.invoke('datasets.examples', { versionId: v.id, limit: 500 }),
    ).items;
    const user = (cid: number) => items.find((e) => e.conversationId === cid)!.example.messages[1]!.content!;
    expect(user(1).split('DeleteTrail').length - 1).toBe(1);
    expect(user(2)).toContain('"trailName":"org-trail"');
    const clash = await w.invoke('datasets.createVersion', { name: 'quoted', filter: { task: 'incident' } });
    expect(clash).toEqual({
      ok: false,
      error: { code: 'conflict', message: expect.stringContaining('holds triage examples') },
    });
  });
});

describe('limits', () => {
  it('refuses to create a version below the minimum with a clear error', async () => {
    const w = await bench();
    addMany(w.db, 20);
    const r = await w.invoke('datasets.createVersion', { name: 'small' });
    expect(r).toEqual({
      ok: false,
      error: { code: 'limit_exceeded', message: expect.stringContaining('at least 50') },
    });
    expect(w.db.prepare('SELECT COUNT(*) AS n FROM dataset_versions').get()).toEqual({ n: 0 });
    const preview = ok<BuildReport>(await w.invoke('datasets.preview', {}));
    expect(preview.steps.limits.belowMin).toBe(true);
    expect(preview.blockers[0]).toContain('Only 20 examples');
  });

  it('samples down to the maximum', async () => {
    const w = await bench();
    addMany(w.db, 120);
    const r = ok<BuildReport>(await w.invoke('datasets.preview', { options: { limits: { min: 10, max: 90 } } }));
    expect(r.steps.limits).toMatchObject({ in: 120, out: 90, sampled: true });
    expect(r.examples).toBe(90);
  });
});

describe('secrets and pseudonyms', () => {
  function plant(w: TestBench): number {
    addMany(w.db, 60);
    return addExample(
      w.db,
      {
        alert: { commandLine: canaryText() },
        question: `Found this in a script: ${CANARY.openai}`,
        answer: 'True positive: credentials leaked in a script; rotate them.',
      },
      999,
    );
  }

  it('blocks on secrets and never shows them in the report', async () => {
    const w = await bench();
    const cid = plant(w);
    const r = ok<BuildReport>(await w.invoke('datasets.preview', {}));
    expect(r.secretsClean).toBe(false);
    expect(r.steps.redaction.blocking).toBe(1);
    expect(r.steps.redaction.findings.every((f) => f.conversationId === cid)).toBe(true);
    expect(r.steps.redaction.findings.length).toBeGreaterThanOrEqual(6);
    expect(r.blockers.join(' ')).toContain('secrets');
    const json = JSON.stringify(r);
    for (const needle of canaryNeedles()) expect(json).not.toContain(needle);
  });

  it('redacts to <SECRET_n> or excludes the example, as chosen', async () => {
    const w = await bench();
    const cid = plant(w);
    const redacted = ok<BuildReport>(await w.invoke('datasets.preview', { options: { secrets: { fix: 'redact' } } }));
    expect(redacted.secretsClean).toBe(true);
    expect(redacted.steps.redaction.secretsRedacted).toBeGreaterThanOrEqual(6);
    expect(redacted.examples).toBe(61);
    const excluded = ok<BuildReport>(
      await w.invoke('datasets.preview', { options: { secrets: { perConversation: { [String(cid)]: 'exclude' } } } }),
    );
    expect(excluded.secretsClean).toBe(true);
    expect(excluded.steps.redaction.excluded).toBe(1);
    expect(excluded.examples).toBe(60);
  });

  it('gives the same entity the same pseudonym across a version, keeps the mapping local, honours the allowlist', async () => {
    const w = await bench();
    addMany(w.db, 60, (i) => ({
      alert: {
        sourceIPAddress: i % 2 ? '203.0.113.50' : '192.0.2.10',
        userIdentity: { userName: i % 3 ? 'mallory' : 'trent' },
        c2: '198.51.100.99',
      },
      answer: `Assessment ${words(i, 20)}: traffic from ${i % 2 ? '203.0.113.50' : '192.0.2.10'} by ${i % 3 ? 'mallory' : 'trent'}.`,
    }));
    w.db
      .prepare(
        "INSERT INTO settings (key, value, updated_at) VALUES ('datasets.allowlist', '[\"198.51.100.99\"]', 0) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      )
      .run();
    const v = ok<DatasetVersionDetail>(await w.invoke('datasets.createVersion', { name: 'pseudo' }));
    expect(v.pseudonyms.ip).toBe(2);
    expect(v.pseudonyms.user).toBe(2);
    const items = ok<{ items: DatasetExample[] }>(
      await w.invoke('datasets.examples', { versionId: v.id, limit: 500 }),
    ).items;
    const all = JSON.stringify(items);
    for (const raw of ['203.0.113.50', '192.0.2.10', 'mallory', 'trent']) expect(all).not.toContain(raw);
    expect(all).toContain('198.51.100.99');
    // Within each example the alert and the answer use the same token; across examples the same value keeps its token.
    const tokenFor = new Map<string, Set<string>>();
    for (const e of items) {
      const user = e.example.messages[1]!.content!;
      const ans = e.example.messages[2]!.content!;
      const ip = /"sourceIPAddress":"(<IP_\d+>)"/.exec(user)![1]!;
      expect(ans).toContain(ip);
      const original = e.conversationId! % 2 ? '203.0.113.50' : '192.0.2.10';
      tokenFor.set(original, (tokenFor.get(original) ?? new Set()).add(ip));
    }
    for (const s of tokenFor.values()) expect(s.size).toBe(1);
    const mapping = w.db
      .prepare('SELECT token, kind, original FROM dataset_pseudonyms WHERE dataset_version_id = ? ORDER BY token')
      .all(v.id);
    expect(mapping).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ original: '203.0.113.50', kind: 'ip' }),
        expect.objectContaining({ original: 'mallory', kind: 'user' }),
      ]),
    );
    expect(v.report.steps.redaction.samples.length).toBeGreaterThan(0);
    expect(v.report.steps.redaction.allowlisted).toBeGreaterThan(0);
  });

  it('previews redaction of a text, before and after', async () => {
    const w = await bench();
    const r = ok<{ before: string; after: string; secrets: unknown[]; entities: { kind: string; token: string }[] }>(
      await w.invoke('datasets.redactionPreview', {
        text: `login by alice@example.org from 203.0.113.9 with password=${CANARY.urlPassword}`,
      }),
    );
    expect(r.after).toBe('login by <EMAIL_1> from <IP_1> with password=<SECRET_1>');
    expect(r.before).not.toContain(CANARY.urlPassword);
    expect(r.before).toContain('203.0.113.9');
    expect(r.secrets).toHaveLength(1);
    expect(r.entities.map((e) => e.token)).toEqual(['<EMAIL_1>', '<IP_1>']);
  });
});

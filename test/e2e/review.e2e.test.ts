/**
 * Mark for training, the review queue and the dataset builder, in the real renderer over the headless
 * host in Chromium: label an alert with the panel (technique picked by search), approve three
 * examples with the keyboard, bulk-approve a filter and undo it, then build a dataset version from
 * the approved examples (one holds planted secrets) and export and download it as OpenAI JSONL.
 * Screenshots: test-results/screenshots/review-*.png.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildReport, ConversationSummary, DatasetVersionDetail } from '../../src-main/contract/index';
import { appendMessage, insertConversation } from '../../src-main/conversations/conversationsRepo';
import { CANARY, canaryNeedles, canaryText } from '../redaction/canaries';
import { openReviewE2e, ROOT, type ReviewE2e } from './reviewHelpers';

const REVIEWER = 'e2e-reviewer';

describe('review queue in Chromium', () => {
  let e: ReviewE2e;
  let seeded: ConversationSummary[];
  const reviews = () => e.workbench.db.prepare('SELECT * FROM reviews ORDER BY id').all();
  const count = (sql: string, ...p: unknown[]) =>
    e.workbench.db
      .prepare(sql)
      .pluck()
      .get(...p) as number;
  const tab = (name: string) => e.page.getByRole('tab', { name: new RegExp(`^${name}`) });

  beforeAll(async () => {
    e = await openReviewE2e(REVIEWER);
    const list = await e.workbench.invoke('conversations.list', { limit: 500 });
    if (!list.ok) throw new Error('conversations.list failed');
    seeded = (list.value as { items: ConversationSummary[] }).items;
    // Ten examples labelled by an analyst, so the queue has something to review.
    const kinds = ['credential access', 'credential access', 'execution', 'discovery', 'credential access'];
    for (const [i, c] of seeded.slice(1, 11).entries()) {
      const r = await e.workbench.invoke(
        'labels.save',
        {
          conversationId: c.id,
          verdict: i % 3 ? 'true_positive' : 'benign',
          threatType: kinds[i % kinds.length],
          severity: ['low', 'medium', 'high'][i % 3],
          techniques: i % 2 ? ['T1078'] : ['T1110.003'],
          quality: 1 + (i % 5),
          correctedAnswer: `Verdict for ${c.title}: escalate to the cloud team.`,
        },
        'ann',
      );
      if (!r.ok) throw new Error(r.error.message);
    }
  });

  afterAll(async () => {
    await e?.close();
  });

  it('labels an alert from Triage with the panel: keyboard open, technique search, quality keys, Ctrl+Enter', async () => {
    const { page } = e;
    const c = seeded[0]!;
    await page.goto(e.host.url);
    await page.getByRole('listbox', { name: 'Conversations' }).getByRole('option', { name: c.title }).click();
    await page.getByRole('heading', { name: 'Training label' }).waitFor();
    await page.locator('body').press('l');
    const panel = page.getByTestId('label-panel');
    await panel.getByRole('heading', { name: 'Mark for training' }).waitFor();
    await panel.getByRole('radio', { name: 'True positive' }).check();
    await panel.getByLabel('Threat type').fill('Credential Access');
    await panel.getByRole('radio', { name: 'high' }).check();
    const picker = panel.getByRole('combobox', { name: 'ATT&CK techniques' });
    await picker.fill('password spr');
    await panel.getByRole('option', { name: /T1110\.003/ }).waitFor();
    await picker.press('Enter');
    await picker.fill('T1078');
    await panel.getByRole('option', { name: /^T1078 Valid Accounts/ }).waitFor();
    await picker.press('ArrowDown');
    await picker.press('ArrowUp');
    await picker.press('Enter');
    await expect
      .poll(() => panel.getByRole('listitem').allTextContents())
      .toEqual([expect.stringContaining('T1110.003'), expect.stringContaining('T1078')]);
    // Number keys score quality while focus is not in a text box.
    await panel.getByRole('radio', { name: 'high' }).focus();
    await page.keyboard.press('4');
    await expect.poll(() => panel.getByRole('radio', { name: '4' }).isChecked()).toBe(true);
    await panel
      .getByLabel('Corrected answer')
      .fill('True positive: password spraying from one address. Reset the affected accounts.');
    await e.shot('label-panel');
    await panel.getByLabel('Corrected answer').press('Control+Enter');
    await page.getByTestId('toast').filter({ hasText: 'Added to the pending review queue.' }).waitFor();
    await panel.waitFor({ state: 'hidden' });
    const label = e.workbench.db.prepare('SELECT * FROM training_labels WHERE conversation_id = ?').get(c.id);
    expect(label).toMatchObject({
      verdict: 'true_positive',
      threat_type: 'credential access',
      severity: 'high',
      techniques: '["T1110.003","T1078"]',
      quality: 4,
      labeller: REVIEWER,
    });
    await page.getByTestId('toast').first().waitFor();
    await e.shot('triage-labelled');
  });

  it('approves three examples with the keyboard', async () => {
    const { page } = e;
    await page.goto(`${e.host.origin}/#/review`);
    await expect.poll(() => tab('Pending').textContent()).toBe('Pending 11');
    await page.getByTestId('review-detail').waitFor();
    await page.getByTestId('review-legend').waitFor();
    await e.shot('queue');
    const pendingCount = () => count("SELECT COUNT(*) FROM reviews WHERE status = 'pending'");
    const press = async (key: string, pendingAfter: number) => {
      await page.locator('body').press(key);
      await expect.poll(pendingCount).toBe(pendingAfter);
      await expect.poll(() => tab('Pending').textContent()).toBe(`Pending ${pendingAfter}`);
    };
    await press('a', 10);
    await page.locator('body').press('j');
    await expect.poll(() => page.locator('.rq-row.current').getAttribute('id')).toBe('rq-row-1');
    await press('a', 9);
    await press('a', 8);
    await expect.poll(() => tab('Approved').textContent()).toBe('Approved 3');
    // The overview strip follows the decisions.
    const overview = page.getByTestId('review-overview');
    await expect.poll(() => overview.getByTitle('Approved ÷ decided').textContent()).toBe('100%Approval rate');
    expect(
      count("SELECT COUNT(*) FROM reviews WHERE status = 'approved' AND reviewer = ? AND decided_at > 0", REVIEWER),
    ).toBe(3);
    const audit = count("SELECT COUNT(*) FROM audit_log WHERE action = 'review.decide' AND actor = ?", REVIEWER);
    expect(audit).toBe(3);
    await e.shot('approved-three');
  });

  it('bulk-approves everything matching a filter after a count preview, then undoes it exactly', async () => {
    const { page } = e;
    await page.getByRole('combobox', { name: 'Filter by threat type' }).selectOption('credential access');
    const expected = count(
      "SELECT COUNT(*) FROM reviews r JOIN training_labels l ON l.id = r.label_id WHERE r.status = 'pending' AND l.threat_type = 'credential access'",
    );
    expect(expected).toBeGreaterThan(1);
    await expect.poll(() => tab('Pending').textContent()).toBe(`Pending ${expected}`);
    const before = reviews();
    await page.getByRole('button', { name: 'Approve all matching…' }).click();
    const dialog = page.getByRole('dialog', { name: /Approve all/ });
    await expect
      .poll(() => dialog.getByTestId('decision-preview').textContent())
      .toContain(`${expected} examples match`);
    await dialog.getByLabel('Reason (optional)').fill('spot-checked');
    await e.shot('bulk-confirm');
    await dialog.getByLabel('Reason (optional)').press('Enter');
    await page
      .getByTestId('toast')
      .filter({ hasText: `Approved ${expected} examples matching the filter.` })
      .waitFor();
    expect(
      count(
        "SELECT COUNT(*) FROM reviews WHERE status = 'approved' AND reviewer = ? AND reason = 'spot-checked'",
        REVIEWER,
      ),
    ).toBe(expected);
    await expect.poll(() => tab('Pending').textContent()).toBe('Pending 0');
    await e.shot('bulk-approved');

    await page.locator('body').press('u');
    await page
      .getByTestId('toast')
      .filter({ hasText: `Undone: ${expected} examples restored.` })
      .waitFor();
    expect(reviews()).toEqual(before);
    await expect.poll(() => tab('Pending').textContent()).toBe(`Pending ${expected}`);
    await page.getByRole('button', { name: /Clear filters/ }).click();
    await expect.poll(() => tab('Pending').textContent()).toBe('Pending 8');
    await page.locator('.rq-coverage summary').click();
    await page.getByRole('region', { name: 'Coverage by threat type' }).waitFor();
    await e.shot('undone-coverage');
  });

  it('builds a dataset version from the approved examples on the Datasets page and downloads it as OpenAI JSONL', async () => {
    const { page } = e;
    // One more example, whose alert and answer hold every planted secret.
    const canaryTitle = 'Leaked credentials in a deploy script';
    const canaryId = insertConversation(e.workbench.db, {
      sourceKind: 'imported_alert',
      task: 'audit_log',
      title: canaryTitle,
      alertPayload: { commandLine: canaryText() },
    })!;
    appendMessage(e.workbench.db, canaryId, {
      role: 'user',
      content: `Is this deploy script a problem?\n${canaryText()}`,
    });
    appendMessage(e.workbench.db, canaryId, {
      role: 'assistant',
      content: `True positive: ${CANARY.awsKeyId} and ${CANARY.openai} are exposed; rotate both.`,
    });
    const saved = await e.workbench.invoke(
      'labels.save',
      {
        conversationId: canaryId,
        verdict: 'true_positive',
        threatType: 'credential access',
        severity: 'high',
        quality: 5,
      },
      'ann',
    );
    expect(saved.ok).toBe(true);

    // Approve everything still pending through the queue's bulk action.
    const pending = count("SELECT COUNT(*) FROM reviews WHERE status = 'pending'");
    expect(pending).toBe(9);
    // The open queue picks up another labeller's change, even one that comes right after its own undo.
    await expect.poll(() => tab('Pending').textContent(), { timeout: 5000 }).toBe(`Pending ${pending}`);
    // The coverage panel the last test opened lies over the bulk actions; a click elsewhere closes it.
    await page.getByRole('heading', { name: 'Review queue' }).click();
    await expect.poll(() => page.locator('.rq-coverage').getAttribute('open')).toBeNull();
    await page.getByRole('button', { name: 'Approve all matching…' }).click();
    const dialog = page.getByRole('dialog', { name: /Approve all/ });
    await expect
      .poll(() => dialog.getByTestId('decision-preview').textContent())
      .toContain(`${pending} examples match`);
    await dialog.getByLabel('Reason (optional)').press('Enter');
    await page
      .getByTestId('toast')
      .filter({ hasText: `Approved ${pending} examples matching the filter.` })
      .waitFor();
    const approved = count(
      "SELECT COUNT(*) FROM reviews r JOIN training_labels l ON l.id = r.label_id JOIN conversations c ON c.id = l.conversation_id WHERE r.status = 'approved' AND c.task = 'audit_log'",
    );
    expect(approved).toBe(12);

    // The builder: the labelled examples are audit-log ones; the example minimum is lowered for this small workspace.
    await page.goto(`${e.host.origin}/#/datasets`);
    const builder = page.getByTestId('dataset-builder');
    await builder.waitFor();
    // Nothing approved for the default task (triage): the preview says what to do instead of showing bare zeros.
    await builder.getByTestId('ds-preview').click();
    await builder.getByTestId('ds-none-selected').waitFor();
    await expect.poll(() => builder.getByTestId('ds-create').isDisabled()).toBe(true);
    await e.shot('datasets-none-approved', true);
    await builder.getByLabel('Task').selectOption('audit_log');
    await builder.getByText('Build options').click();
    await builder.getByLabel('Minimum examples').fill('5');
    await builder.getByTestId('ds-preview').click();
    const step = (n: number) => builder.getByTestId(`ds-step-${n}`);
    await expect.poll(() => step(1).textContent()).toContain(`${approved} approved examples`);
    await expect.poll(() => builder.getByTestId('ds-none-selected').count()).toBe(0);
    // The secrets block until the example is fixed, and the preview says so without showing them.
    await expect.poll(() => step(5).getAttribute('class')).toContain('ds-step-block');
    const secrets = builder.getByRole('group', { name: 'Examples holding secrets' });
    await secrets.getByText(canaryTitle).waitFor();
    const shown = await builder.textContent();
    for (const needle of canaryNeedles()) expect(shown).not.toContain(needle);
    await e.shot('datasets-secrets-block', true);
    await secrets.getByLabel(`Fix for ${canaryTitle}`).selectOption('redact');
    await secrets.getByRole('button', { name: 'Apply and preview again' }).click();
    await expect.poll(() => step(5).getAttribute('class')).not.toContain('ds-step-block');
    const preview = await e.workbench.invoke('datasets.preview', {
      filter: { task: 'audit_log' },
      options: {
        limits: { min: 5, max: 1000 },
        secrets: { fix: 'block', perConversation: { [String(canaryId)]: 'redact' } },
      },
    });
    if (!preview.ok) throw new Error(preview.error.message);
    const s = (preview.value as BuildReport).steps;
    expect(s.selected).toBe(approved);
    expect(s.redaction.secretsRedacted).toBeGreaterThan(0);
    await expect
      .poll(() => step(2).textContent())
      .toContain(`${s.validation.valid} valid · ${s.validation.invalid} invalid`);
    await expect.poll(() => step(3).textContent()).toContain(`${s.dedup.kept} kept`);
    await expect
      .poll(() => step(7).textContent())
      .toContain(`train ${s.split.train} · validation ${s.split.validation} · test ${s.split.test}`);
    expect(s.split.train + s.split.validation + s.split.test).toBeGreaterThanOrEqual(5);
    await e.shot('datasets-preview', true);

    // Freeze it as a version.
    await builder.getByLabel('Dataset name').fill('e2e triage');
    await builder.getByTestId('ds-create').click();
    const card = builder.getByTestId('ds-version-card');
    await card.getByRole('heading', { name: 'e2e triage v1' }).waitFor();
    const version = e.workbench.db.prepare('SELECT id, content_hash FROM dataset_versions').all() as {
      id: number;
      content_hash: string;
    }[];
    expect(version).toHaveLength(1);
    const detail = await e.workbench.invoke('datasets.getVersion', { id: version[0]!.id });
    if (!detail.ok) throw new Error(detail.error.message);
    const v = detail.value as DatasetVersionDetail;
    expect(v.secretsClean).toBe(true);
    await expect.poll(() => card.textContent()).toContain(v.contentHash);
    await expect
      .poll(() => builder.getByTestId('ds-versions').textContent())
      .toContain(`${v.counts.train} / ${v.counts.validation} / ${v.counts.test}`);

    // Export OpenAI JSONL (with the egress confirmation), then download it.
    await card.getByTestId('ds-export-openai').click();
    await card.getByRole('alertdialog').getByText(`Write ${v.counts.total} examples as OpenAI JSONL`).waitFor();
    await card.getByTestId('ds-export-confirm').click();
    const result = card.getByTestId('ds-export-result');
    await expect.poll(() => result.textContent()).toContain(`Wrote ${v.counts.total} examples`);
    await e.shot('datasets-exported', true);
    const [download] = await Promise.all([page.waitForEvent('download'), card.getByTestId('ds-download').click()]);
    expect(download.suggestedFilename()).toBe('e2e-triage-v1-openai.jsonl');
    const saved2 = path.join(ROOT, 'test-results', 'e2e-triage-v1-openai.jsonl');
    await download.saveAs(saved2);
    const bytes = fs.readFileSync(saved2);
    fs.rmSync(saved2);
    const text = bytes.toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toMatch(/\r|^\uFEFF/);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(v.counts.total);
    for (const line of lines) {
      const parsed = JSON.parse(line) as { messages: { role: string; content: string }[] };
      expect(parsed.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    }
    for (const needle of canaryNeedles()) expect(text).not.toContain(needle);
    expect(text).toMatch(/<SECRET_\d+>/);
    // The download is the file the egress log recorded.
    const egress = e.workbench.db.prepare('SELECT kind, content_hash, bytes FROM egress_log').all();
    expect(egress).toEqual([
      { kind: 'export', content_hash: crypto.createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length },
    ]);
  });

  it('logged no script errors or CSP violations', () => {
    expect(e.problems).toEqual([]);
  });
});

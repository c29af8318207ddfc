/**
 * Mark for training and the review queue, in the real renderer over the headless host in Chromium:
 * label an alert with the panel (technique picked by search), approve three examples with the
 * keyboard, bulk-approve a filter and undo it. Screenshots: test-results/screenshots/review-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationSummary } from '../../src-main/contract/index';
import { openReviewE2e, type ReviewE2e } from './reviewHelpers';

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

  it('logged no script errors or CSP violations', () => {
    expect(e.problems).toEqual([]);
  });
});

/**
 * The whole triage flow of issue 4 in the real renderer, served by the headless host (with its upload
 * route) and driven in Debian's Chromium: import a CloudTrail file and an OpenAI chat JSONL file through
 * the Import dialog, open one of the imported alerts, triage it with the demo tiny model, label it with
 * an ATT&CK technique picked by searching its name, and find it in the pending review queue.
 * Screenshots: test-results/screenshots/triage-flow-*.png.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { startHttpHost, type HttpHost } from '../../src-main/hosts/http/httpHost';
import { headlessRoutes } from '../../src-main/hosts/http/serve';
import type {
  ConversationDetail,
  ConversationSummary,
  ImportSummary,
  ReviewState,
  TrainingLabel,
} from '../../src-main/contract/index';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RENDERER_DIR = path.join(ROOT, 'out/renderer');
const SCREENSHOTS = path.join(ROOT, 'test-results/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Not in the demo seed (which imports the attacker half of this scenario), so every record is new. */
const CLOUDTRAIL = path.join(
  ROOT,
  'resources/samples/aws-cloudtrail/panther-scenario-compromised-root-creds-victim.jsonl',
);
const OPENAI = path.join(ROOT, 'test/fixtures/finetune-formats/security-triage-openai-chat.jsonl');
/** The one SetContactAddress call in the CloudTrail file: the alert this flow triages. */
const ALERT_EVENT = 'SetContactAddress';
/** Picked by name, not id. */
const TECHNIQUE = { query: 'account manipul', id: 'T1098', name: /^T1098 Account Manipulation/ };

function ensureBuilt(): void {
  if (fs.existsSync(path.join(RENDERER_DIR, 'index.html')) && fs.existsSync(path.join(ROOT, 'out/main/serve.js')))
    return;
  execFileSync(path.join(ROOT, 'node_modules/.bin/electron-vite'), ['build'], { cwd: ROOT, stdio: 'inherit' });
}

const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim()).length;

describe('triage flow in Chromium: import, triage with the tiny model, label, review queue', () => {
  let workbench: Workbench;
  let host: HttpHost;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  let alert: ConversationSummary;

  async function invoke<T>(command: string, req: unknown): Promise<T> {
    const r = await workbench.invoke(command as never, req as never);
    if (!r.ok) throw new Error(`${command}: ${r.error.message}`);
    return r.value as T;
  }
  const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `triage-flow-${name}.png`) });

  beforeAll(async () => {
    ensureBuilt();
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    workbench = await createWorkbench({
      dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tw-triage-flow-e2e-')),
      actor: 'e2e-analyst',
    });
    // Two shared cores: one inference thread keeps the rest of the machine responsive.
    await invoke('settings.set', { key: 'runtime.local', value: { threads: 1 } });
    host = await startHttpHost({
      workbench,
      rendererDir: RENDERER_DIR,
      extraRoutes: headlessRoutes(workbench.dataDir),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()} (${msg.location().url})`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await workbench?.close();
  });

  /** Picks `file` in the open Import dialog, checks the detected format, imports it, and returns the report text. */
  async function importThroughDialog(file: string, formatLabel: string): Promise<string> {
    const dialog = page.getByRole('dialog', { name: 'Import alerts, logs or examples' });
    await page.locator('#import-file').setInputFiles(file);
    await dialog.getByTestId('import-detect-reason').getByText(path.basename(file)).waitFor();
    await expect
      .poll(() => dialog.getByLabel('Format').locator('option:checked').textContent())
      .toBe(`Detected: ${formatLabel}`);
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    const report = dialog.getByTestId('import-report');
    await report.getByText('Imported', { exact: true }).waitFor();
    await dialog.getByTestId('import-progress').getByText('100%', { exact: false }).waitFor();
    return (await report.getByRole('status').textContent()) ?? '';
  }

  it('imports a CloudTrail file and an OpenAI JSONL file through the Import dialog', async () => {
    const before = await invoke<{ total: number }>('conversations.list', { limit: 1 });
    await page.goto(host.url);
    await page.waitForURL(/#\/triage$/);
    await page.getByText(`${before.total} conversations`).first().waitFor();

    await page.getByRole('button', { name: 'Import…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import alerts, logs or examples' });
    await dialog.waitFor();

    const status = page.getByRole('contentinfo');
    const pendingBefore = (await invoke<{ counts: { pendingReviews: number } }>('app.info', {})).counts.pendingReviews;
    const cloudTrailRecords = lines(CLOUDTRAIL);
    const ctReport = await importThroughDialog(CLOUDTRAIL, 'AWS CloudTrail (Records array or JSONL)');
    expect(ctReport).toBe(`Imported — ${cloudTrailRecords} new, 0 already there, 0 rejected.`);
    await dialog.getByTestId('import-progress').getByText(`${cloudTrailRecords} records`).waitFor();
    // The status bar follows (it reloads its counts shortly after the change).
    await status.getByText(`${before.total + cloudTrailRecords} conversations`).waitFor();
    await shot('import-cloudtrail');

    await dialog.getByRole('button', { name: 'Import another file' }).click();
    await dialog.getByTestId('import-report').waitFor({ state: 'detached' });
    const examples = lines(OPENAI);
    const oaReport = await importThroughDialog(OPENAI, 'OpenAI chat fine-tuning (JSONL)');
    expect(oaReport).toBe(`Imported — ${examples} new, 0 already there, 0 rejected.`);
    // Fine-tuning examples arrive awaiting review.
    await status.getByText(`${before.total + cloudTrailRecords + examples} conversations`).waitFor();
    await status.getByText(`${pendingBefore + examples} pending review`).waitFor();
    await shot('import-openai');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // The core agrees with what the dialog reported, newest first.
    const { items } = await invoke<{ items: ImportSummary[] }>('imports.list', { limit: 5 });
    const ours = items.filter((i) => i.actor === 'e2e-analyst');
    expect(ours).toHaveLength(2);
    expect(ours[0]).toMatchObject({
      fileName: path.basename(OPENAI),
      format: 'openai_chat',
      status: 'done',
      recordsOk: examples,
      recordsRejected: 0,
      recordsDuplicate: 0,
    });
    expect(ours[1]).toMatchObject({
      fileName: path.basename(CLOUDTRAIL),
      format: 'cloudtrail',
      status: 'done',
      recordsOk: cloudTrailRecords,
      recordsRejected: 0,
      recordsDuplicate: 0,
    });
    // The list shows the new conversations.
    const after = await invoke<{ total: number }>('conversations.list', { limit: 1 });
    expect(after.total).toBe(before.total + cloudTrailRecords + examples);
    await page.getByText(`${after.total} conversations`).first().waitFor();

    const found = await invoke<{ items: ConversationSummary[] }>('conversations.list', {
      text: ALERT_EVENT,
      sourceKind: 'imported_alert',
    });
    expect(found.items).toHaveLength(1);
    alert = found.items[0]!;
    expect(alert).toMatchObject({ sourceFormat: 'cloudtrail' });
    expect(alert.keyFields).toMatchObject({ event: ALERT_EVENT, host: 'billingconsole.amazonaws.com' });
  });

  it('opens the imported alert and triages it with the tiny model', async () => {
    const search = page.getByRole('searchbox', { name: 'Search conversations' });
    await search.fill(ALERT_EVENT);
    const list = page.getByRole('listbox', { name: 'Conversations' });
    await expect.poll(() => list.getByRole('option').count()).toBe(1);
    await list.getByRole('option', { name: alert.title }).click();
    const conversation = page.getByRole('region', { name: 'Conversation' });
    await conversation.getByRole('heading', { name: alert.title }).waitFor();
    const fields = page.getByTestId('key-fields');
    await fields.getByText(alert.keyFields.sourceIp!, { exact: true }).first().waitFor();
    expect(await page.getByTestId('raw-record').textContent()).toContain(`"eventName": "${ALERT_EVENT}"`);

    const info = await invoke<{ activeModels: { task: string; modelId: number; modelName: string }[] }>('app.info', {});
    const tiny = info.activeModels.find((a) => a.task === 'triage');
    expect(tiny).toBeDefined();
    await page.getByTestId('chat-task').selectOption('triage');
    await expect.poll(() => page.getByTestId('chat-model').inputValue()).toBe(String(tiny!.modelId));
    await expect.poll(() => page.getByTestId('chat-structured').isChecked()).toBe(true);
    const composer = page.getByTestId('chat-input');
    await composer.fill('Triage this alert: is the contact address change by root a true positive?');
    await page.getByTestId('chat-send').click();
    await page.getByTestId('triage-answer').waitFor({ timeout: 45_000 });
    await page
      .getByTestId('chat-status')
      .getByText(/answer tokens/)
      .waitFor({ timeout: 45_000 });
    await shot('triaged');

    const stored = await invoke<ConversationDetail>('conversations.get', { id: alert.id });
    const answer = stored.messages.at(-1)!;
    expect(stored.messages.at(-2)).toMatchObject({ role: 'user' });
    expect(answer).toMatchObject({ role: 'assistant', modelId: tiny!.modelId, stopped: false, error: null });
    expect(answer.content.trim().length).toBeGreaterThan(0);
    expect(answer.completionTokens).toBeGreaterThan(0);
    expect(answer.structured).not.toBeNull();
  });

  it('labels it with an ATT&CK technique picked by search', async () => {
    await page.getByRole('heading', { name: 'Training label' }).waitFor();
    await page.getByRole('button', { name: 'Mark for training' }).click();
    const panel = page.getByTestId('label-panel');
    await panel.getByRole('heading', { name: 'Mark for training' }).waitFor();
    // The corrected answer starts as the tiny model's answer.
    const stored = await invoke<ConversationDetail>('conversations.get', { id: alert.id });
    const answerBox = panel.getByLabel('Corrected answer');
    await expect.poll(() => answerBox.inputValue()).toBe(stored.messages.at(-1)!.content);

    await panel.getByRole('radio', { name: 'True positive' }).check();
    await panel.getByLabel('Threat type').fill('Persistence');
    await panel.getByRole('radio', { name: 'high' }).check();
    const picker = panel.getByRole('combobox', { name: 'ATT&CK techniques' });
    await picker.fill(TECHNIQUE.query);
    const option = panel.getByRole('option', { name: TECHNIQUE.name });
    await option.waitFor();
    await shot('technique-search');
    await option.click();
    await expect
      .poll(() => panel.getByRole('listitem').allTextContents())
      .toEqual([expect.stringContaining(TECHNIQUE.id)]);
    await panel.getByRole('radio', { name: 'high' }).focus();
    await page.keyboard.press('4');
    await expect.poll(() => panel.getByRole('radio', { name: '4' }).isChecked()).toBe(true);
    const corrected =
      'True positive: root signed in without MFA and changed the billing contact address. ' +
      'Rotate the root credentials, enable MFA and restore the contact details.';
    await answerBox.fill(corrected);
    await shot('label-panel');
    await panel.getByRole('button', { name: 'Save label' }).click();
    await page.getByTestId('toast').filter({ hasText: 'Added to the pending review queue.' }).waitFor();
    await panel.waitFor({ state: 'hidden' });
    await shot('labelled');

    const saved = await invoke<{ label: TrainingLabel | null; review: ReviewState | null }>('labels.get', {
      conversationId: alert.id,
    });
    expect(saved.label).toMatchObject({
      conversationId: alert.id,
      verdict: 'true_positive',
      threatType: 'persistence',
      severity: 'high',
      techniques: [TECHNIQUE.id],
      quality: 4,
      correctedAnswer: corrected,
      labeller: 'e2e-analyst',
    });
    expect(saved.review).toMatchObject({ status: 'pending' });
  });

  it('shows the labelled alert in the Pending tab of the review queue', async () => {
    await page.getByRole('link', { name: 'Review queue' }).click();
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
    const pending = page.getByRole('tab', { name: /^Pending/ });
    await expect.poll(() => pending.getAttribute('aria-selected')).toBe('true');
    const counts = await invoke<{ byStatus: Record<string, number> }>('review.countByFilter', {});
    await expect.poll(() => pending.textContent()).toBe(`Pending ${counts.byStatus.pending}`);
    // Newest first: the label just saved heads the queue.
    const list = page.getByRole('listbox', { name: /examples$/ });
    const row = list.getByRole('option', { name: alert.title });
    await row.waitFor();
    expect(await list.getByRole('option').first().getAttribute('aria-label')).toBe(alert.title);
    await row.click();
    const detail = page.getByTestId('review-detail');
    await detail.getByText(TECHNIQUE.id).first().waitFor();
    await detail
      .getByText(/root signed in without MFA/)
      .first()
      .waitFor();
    // The alert is the example's context.
    await detail.getByRole('button', { name: 'Show the raw alert' }).click();
    await detail.locator('pre').getByText(`"eventName": "${ALERT_EVENT}"`).waitFor();
    await shot('review-pending');
  });

  it('logged no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});

/**
 * Chat on the Triage page with the generated tiny model, in Debian's Chromium over the headless host:
 * send, watch the answer stream, press Esc, and see the partial answer kept and marked stopped. Also the
 * Models page with the demo model's header facts. Screenshots land in test-results/screenshots/.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { startHttpHost, type HttpHost } from '../../src-main/hosts/http/httpHost';
import type { ConversationDetail, ConversationSummary } from '../../src-main/contract/index';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RENDERER_DIR = path.join(ROOT, 'out/renderer');
const SCREENSHOTS = path.join(ROOT, 'test-results/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function ensureBuilt(): void {
  if (fs.existsSync(path.join(RENDERER_DIR, 'index.html')) && fs.existsSync(path.join(ROOT, 'out/main/serve.js')))
    return;
  execFileSync(path.join(ROOT, 'node_modules/.bin/electron-vite'), ['build'], { cwd: ROOT, stdio: 'inherit' });
}

describe('chat with the tiny model in the real renderer', () => {
  let workbench: Workbench;
  let host: HttpHost;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    workbench = await createWorkbench({
      dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tw-chat-e2e-')),
      actor: 'e2e',
    });
    await workbench.invoke('settings.set', { key: 'runtime.local', value: { threads: 1 } });
    host = await startHttpHost({ workbench, rendererDir: RENDERER_DIR });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await workbench?.close();
  });

  it('streams an answer, stops on Esc, and keeps the partial answer', async () => {
    const list = await workbench.invoke('conversations.list', { limit: 5 });
    const first = (list as { value: { items: ConversationSummary[] } }).value.items[0]!;
    await page.goto(host.url);
    await page.waitForURL(/#\/triage$/);
    await page.getByRole('listbox', { name: 'Conversations' }).getByRole('option', { name: first.title }).click();
    const composer = page.getByTestId('chat-input');
    await composer.waitFor();
    await expect.poll(() => page.getByTestId('chat-model').inputValue()).not.toBe('');
    await page.getByTestId('chat-task').selectOption('triage');
    // Free text for this one: the structured answer is tried below.
    await page.getByTestId('chat-structured').uncheck();
    await composer.fill('Is this a true positive? Walk me through it.');
    await composer.press('Enter');
    // The answer streams into the message list; Esc stops it.
    await page.locator('.message.role-assistant .chat-cursor').waitFor();
    // Real text, not the "Thinking…" shown while the worker starts and loads the model.
    const answerText = () => page.locator('.message.role-assistant .message-content').last().innerText();
    await expect
      .poll(async () => (await answerText()).replace('Thinking…', '').trim().length, { timeout: 30_000 })
      .toBeGreaterThan(3);
    await page.keyboard.press('Escape');
    await page.getByTestId('chat-status').getByText('stopped — partial answer kept').waitFor();
    await page.locator('.message.role-assistant .chip-warn', { hasText: 'stopped' }).waitFor();
    const shown = await page.locator('.message.role-assistant .message-content').last().innerText();
    const stored = await workbench.invoke('conversations.get', { id: first.id });
    const answer = (stored as { value: ConversationDetail }).value.messages.at(-1)!;
    expect(answer).toMatchObject({ role: 'assistant', stopped: true });
    expect(answer.content.length).toBeGreaterThan(0);
    expect(shown.trim()).toBe(answer.content.trim());
    await page.screenshot({ path: path.join(SCREENSHOTS, 'triage-chat-stopped.png') });

    // A structured triage answer shows as badges.
    await page.getByTestId('chat-structured').check();
    await composer.fill('Triage it.');
    await page.getByTestId('chat-send').click();
    await page.getByTestId('triage-answer').waitFor({ timeout: 60_000 });
    await page
      .getByTestId('chat-status')
      .getByText(/answer tokens/)
      .waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'triage-chat-structured.png') });
  });

  it('shows the registry with the demo model and refuses a bad file clearly', async () => {
    await page.getByRole('link', { name: 'Models' }).click();
    const row = page.locator('[data-testid^="model-row-"]').first();
    await row.getByText('Tiny demo model', { exact: true }).waitFor();
    await row.getByText('llama', { exact: true }).waitFor();
    await row.getByText('F32', { exact: true }).waitFor();
    const bad = path.join(workbench.dataDir, 'not-a-model.gguf');
    fs.writeFileSync(bad, 'hello');
    await page.getByLabel('File path').fill(bad);
    await page.getByRole('button', { name: 'Add model' }).click();
    await page
      .getByTestId('add-model-error')
      .getByText(/Not a usable model/)
      .waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'models.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});

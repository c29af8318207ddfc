/**
 * Settings → Endpoints in the real renderer (built by electron-vite, served by the headless host,
 * driven in Debian's Chromium) against the OpenAI stand-in: add an endpoint with a key, test the
 * connection, see a rejected key marked, and never see a key come back to the page.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { startHttpHost, type HttpHost } from '../../src-main/hosts/http/httpHost';
import { startOpenAIStandin, type OpenAIStandin } from '../standin/openaiStandin';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RENDERER_DIR = path.join(ROOT, 'out/renderer');
const SCREENSHOTS = path.join(ROOT, 'test-results/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const KEY = 'sk-canary-DO-NOT-LEAK-e2e-5c1d9a';
const WRONG_KEY = 'sk-wrong-DO-NOT-LEAK-e2e-000000';

function ensureBuilt(): void {
  if (fs.existsSync(path.join(RENDERER_DIR, 'index.html'))) return;
  execFileSync(path.join(ROOT, 'node_modules/.bin/electron-vite'), ['build'], { cwd: ROOT, stdio: 'inherit' });
}

describe('Settings → Endpoints in Chromium', () => {
  let workbench: Workbench;
  let host: HttpHost;
  let standin: OpenAIStandin;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  /** Every body the host sent the page. */
  const bodies: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    standin = await startOpenAIStandin({ apiKey: KEY });
    workbench = await createWorkbench({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tw-e2e-ep-')), seed: false });
    host = await startHttpHost({ workbench, rendererDir: RENDERER_DIR });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('response', (res) => {
      if (res.url().includes('/api/invoke'))
        void res.text().then(
          (t) => bodies.push(t),
          () => {},
        );
    });
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await workbench?.close();
    await standin?.close();
  });

  it('adds an endpoint, tests it, marks a rejected key, and never shows a key', async () => {
    await page.goto(host.url.replace(/#.*$/, '') + '#/settings');
    const card = page.getByTestId('endpoints-settings');
    await card.getByTestId('endpoints-empty').waitFor();

    const form = card.getByRole('form', { name: 'Add an endpoint' });
    await form.getByLabel('Name').fill('Lab stand-in');
    await form.getByLabel('Kind').selectOption('openai_compatible');
    await form.getByLabel('Base URL').fill(standin.url);
    const keyField = form.getByLabel('API key');
    expect(await keyField.getAttribute('type')).toBe('password');
    await keyField.fill(WRONG_KEY);
    await form.getByRole('button', { name: 'Add endpoint' }).click();

    const row = card.getByTestId('endpoint-row').filter({ hasText: 'Lab stand-in' });
    await row.waitFor();
    // The typed key is gone from the form as soon as it was sent.
    expect(await keyField.inputValue()).toBe('');
    await row.getByTestId('endpoint-key').getByText('key set').waitFor();

    await row.getByRole('button', { name: 'Test connection' }).click();
    await row
      .getByTestId('endpoint-test-result')
      .getByText(/key was rejected/)
      .waitFor();
    await row.getByTestId('endpoint-key-invalid').waitFor();

    await row.getByRole('button', { name: 'Replace key' }).click();
    const newKey = row.getByLabel('New key for Lab stand-in');
    expect(await newKey.getAttribute('type')).toBe('password');
    expect(await newKey.inputValue()).toBe('');
    await newKey.fill(KEY);
    await row.getByRole('button', { name: 'Save key' }).click();
    await newKey.waitFor({ state: 'detached' });
    await row.getByRole('button', { name: 'Test connection' }).click();
    await row
      .getByTestId('endpoint-test-result')
      .getByText(/Connected: 2 models listed/)
      .waitFor();
    await row.getByText('key accepted').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'settings-endpoints.png'), fullPage: true });

    // Invalid input is explained, nothing is added.
    await form.getByLabel('Name').fill('Bad');
    await form.getByLabel('Base URL').fill('ftp://example.com/v1');
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await form
      .getByRole('alert')
      .getByText(/http:\/\/ or https:\/\//)
      .waitFor();

    // Removal asks once more.
    await row.getByRole('button', { name: 'Remove…' }).click();
    await row.getByRole('button', { name: 'Remove Lab stand-in' }).click();
    await card.getByTestId('endpoints-empty').waitFor();

    const html = await page.content();
    for (const k of [KEY, WRONG_KEY, 'DO-NOT-LEAK']) {
      expect(html.includes(k), `page contains ${k}`).toBe(false);
      for (const b of bodies) expect(b.includes(k), `a host response contains ${k}`).toBe(false);
    }
    expect(bodies.length).toBeGreaterThan(5);
    expect(problems).toEqual([]);
  });
});

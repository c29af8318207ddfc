/**
 * The real renderer, built by electron-vite, served by the headless host and driven in Debian's
 * Chromium. Screenshots of every page land in test-results/screenshots/ for a human to look at.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { startHttpHost, type HttpHost } from '../../src-main/hosts/http/httpHost';
import type { ConversationSummary } from '../../src-main/contract/index';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RENDERER_DIR = path.join(ROOT, 'out/renderer');
const SERVE_JS = path.join(ROOT, 'out/main/serve.js');
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

const PAGES = [
  { key: 'triage', label: 'Triage', heading: 'Triage' },
  { key: 'review', label: 'Review queue', heading: 'Review queue' },
  { key: 'datasets', label: 'Datasets', heading: 'Datasets' },
  { key: 'jobs', label: 'Jobs', heading: 'Jobs' },
  { key: 'models', label: 'Models', heading: 'Models' },
  { key: 'evaluate', label: 'Evaluate & compare', heading: 'Evaluate & compare' },
  { key: 'settings', label: 'Settings', heading: 'Settings' },
] as const;

/** `npm test` builds first; a bare `vitest run` builds here once when the output is missing. */
function ensureBuilt(): void {
  if (fs.existsSync(path.join(RENDERER_DIR, 'index.html')) && fs.existsSync(SERVE_JS)) return;
  execFileSync(path.join(ROOT, 'node_modules/.bin/electron-vite'), ['build'], { cwd: ROOT, stdio: 'inherit' });
}

function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe('renderer shell over the headless host', () => {
  let workbench: Workbench;
  let host: HttpHost;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let seeded: ConversationSummary[];
  const problems: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    workbench = await createWorkbench({ dataDir: tmpDir('tw-e2e-'), actor: 'e2e' });
    host = await startHttpHost({ workbench, rendererDir: RENDERER_DIR });
    const list = await workbench.invoke('conversations.list', { limit: 500 });
    if (!list.ok) throw new Error('conversations.list failed');
    seeded = (list.value as { items: ConversationSummary[] }).items;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    // Any script error or CSP violation is a failure, even if the page still looks right.
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

  it('opens with the token, drops it from the address bar, and lists the seeded conversations', async () => {
    expect(seeded.length).toBeGreaterThan(10);
    await page.goto(host.url);
    await page.waitForURL(/#\/triage$/);
    expect(page.url()).not.toContain('token=');
    const list = page.getByRole('listbox', { name: 'Conversations' });
    await expect.poll(() => list.getByRole('option').count()).toBeGreaterThan(10);
    for (const c of seeded.slice(0, 5)) {
      await list.getByRole('option', { name: c.title }).waitFor();
    }
    await page.getByText(`${seeded.length} conversations`).first().waitFor();
    // Status bar: data dir and counts from app.info.
    const status = page.getByRole('contentinfo');
    await status.getByText(workbench.dataDir).waitFor();
    // The demo model is registered and active on first start.
    const info = await workbench.invoke('app.info', {});
    if (!info.ok) throw new Error('app.info failed');
    const active = (info.value as { activeModels: { task: string; modelName: string }[] }).activeModels;
    const triageModel = active.find((a) => a.task === 'triage');
    expect(triageModel).toBeDefined();
    await status.getByText(triageModel!.modelName).first().waitFor();
    await page.getByRole('heading', { name: 'Pick an alert to triage' }).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'triage-empty.png') });
  });

  it('opens a conversation and shows its key fields and raw record', async () => {
    const c = seeded.find((s) => s.keyFields.user && s.keyFields.sourceIp && s.keyFields.host) ?? seeded[0]!;
    const list = page.getByRole('listbox', { name: 'Conversations' });
    await list.getByRole('option', { name: c.title }).click();
    await expect.poll(() => list.getByRole('option', { name: c.title }).getAttribute('aria-selected')).toBe('true');
    const conversation = page.getByRole('region', { name: 'Conversation' });
    await conversation.getByRole('heading', { name: c.title }).waitFor();
    const fields = page.getByTestId('key-fields');
    for (const [label, value] of [
      ['Host', c.keyFields.host],
      ['User', c.keyFields.user],
      ['Source IP', c.keyFields.sourceIp],
      ['Rule', c.keyFields.rule],
      ['Severity', c.keyFields.severity],
    ] as const) {
      await fields.getByText(label, { exact: true }).waitFor();
      if (value) await fields.getByText(value, { exact: true }).first().waitFor();
    }
    const raw = await page.getByTestId('raw-record').textContent();
    expect(() => JSON.parse(raw ?? '')).not.toThrow();
    // The composer slot is there for the chat work to fill.
    await page.locator('[data-slot="chat-composer"]').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'triage.png') });
  });

  it('searches with the debounced box and filters by source', async () => {
    const search = page.getByRole('searchbox', { name: 'Search conversations' });
    await search.fill('Kubernetes');
    const list = page.getByRole('listbox', { name: 'Conversations' });
    // Full-text search covers titles and the raw records, so ask the core what should match.
    const matching = await workbench.invoke('conversations.list', { text: 'Kubernetes', limit: 500 });
    if (!matching.ok) throw new Error('conversations.list failed');
    const expected = (matching.value as { total: number }).total;
    expect(expected).toBeGreaterThan(0);
    await expect.poll(() => list.getByRole('option').count()).toBe(expected);
    await search.fill('');
    await page.getByRole('combobox', { name: 'Filter by source' }).selectOption('triage_chat');
    await page.getByText('No matches').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await expect.poll(() => list.getByRole('option').count()).toBeGreaterThan(10);
  });

  it('creates a conversation from the button and picks up one created elsewhere', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    const dialog = page.getByRole('dialog', { name: 'New conversation' });
    await dialog.getByLabel('Title').fill('Kerberoasting burst on DC01');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const list = page.getByRole('listbox', { name: 'Conversations' });
    await expect
      .poll(() => list.getByRole('option', { name: 'Kerberoasting burst on DC01' }).getAttribute('aria-selected'))
      .toBe('true');
    await page.getByRole('region', { name: 'Conversation' }).getByText('No messages yet').waitFor();
    // Made by someone else (here: straight through the core): arrives over server-sent events.
    const other = await workbench.invoke('conversations.create', { title: 'Impossible travel for j.doe' });
    expect(other.ok).toBe(true);
    await list.getByRole('option', { name: 'Impossible travel for j.doe' }).waitFor();
  });

  it('visits every page through the nav and saves a screenshot of each', async () => {
    const nav = page.getByRole('navigation', { name: 'Primary' });
    for (const p of PAGES) {
      await nav.getByRole('link', { name: p.label }).click();
      await page.waitForURL(new RegExp(`#/${p.key}$`));
      await page.getByRole('heading', { level: 1, name: p.heading, exact: true }).waitFor();
      expect(await nav.getByRole('link', { name: p.label }).getAttribute('aria-current')).toBe('page');
      // No page may come up with an error banner.
      expect(
        await page
          .getByRole('alert')
          .filter({ hasText: /failed|error/i })
          .count(),
      ).toBe(0);
      if (p.key === 'triage') {
        const first = seeded[0]!;
        await page.getByRole('option', { name: first.title }).click();
        await page.getByRole('region', { name: 'Conversation' }).getByRole('heading', { name: first.title }).waitFor();
      }
      if (p.key === 'settings') {
        await page.getByTestId('settings-datadir').getByText(workbench.dataDir).waitFor();
      }
      await page.screenshot({ path: path.join(SCREENSHOTS, `${p.key}.png`) });
    }
    await expect.poll(() => page.title()).toBe('Settings — Triage Workbench');
  });

  it('switches pages with g-sequences and shows the shortcuts overlay', async () => {
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('g');
    await page.keyboard.press('d');
    await page.waitForURL(/#\/datasets$/);
    await page.keyboard.press('g');
    await page.keyboard.press('t');
    await page.waitForURL(/#\/triage$/);
    await page.keyboard.press('Shift+Slash');
    const overlay = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await overlay.waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'shortcuts.png') });
    await page.keyboard.press('Escape');
    await overlay.waitFor({ state: 'hidden' });
    // j/k move through the list.
    const selected = page.getByRole('listbox', { name: 'Conversations' }).getByRole('option', { selected: true });
    const before = await selected.getAttribute('id');
    await page.keyboard.press('j');
    await expect.poll(() => selected.getAttribute('id')).not.toBe(before);
  });

  it('switches to the dark theme from Settings and keeps it across a reload', async () => {
    await page.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('radio', { name: 'Dark' }).check();
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'settings-dark.png') });
    // The URL no longer carries the token: the reload works through the HttpOnly cookie.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.getByTestId('settings-datadir').getByText(workbench.dataDir).waitFor();
    await page.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: 'Triage' }).click();
    const first = seeded[0]!;
    await page.getByRole('option', { name: first.title }).click();
    await page.getByTestId('raw-record').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'triage-dark.png') });
    // The keyboard toggle flips it back.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+Shift+L');
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('light');
  });

  it('refuses requests without the token and requests from a foreign origin', async () => {
    const body = JSON.stringify({ command: 'app.info', args: {} });
    const headers = { 'content-type': 'application/json' };
    const noToken = await fetch(`${host.origin}/api/invoke`, { method: 'POST', headers, body });
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const foreign = await fetch(`${host.origin}/api/invoke`, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${host.token}`, origin: 'http://evil.example' },
      body,
    });
    expect(foreign.status).toBe(403);
    const ok = await fetch(`${host.origin}/api/invoke`, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${host.token}` },
      body,
    });
    expect(ok.status).toBe(200);
  });

  it('logged no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});

describe('npm run serve (out/main/serve.js)', () => {
  let child: ChildProcess | null = null;

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('prints an Open: URL that serves the app and answers app.info', async () => {
    ensureBuilt();
    const dataDir = tmpDir('tw-serve-');
    const proc = spawn(process.execPath, [SERVE_JS, '--data-dir', dataDir, '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no Open: line within 30 s; stderr: ${stderr}`)), 30_000);
      proc.once('exit', (code) => reject(new Error(`serve exited with ${code}; stderr: ${stderr}`)));
      readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
        const m = /^Open: (\S+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    const parsed = new URL(url);
    expect(parsed.hostname).toBe('127.0.0.1');
    const token = parsed.searchParams.get('token');
    expect(token).toBeTruthy();

    const pageRes = await fetch(url);
    expect(pageRes.status).toBe(200);
    expect(pageRes.headers.get('content-type')).toContain('text/html');
    expect(pageRes.headers.get('set-cookie')).toContain('HttpOnly');
    expect(await pageRes.text()).toContain('<div id="root">');

    const info = await fetch(`${parsed.origin}/api/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ command: 'app.info', args: {} }),
    });
    expect(info.status).toBe(200);
    const body = (await info.json()) as { ok: boolean; value: { dataDir: string; host: string } };
    expect(body.ok).toBe(true);
    expect(body.value.host).toBe('http');
    expect(fs.realpathSync(body.value.dataDir)).toBe(fs.realpathSync(dataDir));

    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = null;
  });
});

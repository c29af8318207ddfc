/**
 * Evaluate & compare in Debian's Chromium, over the headless host: run an evaluation of two generated
 * models from the dashboard, drill into a confusion-matrix cell, vote in blind A/B, then promote a
 * version on the Models page and roll it back. Screenshots: test-results/screenshots/evaluate-*.png.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { startHttpHost, type HttpHost } from '../../src-main/hosts/http/httpHost';
import { buildEvalWorkspace, tmpDir, type EvalWorkspace } from '../cli/evalWorkspace';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RENDERER_DIR = path.join(ROOT, 'out/renderer');
const SCREENSHOTS = path.join(ROOT, 'test-results/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-sync',
];

function ensureBuilt(): void {
  if (fs.existsSync(path.join(RENDERER_DIR, 'index.html'))) return;
  execFileSync(path.join(ROOT, 'node_modules/.bin/electron-vite'), ['build'], { cwd: ROOT, stdio: 'inherit' });
}

describe('evaluate, compare, promote and roll back in the browser', () => {
  let ws: EvalWorkspace;
  let workbench: Workbench;
  let host: HttpHost;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `evaluate-${name}.png`) });

  beforeAll(async () => {
    ensureBuilt();
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    ws = await buildEvalWorkspace(tmpDir('tw-eval-e2e-'), { examples: 16 });
    workbench = await createWorkbench({ dataDir: ws.dataDir, actor: 'e2e-analyst', seed: false });
    host = await startHttpHost({ workbench, rendererDir: RENDERER_DIR });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await workbench?.close();
  });

  it('runs an evaluation of two models from the dashboard', async () => {
    await page.goto(host.url);
    await page.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: 'Evaluate & compare' }).click();
    await page.waitForURL(/#\/evaluate$/);
    await page.getByRole('heading', { name: 'No evaluations yet' }).waitFor();
    await shot('empty');
    const form = page.getByRole('form', { name: 'New evaluation' });
    await form.getByRole('checkbox', { name: 'base' }).check();
    await form.getByRole('checkbox', { name: 'ft-3' }).check();
    await form.getByLabel('Parallel sequences').fill('2');
    await form.getByRole('button', { name: 'Run evaluation (2 models)' }).click();
    const detail = page.getByTestId('eval-detail');
    await detail.waitFor();
    await expect.poll(() => detail.getAttribute('data-status'), { timeout: 150_000, interval: 500 }).toBe('succeeded');
    for (const id of [ws.baseId, ws.ftId]) {
      const card = page.getByTestId(`metric-card-${id}`);
      await card.getByText(`${ws.testCount}/${ws.testCount} answered`).waitFor();
      await card.getByRole('listitem').filter({ hasText: 'Accuracy > 90%' }).waitFor();
    }
    await expect.poll(() => page.getByTestId('history-chart').getAttribute('data-points')).toBe('1');
    await shot('dashboard');
  }, 200_000);

  it('drills down from a confusion-matrix cell to its examples', async () => {
    const matrix = page.getByTestId(`matrix-${ws.baseId}`);
    const cell = matrix.locator('button.eval-cell').first();
    const label = (await cell.getAttribute('aria-label'))!;
    const n = Number(/^(\d+)/.exec(label)![1]);
    await cell.click();
    const drill = page.getByTestId('drill-down');
    await drill.getByText(`${n} example${n === 1 ? '' : 's'}`).waitFor();
    await expect.poll(() => drill.locator('ol > li').count()).toBe(n);
    await drill.locator('ol > li').first().getByText('Raw answer').click();
    await matrix.scrollIntoViewIfNeeded();
    await shot('drilldown');
    // another field's matrix
    await page.getByRole('radiogroup', { name: 'Field' }).getByText('Severity').click();
    await page.getByTestId(`matrix-${ws.ftId}`).getByRole('columnheader', { name: 'critical' }).waitFor();
  });

  it('votes in blind A/B with the names hidden until the vote', async () => {
    const sbs = page.getByTestId('side-by-side');
    await sbs
      .getByLabel('Alert or prompt')
      .fill('40 failed ssh logins for root from 203.0.113.7, then one success. Triage it.');
    await sbs.getByLabel('First model').selectOption({ label: 'base' });
    await sbs.getByLabel('Second model').selectOption({ label: 'ft-3' });
    expect(await sbs.getByRole('checkbox', { name: 'Blind A/B' }).isChecked()).toBe(true);
    await sbs.getByRole('button', { name: 'Compare' }).click();
    await sbs.getByTestId('model-a').getByText('Hidden until you vote').waitFor();
    await sbs.getByTestId('model-b').getByText('Hidden until you vote').waitFor();
    const voteB = sbs.getByRole('button', { name: 'B is better' });
    await expect.poll(() => voteB.isEnabled(), { timeout: 60_000 }).toBe(true);
    expect((await sbs.getByTestId('answer-a').locator('pre').textContent())!.length).toBeGreaterThan(0);
    await sbs.getByTestId('answer-a').scrollIntoViewIfNeeded();
    await shot('ab-blind');
    await voteB.click();
    const result = sbs.getByTestId('vote-result');
    await result.getByText(/A was (base|ft-3), B was (base|ft-3)\./).waitFor();
    const stats = sbs.getByTestId('ab-stats');
    await stats.getByRole('rowheader', { name: 'base vs ft-3' }).waitFor();
    await stats.getByRole('rowheader', { name: 'e2e-analyst' }).waitFor();
    await stats.scrollIntoViewIfNeeded();
    await shot('ab-voted');
    const row = workbench.db.prepare('SELECT vote, analyst, blind FROM ab_votes').get();
    expect(row).toEqual({ vote: 'b', analyst: 'e2e-analyst', blind: 1 });
  }, 90_000);

  it('promotes a version on the Models page and rolls it back', async () => {
    await page.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: 'Models' }).click();
    await page.waitForURL(/#\/models$/);
    const panel = page.getByTestId('registry-panel');
    const active = panel.getByTestId('active-triage');
    await active.getByText(/^Tiny demo model/).waitFor();
    await panel.getByRole('button', { name: 'Promote ft-3 for Alert triage' }).click();
    await active.locator('.reg-active-name', { hasText: 'ft-3' }).waitFor();
    await active.getByText(/^Tiny demo model/).waitFor();
    await panel.getByTestId('registry-history').getByText('ft-3').first().waitFor();
    await panel.getByTestId('registry-active').scrollIntoViewIfNeeded();
    await shot('promoted');

    await panel.getByRole('button', { name: 'Model card of ft-3' }).click();
    const dialog = page.getByRole('dialog', { name: 'Model card: ft-3' });
    await dialog.getByText('base → ft-3').waitFor();
    await dialog.getByText('eval-set v1 ·', { exact: false }).waitFor();
    await dialog.getByText('epochs 3', { exact: false }).waitFor();
    await shot('model-card');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await panel.getByRole('button', { name: /^Roll back Alert triage to Tiny demo model/ }).click();
    await active.locator('.reg-active-name', { hasText: 'Tiny demo model' }).waitFor();
    await panel.getByTestId('registry-history').locator('li').first().getByText('rollback').waitFor();
    await panel.getByTestId('registry-active').scrollIntoViewIfNeeded();
    await shot('rolled-back');
    const rows = workbench.db.prepare('SELECT action FROM active_model_history ORDER BY id').all();
    expect(rows).toEqual([{ action: 'promote' }, { action: 'rollback' }]);
  }, 60_000);

  it('logged no script errors', () => {
    expect(problems).toEqual([]);
  });
});

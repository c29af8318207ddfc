/**
 * Small helpers for the review e2e: the built renderer served by the headless host in this process,
 * driven in Debian's Chromium. (The shell e2e keeps its own inline; these are just what review needs.)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { startHttpHost, type HttpHost } from '../../src-main/hosts/http/httpHost';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const SCREENSHOTS = path.join(ROOT, 'test-results/screenshots');
const RENDERER_DIR = path.join(ROOT, 'out/renderer');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-sync',
];

export interface ReviewE2e {
  workbench: Workbench;
  host: HttpHost;
  browser: Browser;
  page: Page;
  /** Page errors, console errors and CSP violations seen so far. */
  problems: string[];
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Builds the renderer when it is missing, then opens a fresh workspace in Chromium through the host. */
export async function openReviewE2e(actor: string): Promise<ReviewE2e> {
  if (!fs.existsSync(path.join(RENDERER_DIR, 'index.html'))) {
    execFileSync(path.join(ROOT, 'node_modules/.bin/electron-vite'), ['build'], { cwd: ROOT, stdio: 'inherit' });
  }
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const workbench = await createWorkbench({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tw-review-e2e-')), actor });
  const host = await startHttpHost({ workbench, rendererDir: RENDERER_DIR });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  return {
    workbench,
    host,
    browser,
    page,
    problems,
    shot: async (name) => {
      await page.screenshot({ path: path.join(SCREENSHOTS, `review-${name}.png`) });
    },
    close: async () => {
      await browser.close();
      await host.close();
      await workbench.close();
    },
  };
}

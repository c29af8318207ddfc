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
import { headlessRoutes } from '../../src-main/hosts/http/serve';

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
  /** Saves test-results/screenshots/review-<name>.png (the whole scrolled page when `fullPage`). */
  shot(name: string, fullPage?: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Builds the renderer when it is missing, then opens a fresh workspace in Chromium through the host. */
export async function openReviewE2e(actor: string): Promise<ReviewE2e> {
  if (!fs.existsSync(path.join(RENDERER_DIR, 'index.html'))) {
    execFileSync(path.join(ROOT, 'node_modules/.bin/electron-vite'), ['build'], { cwd: ROOT, stdio: 'inherit' });
  }
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const workbench = await createWorkbench({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tw-review-e2e-')), actor });
  // The same extra routes as `npm run serve` (uploads, export downloads).
  const host = await startHttpHost({
    workbench,
    rendererDir: RENDERER_DIR,
    extraRoutes: headlessRoutes(workbench.dataDir),
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    colorScheme: 'light',
    acceptDownloads: true,
  });
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
    shot: async (name, fullPage = false) => {
      const file = path.join(SCREENSHOTS, `review-${name}.png`);
      if (!fullPage) {
        await page.screenshot({ path: file });
        return;
      }
      // The app scrolls inside its main pane, not the document: grow the window to the pane's content.
      const size = page.viewportSize()!;
      const overflow = await page.evaluate<number>(
        "(() => { const p = document.querySelector('main .page'); return p ? p.scrollHeight - p.clientHeight : 0; })()",
      );
      await page.setViewportSize({ width: size.width, height: size.height + Math.max(0, overflow) });
      await page.screenshot({ path: file });
      await page.setViewportSize(size);
    },
    close: async () => {
      await browser.close();
      await host.close();
      await workbench.close();
    },
  };
}

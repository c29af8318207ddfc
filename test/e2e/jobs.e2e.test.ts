/**
 * The job monitor in Debian's Chromium, over the headless host, on the demo workspace: start an OpenAI
 * fine-tune against the stand-in and watch its loss chart move, cancel another job, see the local queue,
 * and the plain message when OpenAI refuses to create a job. Screenshots: test-results/screenshots/jobs-*.png.
 *
 * The moving chart comes from an OpenAI job against the stand-in: the llama.cpp trainer's `local_train`
 * runner is not registered in this build yet, so the local jobs here (queue, cancel) run on the small
 * fake runner from test/training-openai/fakeLocalRunner.ts.
 *
 * The renderer is built into a temporary folder for this file (so a concurrent `electron-vite build` of
 * out/ never races it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'vite';
import react from '@vitejs/plugin-react';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { startHttpHost, type HttpHost } from '../../src-main/hosts/http/httpHost';
import type { DatasetVersionDetail, EndpointSummary, Job } from '../../src-main/contract/index';
import { addMany } from '../datasets/helpers';
import { startOpenAIStandin, type OpenAIStandin } from '../standin/openaiStandin';
import { fakeLocalCapability, fakeLocalRunner } from '../training-openai/fakeLocalRunner';
import { KEY, ok, tune, waitFor } from '../training-openai/helpers';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCREENSHOTS = path.join(ROOT, 'test-results/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-sync',
];

async function buildRenderer(outDir: string): Promise<void> {
  // vitest sets NODE_ENV=test, which would give React's development build: build as the app ships.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      root: path.join(ROOT, 'src-renderer'),
      base: './',
      mode: 'production',
      plugins: [react()],
      logLevel: 'warn',
      configFile: false,
      build: { outDir, emptyOutDir: true, rollupOptions: { input: path.join(ROOT, 'src-renderer/index.html') } },
    });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}

describe('job monitor in Chromium', () => {
  let workbench: Workbench;
  let host: HttpHost;
  let standin: OpenAIStandin;
  let browser: Browser;
  let page: Page;
  let endpoint: EndpointSummary;
  let version: DatasetVersionDetail;
  const problems: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `jobs-${name}.png`) });

  beforeAll(async () => {
    const rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-jobs-renderer-'));
    await buildRenderer(rendererDir);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    // The remote job advances on a clock, one step every 300 ms: slow enough to watch the chart move.
    standin = await startOpenAIStandin({ apiKey: KEY, fineTuning: { advance: { everyMs: 300 }, maxSteps: 36 } });
    workbench = await createWorkbench({
      dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tw-jobs-e2e-')),
      actor: 'e2e',
      extraCapabilities: [fakeLocalCapability(fakeLocalRunner({ stepMs: 400 }))],
    });
    tune(workbench, { pollMs: 250, timeoutMs: 5000 });
    // The demo workspace plus approved, labelled examples to build a version from.
    addMany(workbench.db, 60, (i) => ({ quality: i % 4 === 0 ? 3 : 5 }));
    version = ok<DatasetVersionDetail>(
      await workbench.invoke('datasets.createVersion', {
        name: 'Demo triage',
        options: { limits: { min: 10, max: 1000 } },
      }),
    );
    endpoint = ok<EndpointSummary>(
      await workbench.invoke('endpoints.add', {
        name: 'OpenAI (stand-in)',
        kind: 'openai',
        baseUrl: standin.url,
        apiKey: KEY,
      }),
    );
    host = await startHttpHost({ workbench, rendererDir });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: 'light' });
    page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await workbench?.close();
    await standin?.close();
  });

  async function openForm(): Promise<ReturnType<Page['getByRole']>> {
    await page.getByRole('button', { name: 'Start job' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Start job' });
    await dialog.getByLabel('Dataset version').waitFor();
    return dialog;
  }

  async function startOpenAIFromForm(suffix: string): Promise<number> {
    const dialog = await openForm();
    await dialog.getByLabel('Task / model type').selectOption('threat_detection');
    await dialog.getByRole('radio', { name: 'OpenAI' }).check();
    await dialog.getByTestId('openai-notice').waitFor();
    await dialog.getByLabel('Dataset version').selectOption(String(version.id));
    await dialog.getByLabel('Suffix (optional)').fill(suffix);
    await dialog.getByLabel('Epochs').fill('3');
    const before = ok<{ items: Job[] }>(await workbench.invoke('jobs.list', {})).items.length;
    await dialog.getByRole('button', { name: 'Start job' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const jobs = await waitFor('the new job', async () => {
      const items = ok<{ items: Job[] }>(await workbench.invoke('jobs.list', {})).items;
      return items.length > before ? items : null;
    });
    return jobs[0]!.id;
  }

  const lossPoints = async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'));

  it('shows the training-data overview and an empty job list on the demo workspace', async () => {
    await page.goto(host.url);
    await page.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: 'Jobs' }).click();
    await page.waitForURL(/#\/jobs$/);
    await page.getByRole('heading', { level: 1, name: 'Jobs', exact: true }).waitFor();
    const overview = page.getByRole('region', { name: 'Training data overview' });
    const o = ok<{ total: number; approved: number; highQuality: number }>(
      await workbench.invoke('training.overview', {}),
    );
    expect(o.approved).toBeGreaterThanOrEqual(60);
    await overview.getByTestId('overview-total').getByText(o.total.toLocaleString('en-US'), { exact: true }).waitFor();
    await overview
      .getByTestId('overview-approved')
      .getByText(o.approved.toLocaleString('en-US'), { exact: true })
      .waitFor();
    await overview
      .getByTestId('overview-high-quality')
      .getByText(o.highQuality.toLocaleString('en-US'), { exact: true })
      .waitFor();
    await page.getByRole('heading', { name: 'No fine-tuning jobs yet' }).waitFor();
    await shot('empty');
  });

  it('starts an OpenAI fine-tune from the form and the loss chart moves', async () => {
    const dialog = await openForm();
    await dialog.getByRole('radio', { name: 'OpenAI' }).check();
    await expect.poll(() => dialog.getByTestId('openai-notice').textContent()).toContain('2027-01-06');
    // Client-side validation before anything is sent.
    await dialog.getByLabel('Suffix (optional)').fill('bad suffix!');
    await dialog.getByRole('button', { name: 'Start job' }).click();
    await dialog.getByText('Up to 64 letters, digits, "-" and "_".').waitFor();
    await shot('start-openai');
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await dialog.waitFor({ state: 'hidden' });

    const id = await startOpenAIFromForm('demo-triage');
    const detail = page.getByTestId('job-detail');
    await detail.getByRole('heading', { name: `OpenAI fine-tune #${id}` }).waitFor();
    await expect.poll(lossPoints, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    const first = await lossPoints();
    const firstText = await page.getByTestId('latest-metrics').textContent();
    await expect.poll(lossPoints, { timeout: 30_000 }).toBeGreaterThanOrEqual(first + 4);
    expect(await page.getByTestId('latest-metrics').textContent()).not.toBe(firstText);
    // The chart draws a real line: the train curve has a path with many points.
    const d = await page.locator('[data-testid="loss-chart"] .recharts-line-curve').first().getAttribute('d');
    expect((d ?? '').split(/[LC]/).length).toBeGreaterThan(4);
    await page
      .getByRole('listbox', { name: 'Jobs' })
      .getByRole('option', { selected: true })
      .getByText('Running')
      .waitFor();
    await expect.poll(() => page.getByTestId('remote-status').textContent()).toBe('running');
    await shot('running');
  });

  it('cancels another job: the remote job is cancelled too', async () => {
    const id = await startOpenAIFromForm('to-cancel');
    const detail = page.getByTestId('job-detail');
    await detail.getByRole('heading', { name: `OpenAI fine-tune #${id}` }).waitFor();
    await expect.poll(() => detail.locator('.job-badge').first().textContent(), { timeout: 20_000 }).toBe('Running');
    await detail.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => detail.locator('.job-badge').first().textContent(), { timeout: 20_000 }).toBe('Cancelled');
    await detail.getByRole('button', { name: 'Retry' }).waitFor();
    const remoteId = ok<Job>(await workbench.invoke('jobs.get', { id })).remoteId!;
    expect(standin.fineTuning.job(remoteId)!.status).toBe('cancelled');
    await page.getByTestId('event-log').getByText(`Cancelled OpenAI job ${remoteId}.`).waitFor();
    await shot('cancelled');
  });

  it('shows the local queue: one local job runs, the next waits its turn', async () => {
    for (const epochs of ['2', '1']) {
      const dialog = await openForm();
      await dialog.getByRole('radio', { name: 'Local (llama.cpp)' }).check();
      await dialog.getByLabel('Task / model type').selectOption('log_analysis');
      await dialog.getByLabel('Epochs').fill(epochs);
      await dialog.getByLabel('Learning rate', { exact: true }).fill('0.0002');
      await dialog.getByRole('button', { name: 'Start job' }).click();
      await dialog.waitFor({ state: 'hidden' });
    }
    const queue = page.getByTestId('local-queue');
    await queue.getByText(/running ·/).waitFor();
    await queue.getByText('waiting · 1st').waitFor();
    await page.getByRole('listbox', { name: 'Jobs' }).getByText('1st in queue').waitFor();
    await page.getByTestId('hyperparameters').getByText('0.0002').waitFor();
    await page
      .getByTestId('overview-jobs')
      .getByText(/· 1 queued ·/)
      .waitFor();
    await shot('local-queue');
  });

  it('the OpenAI job finishes: the fine-tuned model is in its lineage', async () => {
    const jobs = ok<{ items: Job[] }>(await workbench.invoke('jobs.list', { kind: 'openai_finetune' })).items;
    const first = jobs[jobs.length - 1]!;
    await page.getByRole('listbox', { name: 'Jobs' }).locator(`[data-job-id="${first.id}"]`).click();
    const detail = page.getByTestId('job-detail');
    await expect.poll(() => detail.locator('.job-badge').first().textContent(), { timeout: 40_000 }).toBe('Succeeded');
    const model = ok<Job>(await workbench.invoke('jobs.get', { id: first.id })).result!.fineTunedModel as string;
    await page.getByTestId('lineage').getByText(model).waitFor();
    await page
      .getByTestId('result-file')
      .getByText(/steps · final train loss/)
      .waitFor();
    await page.getByTestId('lineage').getByText(`Demo triage v${version.version}`).waitFor();
    await shot('succeeded');
    await page.getByTestId('event-log').scrollIntoViewIfNeeded();
    await page
      .getByTestId('event-log')
      .getByText(/^Registered ft:/)
      .waitFor();
    await shot('succeeded-log');
  });

  it('when OpenAI refuses job creation, the page says so plainly and offers local training', async () => {
    standin.fineTuning.refuseCreation();
    const id = await startOpenAIFromForm('refused');
    const detail = page.getByTestId('job-detail');
    await detail.getByRole('heading', { name: `OpenAI fine-tune #${id}` }).waitFor();
    const notice = page.getByTestId('creation-refused');
    await notice
      .getByText('OpenAI no longer accepts new fine-tuning jobs for this organisation.')
      .waitFor({ timeout: 20_000 });
    expect(await notice.textContent()).toContain('2027-01-06');
    await shot('openai-refused');
    await notice.getByRole('button', { name: 'Train locally instead' }).click();
    const dialog = page.getByRole('dialog', { name: 'Start job' });
    await expect.poll(() => dialog.getByRole('radio', { name: 'Local (llama.cpp)' }).isChecked()).toBe(true);
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    expect(problems).toEqual([]);
    void endpoint;
  });
});

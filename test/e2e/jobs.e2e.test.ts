/**
 * The job monitor in Debian's Chromium, over the headless host, on the demo workspace: the seeded demo
 * alerts that carry their sample's expected outcome are labelled, approved and built into a dataset version
 * through the app's commands (what an analyst and a labeller do in the UI); then, in the browser, a LOCAL
 * fine-tune of the tiny demo model (F32) is started from the "Start job" form and its loss chart moves, a
 * second local job waits its turn in the local queue, runs, and is cancelled. The OpenAI flow runs against
 * the stand-in: a fine-tune that finishes, one cancelled, and the plain message when OpenAI refuses to
 * create a job. Screenshots: test-results/screenshots/jobs-*.png.
 *
 * The local jobs run our llama.cpp trainer (tw-sft), built once and cached in TW_TRAINER_CACHE (default
 * ~/.cache/tw-trainer); kept short (a 0.3 M-parameter model, a few hundred tiny steps) for 2-core CI. The
 * local tests are skipped, with the reason shown, only when cmake or a C++ compiler is missing.
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
import type {
  ConversationSummary,
  DatasetVersionDetail,
  EndpointSummary,
  Job,
  JobEvent,
  Severity,
} from '../../src-main/contract/index';
import { checkToolchain, findTrainer } from '../../src-main/training/local/trainerBuild';
import { startOpenAIStandin, type OpenAIStandin } from '../standin/openaiStandin';
import { KEY, ok, tune, waitFor } from '../training-openai/helpers';

process.env.TW_TRAINER_CACHE ??= path.join(os.homedir(), '.cache', 'tw-trainer');
const toolchain = checkToolchain();
const trainerAvailable = toolchain.ok || findTrainer() !== null;

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

/**
 * The analyst's and labeller's part, through the same commands the UI sends: every seeded demo alert whose
 * sample states its expected outcome (Panther rule tests, Sigma regression events) is marked for training
 * with that outcome, the rule's severity and ATT&CK techniques, then the pending queue is approved in bulk.
 */
async function labelAndApproveDemoAlerts(wb: Workbench): Promise<number> {
  const list = ok<{ items: ConversationSummary[] }>(await wb.invoke('conversations.list', { limit: 500 }));
  let labelled = 0;
  for (const c of list.items) {
    const k = c.keyFields as Record<string, string | undefined>;
    if (k.expectedAlert !== 'true' && k.expectedAlert !== 'false') continue;
    const verdict = k.expectedAlert === 'true' ? 'true_positive' : 'benign';
    const severity = (k.severity ?? 'medium') as Severity;
    const techniques = k.attack ? k.attack.split(',') : [];
    ok(
      await wb.invoke('labels.save', {
        conversationId: c.id,
        verdict,
        threatType: k.rule ?? 'unknown',
        severity,
        techniques,
        quality: 5,
        correctedAnswer: `verdict: ${verdict} severity: ${severity}${techniques[0] ? ` technique: ${techniques[0]}` : ''}`,
      }),
    );
    labelled++;
  }
  ok(
    await wb.invoke('review.bulkByFilter', {
      filter: { status: 'pending' },
      decision: 'approve',
      expectedCount: labelled,
    }),
  );
  return labelled;
}

describe.skipIf(!trainerAvailable)(
  `job monitor in Chromium${trainerAvailable ? '' : ` (skipped: ${toolchain.hint})`}`,
  () => {
    let workbench: Workbench;
    let host: HttpHost;
    let standin: OpenAIStandin;
    let browser: Browser;
    let page: Page;
    let endpoint: EndpointSummary;
    let version: DatasetVersionDetail;
    let approved = 0;
    const problems: string[] = [];
    const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `jobs-${name}.png`) });

    beforeAll(async () => {
      const rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-jobs-renderer-'));
      await buildRenderer(rendererDir);
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      // The remote job advances on a clock, one step every 300 ms: slow enough to watch the chart move.
      standin = await startOpenAIStandin({ apiKey: KEY, fineTuning: { advance: { everyMs: 300 }, maxSteps: 36 } });
      // The demo workspace as a first start makes it: seeded alerts and the tiny demo model (F32).
      workbench = await createWorkbench({
        dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tw-jobs-e2e-')),
        actor: 'e2e',
      });
      tune(workbench, { pollMs: 250, timeoutMs: 5000 });
      approved = await labelAndApproveDemoAlerts(workbench);
      version = ok<DatasetVersionDetail>(
        await workbench.invoke('datasets.createVersion', {
          name: 'Demo triage',
          // Some demo alerts hold key-like strings: redacted, so the version may also go to OpenAI.
          options: { limits: { min: 10, max: 1000 }, secrets: { fix: 'redact' } },
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

    async function newJobId(before: number): Promise<number> {
      const jobs = await waitFor('the new job', async () => {
        const items = ok<{ items: Job[] }>(await workbench.invoke('jobs.list', {})).items;
        return items.length > before ? items : null;
      });
      return jobs[0]!.id;
    }

    const jobCount = async () => ok<{ items: Job[] }>(await workbench.invoke('jobs.list', {})).items.length;

    /** A local fine-tune of the tiny demo model from the form: one example per step, so many small steps. */
    async function startLocalFromForm(epochs: number, screenshot?: string): Promise<number> {
      const dialog = await openForm();
      await dialog.getByLabel('Task / model type').selectOption('threat_detection');
      await dialog.getByRole('radio', { name: 'Local (llama.cpp)' }).check();
      await dialog.getByLabel('Dataset version').selectOption(String(version.id));
      const base = dialog.getByLabel('Base model (F32 GGUF)');
      await base.selectOption({ label: 'Tiny demo model · F32' });
      await dialog.getByLabel('Epochs').fill(String(epochs));
      await dialog.getByLabel('Learning rate', { exact: true }).fill('0.001');
      await dialog.getByLabel('Batch size').fill('1');
      if (screenshot) await shot(screenshot);
      const before = await jobCount();
      await dialog.getByRole('button', { name: 'Start job' }).click();
      await dialog.waitFor({ state: 'hidden' });
      return newJobId(before);
    }

    async function startOpenAIFromForm(suffix: string): Promise<number> {
      const dialog = await openForm();
      await dialog.getByLabel('Task / model type').selectOption('threat_detection');
      await dialog.getByRole('radio', { name: 'OpenAI' }).check();
      await dialog.getByTestId('openai-notice').waitFor();
      await dialog.getByLabel('Dataset version').selectOption(String(version.id));
      await dialog.getByLabel('Suffix (optional)').fill(suffix);
      await dialog.getByLabel('Epochs').fill('3');
      const before = await jobCount();
      await dialog.getByRole('button', { name: 'Start job' }).click();
      await dialog.waitFor({ state: 'hidden' });
      return newJobId(before);
    }

    const lossPoints = async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
    const badge = () => page.getByTestId('job-detail').locator('.job-badge').first().textContent();
    const selectJob = (id: number) =>
      page.getByRole('listbox', { name: 'Jobs' }).locator(`[data-job-id="${id}"]`).click();

    it('shows the training-data overview and an empty job list on the demo workspace', async () => {
      expect(approved).toBeGreaterThanOrEqual(20);
      expect(version.counts.train).toBeGreaterThanOrEqual(10);
      expect(version.secretsClean).toBe(true);
      await page.goto(host.url);
      await page.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: 'Jobs' }).click();
      await page.waitForURL(/#\/jobs$/);
      await page.getByRole('heading', { level: 1, name: 'Jobs', exact: true }).waitFor();
      const overview = page.getByRole('region', { name: 'Training data overview' });
      const o = ok<{ total: number; approved: number; highQuality: number }>(
        await workbench.invoke('training.overview', {}),
      );
      expect(o.approved).toBe(approved);
      await overview
        .getByTestId('overview-total')
        .getByText(o.total.toLocaleString('en-US'), { exact: true })
        .waitFor();
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

    let firstLocal = 0;
    let secondLocal = 0;

    it('starts a local fine-tune of the demo model from the form and its loss chart moves', async () => {
      firstLocal = await startLocalFromForm(3, 'start-local');
      const detail = page.getByTestId('job-detail');
      await detail.getByRole('heading', { name: `Local fine-tune #${firstLocal}` }).waitFor();
      await expect.poll(badge, { timeout: 120_000 }).toBe('Running');
      await expect.poll(lossPoints, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
      const first = await lossPoints();
      const firstText = await page.getByTestId('latest-metrics').textContent();
      // Two observations of the same chart: more points, and the latest step and loss moved on.
      await expect.poll(lossPoints, { timeout: 60_000 }).toBeGreaterThan(first + 2);
      expect(await page.getByTestId('latest-metrics').textContent()).not.toBe(firstText);
      const d = await page.locator('[data-testid="loss-chart"] .recharts-line-curve').first().getAttribute('d');
      expect((d ?? '').split(/[LC]/).length).toBeGreaterThan(3);
      await page.getByTestId('hyperparameters').getByText('0.001', { exact: true }).waitFor();
      await page
        .getByTestId('event-log')
        .getByText(/loss on the answer tokens only/)
        .waitFor();
      await shot('local-running');
    }, 240_000);

    it('queues a second local job behind the first; it runs when the first is done, and is cancelled', async () => {
      secondLocal = await startLocalFromForm(40);
      const queue = page.getByTestId('local-queue');
      await queue.getByText('waiting · 1st').waitFor();
      await page
        .getByRole('listbox', { name: 'Jobs' })
        .locator(`[data-job-id="${secondLocal}"]`)
        .getByText('1st in queue')
        .waitFor();
      await shot('local-queue');

      // The first job finishes and registers its model with lineage.
      await selectJob(firstLocal);
      const detail = page.getByTestId('job-detail');
      await detail.getByRole('heading', { name: `Local fine-tune #${firstLocal}` }).waitFor();
      await expect.poll(badge, { timeout: 180_000 }).toBe('Succeeded');
      const first = ok<Job>(await workbench.invoke('jobs.get', { id: firstLocal }));
      const modelId = first.result!.modelId as number;
      const events = ok<{ items: JobEvent[] }>(await workbench.invoke('jobs.events', { id: firstLocal, limit: 5000 }));
      const losses = events.items
        .filter((e) => e.type === 'metrics' && typeof e.metrics?.train_loss === 'number')
        .map((e) => e.metrics!.train_loss as number);
      expect(losses.length).toBeGreaterThan(3);
      expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
      // Validation is drawn where it was measured (once an epoch here), not repeated at every train point.
      const validations = events.items.filter((e) => e.type === 'metrics' && e.message === 'validation').length;
      expect(validations).toBe(3);
      await expect
        .poll(() => page.locator('[data-testid="loss-chart"] .recharts-line-dots circle').count())
        .toBe(validations);
      const lineage = page.getByTestId('lineage');
      await lineage.getByText('Tiny demo model · threat_detection · Demo triage v1').waitFor();
      await lineage.getByTitle(version.contentHash).waitFor();
      await page.getByTestId('event-log').getByText(`(#${modelId})`, { exact: false }).waitFor();
      await shot('local-succeeded');
      // The event log says what ran: the trainer's exact command line, then what it reported.
      await page
        .getByTestId('event-log')
        .getByText(/^Trainer command: tw-sft train --model /)
        .waitFor();
      await page.getByTestId('event-log').scrollIntoViewIfNeeded();
      await shot('local-succeeded-log');
      await page.getByRole('heading', { level: 1, name: 'Jobs', exact: true }).scrollIntoViewIfNeeded();

      // The second one runs now; cancel it while it trains.
      await selectJob(secondLocal);
      await detail.getByRole('heading', { name: `Local fine-tune #${secondLocal}` }).waitFor();
      await expect.poll(badge, { timeout: 120_000 }).toBe('Running');
      await expect.poll(lossPoints, { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
      await detail.getByRole('button', { name: 'Cancel' }).click();
      await expect.poll(badge, { timeout: 30_000 }).toBe('Cancelled');
      await detail.getByRole('button', { name: 'Retry' }).waitFor();
      await page.getByTestId('event-log').getByText('Cancel requested.').waitFor();
      const second = ok<Job>(await workbench.invoke('jobs.get', { id: secondLocal }));
      expect(second.status).toBe('cancelled');
      expect(second.progress).toBeLessThan(1);
      expect(second.result).toBeNull();
      // Nothing half-trained is registered or left on disk.
      const produced = workbench.db
        .prepare('SELECT COUNT(*) AS n FROM models WHERE produced_by_job_id = ?')
        .get(secondLocal) as { n: number };
      expect(produced.n).toBe(0);
      expect(fs.existsSync(path.join(workbench.dataDir, 'models', `finetune-job-${secondLocal}.gguf`))).toBe(false);
      await page.getByTestId('local-queue').getByText('Nothing is running on this machine.').waitFor();
      // The overview and the job's header follow (they refresh a moment after the status changes).
      await page
        .getByTestId('overview-jobs')
        .getByText(/^0 running · 0 queued · 1 succeeded$/)
        .waitFor();
      await detail.getByText(/· finished /).waitFor();
      await page.getByTestId('lineage').getByText('none', { exact: true }).waitFor();
      await shot('local-cancelled');
    }, 480_000);

    it('starts an OpenAI fine-tune from the form; its chart moves and it finishes with the model in its lineage', async () => {
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
      await expect.poll(lossPoints, { timeout: 30_000 }).toBeGreaterThanOrEqual(first + 4);
      await expect.poll(() => page.getByTestId('remote-status').textContent()).toBe('running');
      await expect.poll(badge, { timeout: 40_000 }).toBe('Succeeded');
      const model = ok<Job>(await workbench.invoke('jobs.get', { id })).result!.fineTunedModel as string;
      await page.getByTestId('lineage').getByText(model).waitFor();
      await page
        .getByTestId('result-file')
        .getByText(/steps · final train loss/)
        .waitFor();
      await shot('openai-succeeded');
    }, 120_000);

    it('cancels an OpenAI job: the remote job is cancelled too', async () => {
      const id = await startOpenAIFromForm('to-cancel');
      const detail = page.getByTestId('job-detail');
      await detail.getByRole('heading', { name: `OpenAI fine-tune #${id}` }).waitFor();
      await expect.poll(badge, { timeout: 20_000 }).toBe('Running');
      await detail.getByRole('button', { name: 'Cancel' }).click();
      await expect.poll(badge, { timeout: 20_000 }).toBe('Cancelled');
      await detail.getByRole('button', { name: 'Retry' }).waitFor();
      const remoteId = ok<Job>(await workbench.invoke('jobs.get', { id })).remoteId!;
      expect(standin.fineTuning.job(remoteId)!.status).toBe('cancelled');
      await page.getByTestId('event-log').getByText(`Cancelled OpenAI job ${remoteId}.`).waitFor();
      await shot('openai-cancelled');
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
  },
);

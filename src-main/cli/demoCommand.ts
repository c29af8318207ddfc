import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_STAGES, DemoError, runDemo, type DemoProgress } from '../demo/demoLoop';
import { resultsText, writeDemoReport } from '../demo/demoReport';
import { EXIT_ERROR, EXIT_OK, UsageError, parseIntArg, type CliIo } from './cliContext';

export interface DemoArgs {
  seed?: string;
  short?: boolean;
  out?: string;
  /** The workspace folder; default a new folder under the OS temp directory. */
  dataDir?: string;
  json?: boolean;
}

const STAGE_TITLES: Record<(typeof DEMO_STAGES)[number], string> = {
  workspace: 'new workspace',
  import: 'import samples',
  label: 'label (ground truth)',
  review: 'approve in review',
  dataset: 'build dataset version',
  trainer: 'trainer',
  base: 'demo base model',
  train: 'fine-tune job',
  evaluate: 'evaluate held-out',
  report: 'report',
};

function clock(s: number): string {
  const t = Math.max(0, Math.round(s));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}

/**
 * One status line per stage: a bar, the percentage and an ETA where the stage knows it. On a terminal the
 * line is redrawn in place; otherwise (CI logs) a line is printed at each stage and every 10%.
 */
export function progressPrinter(io: CliIo, tty: boolean, write: (s: string) => void): (p: DemoProgress) => void {
  const started = Date.now();
  let lastStage = '';
  let lastDecile = -1;
  let lastDraw = 0;
  return (p) => {
    const n = DEMO_STAGES.indexOf(p.stage) + 1;
    const head = `[${n}/${DEMO_STAGES.length}] ${STAGE_TITLES[p.stage].padEnd(22)}`;
    const f = p.fraction === null ? null : Math.min(1, Math.max(0, p.fraction));
    const width = 24;
    const bar = f === null ? ' '.repeat(width) : '#'.repeat(Math.round(f * width)).padEnd(width, '.');
    const pctText = f === null ? '    ' : `${String(Math.round(f * 100)).padStart(3)}%`;
    const eta = p.etaS !== null && p.etaS > 0 ? ` ETA ${clock(p.etaS)}` : '';
    const line = `${head} [${bar}] ${pctText}${eta}  ${p.message}  (${clock((Date.now() - started) / 1000)})`;
    const newStage = p.stage !== lastStage;
    if (tty) {
      if (newStage && lastStage) write('\n');
      const now = Date.now();
      if (newStage || now - lastDraw > 100) {
        write(`\r\x1b[2K${line.slice(0, (process.stdout.columns || 120) - 1)}`);
        lastDraw = now;
      }
    } else {
      const decile = f === null ? -1 : Math.floor(f * 10);
      if (newStage || decile > lastDecile) io.out(line);
      lastDecile = newStage ? decile : Math.max(lastDecile, decile);
    }
    lastStage = p.stage;
  };
}

/** `demo`: the whole loop on a fresh workspace, then the report. Exit 0 when it ran, 2 when it failed. */
export async function demoCommand(io: CliIo, a: DemoArgs): Promise<number> {
  const seed = parseIntArg('seed', a.seed, 0) ?? 42;
  const outDir = path.resolve(a.out ?? path.join(process.cwd(), 'demo-report'));
  const dataDir = a.dataDir
    ? path.resolve(a.dataDir)
    : fs.mkdtempSync(path.join(os.tmpdir(), 'triage-workbench-demo-'));
  if (fs.existsSync(path.join(dataDir, 'workbench.db'))) {
    throw new UsageError(`${dataDir} already holds a workspace; the demo starts from an empty folder.`);
  }
  const tty = !a.json && process.stdout.isTTY === true;
  const show = a.json ? () => undefined : progressPrinter(io, tty, (s) => process.stdout.write(s));
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  if (!a.json) {
    io.out(
      `Triage Workbench demo (seed ${seed}${a.short ? ', short' : ''}): workspace ${dataDir}, report to ${outDir}`,
    );
  }
  try {
    const result = await runDemo({ dataDir, seed, short: a.short ?? false, onProgress: show, signal: abort.signal });
    const files = writeDemoReport(result, outDir);
    if (tty) process.stdout.write('\n');
    if (a.json) {
      io.out(JSON.stringify({ files, ...result }, null, 2));
      return EXIT_OK;
    }
    io.out('');
    io.out(
      `Held-out test split: ${result.dataset.counts.test} examples (train ${result.dataset.counts.train}); accuracy / macro-F1`,
    );
    io.out(resultsText(result));
    io.out('');
    io.out(`Done in ${clock(result.wallSeconds)}. Report: ${files.markdown}`);
    io.out(`                     ${files.html}`);
    io.out(`Model card:          ${files.cardMarkdown}`);
    return EXIT_OK;
  } catch (err) {
    if (tty) process.stdout.write('\n');
    if (err instanceof DemoError) {
      io.err(`The demo failed at "${STAGE_TITLES[err.stage]}": ${err.message}`);
      io.err(`The workspace is kept for a look: ${dataDir}`);
      return EXIT_ERROR;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

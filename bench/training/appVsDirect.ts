/**
 * Training throughput through the app versus the trainer binary on its own.
 *
 *   npm run bench -- train-app [--model tiny|demo] [--examples 300] [--epochs 1] [--batch 8] [--reps 3]
 *
 * App: a `local_train` job started with `training.startLocal` and run by the job engine, exactly as the
 * Start-job form does it — the clock runs from the command until the job is `succeeded`, so it counts the
 * data preparation (writing the dataset version's splits, converting them), the trainer pre-flight, parsing
 * the trainer's progress into job events and DB rows, and registering the output model.
 * Direct: the same tw-sft binary with the same arguments — the command the job logged ("Trainer command: …",
 * threads included), with only the data and output paths pointed at copies of the same files (written and
 * converted by the functions the job uses) — its stdout drained and only the final line read; the clock runs
 * from spawn to exit.
 *
 * Tokens/s = tokens trained (every position of each window, as tw-sft counts them) / wall seconds. The
 * trainer's own figure (time inside training steps only) is printed too: a gap there means the app slowed the
 * trainer itself (CPU taken by the app's process); a gap only in the wall figure means time spent around it.
 * Runs alternate (app, direct, app, direct, …) so load from other processes hits both alike; medians are
 * compared. The load average is printed with each run: on a shared machine the numbers are noisy.
 *
 * The data: the demo dataset's train and validation splits (src-main/demo/demoData.ts) as a dataset version
 * (chat examples, what the dataset builder stores); the base: the generated tiny model (default; byte-level
 * vocabulary, so long windows) or the demo base model (1.8 M parameters, built and cached on first use).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { LocalHyperparametersSchema, type Job, type JobEvent } from '../../src-main/contract/index';
import { buildDemoDataset, demoChatLine, type DemoExample } from '../../src-main/demo/demoData';
import { ensureDemoBaseModel } from '../../src-main/demo/demoBaseModel';
import { heldOutSigmaIds } from '../../src-main/demo/demoLearnCheck';
import { writeTinyModel } from '../../src-main/gguf/tinyModel';
import { writeSplit } from '../../src-main/training/local/localTrainRunner';
import { parseTrainerLine, type TrainerDone } from '../../src-main/training/local/runTrainer';
import { convertChatJsonl } from '../../src-main/training/local/sftData';
import { ensureTrainer } from '../../src-main/training/local/trainerBuild';

const args = process.argv.slice(2);
const arg = (n: string, d: string) => {
  const i = args.indexOf(n);
  return i >= 0 ? (args[i + 1] ?? d) : d;
};
const which = arg('--model', 'tiny');
const nExamples = Number(arg('--examples', '300'));
const epochs = Number(arg('--epochs', '1'));
const batch = Number(arg('--batch', '8'));
const reps = Number(arg('--reps', '3'));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const load = () => os.loadavg()[0]!.toFixed(1);

/** A dataset version holding these examples as the dataset builder stores them (one chat example a row). */
function insertVersion(wb: Workbench, train: DemoExample[], validation: DemoExample[]): number {
  const db = wb.db;
  return db.transaction(() => {
    const ds = db
      .prepare("INSERT INTO datasets (name, task, created_at) VALUES ('Demo triage (bench)', 'triage', ?)")
      .run(Date.now());
    const v = db
      .prepare(
        `INSERT INTO dataset_versions (dataset_id, version, content_hash, filter, build_report, seed, created_at)
         VALUES (?, 1, 'sha256-bench', '{}', '{}', 42, ?)`,
      )
      .run(ds.lastInsertRowid, Date.now());
    const insert = db.prepare(
      `INSERT INTO dataset_examples (dataset_version_id, split, group_key, example, labels, token_count, content_hash)
       VALUES (?, ?, ?, ?, '{}', 0, ?)`,
    );
    const rows = [...train.map((e) => ['train', e] as const), ...validation.map((e) => ['validation', e] as const)];
    rows.forEach(([split, e], i) => {
      insert.run(v.lastInsertRowid, split, `g${i}`, JSON.stringify(demoChatLine(e)), `h${i}`);
    });
    return Number(v.lastInsertRowid);
  })();
}

interface Run {
  tokens: number;
  wallS: number;
  /** tw-sft's own tokens/s (time inside training steps). */
  trainerTps: number;
  /** The app's trainer command, from the job's event log. */
  command?: string;
}

/** The app's trainer arguments with the data and output paths swapped for the direct run's copies. */
function directArgs(command: string | undefined, files: Record<string, string>): string[] {
  if (!command) throw new Error('the job logged no trainer command');
  // `tw-sft train --model … --data …`: the bench's paths hold no spaces.
  const argv = command.split(' ').slice(1);
  for (const [flag, file] of Object.entries(files)) {
    const i = argv.indexOf(flag);
    if (i < 0) throw new Error(`the app's trainer command has no ${flag}`);
    argv[i + 1] = file;
  }
  return argv;
}

/** One `local_train` job through the job engine, timed from the command to `succeeded`. */
async function runApp(wb: Workbench, params: Record<string, unknown>): Promise<Run> {
  let jobId = -1;
  let finish: (status: string) => void = () => undefined;
  const finished = new Promise<string>((resolve) => (finish = resolve));
  const off = wb.bus.on('job.updated', (p) => {
    if (p.id === jobId && ['succeeded', 'failed', 'cancelled'].includes(p.status)) finish(p.status);
  });
  const t0 = performance.now();
  const started = await wb.invoke('training.startLocal', params);
  if (!started.ok) throw new Error(`startLocal: ${started.error.message}`);
  jobId = (started.value as Job).id;
  // An update that came before the id was known is read back from the job itself.
  const now = (await wb.invoke('jobs.get', { id: jobId })) as { ok: true; value: Job };
  if (['succeeded', 'failed', 'cancelled'].includes(now.value.status)) finish(now.value.status);
  const status = await finished;
  const wallS = (performance.now() - t0) / 1000;
  off();
  const job = (await wb.invoke('jobs.get', { id: jobId })) as { ok: true; value: Job };
  if (status !== 'succeeded') throw new Error(`the app's job ended ${status}: ${job.value.error ?? ''}`);
  const done = job.value.result!.final as TrainerDone;
  const events = (await wb.invoke('jobs.events', { id: jobId, limit: 5000 })) as {
    ok: true;
    value: { items: JobEvent[] };
  };
  const command = events.value.items
    .find((e) => e.message.startsWith('Trainer command: '))
    ?.message.slice('Trainer command: '.length);
  return { tokens: done.tokens!, wallS, trainerTps: done.tokens_per_s!, command };
}

/** The same binary with the same arguments, nothing else: spawn, drain stdout, read the last line. */
function runDirect(bin: string, argv: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallS = (performance.now() - t0) / 1000;
      const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
      const done = parseTrainerLine(lines[lines.length - 1] ?? '');
      if (code !== 0 || done?.type !== 'done') {
        reject(new Error(`tw-sft exited ${code}: ${lines.slice(-3).join(' | ')}`));
        return;
      }
      resolve({ tokens: done.tokens!, wallS, trainerTps: done.tokens_per_s! });
    });
  });
}

async function main() {
  process.env.TW_TRAINER_CACHE ??= path.join(os.homedir(), '.cache', 'tw-trainer');
  const bins = await ensureTrainer({ onProgress: (p) => p.phase !== 'build' && console.log(`trainer: ${p.message}`) });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-train-app-bench-'));
  const wb = await createWorkbench({ dataDir: path.join(work, 'workspace'), seed: false, actor: 'bench' });
  try {
    const ds = buildDemoDataset({ seed: 42 });
    let modelPath: string;
    if (which === 'tiny') {
      modelPath = path.join(work, 'tiny.gguf');
      writeTinyModel(modelPath, { seed: 1, contextLength: 512 });
    } else {
      const base = await ensureDemoBaseModel({
        cacheDir: process.env.TW_DEMO_CACHE ?? path.join(os.homedir(), '.cache', 'tw-demo'),
        sftPath: bins.sft,
        vocabTexts: ds.train.map((e) => e.alertText),
        excludeSigmaIds: heldOutSigmaIds(ds), // the same base as the learn check and the trainer bench
        onProgress: (p) => p.phase !== 'pretrain' && console.log(`base: ${p.message}`),
      });
      modelPath = base.path;
    }
    const added = await wb.invoke('models.addLocal', { path: modelPath, mode: 'reference', name: 'bench base' });
    if (!added.ok) throw new Error(`models.addLocal: ${added.error.message}`);
    const baseModelId = (added.value as { id: number }).id;
    const train = ds.train.slice(0, nExamples);
    const validation = ds.val.slice(0, Math.max(8, Math.round(nExamples / 10)));
    const versionId = insertVersion(wb, train, validation);
    const hyperparameters = LocalHyperparametersSchema.parse({ epochs, batchSize: batch, learningRate: 1e-3 });
    const params = { task: 'threat_detection', baseModelId, datasetVersionId: versionId, hyperparameters };

    // The direct run's files: the same splits, written and converted by the functions the job uses.
    const chatTrain = path.join(work, 'train.chat.jsonl');
    const chatVal = path.join(work, 'val.chat.jsonl');
    writeSplit(wb.db, versionId, 'train', chatTrain);
    writeSplit(wb.db, versionId, 'validation', chatVal);
    const files: Record<string, string> = {
      '--data': path.join(work, 'train.jsonl'),
      '--val-data': path.join(work, 'val.jsonl'),
      '--out': path.join(work, 'direct.gguf'),
    };
    convertChatJsonl(chatTrain, files['--data']!);
    convertChatJsonl(chatVal, files['--val-data']!);
    console.log(
      `model ${which} (${path.basename(modelPath)}), ${train.length} train / ${validation.length} validation examples, ` +
        `${epochs} epoch(s), batch ${batch}, ${reps} runs each; ${os.availableParallelism()} cores`,
    );

    const app: Run[] = [];
    const direct: Run[] = [];
    const show = (who: string, r: Run, l0: string) =>
      console.log(
        `${who.padEnd(6)} ${Math.round(r.tokens / r.wallS)
          .toString()
          .padStart(6)} tokens/s wall (${r.tokens} tokens in ${r.wallS.toFixed(2)} s), trainer ${Math.round(
          r.trainerTps,
        )} tokens/s; load ${l0} → ${load()}`,
      );
    let argv: string[] | null = null;
    for (let i = 0; i < reps; i++) {
      let l0 = load();
      const a = await runApp(wb, params);
      app.push(a);
      show('app', a, l0);
      // The job logs the exact command it ran; the direct run repeats it on its own copies of the files.
      argv ??= directArgs(a.command, files);
      if (i === 0) console.log(`direct: ${path.basename(bins.sft)} ${argv.join(' ')}`);
      l0 = load();
      const d = await runDirect(bins.sft, argv);
      direct.push(d);
      show('direct', d, l0);
    }
    if (app[0]!.tokens !== direct[0]!.tokens) {
      throw new Error(`the runs trained different amounts: app ${app[0]!.tokens}, direct ${direct[0]!.tokens} tokens`);
    }
    const wallApp = median(app.map((r) => r.tokens / r.wallS));
    const wallDirect = median(direct.map((r) => r.tokens / r.wallS));
    const trApp = median(app.map((r) => r.trainerTps));
    const trDirect = median(direct.map((r) => r.trainerTps));
    const loaded = os.loadavg()[0]! > os.availableParallelism() * 0.5;
    console.log(`\nmedian of ${reps} alternating runs${loaded ? ' (measured under load: the machine is shared)' : ''}`);
    console.log(`through the app   ${Math.round(wallApp)} tokens/s wall   (trainer's own figure ${Math.round(trApp)})`);
    console.log(
      `tw-sft directly   ${Math.round(wallDirect)} tokens/s wall   (trainer's own figure ${Math.round(trDirect)})`,
    );
    console.log(`ratio app / direct = ${(wallApp / wallDirect).toFixed(3)} (target ≥ 0.95)`);
    console.log(`trainer's own figure, app / direct = ${(trApp / trDirect).toFixed(3)}`);
  } finally {
    await wb.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

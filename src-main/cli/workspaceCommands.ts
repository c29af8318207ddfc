import fs from 'node:fs';
import path from 'node:path';
import {
  EXPORT_FORMATS,
  SPLITS,
  TASKS,
  TRAINING_TASKS,
  type ExportFormat,
  type Split,
  type Task,
  type TrainingTask,
} from '../contract/index';
import { DEFAULT_UPLOAD_MAX_BYTES, cleanFileName, saveUpload } from '../importers/uploads';
import { EXIT_ERROR, EXIT_OK, UsageError, parseIntArg, pct, resolveModel, table, type CliSession } from './cliContext';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `import <file>`: the file is handed over like a browser upload, then imported with the usual rules. */
export async function importCommand(
  s: CliSession,
  file: string,
  a: { format: string; keepValid?: boolean; json?: boolean },
): Promise<number> {
  const full = path.resolve(file);
  if (!fs.existsSync(full) || !fs.statSync(full).isFile()) throw new UsageError(`No such file: ${file}`);
  const { uploadId } = await saveUpload(s.wb.dataDir, fs.createReadStream(full), {
    fileName: cleanFileName(path.basename(full)),
    maxBytes: DEFAULT_UPLOAD_MAX_BYTES,
  });
  const { importId } = await s.call('imports.start', {
    uploadId,
    format: a.format as 'auto',
    keepValid: a.keepValid ?? false,
  });
  for (;;) {
    const r = await s.call('imports.get', { importId });
    if (r.status !== 'running') {
      if (a.json) s.io.out(JSON.stringify(r, null, 2));
      else {
        s.io.out(
          `Import #${r.id} ${r.fileName} (${r.format}): ${r.status} — ${r.recordsOk} imported, ${r.recordsRejected} rejected, ${r.recordsDuplicate} duplicates.`,
        );
        for (const x of r.rejections.slice(0, 20)) s.io.out(`  line ${x.line}: ${x.reason}`);
        if (r.error) s.io.err(r.error);
      }
      return r.status === 'done' ? EXIT_OK : EXIT_ERROR;
    }
    await sleep(100);
  }
}

export async function exportCommand(
  s: CliSession,
  versionId: string,
  a: { format: string; split?: string; out?: string; json?: boolean },
): Promise<number> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(a.format)) {
    throw new UsageError(`--format is one of ${EXPORT_FORMATS.join(', ')}.`);
  }
  if (a.split !== undefined && !(SPLITS as readonly string[]).includes(a.split)) {
    throw new UsageError(`--split is one of ${SPLITS.join(', ')}.`);
  }
  const r = await s.call('datasets.export', {
    versionId: parseIntArg('versionId', versionId)!,
    format: a.format as ExportFormat,
    ...(a.split ? { split: a.split as Split } : {}),
    ...(a.out ? { destDir: path.resolve(a.out) } : {}),
  });
  if (a.json) s.io.out(JSON.stringify(r, null, 2));
  else
    s.io.out(`Wrote ${r.examples} examples (${r.bytes} bytes, sha256 ${r.sha256}) to ${r.path}\nCard: ${r.cardPath}`);
  return EXIT_OK;
}

export async function trainCommand(
  s: CliSession,
  a: { base: string; dataset: string; task: string; epochs?: string; name?: string; wait?: boolean; json?: boolean },
): Promise<number> {
  if (!(TRAINING_TASKS as readonly string[]).includes(a.task)) {
    throw new UsageError(`--task is one of ${TRAINING_TASKS.join(', ')}.`);
  }
  const options = await s.call('training.options', {});
  if (!options.runners.local) {
    s.io.err('Local training is not available in this build (no local trainer is registered).');
    return EXIT_ERROR;
  }
  const { items: models } = await s.call('models.list', { includeArchived: false });
  const base = resolveModel(models, a.base);
  const epochs = parseIntArg('epochs', a.epochs);
  let job = await s.call('training.startLocal', {
    task: a.task as TrainingTask,
    baseModelId: base.id,
    datasetVersionId: parseIntArg('dataset', a.dataset)!,
    ...(a.name ? { outputName: a.name } : {}),
    hyperparameters: epochs !== undefined ? { epochs } : {},
  });
  if (a.wait) {
    while (!['succeeded', 'failed', 'cancelled', 'interrupted'].includes(job.status)) {
      await sleep(500);
      job = await s.call('jobs.get', { id: job.id });
      if (!a.json) s.io.err(`job #${job.id}: ${job.status} ${pct(job.progress, 0)}`);
    }
  }
  if (a.json) s.io.out(JSON.stringify(job, null, 2));
  else
    s.io.out(
      `Training job #${job.id}: ${job.status}.${a.wait ? '' : ' It runs in the workbench; watch it on the Jobs page.'}`,
    );
  return job.status === 'failed' ? EXIT_ERROR : EXIT_OK;
}

export async function compareCommand(
  s: CliSession,
  a: {
    models: string;
    prompt?: string;
    promptFile?: string;
    task: string;
    structured?: boolean;
    maxTokens?: string;
    json?: boolean;
  },
): Promise<number> {
  if (!(TASKS as readonly string[]).includes(a.task)) throw new UsageError(`--task is one of ${TASKS.join(', ')}.`);
  const prompt = a.promptFile ? fs.readFileSync(path.resolve(a.promptFile), 'utf8') : a.prompt;
  if (!prompt?.trim()) throw new UsageError('Give --prompt <text> or --prompt-file <file>.');
  const { items: models } = await s.call('models.list', { includeArchived: false });
  const refs = a.models
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (refs.length !== 2) throw new UsageError('--models takes exactly two models, e.g. --models base,ft-3');
  const [first, second] = refs.map((r) => resolveModel(models, r));
  const maxTokens = parseIntArg('max-tokens', a.maxTokens);
  const started = await s.call('compare.start', {
    prompt,
    task: a.task as Task,
    modelAId: first!.id,
    modelBId: second!.id,
    blind: false,
    structured: a.structured ?? false,
    ...(maxTokens !== undefined ? { maxTokens } : {}),
  });
  for (;;) {
    const st = await s.call('compare.get', { comparisonId: started.comparisonId });
    if (st.answers.a.done && st.answers.b.done) {
      if (a.json) s.io.out(JSON.stringify(st, null, 2));
      else {
        for (const side of st.sides) {
          const ans = st.answers[side.side];
          s.io.out(
            `=== ${side.modelName} (#${side.modelId}) — ${ans.latencyMs ?? '?'} ms, ${ans.completionTokens ?? '?'} tokens`,
          );
          s.io.out(ans.error ? `[${ans.error}] ${ans.text}` : ans.text);
        }
      }
      return st.answers.a.error && st.answers.b.error ? EXIT_ERROR : EXIT_OK;
    }
    await sleep(100);
  }
}

export async function modelsCommand(s: CliSession, a: { json?: boolean }): Promise<number> {
  const { items } = await s.call('registry.versions', { includeArchived: false });
  if (a.json) s.io.out(JSON.stringify(items, null, 2));
  else {
    s.io.out(
      table(
        ['id', 'name', 'kind', 'parent', 'dataset', 'active for', 'accuracy'],
        items.map((m) => [
          String(m.id),
          m.name,
          m.kind,
          m.parentName ?? '—',
          m.datasetLabel ?? '—',
          m.activeFor.join(',') || '—',
          pct(m.latestEvaluation?.accuracy),
        ]),
      ),
    );
  }
  return EXIT_OK;
}

export async function promoteCommand(
  s: CliSession,
  model: string,
  a: { task: string; reason?: string; json?: boolean },
): Promise<number> {
  if (!(TASKS as readonly string[]).includes(a.task)) throw new UsageError(`--task is one of ${TASKS.join(', ')}.`);
  const { items: models } = await s.call('models.list', { includeArchived: false });
  const m = resolveModel(models, model);
  const change = await s.call('registry.promote', { task: a.task as Task, modelId: m.id, reason: a.reason ?? '' });
  if (a.json) s.io.out(JSON.stringify(change));
  else s.io.out(`${m.name} is now the active ${a.task} model.`);
  return EXIT_OK;
}

export async function rollbackCommand(
  s: CliSession,
  a: { task: string; reason?: string; json?: boolean },
): Promise<number> {
  if (!(TASKS as readonly string[]).includes(a.task)) throw new UsageError(`--task is one of ${TASKS.join(', ')}.`);
  const change = await s.call('registry.rollback', { task: a.task as Task, reason: a.reason ?? '' });
  if (a.json) s.io.out(JSON.stringify(change));
  else s.io.out(`Rolled ${a.task} back to model #${change.modelId}.`);
  return EXIT_OK;
}

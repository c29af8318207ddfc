/**
 * A small labelled workspace for evaluation tests: two generated tiny models (different seeds) registered as
 * "base" and "ft-3" (ft-3 descends from base, trained on the dataset version), and a dataset version whose
 * test split holds a handful of labelled triage examples.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { writeTinyModel } from '../../src-main/gguf/tinyModel';
import type { DatasetVersionDetail, ModelSummary, Severity, Verdict } from '../../src-main/contract/index';
import { addMany, ok } from '../datasets/helpers';

export interface EvalWorkspace {
  dataDir: string;
  baseId: number;
  ftId: number;
  versionId: number;
  testCount: number;
}

const VERDICTS: Verdict[] = ['true_positive', 'benign', 'false_positive'];
const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
const THREATS = ['credential_access', 'execution', 'discovery', 'exfiltration'];
const TECHNIQUES = [['T1110'], ['T1059.001', 'T1105'], ['T1078'], []];

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Builds the workspace in `dataDir`, leaves it closed (the CLI opens it), and returns the ids. */
export async function buildEvalWorkspace(dataDir: string, opts: { examples?: number } = {}): Promise<EvalWorkspace> {
  const wb: Workbench = await createWorkbench({ dataDir, seed: false, actor: 'setup' });
  try {
    const modelsDir = path.join(dataDir, 'test-models');
    fs.mkdirSync(modelsDir, { recursive: true });
    const basePath = path.join(modelsDir, 'base.gguf');
    const ftPath = path.join(modelsDir, 'ft-3.gguf');
    writeTinyModel(basePath, { seed: 101, name: 'base' });
    writeTinyModel(ftPath, { seed: 202, name: 'ft-3' });
    const base = ok<ModelSummary>(await wb.invoke('models.addLocal', { path: basePath, name: 'base' }));
    const ft = ok<ModelSummary>(await wb.invoke('models.addLocal', { path: ftPath, name: 'ft-3' }));

    const n = opts.examples ?? 16;
    addMany(wb.db, n, (i) => ({
      verdict: VERDICTS[i % 3]!,
      severity: SEVERITIES[i % 5]!,
      threatType: THREATS[i % 4]!,
      techniques: TECHNIQUES[i % 4]!,
      status: 'approved',
    }));
    const version = ok<DatasetVersionDetail>(
      await wb.invoke('datasets.createVersion', {
        name: 'eval-set',
        filter: { task: 'triage' },
        options: {
          limits: { min: 1, max: 1000 },
          split: { validation: 0.1, test: 0.45 },
          secrets: { fix: 'redact' },
          dedup: { threshold: 0.99 },
        },
      }),
    );
    ok(
      await wb.invoke('registry.setLineage', {
        modelId: ft.id,
        parentModelId: base.id,
        datasetVersionId: version.id,
        hyperparameters: { epochs: 3, learningRate: 0.0003 },
      }),
    );
    return { dataDir, baseId: base.id, ftId: ft.id, versionId: version.id, testCount: version.counts.test };
  } finally {
    await wb.close();
  }
}

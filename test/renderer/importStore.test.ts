import { describe, expect, it, vi } from 'vitest';
import { createImportStore, startBlocker } from '../../src-renderer/src/features/import/importStore';
import type { ImportDetection, ImportReport } from '../../src-main/contract/index';

const detection = (over: Partial<ImportDetection> = {}): ImportDetection => ({
  fileName: 'trail.jsonl',
  bytes: 1000,
  format: 'cloudtrail',
  container: 'jsonl',
  sourceKind: 'imported_alert',
  reason: 'JSON Lines; the first record looks like cloudtrail.',
  csvColumns: null,
  needsCsvMapping: false,
  suggestedCsvMapping: null,
  preview: { lines: [], records: [{ title: 'ConsoleLogin by root', keyFields: { user: 'root' } }], problems: [] },
  ...over,
});

const report = (over: Partial<ImportReport> = {}): ImportReport => ({
  id: 7,
  fileName: 'trail.jsonl',
  format: 'cloudtrail',
  status: 'done',
  keepValid: false,
  bytes: 1000,
  bytesRead: 1000,
  recordsOk: 4,
  recordsRejected: 0,
  recordsDuplicate: 0,
  error: null,
  actor: 'alice',
  createdAt: 1,
  finishedAt: 2,
  fileHash: 'h',
  sameFileAs: null,
  rejections: [],
  rejectionsTruncated: false,
  ...over,
});

function setup(
  kind: 'http' | 'ipc',
  opts: { detect?: ImportDetection; final?: ImportReport; path?: string | null } = {},
) {
  let status: ImportReport['status'] = 'running';
  const invoke = vi.fn(async (name: string, args: Record<string, unknown>) => {
    switch (name) {
      case 'imports.detect':
        return opts.detect ?? detection();
      case 'imports.start':
        return { importId: 7 };
      case 'imports.get':
        return status === 'running' ? report({ status: 'running', bytesRead: 0 }) : (opts.final ?? report());
      case 'imports.cancel':
        status = 'cancelled';
        return { importId: args.importId, cancelled: true };
      default:
        throw new Error(`unexpected ${name}`);
    }
  });
  const upload = vi.fn(async (_f: File, onProgress: (n: number) => void) => {
    onProgress(500);
    return 'a'.repeat(32);
  });
  const store = createImportStore({
    api: { invoke: invoke as never, transportKind: kind },
    upload,
    pathForFile: () => opts.path ?? null,
  });
  return { store, invoke, upload, finish: () => (status = 'done') };
}

const file = new File(['{"eventName":"x","eventSource":"y"}\n'], 'trail.jsonl');

describe('import dialog store', () => {
  it('uploads in the headless host, detects, starts with the chosen options and follows progress to the report', async () => {
    const { store, invoke, upload, finish } = setup('http');
    await store.getState().chooseFile(file);
    expect(upload).toHaveBeenCalledOnce();
    expect(invoke).toHaveBeenCalledWith('imports.detect', { uploadId: 'a'.repeat(32) });
    expect(store.getState()).toMatchObject({ phase: 'ready', detection: { format: 'cloudtrail' } });
    store.getState().setKeepValid(true);
    store.getState().setFormat('k8s_audit');
    await store.getState().start();
    expect(invoke).toHaveBeenCalledWith('imports.start', {
      uploadId: 'a'.repeat(32),
      format: 'k8s_audit',
      keepValid: true,
    });
    expect(store.getState().phase).toBe('running');
    store
      .getState()
      .onProgress({ importId: 7, bytesRead: 400, totalBytes: 1000, records: 2, rejected: 0, duplicates: 0 });
    store
      .getState()
      .onProgress({ importId: 99, bytesRead: 900, totalBytes: 1000, records: 9, rejected: 0, duplicates: 0 });
    expect(store.getState().progress).toMatchObject({ bytesRead: 400, records: 2 });
    finish();
    await store
      .getState()
      .onFinished({ importId: 7, status: 'done', recordsOk: 4, rejected: 0, duplicates: 0, error: null });
    expect(store.getState()).toMatchObject({ phase: 'finished', report: { recordsOk: 4 } });
  });

  it('a small import that ends before start() answers still ends in its report', async () => {
    const { store, finish } = setup('http');
    await store.getState().chooseFile(file);
    finish();
    await store.getState().start();
    expect(store.getState()).toMatchObject({ phase: 'finished', report: { status: 'done' } });
  });

  it('cancel asks the core to cancel the running import', async () => {
    const { store, invoke } = setup('http');
    await store.getState().chooseFile(file);
    await store.getState().start();
    await store.getState().cancel();
    expect(invoke).toHaveBeenCalledWith('imports.cancel', { importId: 7 });
  });

  it('CSV examples need a prompt and an answer column; the suggestion is used', async () => {
    const { store, invoke } = setup('http', {
      detect: detection({
        format: 'csv_examples',
        container: 'csv',
        csvColumns: ['q', 'a'],
        suggestedCsvMapping: null,
      }),
    });
    await store.getState().chooseFile(file);
    expect(startBlocker(store.getState())).toMatch(/prompt and answer/);
    store.getState().setCsvMapping({ prompt: 'q', answer: 'a' });
    expect(startBlocker(store.getState())).toBeNull();
    await store.getState().start();
    expect(invoke).toHaveBeenCalledWith('imports.start', {
      uploadId: 'a'.repeat(32),
      format: 'csv_examples',
      keepValid: false,
      csvMapping: { prompt: 'q', answer: 'a' },
    });
  });

  it('in the desktop app a picked file is read by its path, or refused clearly when there is none', async () => {
    const withPath = setup('ipc', { path: '/home/a/trail.jsonl' });
    await withPath.store.getState().chooseFile(file);
    expect(withPath.upload).not.toHaveBeenCalled();
    expect(withPath.invoke).toHaveBeenCalledWith('imports.detect', { path: '/home/a/trail.jsonl' });
    const without = setup('ipc', { path: null });
    await without.store.getState().chooseFile(file);
    expect(without.store.getState()).toMatchObject({ phase: 'idle', error: expect.stringMatching(/file path/) });
  });
});

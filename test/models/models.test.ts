import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ActiveModelChange, GgufSummary, ModelSummary, TaskPreset } from '../../src-main/contract/index';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';
import { writeTinyModel } from '../../src-main/gguf/tinyModel';
import { writeBadModels } from '../gguf/badModels';

let wb: Workbench | null = null;
let fixtures: string;
let tinyFile: string;

beforeAll(() => {
  fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-models-fx-'));
  tinyFile = path.join(fixtures, 'analyst-tiny.gguf');
  writeTinyModel(tinyFile, { seed: 99, name: 'analyst-tiny' });
});

afterEach(async () => {
  await wb?.close();
  wb = null;
});

async function open(): Promise<Workbench> {
  wb = await createWorkbench({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tw-models-')), seed: false });
  return wb;
}

async function ok<T>(w: Workbench, name: string, args: unknown): Promise<T> {
  const r = await w.invoke(name, args);
  if (!r.ok) throw new Error(`${name} failed: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

async function fail(w: Workbench, name: string, args: unknown): Promise<{ code: string; message: string }> {
  const r = await w.invoke(name, args);
  if (r.ok) throw new Error(`${name} unexpectedly succeeded`);
  return r.error;
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('model registry', () => {
  it('registers the generated demo model on first start, active for every task', async () => {
    const w = await open();
    const { items } = await ok<{ items: ModelSummary[] }>(w, 'models.list', {});
    expect(items).toHaveLength(1);
    const demo = items[0]!;
    expect(demo).toMatchObject({ kind: 'local_gguf', storage: 'generated', archived: false });
    expect(demo.path).toBe(path.join(w.dataDir, 'models', 'tiny-demo.gguf'));
    expect(fs.existsSync(demo.path!)).toBe(true);
    expect(demo.sha256).toBe(sha256(demo.path!));
    expect(demo.info).toMatchObject({
      architecture: 'llama',
      quantization: 'F32',
      hasChatTemplate: true,
      contextLength: 8192,
    });
    expect(demo.activeFor.sort()).toEqual(['audit_log', 'chat', 'code_review', 'incident', 'triage']);
    // ensureDemo is idempotent and regenerates a deleted file.
    fs.rmSync(demo.path!);
    const again = await ok<ModelSummary>(w, 'models.ensureDemo', {});
    expect(again.id).toBe(demo.id);
    expect(sha256(demo.path!)).toBe(demo.sha256);
  });

  it('inspects a file without registering it', async () => {
    const w = await open();
    const info = await ok<GgufSummary>(w, 'models.inspect', { path: tinyFile });
    expect(info).toMatchObject({ architecture: 'llama', name: 'analyst-tiny', hasChatTemplate: true });
    expect((await ok<{ items: ModelSummary[] }>(w, 'models.list', {})).items).toHaveLength(1);
    expect((await fail(w, 'models.inspect', { path: 'relative/model.gguf' })).code).toBe('bad_input');
  });

  it('adds a local model by reference and by copy, with a streamed checksum, and refuses duplicates', async () => {
    const w = await open();
    const ref = await ok<ModelSummary>(w, 'models.addLocal', { path: tinyFile, mode: 'reference' });
    expect(ref).toMatchObject({ name: 'analyst-tiny', path: tinyFile, storage: 'reference', sha256: sha256(tinyFile) });
    const dup = await fail(w, 'models.addLocal', { path: tinyFile, mode: 'copy' });
    expect(dup.code).toBe('conflict');
    expect(fs.readdirSync(path.join(w.dataDir, 'models')).sort()).toEqual(['tiny-demo.gguf']);

    await ok(w, 'models.archive', { id: ref.id });
    const copy = await ok<ModelSummary>(w, 'models.addLocal', { path: tinyFile, mode: 'copy', name: 'Copied tiny' });
    expect(copy.path).toBe(path.join(w.dataDir, 'models', 'analyst-tiny.gguf'));
    expect(sha256(copy.path!)).toBe(sha256(tinyFile));
    expect(copy).toMatchObject({ name: 'Copied tiny', storage: 'copy' });
    const audit = w.db
      .prepare("SELECT subject, details FROM audit_log WHERE action = 'models.addLocal' ORDER BY id DESC")
      .get() as {
      subject: string;
      details: string;
    };
    expect(audit.subject).toBe(String(copy.id));
    expect(JSON.parse(audit.details)).toMatchObject({ mode: 'copy', file: 'analyst-tiny.gguf' });
  });

  it('rejects each bad model file with a clear error and keeps serving', async () => {
    const w = await open();
    const bad = writeBadModels(fs.mkdtempSync(path.join(fixtures, 'bad-')));
    for (const [name, file] of Object.entries(bad)) {
      for (const mode of ['reference', 'copy'] as const) {
        const err = await fail(w, 'models.addLocal', { path: file, mode });
        expect(err.code, name).toBe('model_invalid');
        expect(err.message, name).toMatch(/^Not a usable model: /);
        expect(err.message, name).not.toContain(fixtures);
      }
      const info = await w.invoke('app.info', {});
      expect(info.ok).toBe(true);
    }
    expect((await ok<{ items: ModelSummary[] }>(w, 'models.list', {})).items).toHaveLength(1);
    expect(fs.readdirSync(path.join(w.dataDir, 'models')).sort()).toEqual(['tiny-demo.gguf']);
  });

  it('sets the active model per task, remembering the previous one, and guards archiving', async () => {
    const w = await open();
    const demo = (await ok<{ items: ModelSummary[] }>(w, 'models.list', {})).items[0]!;
    const other = await ok<ModelSummary>(w, 'models.addLocal', { path: tinyFile, mode: 'reference' });
    const change = await ok<ActiveModelChange>(w, 'models.setActive', { task: 'triage', modelId: other.id });
    expect(change).toEqual({ task: 'triage', modelId: other.id, previousModelId: demo.id });
    const row = w.db.prepare("SELECT model_id, previous_model_id FROM active_models WHERE task = 'triage'").get();
    expect(row).toEqual({ model_id: other.id, previous_model_id: demo.id });
    const tasks = await ok<{ items: TaskPreset[] }>(w, 'tasks.list', {});
    expect(tasks.items.find((t) => t.id === 'triage')!.preferredModelId).toBe(other.id);

    expect((await fail(w, 'models.archive', { id: other.id })).code).toBe('conflict');
    await ok(w, 'models.setActive', { task: 'triage', modelId: demo.id });
    const archived = await ok<ModelSummary>(w, 'models.archive', { id: other.id });
    expect(archived.archived).toBe(true);
    expect((await ok<{ items: ModelSummary[] }>(w, 'models.list', {})).items.map((m) => m.id)).toEqual([demo.id]);
    expect((await ok<{ items: ModelSummary[] }>(w, 'models.list', { includeArchived: true })).items).toHaveLength(2);
    expect((await fail(w, 'models.setActive', { task: 'chat', modelId: other.id })).code).toBe('conflict');
    expect((await fail(w, 'models.get', { id: 999 })).code).toBe('not_found');
  });

  it('registers a remote model by name against an endpoint', async () => {
    const w = await open();
    expect((await fail(w, 'models.addRemote', { endpointId: 42, remoteModel: 'gpt-4o-mini', name: 'x' })).code).toBe(
      'not_found',
    );
    const endpointId = Number(
      w.db
        .prepare(
          "INSERT INTO endpoints (name, kind, base_url, created_at) VALUES ('lab', 'openai_compatible', 'http://127.0.0.1:9/v1', 0)",
        )
        .run().lastInsertRowid,
    );
    const m = await ok<ModelSummary>(w, 'models.addRemote', { endpointId, remoteModel: 'qwen3-8b', name: 'Lab Qwen' });
    expect(m).toMatchObject({ kind: 'openai_compatible', endpointId, remoteModel: 'qwen3-8b', path: null, info: null });
  });

  it('lists the task presets with their temperatures', async () => {
    const w = await open();
    const { items } = await ok<{ items: TaskPreset[] }>(w, 'tasks.list', {});
    expect(items.map((t) => t.id)).toEqual(['triage', 'incident', 'audit_log', 'code_review', 'chat']);
    for (const t of items) {
      if (t.id === 'chat') expect(t.temperature).toBe(0.7);
      else {
        expect(t.temperature).toBeGreaterThanOrEqual(0.1);
        expect(t.temperature).toBeLessThanOrEqual(0.2);
      }
      expect(t.systemPrompt).toMatch(/security operations/);
    }
    expect(items.find((t) => t.id === 'triage')!.structured).toBe(true);
  });
});

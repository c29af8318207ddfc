import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-electron-preload-'));
afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

describe('preload bundle (E8)', () => {
  it('electron-vite builds it as one CommonJS file that requires nothing but electron', async () => {
    const { resolveConfig } = await import('electron-vite');
    const { build } = await import('vite');
    const resolved = await resolveConfig({ root: ROOT, logLevel: 'silent' }, 'build', 'production');
    const preload = resolved.config?.preload;
    expect(preload).toBeDefined();
    expect(path.resolve(ROOT, preload!.build?.outDir ?? '')).toBe(path.join(ROOT, 'out/preload'));
    await build({ ...preload!, logLevel: 'silent', build: { ...preload!.build, outDir, emptyOutDir: true } });
    expect(fs.readdirSync(outDir)).toEqual(['index.cjs']);
    const code = fs.readFileSync(path.join(outDir, 'index.cjs'), 'utf8');
    // Sandboxed preloads cannot load ES modules or node_modules: only require('electron').
    expect(code).not.toMatch(/^\s*(import|export)\s/m);
    const required = [...code.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect([...new Set(required)]).toEqual(['electron']);
    expect(code).toContain('exposeInMainWorld');
  });
});

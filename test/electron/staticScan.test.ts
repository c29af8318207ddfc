import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(abs, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.(ts|tsx|mts|cts)$/.test(entry.name)) continue;
    out.push(path.relative(ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
  }
  return out.sort();
}

const FILES = [...sourceFiles('src-main'), ...sourceFiles('src-renderer')];
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

const NEW_WINDOW = /new\s+(?:[\w$]+\s*\.\s*)*BrowserWindow\s*\(/g;
const OTHER_VIEWS = /new\s+(?:[\w$]+\s*\.\s*)*(?:BrowserView|WebContentsView)\s*\(/;
const WEAKENING: [string, RegExp][] = [
  ['nodeIntegration: true', /nodeIntegration(?:InWorker|InSubFrames)?['"]?\s*:\s*true\b/],
  ['contextIsolation: false', /contextIsolation['"]?\s*:\s*false\b/],
  ['sandbox: false', /\bsandbox['"]?\s*:\s*false\b/],
  ['webSecurity: false', /webSecurity['"]?\s*:\s*false\b/],
  ['allowRunningInsecureContent: true', /allowRunningInsecureContent['"]?\s*:\s*true\b/],
  ['webviewTag: true', /webviewTag['"]?\s*:\s*true\b/],
  ['experimentalFeatures: true', /experimentalFeatures['"]?\s*:\s*true\b/],
  ['enableBlinkFeatures', /enableBlinkFeatures/],
  ['--no-sandbox', /['"]--?no-sandbox['"]/],
];
// import … from 'electron' | import 'electron' | export … from 'electron' | import('electron') | require('electron'),
// including subpaths such as 'electron/main'.
const ELECTRON_IMPORT =
  /(?:\b(?:import|export)\b[^;'"]*?\bfrom\s*|\bimport\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"]electron(?:\/[^'"]*)?['"]/;

describe('static security scan of src-main and src-renderer (E1)', () => {
  it('scans real files', () => {
    expect(FILES.length).toBeGreaterThan(10);
    expect(FILES).toContain('src-main/electron/windowOptions.ts');
  });

  it('the window factory holds the only `new BrowserWindow(`, and no BrowserView/WebContentsView is made', () => {
    const hits = FILES.flatMap((f) => (read(f).match(NEW_WINDOW) ?? []).map(() => f));
    expect(hits).toEqual(['src-main/electron/windowOptions.ts']);
    expect(FILES.filter((f) => OTHER_VIEWS.test(read(f)))).toEqual([]);
  });

  it('no file weakens webPreferences', () => {
    const found = FILES.flatMap((f) => {
      const text = read(f);
      return WEAKENING.filter(([, re]) => re.test(text)).map(([name]) => `${f}: ${name}`);
    });
    expect(found).toEqual([]);
  });

  it('only src-main/electron/ imports electron', () => {
    // Positive control: the pattern does find the shell's own imports.
    expect(ELECTRON_IMPORT.test(read('src-main/electron/main.ts'))).toBe(true);
    expect(ELECTRON_IMPORT.test(read('src-main/electron/preload.ts'))).toBe(true);
    expect(ELECTRON_IMPORT.test(`const e = require('electron')`)).toBe(true);
    expect(ELECTRON_IMPORT.test(`const e = await import("electron/main")`)).toBe(true);
    expect(ELECTRON_IMPORT.test(`import type {\n  WebContents,\n} from 'electron';`)).toBe(true);
    expect(ELECTRON_IMPORT.test(`import { x } from 'electron-vite'`)).toBe(false);
    const offenders = FILES.filter((f) => !f.startsWith('src-main/electron/') && ELECTRON_IMPORT.test(read(f)));
    expect(offenders).toEqual([]);
  });
});

describe('Electron fuses in the packaging config (E11)', () => {
  it('package.json build.electronFuses turns the dangerous fuses off and integrity on', () => {
    const pkg = JSON.parse(read('package.json')) as {
      build?: { asar?: boolean; electronFuses?: Record<string, boolean> };
    };
    expect(pkg.build?.asar).toBe(true);
    expect(pkg.build?.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });
});

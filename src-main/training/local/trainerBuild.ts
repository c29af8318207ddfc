import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds the local trainer from the llama.cpp source that node-llama-cpp ships (a git bundle inside the
 * package), with our patches (native/trainer/patches) and our SFT program (native/trainer/sft.cpp), plus
 * the stock llama-finetune, llama-bench, llama-quantize and llama-tokenize. The binaries are cached per
 * llama.cpp release and source hash in `<dataDir>/trainer/<tag>-<hash>/bin` (or `$TW_TRAINER_CACHE/<tag>-<hash>/bin`),
 * so a build happens once per machine and version.
 */

export const TRAINER_TARGETS = ['tw-sft', 'llama-finetune', 'llama-bench', 'llama-quantize', 'llama-tokenize'] as const;
export type TrainerTarget = (typeof TRAINER_TARGETS)[number];

export interface TrainerBinaries {
  /** Folder holding the binaries. */
  binDir: string;
  /** Our SFT trainer (answer-only loss). */
  sft: string;
  finetune: string;
  bench: string;
  quantize: string;
  tokenize: string;
  /** llama.cpp release the binaries were built from. */
  tag: string;
  /** Hash of our patches, trainer source, build flags and CPU. */
  hash: string;
}

export type TrainerBuildPhase = 'cached' | 'toolchain' | 'clone' | 'patch' | 'configure' | 'build' | 'install' | 'done';

export interface TrainerBuildProgress {
  phase: TrainerBuildPhase;
  /** 0..1 over the whole build (compile steps dominate). */
  fraction: number;
  /** Compile step counter from `[n/N]` (ninja) or `[ p%]` (make) lines. */
  step?: number;
  steps?: number;
  message: string;
}

export type TrainerBuildErrorCode = 'TOOLCHAIN_MISSING' | 'SOURCE_MISSING' | 'BUILD_FAILED' | 'CANCELLED';

export class TrainerBuildError extends Error {
  constructor(
    readonly code: TrainerBuildErrorCode,
    message: string,
    /** The last lines the failing tool printed. */
    readonly lastLines: string[] = [],
  ) {
    super(lastLines.length ? `${message}\n--- last output ---\n${lastLines.join('\n')}` : message);
    this.name = 'TrainerBuildError';
  }
}

export interface TrainerSource {
  tag: string;
  bundle: string;
  nativeDir: string;
  patches: string[];
  hash: string;
}

/** Flags of the CMake configure step; part of the cache hash. */
export const CMAKE_FLAGS: readonly string[] = [
  '-DCMAKE_BUILD_TYPE=Release',
  '-DBUILD_SHARED_LIBS=OFF',
  '-DLLAMA_CURL=OFF',
  '-DLLAMA_OPENSSL=OFF',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_SERVER=OFF',
  '-DLLAMA_BUILD_APP=OFF',
  '-DLLAMA_BUILD_MTMD=OFF',
  '-DGGML_NATIVE=ON',
  '--no-warn-unused-cli',
];

const here = path.dirname(fileURLToPath(import.meta.url));

function walkUpFor(start: string, rel: string, depth = 8): string | null {
  let dir = start;
  for (let i = 0; i < depth; i++) {
    const candidate = path.join(dir, rel);
    if (fs.existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** native/trainer: TW_NATIVE_DIR, else found walking up from this module or the working directory. */
export function nativeTrainerDir(): string {
  const env = process.env.TW_NATIVE_DIR;
  if (env && fs.existsSync(path.join(env, 'CMakeLists.txt'))) return env;
  const found =
    walkUpFor(here, path.join('native', 'trainer', 'CMakeLists.txt')) ??
    walkUpFor(process.cwd(), path.join('native', 'trainer', 'CMakeLists.txt'));
  if (!found)
    throw new TrainerBuildError(
      'SOURCE_MISSING',
      'The trainer source (native/trainer) was not found; set TW_NATIVE_DIR.',
    );
  return path.dirname(found);
}

/** node-llama-cpp's `llama/` folder (the git bundle and llama.cpp.info.json). */
export function llamaSourceDir(): string {
  const env = process.env.TW_LLAMA_BUNDLE_DIR;
  if (env && fs.existsSync(path.join(env, 'gitRelease.bundle'))) return env;
  const candidates: string[] = [];
  try {
    const req = createRequire(import.meta.url);
    candidates.push(path.dirname(req.resolve('node-llama-cpp')));
  } catch {
    // fall through to walking up
  }
  candidates.push(here, process.cwd());
  for (const start of candidates) {
    const found = walkUpFor(start, path.join('node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle'), 10);
    if (found) return path.dirname(found);
    const inPkg = walkUpFor(start, path.join('llama', 'gitRelease.bundle'), 4);
    if (inPkg) return path.dirname(inPkg);
  }
  throw new TrainerBuildError(
    'SOURCE_MISSING',
    'The llama.cpp source bundle of node-llama-cpp (node_modules/node-llama-cpp/llama/gitRelease.bundle) was not found; reinstall the dependencies (npm ci).',
  );
}

let cpuFingerprintCache: string | null = null;
/** GGML_NATIVE builds for this CPU: the cache key includes its model and flags. */
function cpuFingerprint(): string {
  if (cpuFingerprintCache) return cpuFingerprintCache;
  let text = `${process.platform}-${process.arch}-${os.cpus()[0]?.model ?? ''}`;
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const flags = /^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '';
    text += `-${flags}`;
  } catch {
    // not Linux
  }
  return (cpuFingerprintCache = text);
}

/** The release tag, bundle, patches and the hash that names the cache folder. */
export function trainerSource(): TrainerSource {
  const llamaDir = llamaSourceDir();
  const info = JSON.parse(fs.readFileSync(path.join(llamaDir, 'llama.cpp.info.json'), 'utf8')) as { tag?: string };
  const tag = (info.tag ?? 'unknown').replace(/[^A-Za-z0-9._-]/g, '_');
  const nativeDir = nativeTrainerDir();
  const patchDir = path.join(nativeDir, 'patches');
  const patches = fs.existsSync(patchDir)
    ? fs
        .readdirSync(patchDir)
        .filter((f) => f.endsWith('.patch'))
        .sort()
        .map((f) => path.join(patchDir, f))
    : [];
  const h = crypto.createHash('sha256');
  h.update(`tag:${tag}\n`);
  h.update(`bundle-size:${fs.statSync(path.join(llamaDir, 'gitRelease.bundle')).size}\n`);
  for (const f of [...patches, path.join(nativeDir, 'CMakeLists.txt'), path.join(nativeDir, 'sft.cpp')]) {
    h.update(`file:${path.basename(f)}\n`);
    h.update(fs.readFileSync(f));
  }
  h.update(`flags:${CMAKE_FLAGS.join(' ')}\n`);
  h.update(`targets:${TRAINER_TARGETS.join(' ')}\n`);
  h.update(`cpu:${cpuFingerprint()}\n`);
  return {
    tag,
    bundle: path.join(llamaDir, 'gitRelease.bundle'),
    nativeDir,
    patches,
    hash: h.digest('hex').slice(0, 12),
  };
}

/** `$TW_TRAINER_CACHE`, else `<dataDir>/trainer`. */
export function trainerCacheRoot(dataDir?: string): string {
  const env = process.env.TW_TRAINER_CACHE;
  if (env) return env;
  if (!dataDir) throw new Error('trainerCacheRoot needs a data dir when TW_TRAINER_CACHE is not set');
  return path.join(dataDir, 'trainer');
}

const EXE = process.platform === 'win32' ? '.exe' : '';

function binariesIn(binDir: string, src: Pick<TrainerSource, 'tag' | 'hash'>): TrainerBinaries {
  return {
    binDir,
    sft: path.join(binDir, `tw-sft${EXE}`),
    finetune: path.join(binDir, `llama-finetune${EXE}`),
    bench: path.join(binDir, `llama-bench${EXE}`),
    quantize: path.join(binDir, `llama-quantize${EXE}`),
    tokenize: path.join(binDir, `llama-tokenize${EXE}`),
    tag: src.tag,
    hash: src.hash,
  };
}

function complete(b: TrainerBinaries): boolean {
  return [b.sft, b.finetune, b.bench, b.quantize, b.tokenize].every((f) => fs.existsSync(f));
}

/** `TW_TRAINER_BIN_DIR`: a folder with prebuilt binaries (a developer's own build) that replaces the cache. */
function binDirOverride(): TrainerBinaries | null {
  const dir = process.env.TW_TRAINER_BIN_DIR;
  if (!dir) return null;
  const b = binariesIn(dir, { tag: 'custom', hash: 'custom' });
  if (!complete(b))
    throw new TrainerBuildError(
      'SOURCE_MISSING',
      `TW_TRAINER_BIN_DIR (${dir}) lacks some of ${TRAINER_TARGETS.join(', ')}`,
    );
  return b;
}

/** The cached binaries for this source, or null when they have not been built yet. */
export function findTrainer(opts: { dataDir?: string } = {}): TrainerBinaries | null {
  const custom = binDirOverride();
  if (custom) return custom;
  const src = trainerSource();
  const b = binariesIn(path.join(trainerCacheRoot(opts.dataDir), `${src.tag}-${src.hash}`, 'bin'), src);
  return complete(b) ? b : null;
}

export interface ToolchainCheck {
  ok: boolean;
  missing: string[];
  generator: 'Ninja' | 'Unix Makefiles';
  /** What to tell the user when something is missing. */
  hint: string;
}

function has(cmd: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.status === 0;
}

/** cmake, a C++ compiler and git (to unpack the bundle) are needed; ninja is used when present. */
export function checkToolchain(): ToolchainCheck {
  const missing: string[] = [];
  if (!has('cmake')) missing.push('cmake');
  if (!has(process.env.CXX ?? 'c++') && !has('g++') && !has('clang++')) missing.push('a C++ compiler (g++)');
  if (!has('git')) missing.push('git');
  const ninja = has('ninja');
  if (!ninja && !has('make')) missing.push('make (or ninja)');
  const pkgs = ['cmake', 'g++', 'git', ...(ninja ? [] : ['make'])];
  return {
    ok: missing.length === 0,
    missing,
    generator: ninja ? 'Ninja' : 'Unix Makefiles',
    hint:
      `Building the local trainer needs ${missing.join(', ')}. ` +
      `Install the build tools, e.g. \`sudo apt-get install ${pkgs.join(' ')}\` (Debian/Ubuntu), ` +
      '`sudo dnf install cmake gcc-c++ git make` (Fedora) or `xcode-select --install && brew install cmake` (macOS).',
  };
}

export interface EnsureTrainerOptions {
  dataDir?: string;
  onProgress?: (p: TrainerBuildProgress) => void;
  signal?: AbortSignal;
  /** Parallel compile jobs (default: number of CPUs, at most 2 on small machines is what `-j2` means here). */
  jobs?: number;
  /** Keep the cloned source and the build folder next to bin/ (default false: only bin/ stays). */
  keepBuildTree?: boolean;
}

const LAST_LINES = 40;

interface RunResult {
  lastLines: string[];
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; signal?: AbortSignal; onLine?: (line: string) => void; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const last: string[] = [];
    const feed = (buf: string, carry: { s: string }) => {
      carry.s += buf;
      const parts = carry.s.split(/\r?\n|\r/);
      carry.s = parts.pop() ?? '';
      for (const line of parts) {
        if (!line.trim()) continue;
        last.push(line);
        if (last.length > LAST_LINES) last.shift();
        opts.onLine?.(line);
      }
    };
    const out = { s: '' };
    const err = { s: '' };
    child.stdout.setEncoding('utf8').on('data', (d: string) => feed(d, out));
    child.stderr.setEncoding('utf8').on('data', (d: string) => feed(d, err));
    const onAbort = () => child.kill('SIGTERM');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(new TrainerBuildError('BUILD_FAILED', `could not start ${cmd}: ${e.message}`));
    });
    child.on('close', (code, sig) => {
      opts.signal?.removeEventListener('abort', onAbort);
      for (const c of [out, err]) if (c.s.trim()) last.push(c.s);
      if (opts.signal?.aborted) return reject(new TrainerBuildError('CANCELLED', 'The trainer build was cancelled.'));
      if (code === 0) return resolve({ lastLines: last });
      reject(
        new TrainerBuildError(
          'BUILD_FAILED',
          `${path.basename(cmd)} ${args[0] ?? ''} failed (${sig ?? `exit ${code}`})`,
          last.slice(-20),
        ),
      );
    });
  });
}

/** Parses `[12/143]` (ninja) and `[ 45%]` (make) progress prefixes. */
export function parseBuildProgressLine(line: string): { step: number; steps: number } | null {
  const ninja = /^\[(\d+)\/(\d+)\]/.exec(line);
  if (ninja) return { step: Number(ninja[1]), steps: Number(ninja[2]) };
  const make = /^\[\s*(\d+)%\]/.exec(line);
  if (make) return { step: Number(make[1]), steps: 100 };
  return null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock folder next to the cache entry so two processes (two test files, app + CLI) build once. */
async function withLock<T>(
  lockDir: string,
  signal: AbortSignal | undefined,
  fn: () => Promise<T>,
  onWait: () => void,
): Promise<T> {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  let waited = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
      } catch {
        // being created or removed
      }
      if (Number.isFinite(owner) && owner !== process.pid && !pidAlive(owner)) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!waited) {
        waited = true;
        onWait();
      }
      if (signal?.aborted) throw new TrainerBuildError('CANCELLED', 'The trainer build was cancelled.');
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * Returns the trainer binaries, building them first when they are not cached. Progress (clone, patch,
 * configure, `[n/N]` compile steps) goes to `onProgress`. A missing toolchain throws TOOLCHAIN_MISSING with
 * what to install; a failed step throws BUILD_FAILED with the tool's last lines.
 */
export async function ensureTrainer(opts: EnsureTrainerOptions = {}): Promise<TrainerBinaries> {
  const progress = opts.onProgress ?? (() => undefined);
  const custom = binDirOverride();
  if (custom) {
    progress({ phase: 'cached', fraction: 1, message: `using the trainer binaries in ${custom.binDir}` });
    return custom;
  }
  const src = trainerSource();
  const root = trainerCacheRoot(opts.dataDir);
  const entry = path.join(root, `${src.tag}-${src.hash}`);
  const bins = binariesIn(path.join(entry, 'bin'), src);
  if (complete(bins)) {
    progress({ phase: 'cached', fraction: 1, message: `trainer ${src.tag}-${src.hash} is cached` });
    return bins;
  }
  const tc = checkToolchain();
  if (!tc.ok) throw new TrainerBuildError('TOOLCHAIN_MISSING', tc.hint);

  return withLock(
    `${entry}.lock`,
    opts.signal,
    async () => {
      if (complete(bins)) {
        progress({ phase: 'cached', fraction: 1, message: 'trainer built by another process' });
        return bins;
      }
      const started = Date.now();
      const work = `${entry}.build`;
      const srcDir = path.join(work, 'src');
      const buildDir = path.join(work, 'build');
      fs.rmSync(work, { recursive: true, force: true });
      fs.mkdirSync(work, { recursive: true });
      try {
        return await buildInto(work, srcDir, buildDir, started);
      } catch (e) {
        fs.rmSync(work, { recursive: true, force: true });
        throw e;
      }
    },
    () =>
      progress({ phase: 'build', fraction: 0, message: 'waiting for another process that is building the trainer' }),
  );

  async function buildInto(work: string, srcDir: string, buildDir: string, started: number): Promise<TrainerBinaries> {
    progress({
      phase: 'clone',
      fraction: 0.01,
      message: `unpacking llama.cpp ${src.tag} from node-llama-cpp's bundle`,
    });
    await run('git', ['clone', '--quiet', '--no-hardlinks', src.bundle, srcDir], { signal: opts.signal });

    for (const p of src.patches) {
      progress({ phase: 'patch', fraction: 0.02, message: `applying ${path.basename(p)}` });
      await run('git', ['apply', '--whitespace=nowarn', p], { cwd: srcDir, signal: opts.signal });
    }

    progress({ phase: 'configure', fraction: 0.03, message: 'configuring (cmake)' });
    await run(
      'cmake',
      ['-S', src.nativeDir, '-B', buildDir, '-G', tc.generator, `-DTW_LLAMA_SRC=${srcDir}`, ...CMAKE_FLAGS],
      { signal: opts.signal },
    );

    const jobs = opts.jobs ?? Math.max(1, Math.min(os.cpus().length, 2));
    progress({ phase: 'build', fraction: 0.05, message: `compiling with ${jobs} job(s)` });
    await run('cmake', ['--build', buildDir, '-j', String(jobs), '--target', ...TRAINER_TARGETS], {
      signal: opts.signal,
      onLine: (line) => {
        const p = parseBuildProgressLine(line);
        if (p && p.steps > 0) {
          progress({
            phase: 'build',
            fraction: 0.05 + 0.93 * (p.step / p.steps),
            step: p.step,
            steps: p.steps,
            message: line.replace(/^\[[^\]]*\]\s*/, '').slice(0, 160),
          });
        }
      },
    });

    progress({ phase: 'install', fraction: 0.99, message: 'installing binaries' });
    const tmpBin = path.join(work, 'bin');
    fs.mkdirSync(tmpBin, { recursive: true });
    for (const t of TRAINER_TARGETS) {
      const candidates = [path.join(buildDir, 'bin', `${t}${EXE}`), path.join(buildDir, `${t}${EXE}`)];
      const found = candidates.find((c) => fs.existsSync(c));
      if (!found) throw new TrainerBuildError('BUILD_FAILED', `the build did not produce ${t}`);
      fs.copyFileSync(found, path.join(tmpBin, `${t}${EXE}`));
      fs.chmodSync(path.join(tmpBin, `${t}${EXE}`), 0o755);
    }
    fs.writeFileSync(
      path.join(tmpBin, 'build.json'),
      JSON.stringify(
        {
          tag: src.tag,
          hash: src.hash,
          patches: src.patches.map((p) => path.basename(p)),
          flags: CMAKE_FLAGS,
          generator: tc.generator,
          seconds: Math.round((Date.now() - started) / 1000),
          builtAt: new Date().toISOString(),
        },
        null,
        2,
      ),
    );
    fs.mkdirSync(entry, { recursive: true });
    fs.rmSync(path.join(entry, 'bin'), { recursive: true, force: true });
    fs.renameSync(tmpBin, path.join(entry, 'bin'));
    if (opts.keepBuildTree) {
      for (const d of ['src', 'build']) {
        fs.rmSync(path.join(entry, d), { recursive: true, force: true });
        fs.renameSync(path.join(work, d), path.join(entry, d));
      }
    }
    fs.rmSync(work, { recursive: true, force: true });
    progress({
      phase: 'done',
      fraction: 1,
      message: `trainer built in ${Math.round((Date.now() - started) / 1000)} s`,
    });
    return bins;
  }
}

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BUNDLE = path.join(ROOT, 'node_modules/node-llama-cpp/llama/gitRelease.bundle');
const INFO = path.join(ROOT, 'node_modules/node-llama-cpp/llama/llama.cpp.info.json');

export interface LlamaTools {
  bench: string;
  quantize: string;
  release: string;
}

/**
 * The CPU's own instruction sets, minus AMX. A GGML_NATIVE build on a VM that advertises AMX died with
 * SIGILL/SIGSEGV in quantized prompt processing, while node-llama-cpp's prebuilt CPU variant ran fine.
 * LLAMA_CMAKE_FLAGS (space separated) overrides this.
 */
function cpuFlags(): string[] {
  if (process.env.LLAMA_CMAKE_FLAGS) return process.env.LLAMA_CMAKE_FLAGS.split(/\s+/).filter(Boolean);
  let info = '';
  try {
    info = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return [];
  }
  const has = (flag: string) => new RegExp(`\\b${flag}\\b`).test(info);
  const flags = ['-DGGML_NATIVE=OFF'];
  const map: [string, string][] = [
    ['avx', 'GGML_AVX'],
    ['avx2', 'GGML_AVX2'],
    ['fma', 'GGML_FMA'],
    ['f16c', 'GGML_F16C'],
    ['bmi2', 'GGML_BMI2'],
    ['avx_vnni', 'GGML_AVX_VNNI'],
    ['avx512f', 'GGML_AVX512'],
    ['avx512_vnni', 'GGML_AVX512_VNNI'],
    ['avx512_bf16', 'GGML_AVX512_BF16'],
    ['avx512vbmi', 'GGML_AVX512_VBMI'],
  ];
  for (const [cpu, option] of map) if (has(cpu)) flags.push(`-D${option}=ON`);
  return flags;
}

function release(): string {
  return (JSON.parse(fs.readFileSync(INFO, 'utf8')) as { tag: string }).tag;
}

/**
 * llama-bench and llama-quantize built from the llama.cpp source node-llama-cpp ships (its git bundle),
 * so both sides of the comparison run the same release. LLAMA_BIN_DIR points at an existing build of
 * that release instead (building takes minutes on 2 cores).
 */
export function llamaTools(): LlamaTools {
  const tag = release();
  const fromEnv = process.env.LLAMA_BIN_DIR;
  const cache = path.join(process.env.TW_BENCH_CACHE ?? path.join(os.homedir(), '.cache', 'tw-bench'), `llama-${tag}`);
  const binDir = fromEnv ?? path.join(cache, 'build', 'bin');
  const tools = {
    bench: path.join(binDir, 'llama-bench'),
    quantize: path.join(binDir, 'llama-quantize'),
    release: tag,
  };
  if (fs.existsSync(tools.bench) && fs.existsSync(tools.quantize)) return tools;
  if (fromEnv) throw new Error(`LLAMA_BIN_DIR has no llama-bench/llama-quantize: ${fromEnv}`);

  const src = path.join(cache, 'src');
  if (!fs.existsSync(path.join(src, 'CMakeLists.txt'))) {
    console.log(`cloning llama.cpp ${tag} from node-llama-cpp's bundle…`);
    fs.mkdirSync(cache, { recursive: true });
    execFileSync('git', ['clone', '--quiet', BUNDLE, src], { stdio: 'inherit' });
    try {
      execFileSync('git', ['-C', src, 'checkout', '--quiet', tag], { stdio: 'inherit' });
    } catch {
      // The bundle's default branch is the release itself.
    }
  }
  console.log('building llama-bench and llama-quantize (a few minutes)…');
  const build = path.join(cache, 'build');
  execFileSync(
    'cmake',
    [
      '-S',
      src,
      '-B',
      build,
      '-DCMAKE_BUILD_TYPE=Release',
      '-DLLAMA_CURL=OFF',
      '-DLLAMA_BUILD_TESTS=OFF',
      '-DLLAMA_BUILD_SERVER=OFF',
      ...cpuFlags(),
    ],
    { stdio: 'inherit' },
  );
  execFileSync(
    'cmake',
    ['--build', build, '--target', 'llama-bench', 'llama-quantize', '-j', String(os.availableParallelism())],
    {
      stdio: 'inherit',
    },
  );
  return tools;
}

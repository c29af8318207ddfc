import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

/**
 * The folder of files shipped with the app (ATT&CK catalogue, demo samples, prompts).
 * TW_RESOURCES_DIR wins; otherwise walk up from this module (src-main/core in dev, out/main when built).
 */
export function resourcesDir(): string {
  if (cached) return cached;
  const fromEnv = process.env.TW_RESOURCES_DIR;
  if (fromEnv && fs.existsSync(path.join(fromEnv, 'attack'))) return (cached = fromEnv);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'resources');
    if (fs.existsSync(path.join(candidate, 'attack'))) return (cached = candidate);
    dir = path.dirname(dir);
  }
  throw new Error('resources folder not found (set TW_RESOURCES_DIR)');
}

export function resourcePath(...parts: string[]): string {
  return path.join(resourcesDir(), ...parts);
}

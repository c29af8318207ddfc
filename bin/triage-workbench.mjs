#!/usr/bin/env node
/* global console, process */
// `npx triage-workbench …`: runs the built CLI (out/main/cli.js). Build it once with `npm run build`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'out', 'main', 'cli.js');
if (!fs.existsSync(cli)) {
  console.error('triage-workbench: the CLI is not built yet. Run `npm run build` in the project first.');
  process.exit(2);
}
await import(pathToFileURL(cli).href);

import os from 'node:os';
import {
  TASKS,
  WorkbenchError,
  type CommandName,
  type CommandRequest,
  type CommandResponse,
  type ModelSummary,
  type Task,
} from '../contract/index';
import { createWorkbench, type Workbench } from '../core/workbench';

/** Where the CLI writes: the two streams, so tests can capture them. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const EXIT_OK = 0;
/** A CI gate failed (the run itself worked). */
export const EXIT_GATE = 1;
/** Bad usage, or the work could not be done. */
export const EXIT_ERROR = 2;

/** A usage mistake: printed with a hint, exit code 2. */
export class UsageError extends Error {}

export interface CliSession {
  wb: Workbench;
  io: CliIo;
  call<K extends CommandName>(name: K, args: CommandRequest<K>): Promise<CommandResponse<K>>;
}

/** Opens the workspace (no demo conversations are seeded by the CLI) and closes it after `fn`. */
export async function withWorkbench<T>(dataDir: string, io: CliIo, fn: (s: CliSession) => Promise<T>): Promise<T> {
  const wb = await createWorkbench({ dataDir, host: 'http', seed: false, actor: cliActor() });
  const session: CliSession = {
    wb,
    io,
    async call(name, args) {
      const r = await wb.invoke(name, args);
      if (!r.ok) throw new WorkbenchError(r.error.code, r.error.message);
      return r.value as never;
    },
  };
  try {
    return await fn(session);
  } finally {
    await wb.close();
  }
}

function cliActor(): string {
  try {
    return `${os.userInfo().username || 'engineer'} (cli)`;
  } catch {
    return 'engineer (cli)';
  }
}

/**
 * A model named on the command line: its registry id, its exact name, or `active` / `active:<task>`
 * (the task's active model, triage by default).
 */
export function resolveModel(models: readonly ModelSummary[], ref: string): ModelSummary {
  const r = ref.trim();
  const active = /^active(?::([a-z_]+))?$/.exec(r);
  if (active) {
    const task = (active[1] ?? 'triage') as Task;
    if (!(TASKS as readonly string[]).includes(task)) throw new UsageError(`Unknown task "${task}" in "${ref}".`);
    const m = models.find((x) => x.activeFor.includes(task));
    if (!m) throw new UsageError(`No model is active for ${task}.`);
    return m;
  }
  if (/^\d+$/.test(r)) {
    const m = models.find((x) => x.id === Number(r));
    if (m) return m;
  }
  const named = models.filter((x) => x.name === r);
  if (named.length === 1) return named[0]!;
  if (named.length > 1) {
    throw new UsageError(`${named.length} models are named "${r}": use an id (${named.map((m) => m.id).join(', ')}).`);
  }
  throw new UsageError(`No model "${r}". List them with: triage-workbench models`);
}

export function parseIntArg(name: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number of at least ${min}.`);
  return n;
}

export function pct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(digits)}%`;
}

/** A plain text table: columns padded to the widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

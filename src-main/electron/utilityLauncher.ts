import type * as ElectronModule from 'electron';
import { WORKER_ENV, workerEntry, type WorkerLauncher } from '../runtime/local/workerClient';
import type { Logger } from '../core/logger';

/**
 * Model workers as Electron utility processes: with the RunAsNode fuse off, `child_process.fork` from main
 * is not available. Same message protocol as the fork launcher; the worker reads `process.parentPort`.
 */
export function utilityProcessLauncher(
  utilityProcess: typeof ElectronModule.utilityProcess,
  log: Logger,
): WorkerLauncher {
  return {
    launch() {
      const entry = workerEntry();
      const child = utilityProcess.fork(entry.file, [], {
        serviceName: 'Triage Workbench model worker',
        stdio: 'pipe',
        env: { ...process.env, ...WORKER_ENV },
      });
      for (const stream of [child.stdout, child.stderr]) {
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => {
          for (const line of chunk.split('\n'))
            if (line.trim()) log.warn('model worker output', { line: line.slice(0, 500) });
        });
      }
      let exited = false;
      child.on('exit', () => {
        exited = true;
      });
      return {
        get pid() {
          return child.pid;
        },
        send(msg) {
          if (!exited) child.postMessage(msg);
        },
        onMessage(cb) {
          child.on('message', cb);
        },
        onExit(cb) {
          child.on('exit', (code) => cb(code, null));
        },
        kill() {
          if (!exited) child.kill();
        },
      };
    },
  };
}

import { runCli } from '../cli/runCli';

// The exit code is set, not forced, so `serve` keeps running and output is flushed before exit.
runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error((err as Error)?.message ?? String(err));
    process.exitCode = 2;
  },
);

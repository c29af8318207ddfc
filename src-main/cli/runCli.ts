import { Command, CommanderError, Option } from 'commander';
import { WorkbenchError } from '../contract/index';
import { defaultDataDir } from '../core/workbench';
import { serveMain } from '../hosts/http/serve';
import { EXIT_ERROR, EXIT_OK, UsageError, withWorkbench, type CliIo } from './cliContext';
import { demoCommand, type DemoArgs } from './demoCommand';
import { evalCommand, type EvalArgs } from './evalCommand';
import {
  compareCommand,
  exportCommand,
  importCommand,
  modelsCommand,
  promoteCommand,
  rollbackCommand,
  trainCommand,
} from './workspaceCommands';

export const processIo: CliIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

/**
 * `triage-workbench <command>` on the same core as the app (createWorkbench). Exit codes are CI gates:
 * 0 ok, 1 a gate failed, 2 bad usage or the work failed. Returns the code; never calls process.exit.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code = EXIT_OK;
  const program = new Command('triage-workbench')
    .description('Evaluate, compare, import, export and train on a Triage Workbench workspace.')
    .option('--data-dir <dir>', 'workspace folder (default: $XDG_DATA_HOME/triage-workbench)')
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t.trimEnd()), writeErr: (t) => io.err(t.trimEnd()) })
    .showHelpAfterError('(add --help for usage)');
  const dataDir = () => program.opts<{ dataDir?: string }>().dataDir ?? defaultDataDir();
  const inWorkspace = (fn: Parameters<typeof withWorkbench<number>>[2]) => async () => {
    code = await withWorkbench(dataDir(), io, fn);
  };

  program
    .command('eval')
    .description('Evaluate models on a dataset version (its test split) with the structured triage answer.')
    .option('--models <list>', 'comma-separated ids, names, or active[:task]', 'active')
    .option('--dataset <versionId>', 'dataset version to evaluate on')
    .option('--split <split>', 'train, validation or test', 'test')
    .option('--labelled <task>', 'instead of a dataset: every approved, labelled conversation of a task')
    .option('--parallel <n>', 'parallel sequences on the local runtime')
    .option('--concurrency <n>', 'concurrent requests to a remote endpoint')
    .option('--limit <n>', 'evaluate at most n examples')
    .option('--max-tokens <n>', 'answer length limit')
    .option('--seed <n>', 'sampling seed')
    .option('--temperature <t>', 'sampling temperature (default 0: greedy)')
    .option('--json', 'print the evaluation (metrics, confusion matrices, gate) as JSON')
    .option('--fail-if-macro-f1-drop <x>', 'exit 1 when a model’s macro-F1 is more than x below the baseline’s')
    .option('--baseline <model>', 'the model the gate compares with (default: the first of --models)')
    .addOption(new Option('--gate-field <field>', 'which macro-F1 the gate reads').default('verdict'))
    .action(async (opts: EvalArgs) => {
      await inWorkspace((s) => evalCommand(s, opts))();
    });

  program
    .command('import <file>')
    .description('Import alerts, logs or labelled examples (format detected unless given).')
    .option('--format <format>', 'import format', 'auto')
    .option('--keep-valid', 'import the valid records even when some are rejected')
    .option('--json', 'print the import report as JSON')
    .action(async (file: string, opts: { format: string; keepValid?: boolean; json?: boolean }) => {
      await inWorkspace((s) => importCommand(s, file, opts))();
    });

  program
    .command('export <versionId>')
    .description('Export a dataset version as JSONL.')
    .requiredOption('--format <format>', 'openai, sharegpt or alpaca')
    .option('--split <split>', 'only one split')
    .option('--out <dir>', 'an existing folder (default: <data dir>/exports)')
    .option('--json', 'print the export result as JSON')
    .action(async (versionId: string, opts: { format: string; split?: string; out?: string; json?: boolean }) => {
      await inWorkspace((s) => exportCommand(s, versionId, opts))();
    });

  program
    .command('train')
    .description('Queue a local fine-tune (needs the local trainer).')
    .requiredOption('--base <model>', 'local F32 GGUF base model (id or name)')
    .requiredOption('--dataset <versionId>', 'dataset version to train on')
    .option('--task <task>', 'threat_detection, log_analysis or triage_priority', 'threat_detection')
    .option('--epochs <n>', 'epochs')
    .option('--name <name>', 'name of the new model')
    .option('--wait', 'wait for the job to finish')
    .option('--json', 'print the job as JSON')
    .action(async (opts: Parameters<typeof trainCommand>[1]) => {
      await inWorkspace((s) => trainCommand(s, opts))();
    });

  program
    .command('compare')
    .description('Ask two models the same prompt and print both answers.')
    .requiredOption('--models <a,b>', 'two models (ids, names or active[:task])')
    .option('--prompt <text>', 'the prompt')
    .option('--prompt-file <file>', 'read the prompt from a file')
    .option('--task <task>', 'task preset (system prompt)', 'triage')
    .option('--structured', 'ask for the structured triage answer')
    .option('--max-tokens <n>', 'answer length limit')
    .option('--json', 'print both answers as JSON')
    .action(async (opts: Parameters<typeof compareCommand>[1]) => {
      await inWorkspace((s) => compareCommand(s, opts))();
    });

  program
    .command('models')
    .description('List model versions with lineage, active tasks and latest accuracy.')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      await inWorkspace((s) => modelsCommand(s, opts))();
    });

  program
    .command('promote <model>')
    .description('Make a model the active one for a task.')
    .option('--task <task>', 'task', 'triage')
    .option('--reason <text>', 'why (kept in the registry history)')
    .option('--json', 'print the change as JSON')
    .action(async (model: string, opts: { task: string; reason?: string; json?: boolean }) => {
      await inWorkspace((s) => promoteCommand(s, model, opts))();
    });

  program
    .command('rollback')
    .description('Return a task to its previous active model.')
    .option('--task <task>', 'task', 'triage')
    .option('--reason <text>', 'why (kept in the registry history)')
    .option('--json', 'print the change as JSON')
    .action(async (opts: { task: string; reason?: string; json?: boolean }) => {
      await inWorkspace((s) => rollbackCommand(s, opts))();
    });

  program
    .command('demo')
    .description(
      'Run the whole loop on a fresh demo workspace: import, label, approve, dataset, fine-tune, evaluate, report.',
    )
    .option('--seed <n>', 'seed of the split, the base model and the training', '42')
    .option('--short', 'small model and few steps (about 2 minutes; CI)')
    .option('--out <dir>', 'folder for the report and the model card', 'demo-report')
    .option('--json', 'print the results as JSON instead of the progress display')
    .action(async (opts: Omit<DemoArgs, 'dataDir'>) => {
      // a --data-dir given to the program is the demo's workspace; the default is a new temp folder
      code = await demoCommand(io, { ...opts, dataDir: program.opts<{ dataDir?: string }>().dataDir });
    });

  program
    .command('serve')
    .description('Run the headless host (HTTP + server-sent events) for browsers.')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]', 'options of the headless host: --port, --host, --allow-remote, --no-seed')
    .action(async (args: string[]) => {
      const given = program.opts<{ dataDir?: string }>().dataDir;
      await serveMain([...(given ? ['--data-dir', given] : []), ...args]);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        return EXIT_OK;
      }
      return EXIT_ERROR;
    }
    if (err instanceof UsageError) {
      io.err(`${err.message}\n(add --help for usage)`);
      return EXIT_ERROR;
    }
    if (err instanceof WorkbenchError) {
      io.err(err.message);
      return EXIT_ERROR;
    }
    io.err(`Unexpected failure: ${(err as Error)?.message ?? String(err)}`);
    return EXIT_ERROR;
  }
}

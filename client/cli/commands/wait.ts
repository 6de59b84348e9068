import type { Task } from '../../../shared/gen/baton/v1/task';
import type { CliCommand, CommandContext } from '../command';
import { exitCodeOfFinishedTask, printCommandHelp, printTask, withClient } from '../command-support';
import { GLOBAL_OPTIONS, resolveGlobalSettings } from '../global-options';
import { optionalDurationMs, parseCommandArgs, takePositionals } from '../parse-command-args';
import { ProgressLine } from '../progress-line';

const NAME = 'wait';

const OPTIONS = { ...GLOBAL_OPTIONS, timeout: { type: 'string' } } as const;

/**
 * `baton wait ID`: waits until the task finishes, prints it, exits 0 only if it SUCCEEDED. On a
 * terminal (and without --json) a line shows the task's state and progress meanwhile, erased
 * before the task is printed; otherwise the output is the task alone.
 */
export const waitCommand: CliCommand = {
  name: NAME,
  synopsis: 'wait ID',
  summary: 'wait until a task finishes and print it; exit 1 unless it succeeded',
  optionsHelp: `  --timeout DURATION  give up after DURATION, e.g. 30s (default: wait forever)

On a terminal, a line shows the task's state and the progress its handler reports while it
runs; it is erased before the finished task is printed.
`,
  run: runWait,
};

async function runWait(args: string[], context: CommandContext): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseCommandArgs(NAME, args, OPTIONS);
  if (values.help) return printCommandHelp(io, waitCommand);
  const settings = resolveGlobalSettings(context.leading, values, io.env);
  const [id = ''] = takePositionals(NAME, positionals, ['ID']);
  const timeoutMs = optionalDurationMs(NAME, values.timeout, '--timeout');
  return withClient(settings, async (client) => {
    const progress = ProgressLine.forTerminal(io, settings);
    let task: Task;
    try {
      task = await client.wait(id, { signal: io.signal, timeoutMs, onUpdate: progress?.show });
    } finally {
      progress?.clear();
    }
    printTask(io, settings, task);
    return exitCodeOfFinishedTask(task);
  });
}

import type { CliCommand, CommandContext } from '../command';
import { exitCodeOfFinishedTask, printCommandHelp, printTask, withClient } from '../command-support';
import { GLOBAL_OPTIONS, resolveGlobalSettings } from '../global-options';
import { optionalDurationMs, parseCommandArgs, takePositionals } from '../parse-command-args';

const NAME = 'wait';

const OPTIONS = { ...GLOBAL_OPTIONS, timeout: { type: 'string' } } as const;

/** `baton wait ID`: waits until the task finishes, prints it, exits 0 only if it SUCCEEDED. */
export const waitCommand: CliCommand = {
  name: NAME,
  synopsis: 'wait ID',
  summary: 'wait until a task finishes and print it; exit 1 unless it succeeded',
  optionsHelp: '  --timeout DURATION  give up after DURATION, e.g. 30s (default: wait forever)\n',
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
    const task = await client.wait(id, { signal: io.signal, timeoutMs });
    printTask(io, settings, task);
    return exitCodeOfFinishedTask(task);
  });
}

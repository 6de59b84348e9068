import { BatonError, errorMessage } from '../../shared/errors';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, type CliIo } from './cli-io';
import type { CliCommand } from './command';
import { findSubcommand } from './command-group';
import { CLIENT_COMMANDS } from './commands';
import { GLOBAL_OPTIONS, splitCommandLine } from './global-options';
import { parseCommandArgs, takePositionals } from './parse-command-args';
import { formatCommandUsage, formatGeneralUsage } from './usage';
import { UsageError } from './usage-error';
import { hintFor } from './error-hints';

export type { CliIo } from './cli-io';
export { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './cli-io';

const COMMANDS_BY_NAME = new Map<string, CliCommand>(CLIENT_COMMANDS.map((command) => [command.name, command]));

/** The names `runClientCli` handles (plus `help`), for an entry point that dispatches others elsewhere. */
export const CLIENT_COMMAND_NAMES: readonly string[] = [...COMMANDS_BY_NAME.keys(), 'help'];

/**
 * Runs one `baton` client command in-process: `submit`, `get`, `wait`, `cancel`, `retry`,
 * `list`, `stats`, `schedule ...`, `queue ...` or `help`. Never exits the process and never reads `process.env`: the entry point
 * passes `process.env` as `io.env` and exits with the returned code.
 * @param argv the arguments after `baton`, e.g. `['get', ID, '--json']`.
 * @returns the exit code: 0 done, 1 server error or the awaited task did not succeed,
 *   2 usage error (nothing was sent), 130 interrupted through `io.signal`.
 */
export async function runClientCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err: unknown) {
    return reportError(err, io);
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const { leading, command: name, rest } = splitCommandLine(argv);
  if (name === undefined) {
    if (leading.help) {
      io.stdout(formatGeneralUsage(CLIENT_COMMANDS));
      return EXIT_OK;
    }
    io.stderr(formatGeneralUsage(CLIENT_COMMANDS));
    return EXIT_USAGE;
  }
  if (name === 'help') return printHelp(rest, io);
  const command = COMMANDS_BY_NAME.get(name);
  if (!command) throw new UsageError(`unknown command '${name}'`);
  if (leading.help) {
    // `baton --help schedule create`: the subcommand's help when one is named.
    io.stdout(formatCommandUsage(findSubcommand(command, rest[0]) ?? command));
    return EXIT_OK;
  }
  return await command.run(rest, { io, leading });
}

/** The command a help topic or a UsageError names: `['schedule', 'create']`, `['get']`. */
function findCommand(words: readonly string[]): CliCommand | undefined {
  const [name, verb, ...more] = words;
  const command = name === undefined ? undefined : COMMANDS_BY_NAME.get(name);
  if (!command || more.length > 0) return undefined;
  return verb === undefined ? command : findSubcommand(command, verb);
}

function printHelp(args: string[], io: CliIo): number {
  // Global options are accepted (and ignored) so that `baton help submit --json` is no error.
  const { positionals } = parseCommandArgs('help', args, GLOBAL_OPTIONS);
  const topic = takePositionals('help', positionals, ['COMMAND', 'SUBCOMMAND'], 0);
  if (topic.length === 0) {
    io.stdout(formatGeneralUsage(CLIENT_COMMANDS));
    return EXIT_OK;
  }
  const command = findCommand(topic);
  if (!command) throw new UsageError(`help: unknown command '${topic.join(' ')}'`);
  io.stdout(formatCommandUsage(command));
  return EXIT_OK;
}

function reportError(err: unknown, io: CliIo): number {
  if (err instanceof UsageError) {
    const hasHelp = err.command !== undefined && findCommand(err.command.split(' ')) !== undefined;
    const help = hasHelp ? `baton help ${err.command}` : 'baton help';
    io.stderr(`error: ${err.message}\nrun '${help}' for usage\n`);
    return EXIT_USAGE;
  }
  if (io.signal?.aborted && err === io.signal.reason) {
    io.stderr('interrupted\n');
    return EXIT_INTERRUPTED;
  }
  if (err instanceof BatonError) {
    const hint = hintFor(`${err.code}: ${err.message}`);
    io.stderr(`error: ${err.code}: ${err.message}\n${hint ? `hint: ${hint}\n` : ''}`);
    return EXIT_FAILURE;
  }
  // A bug rather than a refusal: keep the stack for the report.
  io.stderr(`error: ${err instanceof Error && err.stack ? err.stack : errorMessage(err)}\n`);
  return EXIT_FAILURE;
}


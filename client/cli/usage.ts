import { DEFAULT_COORDINATOR_ADDRESS } from '../client';
import type { CliCommand } from './command';
import { COORDINATOR_ENV } from './global-options';

const GLOBAL_OPTIONS_HELP = `Global options:
  --coordinator HOST:PORT  coordinator address (default: $${COORDINATOR_ENV}, else ${DEFAULT_COORDINATOR_ADDRESS})
  --tls-ca FILE            connect over TLS, trusting the CA in this PEM file [$BATON_TLS_CA]
  --tls-cert FILE          client certificate (PEM) for mutual TLS; needs --tls-key [$BATON_TLS_CERT]
  --tls-key FILE           private key (PEM) of --tls-cert [$BATON_TLS_KEY]
  --token TOKEN            send 'authorization: Bearer TOKEN' with every call [$BATON_TOKEN,
                           which keeps it out of the process list]
  --json                   machine-readable output: one JSON object per task, schedule or
                           queue (per snapshot for stats), one per line
  -h, --help               show help
`;

const PROCESSES_HELP = `Processes:
  coordinator [options]        run the coordinator (see 'baton coordinator --help')
  worker [options] MODULE      run a worker on a handlers module (see 'baton worker --help')
`;

const EXIT_CODES_HELP = `Exit codes: 0 done (and the task succeeded, when waiting); 1 an error from the
coordinator (such as a refused option or an unknown id), none reachable, or the awaited task
ended dead or canceled; 2 a usage error found locally, nothing was sent; 130 interrupted.
`;

/** The help of `baton help` and `baton --help`: every command and the global options. */
export function formatGeneralUsage(commands: readonly CliCommand[]): string {
  const help = 'help [COMMAND [SUBCOMMAND]]';
  const width = Math.max(...commands.map((command) => command.synopsis.length), help.length) + 2;
  const lines = commands.map((command) => `  ${command.synopsis.padEnd(width)}${command.summary}\n`);
  lines.push(`  ${help.padEnd(width)}show help for a command\n`);
  return `Usage: baton <command> [options]\n\n${PROCESSES_HELP}\nCommands:\n${lines.join('')}\n${GLOBAL_OPTIONS_HELP}\n${EXIT_CODES_HELP}`;
}

/**
 * The help of one command: its synopsis, summary, options and the global options; for a
 * group, its subcommands instead of options.
 */
export function formatCommandUsage(command: CliCommand): string {
  if (command.subcommands) return formatGroupUsage(command, command.subcommands);
  const options = command.optionsHelp === '' ? '' : `Options:\n${command.optionsHelp}\n`;
  return `Usage: baton ${command.synopsis}\n\n${command.summary}\n\n${options}${GLOBAL_OPTIONS_HELP}`;
}

function formatGroupUsage(group: CliCommand, subcommands: readonly CliCommand[]): string {
  // A subcommand's synopsis can be long (schedule create): its summary goes on the next line.
  const lines = subcommands.map((command) => `  ${command.synopsis}\n      ${command.summary}\n`).join('');
  const more = `Run 'baton help ${group.name} SUBCOMMAND' (or 'baton ${group.name} SUBCOMMAND --help') for its options.\n`;
  return `Usage: baton ${group.synopsis}\n\n${group.summary}\n\nSubcommands:\n${lines}\n${more}\n${GLOBAL_OPTIONS_HELP}`;
}

import { EXIT_OK } from './cli-io';
import type { CliCommand } from './command';
import { formatCommandUsage } from './usage';
import { UsageError } from './usage-error';

/** What makes a group command such as `baton schedule`. */
export interface CommandGroupSpec {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Each named `GROUP VERB`, in the order the group's help lists them. */
  readonly subcommands: readonly CliCommand[];
}

/** The last word of a subcommand's name: `schedule create` → `create`. */
export function verbOf(command: CliCommand): string {
  return command.name.slice(command.name.lastIndexOf(' ') + 1);
}

/** The subcommand of `command` named by `verb`, if `command` is a group and has one. */
export function findSubcommand(command: CliCommand, verb: string | undefined): CliCommand | undefined {
  return command.subcommands?.find((subcommand) => verbOf(subcommand) === verb);
}

/**
 * A command that takes a subcommand first (`baton schedule create ...`) and hands it the rest
 * of the command line. `baton GROUP --help` prints the group's help; global options go before
 * the group's name or after the subcommand's.
 */
export function commandGroup(spec: CommandGroupSpec): CliCommand {
  const verbs = spec.subcommands.map(verbOf).join(', ');
  const group: CliCommand = {
    name: spec.name,
    synopsis: `${spec.name} SUBCOMMAND ...`,
    summary: spec.summary,
    optionsHelp: '',
    subcommands: spec.subcommands,
    async run(args, context) {
      const [verb, ...rest] = args;
      if (verb === '--help' || verb === '-h') {
        context.io.stdout(formatCommandUsage(group));
        return EXIT_OK;
      }
      if (verb === undefined) throw new UsageError(`${spec.name}: missing SUBCOMMAND (one of ${verbs})`, spec.name);
      if (verb.startsWith('-')) {
        throw new UsageError(`${spec.name}: expected a subcommand (one of ${verbs}) before '${verb}'`, spec.name);
      }
      const subcommand = findSubcommand(group, verb);
      if (!subcommand) throw new UsageError(`${spec.name}: unknown subcommand '${verb}'; expected one of ${verbs}`, spec.name);
      return subcommand.run(rest, context);
    },
  };
  return group;
}

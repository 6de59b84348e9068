import type { CliIo } from './cli-io';
import type { GlobalFlags } from './global-options';

/** What a command gets besides its own arguments. */
export interface CommandContext {
  readonly io: CliIo;
  /** Global options given before the command name. */
  readonly leading: GlobalFlags;
}

/** One `baton` client command. */
export interface CliCommand {
  readonly name: string;
  /** The command line shape after `baton`, e.g. `get ID`. */
  readonly synopsis: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The command's own options, one per line, for its help; empty when it has none. */
  readonly optionsHelp: string;
  /**
   * For a group such as `schedule`: its subcommands, whose names are `GROUP VERB`
   * (`schedule create`). `run` then dispatches on the verb (command-group.ts).
   */
  readonly subcommands?: readonly CliCommand[];
  /**
   * Runs the command with the arguments after its name.
   * @returns the exit code.
   * @throws UsageError for a bad command line; BatonError from the coordinator.
   */
  run(args: string[], context: CommandContext): Promise<number>;
}

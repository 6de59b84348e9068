import type { BatonClient } from '../../client';
import { EXIT_OK, type CliIo } from '../cli-io';
import type { CliCommand } from '../command';
import { printCommandHelp, withClient } from '../command-support';
import { GLOBAL_OPTIONS, resolveGlobalSettings, type GlobalSettings } from '../global-options';
import { parseCommandArgs, takePositionals } from '../parse-command-args';

/** What differs between commands of the form `COMMAND NAME` (`schedule get NAME`, `queue pause NAME`, `get ID`). */
export interface NameCommandSpec<T> {
  /** The command, e.g. `schedule get`. */
  readonly name: string;
  readonly summary: string;
  /** What the one argument is called in usage and errors. Default `NAME`. */
  readonly argument?: string;
  readonly call: (client: BatonClient, name: string, signal: AbortSignal | undefined) => Promise<T>;
  /** Prints what the call returned, as JSON with `settings.json`. */
  readonly print: (io: CliIo, settings: GlobalSettings, result: T, name: string) => void;
}

/** A command that takes one argument (a name, an id), makes one call and prints what it returns. */
export function nameCommand<T>(spec: NameCommandSpec<T>): CliCommand {
  const command: CliCommand = {
    name: spec.name,
    synopsis: `${spec.name} ${spec.argument ?? 'NAME'}`,
    summary: spec.summary,
    optionsHelp: '',
    async run(args, context) {
      const { io } = context;
      const { values, positionals } = parseCommandArgs(spec.name, args, GLOBAL_OPTIONS);
      if (values.help) return printCommandHelp(io, command);
      const settings = resolveGlobalSettings(context.leading, values, io.env);
      const [name = ''] = takePositionals(spec.name, positionals, [spec.argument ?? 'NAME']);
      return withClient(settings, async (client) => {
        spec.print(io, settings, await spec.call(client, name, io.signal), name);
        return EXIT_OK;
      });
    },
  };
  return command;
}

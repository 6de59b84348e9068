import type { Task } from '../../../shared/gen/baton/v1/task';
import type { BatonClient } from '../../client';
import { EXIT_OK } from '../cli-io';
import type { CliCommand } from '../command';
import { printCommandHelp, printTask, withClient } from '../command-support';
import { GLOBAL_OPTIONS, resolveGlobalSettings } from '../global-options';
import { parseCommandArgs, takePositionals } from '../parse-command-args';

/** What differs between `get`, `cancel` and `retry`. */
export interface SingleTaskCommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly call: (client: BatonClient, id: string, signal: AbortSignal | undefined) => Promise<Task>;
}

/** A command of the form `NAME ID` that makes one call and prints the task it returns. */
export function singleTaskCommand(spec: SingleTaskCommandSpec): CliCommand {
  const command: CliCommand = {
    name: spec.name,
    synopsis: `${spec.name} ID`,
    summary: spec.summary,
    optionsHelp: '',
    async run(args, context) {
      const { io } = context;
      const { values, positionals } = parseCommandArgs(spec.name, args, GLOBAL_OPTIONS);
      if (values.help) return printCommandHelp(io, command);
      const settings = resolveGlobalSettings(context.leading, values, io.env);
      const [id = ''] = takePositionals(spec.name, positionals, ['ID']);
      return withClient(settings, async (client) => {
        printTask(io, settings, await spec.call(client, id, io.signal));
        return EXIT_OK;
      });
    },
  };
  return command;
}

import type { Task } from '../../../shared/gen/baton/v1/task';
import type { BatonClient } from '../../client';
import type { CliCommand } from '../command';
import { printTask } from '../command-support';
import { nameCommand } from './name-command';

/** What differs between `get`, `cancel` and `retry`. */
export interface SingleTaskCommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly call: (client: BatonClient, id: string, signal: AbortSignal | undefined) => Promise<Task>;
}

/** A command of the form `NAME ID` that makes one call and prints the task it returns. */
export function singleTaskCommand(spec: SingleTaskCommandSpec): CliCommand {
  return nameCommand<Task>({ ...spec, argument: 'ID', print: (io, settings, task) => printTask(io, settings, task) });
}

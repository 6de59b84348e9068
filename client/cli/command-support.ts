import type { Task } from '../../shared/gen/baton/v1/task';
import { TaskState } from '../../shared/gen/baton/v1/task';
import { BatonClient } from '../client';
import { EXIT_FAILURE, EXIT_OK, type CliIo } from './cli-io';
import type { CliCommand } from './command';
import { formatTaskBlock, formatTaskJsonLine } from './format';
import type { GlobalSettings } from './global-options';
import { formatCommandUsage } from './usage';
import { UsageError } from './usage-error';

/**
 * Runs `fn` with a client for the resolved coordinator address and closes it afterwards,
 * whatever happens.
 * @throws UsageError when the address cannot even be parsed.
 */
export async function withClient<T>(settings: GlobalSettings, fn: (client: BatonClient) => Promise<T>): Promise<T> {
  let client: BatonClient;
  try {
    client = new BatonClient({ address: settings.address });
  } catch (err: unknown) {
    // grpc-js rejects an unparsable target synchronously, before any I/O.
    throw new UsageError(`--coordinator: invalid address '${settings.address}'`, undefined, { cause: err });
  }
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** Prints one task: a JSON line with `--json`, else the aligned block. */
export function printTask(io: CliIo, settings: GlobalSettings, task: Task, extra?: Record<string, unknown>): void {
  io.stdout(settings.json ? formatTaskJsonLine(task, extra) : formatTaskBlock(task));
}

/** EXIT_OK for a SUCCEEDED task, EXIT_FAILURE for any other (DEAD, CANCELED). */
export function exitCodeOfFinishedTask(task: Task): number {
  return task.state === TaskState.TASK_STATE_SUCCEEDED ? EXIT_OK : EXIT_FAILURE;
}

/** Prints the command's help to stdout. */
export function printCommandHelp(io: CliIo, command: CliCommand): number {
  io.stdout(formatCommandUsage(command));
  return EXIT_OK;
}

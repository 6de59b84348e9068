import type { Task } from '../../shared/gen/baton/v1/task';
import { TaskState } from '../../shared/gen/baton/v1/task';
import { loadConnectionSecurity, type ConnectionSecurity } from '../../shared/connection-security';
import { ConfigError } from '../../shared/errors';
import { BatonClient } from '../client';
import { EXIT_FAILURE, EXIT_OK, type CliIo } from './cli-io';
import type { CliCommand } from './command';
import { formatTaskBlock, formatTaskJsonLine } from './format';
import type { GlobalSettings } from './global-options';
import { formatCommandUsage } from './usage';
import { UsageError } from './usage-error';

/**
 * Runs `fn` with a client for the resolved coordinator address and connection security, and
 * closes it afterwards, whatever happens.
 * @throws UsageError when the address cannot even be parsed, or a TLS or token option is
 *   wrong (naming the flag or variable it came from); nothing has been sent then.
 */
export async function withClient<T>(settings: GlobalSettings, fn: (client: BatonClient) => Promise<T>): Promise<T> {
  const security = loadSecurity(settings);
  let client: BatonClient;
  try {
    client = new BatonClient({
      address: settings.address,
      tls: { ca: security.tlsCa, cert: security.tlsCert, key: security.tlsKey },
      token: security.token,
    });
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

/**
 * Reads and checks the TLS files and the token here, where errors can name `--tls-ca` or
 * `BATON_TLS_CA`; the client then gets the bytes and checks nothing it could fail on.
 */
function loadSecurity(settings: GlobalSettings): ConnectionSecurity {
  try {
    return loadConnectionSecurity(settings.connection.options, settings.connection.names);
  } catch (err: unknown) {
    if (err instanceof ConfigError) throw new UsageError(err.message, undefined, { cause: err });
    throw err;
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

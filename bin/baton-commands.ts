/** Routes `baton ARGS` to the coordinator, the worker, or the client commands. */
import { logVerbosity, setLogVerbosity } from '@grpc/grpc-js';
import { runClientCli } from '../client/cli/main';
import { runCoordinatorCommand } from '../coordinator/main';
import { runWorkerCommand } from '../worker/main';

/**
 * Runs one `baton` command to its exit code.
 * @param tracing how this process traces, for the start-up log line ("off (...)" or "on (...)").
 */
export async function runBaton(argv: string[], tracing: string): Promise<number> {
  // grpc-js prints its own errors to stderr; Baton reports them itself, with context.
  if (process.env.GRPC_VERBOSITY === undefined) setLogVerbosity(logVerbosity.NONE);
  const [command, ...rest] = argv;
  if (command === 'coordinator') return runCoordinatorCommand(rest, { tracing });
  if (command === 'worker') return runWorkerCommand(rest, { tracing });
  if (command === 'help' && rest[0] === 'coordinator') return runCoordinatorCommand(['--help'], { tracing });
  if (command === 'help' && rest[0] === 'worker') return runWorkerCommand(['--help'], { tracing });
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A reader that went away (`baton stats --watch | head -3`) ends the command instead of crashing it.
  process.stdout.on('error', (err) => controller.abort(err));
  return runClientCli(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    signal: controller.signal,
    stdoutIsTty: process.stdout.isTTY === true,
  });
}

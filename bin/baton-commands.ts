/**
 * The `baton` command: routes to the coordinator, the worker, or the client commands.
 * Entry points own the process: this is the only place that calls process.exit.
 */
import { logVerbosity, setLogVerbosity } from '@grpc/grpc-js';
import { runClientCli } from '../client/cli/main';
import { runCoordinatorCommand } from '../coordinator/main';
import { runWorkerCommand } from '../worker/main';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'coordinator') return runCoordinatorCommand(rest);
  if (command === 'worker') return runWorkerCommand(rest);
  if (command === 'help' && rest[0] === 'coordinator') return runCoordinatorCommand(['--help']);
  if (command === 'help' && rest[0] === 'worker') return runWorkerCommand(['--help']);
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return runClientCli(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    signal: controller.signal,
  });
}

// grpc-js prints its own errors to stderr; Baton reports them itself, with context.
if (process.env.GRPC_VERBOSITY === undefined) setLogVerbosity(logVerbosity.NONE);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let stdout drain, then leave even if a library left a handle open.
    setImmediate(() => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`baton: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

/**
 * Entry point of the transport stand-in (standin-server.ts): Baton's gRPC contract with no
 * store and no engine, for measuring what the transport alone moves.
 *
 *   node --import tsx bench/transport/standin-coordinator.ts [--listen 127.0.0.1:0] [--http 127.0.0.1:0] [--log-level info]
 *
 * Logs `coordinator listening` with `grpc_port` and `http_port` like the real coordinator, so
 * test/support/processes.ts can start it (bench/transport/standin-process.ts). The first
 * SIGTERM/SIGINT shuts it down; a second exits at once.
 */
import { parseArgs } from 'node:util';
import { errorMessage } from '../../shared/errors';
import { createLogger } from '../../shared/logger';
import { shutdownOnSignals } from '../../shared/shutdown-on-signals';
import { StandInServer } from './standin-server';

const USAGE = `Usage: node --import tsx bench/transport/standin-coordinator.ts [options]

The transport stand-in: answers Baton's TaskQueue and WorkerService from memory, with no store
and no engine, to measure what grpc-js alone moves with Baton's messages. Not a coordinator.

Options:
  --listen HOST:PORT    gRPC address (default 127.0.0.1:0, any free port)
  --http HOST:PORT      HTTP address of /metrics (default 127.0.0.1:0)
  --log-level LEVEL     pino level (default info)
  -h, --help            show this help
`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { listen: { type: 'string', default: '127.0.0.1:0' }, http: { type: 'string', default: '127.0.0.1:0' }, 'log-level': { type: 'string', default: 'info' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err: unknown) {
    process.stderr.write(`standin-coordinator: ${errorMessage(err)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const logger = createLogger({ name: 'standin-coordinator', level: values['log-level'] });
  let server: StandInServer;
  try {
    server = await StandInServer.start({ listen: values.listen, http: values.http, logger });
  } catch (err: unknown) {
    logger.fatal({ err }, 'stand-in failed to start');
    process.stderr.write(`standin-coordinator: cannot start: ${errorMessage(err)}\n`);
    return 1;
  }
  return shutdownOnSignals(logger, 'shutting down', () => server.close());
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`standin-coordinator: ${errorMessage(err)}\n`);
    process.exit(1);
  },
);

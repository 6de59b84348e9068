import { parseArgs } from 'node:util';
import { envName, flagName, showDefault } from '../shared/config';
import { BatonError, errorMessage } from '../shared/errors';
import { createLogger, type Logger } from '../shared/logger';
import { shutdownOnSignals } from '../shared/shutdown-on-signals';
import { COORDINATOR_SETTINGS, compileCoordinatorConfig, type CoordinatorConfig } from './config';
import { Coordinator } from './coordinator';

const USAGE = `Usage: baton coordinator [options]

Runs the coordinator: gRPC for clients and workers, HTTP for /healthz, /readyz and /metrics.
SIGHUP reloads the TLS certificates and the tokens file without dropping open streams.
Settings come from defaults < --config FILE (JSON) < BATON_* environment < flags.

Options:
  --config FILE                JSON file of settings (keys as below, camelCase)
${COORDINATOR_SETTINGS.map((s) => `  ${(flagName(s.key) + ' V').padEnd(28)} ${s.help} (default ${showDefault(s)}) [${envName(s.key)}]`).join('\n')}
  -h, --help                   show this help
`;

/**
 * The `baton coordinator` entry point. Owns the process: signals, exit codes.
 * The first SIGTERM/SIGINT shuts down gracefully; a second one exits at once.
 */
export async function runCoordinatorCommand(argv: string[], context: { readonly tracing: string } = { tracing: 'off' }): Promise<number> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } };
  for (const setting of COORDINATOR_SETTINGS) options[flagName(setting.key).slice(2)] = { type: 'string' };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err: unknown) {
    process.stderr.write(`baton coordinator: ${errorMessage(err)}\nrun 'baton coordinator --help' for the options\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const flags: Record<string, string | undefined> = {};
  for (const setting of COORDINATOR_SETTINGS) flags[setting.key] = parsed.values[flagName(setting.key).slice(2)] as string | undefined;
  let config;
  try {
    config = compileCoordinatorConfig({ flags, env: process.env, configFile: (parsed.values.config as string | undefined) ?? process.env.BATON_CONFIG });
  } catch (err: unknown) {
    process.stderr.write(`baton coordinator: invalid configuration: ${errorMessage(err)}\n`);
    return 2;
  }
  const logger = createLogger({ name: 'coordinator', level: config.logLevel });
  logger.info({ tracing: context.tracing }, 'coordinator starting');
  // SIGHUP re-reads the certificates and the tokens file; open streams carry on. Installed
  // first: a rotation's SIGHUP during start-up must not kill the process (Node's default).
  let started: Coordinator | undefined;
  let reloadWhenStarted = false;
  const onHangup = (): void => {
    if (started) started.reloadCredentials();
    else reloadWhenStarted = true; // the files may have changed after start-up read them
  };
  process.on('SIGHUP', onHangup);
  const onStarted = (coordinator: Coordinator): void => {
    started = coordinator;
    if (reloadWhenStarted) coordinator.reloadCredentials();
  };
  try {
    return await serve(config, logger, onStarted);
  } finally {
    process.off('SIGHUP', onHangup);
  }
}

async function serve(config: CoordinatorConfig, logger: Logger, onStarted: (coordinator: Coordinator) => void): Promise<number> {
  let coordinator: Coordinator;
  try {
    coordinator = await Coordinator.start(config, logger);
  } catch (err: unknown) {
    // An expected refusal (data directory, address) needs its message, not a stack.
    if (err instanceof BatonError) logger.fatal({ code: err.code, err_message: err.message }, 'coordinator failed to start');
    else logger.fatal({ err }, 'coordinator failed to start');
    process.stderr.write(`baton coordinator: cannot start: ${errorMessage(err)}\n`);
    return 1;
  }
  onStarted(coordinator);
  // A failed store write leaves memory ahead of the store: only a restart from the store is
  // trustworthy, so stop with a failure code.
  const afterStoreFailure = coordinator.storeFailure.then(async () => {
    logger.fatal('stopping after a store failure; restart the coordinator');
    await coordinator.close().catch(() => undefined);
    return 1;
  });
  return Promise.race([shutdownOnSignals(logger, 'shutting down', () => coordinator.close()), afterStoreFailure]);
}

import { parseArgs } from 'node:util';
import { envName, flagName, resolveSettings, showDefault, type Setting } from '../shared/config';
import { describeConnectionSecurity, loadConnectionSecurity, type ConnectionSecurity } from '../shared/connection-security';
import { CONNECTION_SECURITY_SETTINGS, connectionSecurityFromFlagsAndEnv } from '../shared/connection-security-settings';
import { errorMessage } from '../shared/errors';
import { MAX_CONCURRENCY } from '../shared/limits';
import { createLogger } from '../shared/logger';
import { shutdownOnSignals } from '../shared/shutdown-on-signals';
import { loadHandlerModule } from './handler-module';
import { WorkerMetricsServer, parseListenAddress, type ListenAddress } from './metrics-server';
import { DEFAULT_CONCURRENCY } from './options';
import { Worker } from './worker';
import { PrometheusWorkerMetrics } from './worker-metrics';

const WORKER_SETTINGS: readonly Setting[] = [
  { key: 'coordinator', type: { kind: 'string' }, default: '127.0.0.1:7070', help: 'coordinator gRPC address' },
  ...CONNECTION_SECURITY_SETTINGS,
  { key: 'concurrency', type: { kind: 'integer', min: 1, max: MAX_CONCURRENCY }, default: DEFAULT_CONCURRENCY, help: 'handlers running at once' },
  { key: 'queue', type: { kind: 'list' }, default: ['default'], help: 'queue to take tasks from; repeat for more' },
  { key: 'workerId', type: { kind: 'string' }, default: '', help: 'stable worker id; empty means host-pid-random' },
  { key: 'shutdownGrace', type: { kind: 'duration' }, default: 30_000, help: 'time running handlers get to finish on shutdown' },
  { key: 'metrics', type: { kind: 'string' }, default: '', help: 'HOST:PORT to serve /metrics and /healthz on (port 0 picks one); empty or off: none' },
  { key: 'logLevel', type: { kind: 'enum', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] }, default: 'info', help: 'log level' },
];

const USAGE = `Usage: baton worker [options] HANDLERS_MODULE

Runs the handlers exported (default export: { taskType: async (payload, ctx) => result })
by HANDLERS_MODULE, an ES module or CommonJS file.

Options:
${WORKER_SETTINGS.map((s) => `  ${(flagName(s.key) + ' V').padEnd(22)} ${s.help} (default ${showDefault(s)}) [${envName(s.key)}]`).join('\n')}
  -h, --help             show this help

The first SIGTERM/SIGINT drains (no new tasks, running ones finish); a second exits at once.
`;

/** The `baton worker` entry point. Owns the process: signals and exit codes. */
/** What the entry point knows of the process: how it traces (for the start-up line). */
export interface CommandContext {
  readonly tracing: string;
}

export async function runWorkerCommand(argv: string[], context: CommandContext = { tracing: 'off' }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        coordinator: { type: 'string' },
        'tls-ca': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        token: { type: 'string' },
        concurrency: { type: 'string', short: 'c' },
        queue: { type: 'string', short: 'q', multiple: true },
        'worker-id': { type: 'string' },
        'shutdown-grace': { type: 'string' },
        'log-level': { type: 'string' },
        metrics: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err: unknown) {
    process.stderr.write(`baton worker: ${errorMessage(err)}\nrun 'baton worker --help' for the options\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const modulePath = parsed.positionals[0];
  if (modulePath === undefined || parsed.positionals.length > 1) {
    process.stderr.write(`baton worker: expected exactly one HANDLERS_MODULE argument\nrun 'baton worker --help' for the options\n`);
    return 2;
  }
  let settings;
  let security;
  let handlers;
  let metricsAddress: ListenAddress | undefined;
  try {
    security = loadWorkerConnectionSecurity(parsed.values, process.env);
    settings = resolveSettings(WORKER_SETTINGS, {
      env: process.env,
      flags: {
        coordinator: parsed.values.coordinator,
        concurrency: parsed.values.concurrency,
        queue: parsed.values.queue,
        workerId: parsed.values['worker-id'],
        shutdownGrace: parsed.values['shutdown-grace'],
        logLevel: parsed.values['log-level'],
        metrics: parsed.values.metrics,
      },
    });
    metricsAddress = metricsListenAddress(settings.metrics as string, parsed.values.metrics !== undefined ? '--metrics' : envName('metrics'));
    handlers = await loadHandlerModule(modulePath);
  } catch (err: unknown) {
    process.stderr.write(`baton worker: ${errorMessage(err)}\n`);
    return 2;
  }
  const logger = createLogger({ name: 'worker', level: settings.logLevel as string });
  const metrics = metricsAddress ? new PrometheusWorkerMetrics() : undefined;
  let worker: Worker;
  try {
    worker = new Worker({
      coordinator: settings.coordinator as string,
      tls: { ca: security.tlsCa, cert: security.tlsCert, key: security.tlsKey },
      token: security.token,
      handlers,
      concurrency: settings.concurrency as number,
      queues: settings.queue as string[],
      ...(settings.workerId ? { workerId: settings.workerId as string } : {}),
      shutdownGrace: settings.shutdownGrace as number,
      logger,
      ...(metrics ? { metrics } : {}),
    });
  } catch (err: unknown) {
    process.stderr.write(`baton worker: ${errorMessage(err)}\n`);
    return 2;
  }
  logger.info({ coordinator: worker.options.coordinator, ...describeConnectionSecurity(security), queues: worker.options.queues, types: Object.keys(handlers), concurrency: worker.options.concurrency, tracing: context.tracing }, 'worker starting');
  let metricsServer: WorkerMetricsServer | undefined;
  if (metrics && metricsAddress) {
    try {
      // Before the worker starts, so that a worker that cannot reach its coordinator is still seen.
      metricsServer = await WorkerMetricsServer.start(metricsAddress, {
        metrics,
        health: () => ({ state: worker.currentState, connected: worker.connected }),
        logger: logger.child({ component: 'metrics' }),
      });
    } catch (err: unknown) {
      logger.error({ err_message: errorMessage(err) }, 'metrics endpoint failed to start');
      process.stderr.write(`baton worker: cannot serve metrics: ${errorMessage(err)}\n`);
      return 1;
    }
  }
  // The endpoint outlives the drain, so that the last scrapes see it.
  const close = async (): Promise<void> => {
    try {
      await worker.close();
    } finally {
      await metricsServer?.close();
    }
  };
  const started = worker.start().then(
    () => new Promise<number>(() => undefined), // runs until a signal
    async (err: unknown) => {
      logger.error({ err_message: errorMessage(err) }, 'worker failed to start');
      process.stderr.write(`baton worker: ${errorMessage(err)}\n`);
      await close();
      return 1;
    },
  );
  return Promise.race([shutdownOnSignals(logger, 'draining', close), started]);
}

/**
 * The --metrics setting as an address; undefined when it is empty or "off".
 * @throws ConfigError naming `where` (`--metrics` or `BATON_METRICS`).
 */
function metricsListenAddress(value: string, where: string): ListenAddress | undefined {
  if (value === '' || value === 'off') return undefined;
  return parseListenAddress(value, where);
}

/**
 * Reads the TLS files and checks the token here rather than in the Worker, so that an error
 * names the flag or variable it came from (`--tls-ca`, `BATON_TLS_CA`) instead of `tls.ca`.
 * @throws ConfigError naming it.
 */
function loadWorkerConnectionSecurity(
  flags: { readonly 'tls-ca'?: string; readonly 'tls-cert'?: string; readonly 'tls-key'?: string; readonly token?: string },
  env: Readonly<Record<string, string | undefined>>,
): ConnectionSecurity {
  const { options, names } = connectionSecurityFromFlagsAndEnv(
    { tlsCa: flags['tls-ca'], tlsCert: flags['tls-cert'], tlsKey: flags['tls-key'], token: flags.token },
    env,
  );
  return loadConnectionSecurity(options, names);
}

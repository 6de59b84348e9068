import { parseArgs } from 'node:util';
import { envName, flagName, resolveSettings, showDefault, type Setting } from '../shared/config';
import { describeConnectionSecurity, loadConnectionSecurity, type ConnectionSecurity } from '../shared/connection-security';
import { CONNECTION_SECURITY_SETTINGS, connectionSecurityFromFlagsAndEnv } from '../shared/connection-security-settings';
import { errorMessage } from '../shared/errors';
import { createLogger } from '../shared/logger';
import { shutdownOnSignals } from '../shared/shutdown-on-signals';
import { loadHandlerModule } from './handler-module';
import { DEFAULT_CONCURRENCY, MAX_CONCURRENCY } from './options';
import { Worker } from './worker';

const WORKER_SETTINGS: readonly Setting[] = [
  { key: 'coordinator', type: { kind: 'string' }, default: '127.0.0.1:7070', help: 'coordinator gRPC address' },
  ...CONNECTION_SECURITY_SETTINGS,
  { key: 'concurrency', type: { kind: 'integer', min: 1, max: MAX_CONCURRENCY }, default: DEFAULT_CONCURRENCY, help: 'handlers running at once' },
  { key: 'queue', type: { kind: 'list' }, default: ['default'], help: 'queue to take tasks from; repeat for more' },
  { key: 'workerId', type: { kind: 'string' }, default: '', help: 'stable worker id; empty means host-pid-random' },
  { key: 'shutdownGrace', type: { kind: 'duration' }, default: 30_000, help: 'time running handlers get to finish on shutdown' },
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
export async function runWorkerCommand(argv: string[]): Promise<number> {
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
      },
    });
    handlers = await loadHandlerModule(modulePath);
  } catch (err: unknown) {
    process.stderr.write(`baton worker: ${errorMessage(err)}\n`);
    return 2;
  }
  const logger = createLogger({ name: 'worker', level: settings.logLevel as string });
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
    });
  } catch (err: unknown) {
    process.stderr.write(`baton worker: ${errorMessage(err)}\n`);
    return 2;
  }
  logger.info({ coordinator: worker.options.coordinator, ...describeConnectionSecurity(security), queues: worker.options.queues, types: Object.keys(handlers), concurrency: worker.options.concurrency }, 'worker starting');
  const started = worker.start().then(
    () => new Promise<number>(() => undefined), // runs until a signal
    async (err: unknown) => {
      logger.error({ err_message: errorMessage(err) }, 'worker failed to start');
      process.stderr.write(`baton worker: ${errorMessage(err)}\n`);
      await worker.close();
      return 1;
    },
  );
  return Promise.race([shutdownOnSignals(logger, 'draining', () => worker.close()), started]);
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

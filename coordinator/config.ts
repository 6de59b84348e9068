import { ConfigError } from '../shared/errors';
import { resolveSettings, type ConfigSources, type Setting } from '../shared/config';
import type { SubmitPolicy, TaskDefaults } from './api/task-defaults';
import { splitHostPort } from '../shared/host-port';
import { DEFAULT_ENGINE_LIMITS, DEFAULT_MAX_SCHEDULE_BYTES, DEFAULT_MAX_SCHEDULES, DEFAULT_RETENTION, type EngineOptions } from './core/engine-options';
import { DEFAULT_QUEUE_SETTINGS } from './core/queue-settings';
import { compileQueueConfig } from './queue-config';
import { DEFAULT_WATCH_LIMITS, type WatchLimitOptions } from './api/watch-limits';

/** Every coordinator setting, with its default; flags, BATON_* variables and the config file use these names. */
export const COORDINATOR_SETTINGS: readonly Setting[] = [
  { key: 'listen', type: { kind: 'string' }, default: '127.0.0.1:7070', help: 'gRPC address (host:port; port 0 picks one)' },
  { key: 'http', type: { kind: 'string' }, default: '127.0.0.1:7071', help: 'HTTP address of the HTTP/JSON API (/v1/...), the dashboard (/), /healthz, /readyz and /metrics ("off" disables them all)' },
  { key: 'httpHosts', type: { kind: 'string' }, default: '', help: 'names the HTTP port also answers to while it listens on loopback without tokens, comma-separated (a reverse proxy that keeps Host); others are refused, against DNS rebinding' },
  { key: 'dashboard', type: { kind: 'enum', values: ['on', 'off'] }, default: 'on', help: 'the web dashboard at / on the HTTP port ("off" keeps the API and metrics)' },
  { key: 'traceUrl', type: { kind: 'string' }, default: '', help: "the dashboard links each task to its trace here: a URL with {trace_id}, e.g. http://jaeger:16686/trace/{trace_id}" },
  { key: 'data', type: { kind: 'string' }, default: './baton-data', help: 'data directory' },
  { key: 'store', type: { kind: 'enum', values: ['sqlite', 'memory'] }, default: 'sqlite', help: 'task store: sqlite (durable, in --data) or memory (for benchmarks and trying things out: nothing survives a restart, --data is ignored)' },
  { key: 'heartbeatInterval', type: { kind: 'duration', minMs: 10 }, default: 2000, help: 'how often workers heartbeat' },
  { key: 'leaseTimeout', type: { kind: 'duration', minMs: 20 }, default: 10_000, help: 'silence after which a worker is dead and its leases expire' },
  { key: 'maxPayloadBytes', type: { kind: 'integer', min: 0, max: 64 * 1024 * 1024 }, default: 1024 * 1024, help: 'largest accepted payload' },
  { key: 'defaultMaxAttempts', type: { kind: 'integer', min: 1, max: 1000 }, default: 3, help: 'attempts for tasks that set none' },
  { key: 'retryInitialBackoff', type: { kind: 'duration' }, default: 1000, help: 'delay after the first failure' },
  { key: 'retryMultiplier', type: { kind: 'number', min: 1, max: 100 }, default: 2, help: 'growth of the delay per failure' },
  { key: 'retryMaxBackoff', type: { kind: 'duration' }, default: 300_000, help: 'cap of the retry delay' },
  { key: 'retryJitter', type: { kind: 'number', min: 0, max: 1 }, default: 0.2, help: 'fraction of the delay that is randomised' },
  { key: 'defaultTimeout', type: { kind: 'duration' }, default: 0, help: 'execution timeout for tasks that set none (0: none)' },
  { key: 'maxInfraFailures', type: { kind: 'integer', min: -1, max: 1000 }, default: -1, help: 'lost-worker and timeout failures tolerated outside max attempts (-1: they count as attempts)' },
  { key: 'queues', type: { kind: 'object' }, default: {}, help: 'per-queue defaults and limits, e.g. {"mail": {"timeout": "30s", "maxAttempts": 5, "concurrency": 2, "rate": 20}}' },
  { key: 'retention', type: { kind: 'duration' }, default: DEFAULT_QUEUE_SETTINGS.retentionMs, help: 'how long succeeded and canceled tasks are kept, 0 forever (per queue: queues.NAME.retention)' },
  { key: 'deadRetention', type: { kind: 'duration' }, default: DEFAULT_QUEUE_SETTINGS.deadRetentionMs, help: 'how long dead tasks are kept, 0 forever (per queue: queues.NAME.deadRetention)' },
  { key: 'retentionSweepInterval', type: { kind: 'duration', minMs: 10 }, default: DEFAULT_RETENTION.sweepIntervalMs, help: 'how often finished tasks past their retention are deleted' },
  { key: 'maxSchedules', type: { kind: 'integer', min: 1, max: 10_000_000 }, default: DEFAULT_MAX_SCHEDULES, help: 'schedules in total' },
  { key: 'maxScheduleBytes', type: { kind: 'integer', min: 0, max: 64 * 1024 * 1024 * 1024 }, default: DEFAULT_MAX_SCHEDULE_BYTES, help: "payload bytes of all schedules' task templates together (held in memory)" },
  { key: 'sync', type: { kind: 'enum', values: ['full', 'normal'] }, default: 'full', help: 'SQLite synchronous mode' },
  { key: 'commitInterval', type: { kind: 'duration' }, default: 0, help: 'extra wait for more writes before a group commit (0: commit once the loop has taken in what arrived)' },
  { key: 'commitMaxBatch', type: { kind: 'integer', min: 1, max: 100_000 }, default: 1000, help: 'mutations that force a group commit' },
  { key: 'shutdownGrace', type: { kind: 'duration' }, default: 10_000, help: 'how long shutdown waits for streams to close' },
  { key: 'tlsCert', type: { kind: 'string' }, default: '', help: 'PEM certificate (chain) of the gRPC and HTTP ports; with --tls-key turns TLS on' },
  { key: 'tlsKey', type: { kind: 'string' }, default: '', help: 'PEM private key of --tls-cert' },
  { key: 'tlsClientCa', type: { kind: 'string' }, default: '', help: 'PEM CA: only clients with a certificate it signed get in (mutual TLS)' },
  { key: 'tokens', type: { kind: 'string' }, default: '', help: 'tokens file (JSON, or "ROLE TOKEN [QUEUES]" lines): every call then needs "authorization: Bearer TOKEN"; also BATON_TOKENS_FILE' },
  { key: 'maxQueuedTasks', type: { kind: 'integer', min: 1, max: 1_000_000_000 }, default: DEFAULT_ENGINE_LIMITS.maxQueuedTasks, help: 'unfinished tasks in total' },
  { key: 'maxQueuedTasksPerQueue', type: { kind: 'integer', min: 1, max: 1_000_000_000 }, default: DEFAULT_ENGINE_LIMITS.maxQueuedTasksPerQueue, help: 'unfinished tasks in one queue' },
  { key: 'maxQueues', type: { kind: 'integer', min: 1, max: 1_000_000 }, default: DEFAULT_ENGINE_LIMITS.maxQueues, help: 'queues with unfinished tasks' },
  { key: 'maxWorkers', type: { kind: 'integer', min: 1, max: 1_000_000 }, default: DEFAULT_ENGINE_LIMITS.maxWorkerSessions, help: 'connected worker sessions (and streams awaiting hello)' },
  { key: 'maxWorkersPerCredential', type: { kind: 'integer', min: 1, max: 1_000_000 }, default: DEFAULT_ENGINE_LIMITS.maxWorkerSessionsPerCredential, help: 'connected worker sessions of one token or certificate (or of all, without either)' },
  { key: 'maxWatches', type: { kind: 'integer', min: 1, max: 1_000_000 }, default: DEFAULT_WATCH_LIMITS.total, help: 'open WatchTask streams in total' },
  { key: 'maxWatchesPerConnection', type: { kind: 'integer', min: 1, max: 1_000_000 }, default: DEFAULT_WATCH_LIMITS.perConnection, help: 'open WatchTask streams on one connection (fewer while it has cancelled many: see docs/security.md)' },
  { key: 'watchStallTimeout', type: { kind: 'duration', minMs: 1 }, default: DEFAULT_WATCH_LIMITS.stallMs, help: 'a watch whose client reads nothing this long is dropped' },
  { key: 'helloTimeout', type: { kind: 'duration', minMs: 1 }, default: 10_000, help: 'a worker stream that sends no hello this long is closed' },
  { key: 'metricsQueueIdle', type: { kind: 'duration' }, default: 300_000, help: "a queue's metric series go once it has no unfinished tasks and no activity this long" },
  { key: 'logLevel', type: { kind: 'enum', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] }, default: 'info', help: 'log level' },
];

export interface CoordinatorConfig {
  readonly listen: string;
  /** Undefined when the HTTP endpoint is off. */
  readonly http: string | undefined;
  /** Serve the dashboard at / on the HTTP port. */
  readonly dashboard: boolean;
  /** Host names the HTTP port answers to besides loopback ones (lowercase). */
  readonly httpHosts: ReadonlySet<string>;
  /** A URL template with {trace_id}: where the dashboard links a task's trace. */
  readonly traceUrl: string | undefined;
  readonly dataDir: string;
  /** Where tasks are kept: `sqlite` in `dataDir`, or `memory` (not durable; `dataDir` unused). */
  readonly store: 'sqlite' | 'memory';
  readonly engine: EngineOptions;
  readonly submit: SubmitPolicy;
  readonly sync: 'FULL' | 'NORMAL';
  readonly commitIntervalMs: number;
  readonly commitMaxBatch: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: string;
  /** Undefined: plaintext. */
  readonly tls: TlsFiles | undefined;
  /** Path of the tokens file; undefined: no tokens. */
  readonly tokensFile: string | undefined;
  readonly watches: WatchLimitOptions;
  readonly helloTimeoutMs: number;
  readonly metricsQueueIdleMs: number;
}

/** PEM files of the coordinator's TLS identity; read at start and again on SIGHUP. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** Set for mutual TLS: the CA that signs client certificates. */
  readonly clientCaFile: string | undefined;
}

/**
 * Resolves and checks the coordinator's configuration.
 * @throws ConfigError naming the bad setting.
 */
export function compileCoordinatorConfig(sources: ConfigSources): CoordinatorConfig {
  // The variable is BATON_TOKENS_FILE: the derived BATON_TOKENS reads as if it took the tokens themselves.
  const env = { ...sources.env, BATON_TOKENS: sources.env.BATON_TOKENS_FILE };
  const s = resolveSettings(COORDINATOR_SETTINGS, { ...sources, env });
  const num = (key: string): number => s[key] as number;
  const str = (key: string): string => s[key] as string;
  checkAddress(str('listen'), 'listen');
  const http = str('http') === 'off' ? undefined : str('http');
  if (http !== undefined) checkAddress(http, 'http');
  const traceUrl = str('traceUrl') === '' ? undefined : checkTraceUrl(str('traceUrl'));
  if (num('heartbeatInterval') >= num('leaseTimeout')) {
    throw new ConfigError('heartbeatInterval', `${num('heartbeatInterval')}ms must be shorter than leaseTimeout (${num('leaseTimeout')}ms)`);
  }
  if (num('retryMaxBackoff') < num('retryInitialBackoff')) {
    throw new ConfigError('retryMaxBackoff', 'must not be below retryInitialBackoff');
  }
  const defaults: TaskDefaults = {
    maxAttempts: num('defaultMaxAttempts'),
    retry: { initialMs: num('retryInitialBackoff'), multiplier: num('retryMultiplier'), maxMs: num('retryMaxBackoff'), jitter: num('retryJitter') },
    timeoutMs: num('defaultTimeout'),
    maxInfraFailures: num('maxInfraFailures') < 0 ? null : num('maxInfraFailures'),
  };
  const queueConfig = compileQueueConfig(defaults, s.queues as Readonly<Record<string, unknown>>);
  return {
    listen: str('listen'),
    http,
    dashboard: str('dashboard') === 'on',
    httpHosts: new Set(str('httpHosts').split(',').map((name) => name.trim().toLowerCase().replace(/\.$/, '')).filter((name) => name !== '')),
    traceUrl,
    dataDir: str('data'),
    store: str('store') === 'memory' ? 'memory' : 'sqlite',
    engine: {
      heartbeatIntervalMs: num('heartbeatInterval'),
      leaseTimeoutMs: num('leaseTimeout'),
      limits: {
        maxQueuedTasks: num('maxQueuedTasks'),
        maxQueuedTasksPerQueue: num('maxQueuedTasksPerQueue'),
        maxQueues: num('maxQueues'),
        maxWorkerSessions: num('maxWorkers'),
        maxWorkerSessionsPerCredential: Math.min(num('maxWorkersPerCredential'), num('maxWorkers')),
      },
      queues: queueConfig.settings,
      queueDefaults: { retentionMs: num('retention'), deadRetentionMs: num('deadRetention') },
      retention: { ...DEFAULT_RETENTION, sweepIntervalMs: num('retentionSweepInterval') },
      maxSchedules: num('maxSchedules'),
      maxScheduleBytes: num('maxScheduleBytes'),
    },
    submit: { maxPayloadBytes: num('maxPayloadBytes'), defaults, queues: queueConfig.taskDefaults },
    sync: str('sync') === 'normal' ? 'NORMAL' : 'FULL',
    commitIntervalMs: num('commitInterval'),
    commitMaxBatch: num('commitMaxBatch'),
    shutdownGraceMs: num('shutdownGrace'),
    logLevel: str('logLevel'),
    tls: compileTls(str('tlsCert'), str('tlsKey'), str('tlsClientCa')),
    tokensFile: str('tokens') === '' ? undefined : str('tokens'),
    watches: { total: num('maxWatches'), perConnection: num('maxWatchesPerConnection'), stallMs: num('watchStallTimeout') },
    helloTimeoutMs: num('helloTimeout'),
    metricsQueueIdleMs: num('metricsQueueIdle'),
  };
}

function compileTls(certFile: string, keyFile: string, clientCaFile: string): TlsFiles | undefined {
  if (certFile === '' && keyFile === '') {
    if (clientCaFile !== '') throw new ConfigError('tlsClientCa', 'mutual TLS needs TLS: set tlsCert and tlsKey too');
    return undefined;
  }
  if (certFile === '') throw new ConfigError('tlsCert', 'tlsKey is set; set tlsCert (the certificate of that key) too');
  if (keyFile === '') throw new ConfigError('tlsKey', 'tlsCert is set; set tlsKey (its private key) too');
  return { certFile, keyFile, clientCaFile: clientCaFile === '' ? undefined : clientCaFile };
}

function checkTraceUrl(template: string): string {
  if (!template.includes('{trace_id}')) throw new ConfigError('traceUrl', `must contain {trace_id}, where the task's trace id goes; got "${template}"`);
  let url: URL;
  try {
    url = new URL(template.replaceAll('{trace_id}', '0'));
  } catch {
    throw new ConfigError('traceUrl', `not a URL: "${template}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('traceUrl', `must be an http or https URL; got "${template}"`);
  return template;
}

function checkAddress(address: string, key: string): void {
  if (!splitHostPort(address)) throw new ConfigError(key, `expected host:port, got "${address}"`);
}

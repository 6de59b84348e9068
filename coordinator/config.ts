import { ConfigError } from '../shared/errors';
import { resolveSettings, type ConfigSources, type Setting } from '../shared/config';
import type { SubmitPolicy } from './api/submit-validation';
import type { EngineOptions } from './core/engine-options';

/** Every coordinator setting, with its default; flags, BATON_* variables and the config file use these names. */
export const COORDINATOR_SETTINGS: readonly Setting[] = [
  { key: 'listen', type: { kind: 'string' }, default: '127.0.0.1:7070', help: 'gRPC address (host:port; port 0 picks one)' },
  { key: 'http', type: { kind: 'string' }, default: '127.0.0.1:7071', help: 'HTTP address for /healthz and /metrics ("off" disables)' },
  { key: 'data', type: { kind: 'string' }, default: './baton-data', help: 'data directory' },
  { key: 'heartbeatInterval', type: { kind: 'duration', minMs: 10 }, default: 2000, help: 'how often workers heartbeat' },
  { key: 'leaseTimeout', type: { kind: 'duration', minMs: 20 }, default: 10_000, help: 'silence after which a worker is dead and its leases expire' },
  { key: 'maxPayloadBytes', type: { kind: 'integer', min: 0, max: 64 * 1024 * 1024 }, default: 1024 * 1024, help: 'largest accepted payload' },
  { key: 'defaultMaxAttempts', type: { kind: 'integer', min: 1, max: 1000 }, default: 3, help: 'attempts for tasks that set none' },
  { key: 'retryInitialBackoff', type: { kind: 'duration' }, default: 1000, help: 'delay after the first failure' },
  { key: 'retryMultiplier', type: { kind: 'number', min: 1, max: 100 }, default: 2, help: 'growth of the delay per failure' },
  { key: 'retryMaxBackoff', type: { kind: 'duration' }, default: 300_000, help: 'cap of the retry delay' },
  { key: 'retryJitter', type: { kind: 'number', min: 0, max: 1 }, default: 0.2, help: 'fraction of the delay that is randomised' },
  { key: 'defaultTimeout', type: { kind: 'duration' }, default: 0, help: 'execution timeout for tasks that set none (0: none)' },
  { key: 'sync', type: { kind: 'enum', values: ['full', 'normal'] }, default: 'full', help: 'SQLite synchronous mode' },
  { key: 'commitInterval', type: { kind: 'duration' }, default: 2, help: 'longest wait before a group commit' },
  { key: 'commitMaxBatch', type: { kind: 'integer', min: 1, max: 100_000 }, default: 1000, help: 'mutations that force a group commit' },
  { key: 'shutdownGrace', type: { kind: 'duration' }, default: 10_000, help: 'how long shutdown waits for streams to close' },
  { key: 'logLevel', type: { kind: 'enum', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] }, default: 'info', help: 'log level' },
];

export interface CoordinatorConfig {
  readonly listen: string;
  /** Undefined when the HTTP endpoint is off. */
  readonly http: string | undefined;
  readonly dataDir: string;
  readonly engine: EngineOptions;
  readonly submit: SubmitPolicy;
  readonly sync: 'FULL' | 'NORMAL';
  readonly commitIntervalMs: number;
  readonly commitMaxBatch: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: string;
}

/**
 * Resolves and checks the coordinator's configuration.
 * @throws ConfigError naming the bad setting.
 */
export function compileCoordinatorConfig(sources: ConfigSources): CoordinatorConfig {
  const s = resolveSettings(COORDINATOR_SETTINGS, sources);
  const num = (key: string): number => s[key] as number;
  const str = (key: string): string => s[key] as string;
  checkAddress(str('listen'), 'listen');
  const http = str('http') === 'off' ? undefined : str('http');
  if (http !== undefined) checkAddress(http, 'http');
  if (num('heartbeatInterval') >= num('leaseTimeout')) {
    throw new ConfigError('heartbeatInterval', `${num('heartbeatInterval')}ms must be shorter than leaseTimeout (${num('leaseTimeout')}ms)`);
  }
  if (num('retryMaxBackoff') < num('retryInitialBackoff')) {
    throw new ConfigError('retryMaxBackoff', 'must not be below retryInitialBackoff');
  }
  return {
    listen: str('listen'),
    http,
    dataDir: str('data'),
    engine: { heartbeatIntervalMs: num('heartbeatInterval'), leaseTimeoutMs: num('leaseTimeout') },
    submit: {
      maxPayloadBytes: num('maxPayloadBytes'),
      defaultMaxAttempts: num('defaultMaxAttempts'),
      defaultRetry: {
        initialMs: num('retryInitialBackoff'),
        multiplier: num('retryMultiplier'),
        maxMs: num('retryMaxBackoff'),
        jitter: num('retryJitter'),
      },
      defaultTimeoutMs: num('defaultTimeout'),
    },
    sync: str('sync') === 'normal' ? 'NORMAL' : 'FULL',
    commitIntervalMs: num('commitInterval'),
    commitMaxBatch: num('commitMaxBatch'),
    shutdownGraceMs: num('shutdownGrace'),
    logLevel: str('logLevel'),
  };
}

function checkAddress(address: string, key: string): void {
  const match = /^(.+):(\d{1,5})$/.exec(address);
  if (!match || Number(match[2]) > 65535) throw new ConfigError(key, `expected host:port, got "${address}"`);
}

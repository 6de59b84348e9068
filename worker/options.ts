import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { BackoffPolicy } from '../shared/backoff';
import { systemClock, type Clock } from '../shared/clock';
import {
  libraryConnectionSecurityOptions,
  loadConnectionSecurity,
  type ConnectionSecurity,
  type TlsOptions,
} from '../shared/connection-security';
import { parseDurationMs } from '../shared/duration';
import { ConfigError } from '../shared/errors';
import { splitHostPort } from '../shared/host-port';
import { MAX_CONCURRENCY } from '../shared/limits';
import { silentLogger, type Logger } from '../shared/logger';
import type { HandlerMap } from './handler';
import { checkHandlerMap } from './handler-module';
import { DEFAULT_PROGRESS_INTERVAL_MS } from './progress-reports';
import { NO_WORKER_METRICS, type WorkerMetrics } from './worker-metrics';

export const DEFAULT_CONCURRENCY = 10;
/** Below this, coalescing saves the coordinator little: a handler reporting in a loop would cost it a message every few ms. */
export const MIN_PROGRESS_INTERVAL_MS = 10;
/** Above this, what a watcher sees would no longer read as progress. */
export const MAX_PROGRESS_INTERVAL_MS = 60_000;

/** What a user writes to run a worker as a library. */
export interface WorkerOptions {
  /** host:port of the coordinator. */
  readonly coordinator: string;
  /**
   * TLS to the coordinator: a CA to trust and, for mutual TLS, a client certificate and key,
   * each a PEM file path (read once, by the constructor) or the PEM bytes. The keep-alive
   * thread uses the same. Default: none (plaintext).
   */
  readonly tls?: TlsOptions;
  /**
   * A bearer token, sent as `authorization: Bearer TOKEN` metadata on the worker stream and
   * the keep-alive calls, with or without TLS. Visible ASCII, no spaces. Default: none.
   */
  readonly token?: string;
  /** Task type → handler. */
  readonly handlers: HandlerMap;
  /** Handlers running at once. Default 10. */
  readonly concurrency?: number;
  /** Queues to take tasks from. Default ["default"]. */
  readonly queues?: readonly string[];
  /** Stable id of this process; default host-pid-random. Reconnects with it reclaim running leases. */
  readonly workerId?: string;
  /** On close, how long running handlers may finish before their signals abort ("30s", or ms). Default 30s. */
  readonly shutdownGrace?: string | number;
  /** Delays between reconnect attempts. Default 100ms doubling to 5s, 20% jitter. */
  readonly reconnectBackoff?: BackoffPolicy;
  /**
   * Prove liveness from a separate thread on its own channel, so that a handler blocking the
   * event loop does not cost its lease. Default true.
   */
  readonly keepAliveThread?: boolean;
  /**
   * How often progress from `ctx.progress()` goes to the coordinator, in ms: each lease's
   * latest report, all of them in one message, at most once per interval. An integer from
   * 10 to 60000. Default 250.
   */
  readonly progressIntervalMs?: number;
  readonly logger?: Logger;
  /**
   * Where the worker reports attempts, handler run times, reconnects and its live counts: a
   * PrometheusWorkerMetrics (serve its `scrape()` yourself, or use `baton worker --metrics`),
   * or your own implementation. One instance per Worker. Default: none recorded.
   */
  readonly metrics?: WorkerMetrics;
  /**
   * Where the worker reads the time and sets its timers (heartbeats, reconnect backoff, the
   * shutdown grace, the wait for the last acknowledgements, progress rounds). Default: the
   * system clock. Tests pass a fake one; the keep-alive thread keeps real time (keep-alive.ts
   * says why).
   */
  readonly clock?: Clock;
}

export interface CompiledWorkerOptions {
  readonly coordinator: string;
  /** The TLS files read and the token checked; plain data, handed to the keep-alive thread as is. */
  readonly security: ConnectionSecurity;
  readonly handlers: HandlerMap;
  readonly concurrency: number;
  readonly queues: readonly string[];
  readonly workerId: string;
  readonly shutdownGraceMs: number;
  readonly reconnectBackoff: BackoffPolicy;
  readonly keepAliveThread: boolean;
  readonly progressIntervalMs: number;
  readonly logger: Logger;
  readonly metrics: WorkerMetrics;
  readonly clock: Clock;
}

export const DEFAULT_RECONNECT_BACKOFF: BackoffPolicy = { initialMs: 100, multiplier: 2, maxMs: 5000, jitter: 0.2 };

/**
 * Fills in defaults and checks the options. Reads the TLS files given as paths, so that a
 * wrong one fails here rather than on every reconnect.
 * @throws ConfigError naming the option (`tls.ca`, `token`, `concurrency`, ...).
 */
export function compileWorkerOptions(options: WorkerOptions): CompiledWorkerOptions {
  if (!splitHostPort(options.coordinator)) {
    throw new ConfigError('coordinator', `expected host:port, got "${options.coordinator}"`);
  }
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new ConfigError('concurrency', `must be an integer between 1 and ${MAX_CONCURRENCY}, got ${concurrency}`);
  }
  const progressIntervalMs = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  if (!Number.isInteger(progressIntervalMs) || progressIntervalMs < MIN_PROGRESS_INTERVAL_MS || progressIntervalMs > MAX_PROGRESS_INTERVAL_MS) {
    throw new ConfigError('progressIntervalMs', `must be an integer number of ms between ${MIN_PROGRESS_INTERVAL_MS} and ${MAX_PROGRESS_INTERVAL_MS}, got ${progressIntervalMs}`);
  }
  const queues = options.queues && options.queues.length > 0 ? [...options.queues] : ['default'];
  let shutdownGraceMs: number;
  try {
    shutdownGraceMs = parseDurationMs(options.shutdownGrace ?? 30_000, 'shutdownGrace');
  } catch (err: unknown) {
    throw new ConfigError('shutdownGrace', 'expected a duration like 30s', { cause: err });
  }
  return {
    coordinator: options.coordinator,
    security: loadConnectionSecurity(libraryConnectionSecurityOptions(options)),
    handlers: checkHandlerMap(options.handlers, 'handlers'),
    concurrency,
    queues,
    workerId: options.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    shutdownGraceMs,
    reconnectBackoff: options.reconnectBackoff ?? DEFAULT_RECONNECT_BACKOFF,
    keepAliveThread: options.keepAliveThread ?? true,
    progressIntervalMs,
    logger: options.logger ?? silentLogger(),
    metrics: options.metrics ?? NO_WORKER_METRICS,
    clock: options.clock ?? systemClock,
  };
}

import { Server, ServerCredentials, type ServerOptions } from '@grpc/grpc-js';
import { errorMessage } from '../shared/errors';
import { systemClock, type Clock } from '../shared/clock';
import { UnavailableError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { TaskQueueService } from '../shared/gen/baton/v1/task_queue';
import { WorkerServiceService } from '../shared/gen/baton/v1/worker_service';
import { CallGuard } from './api/call-guard';
import { RefusalLog } from './api/refusal-log';
import { withStrictDecoding } from './api/strict-decoding';
import { createTaskQueueService } from './api/task-queue-service';
import { WatchLimiter } from './api/watch-limits';
import { createWorkerService, type WorkerServiceHandle } from './api/worker-service';
import type { CoordinatorConfig } from './config';
import { Authenticator } from './security/authenticator';
import { exposureWarning } from './security/exposure';
import { ReloadableTls } from './security/reloadable-tls';
import { loadTlsMaterial } from './security/tls-material';
import { TokenRegistry } from './security/token-registry';
import { Engine } from './core/engine';
import { HttpEndpoint, type HttpEndpointDeps } from './http/http-server';
import { ApiGateway } from './http/api-gateway';
import { builtDashboardDir, DashboardFiles } from './http/dashboard-files';
import { AttemptSpans } from './tracing/attempt-spans';
import { CoordinatorMetrics } from './metrics';
import { shutdownGrpcServer } from './grpc-shutdown';
import { Readiness } from './readiness';
import type { TaskStore } from './core/task-store';
import { MemoryTaskStore } from './store/memory-store';
import { SqliteTaskStore } from './store/sqlite-store';

type CoordinatorState = 'serving' | 'stopping' | 'stopped';

const MAX_STREAMS_PER_CONNECTION = 2000;

export interface CoordinatorAddresses {
  /** host:port the gRPC server is bound to. */
  readonly grpc: string;
  readonly httpPort: number | undefined;
}

/**
 * The coordinator process: the store, the engine, the gRPC services and the HTTP endpoint,
 * started and stopped in order.
 */
export class Coordinator {
  private state: CoordinatorState = 'serving';
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly config: CoordinatorConfig,
    private readonly logger: Logger,
    private readonly store: TaskStore,
    private readonly engine: Engine,
    private readonly server: Server,
    private readonly http: HttpEndpoint | undefined,
    private readonly security: { readonly authenticator: Authenticator; readonly guard: CallGuard; readonly tls: ReloadableTls | undefined },
    private readonly workerService: WorkerServiceHandle,
    readonly addresses: CoordinatorAddresses,
    /** Resolves (with the error) if the store fails a write: the owner should close and exit non-zero. */
    readonly storeFailure: Promise<unknown>,
    private readonly readiness: Readiness,
  ) {}

  /**
   * Starts the HTTP endpoint (/readyz says `starting` meanwhile), opens the store, rebuilds
   * the queues and starts serving.
   * @throws BatonError when the data directory is unusable or an address cannot be bound.
   */
  static async start(config: CoordinatorConfig, logger: Logger, clock: Clock = systemClock): Promise<Coordinator> {
    const { tls, authenticator } = loadCredentials(config, logger);
    // Queues with unfinished tasks keep their series; beyond them, as many again recently idle.
    const maxQueuesShown = 2 * (config.engine.limits?.maxQueues ?? 1000);
    const metrics = new CoordinatorMetrics(clock, config.metricsQueueIdleMs, maxQueuesShown);
    const readiness = new Readiness();
    // Listening before the store opens lets probes tell "starting" (rebuilding a big queue
    // takes seconds) from "down".
    const apiLog = logger.child({ component: 'api' });
    // One refusal log for gRPC and HTTP: a refused /metrics scrape is counted like a refused call.
    const refusals = new RefusalLog(apiLog, () => clock.now(), (code) => metrics.callRefused(code));
    const dashboard = config.dashboard ? loadDashboard(config, logger) : undefined;
    const { http, httpPort } = await listenHttp(config, { metrics, readiness: () => readiness.status, authenticator, tls, logger, refusals, dashboard, allowedHosts: config.httpHosts });
    let store: TaskStore;
    try {
      store = openStore(config, logger, metrics);
    } catch (err: unknown) {
      await http?.close();
      throw err;
    }
    let reportStoreFailure: (err: unknown) => void = () => undefined;
    const storeFailure = new Promise<unknown>(
      (resolve) =>
        (reportStoreFailure = (err) => {
          readiness.storeFailed();
          resolve(err);
        }),
    );
    const engine = new Engine({ store, clock, logger, options: config.engine, metrics, tracer: new AttemptSpans(), onStoreFailure: (err) => reportStoreFailure(err) });
    const guard = new CallGuard(authenticator, apiLog, refusals);
    const watches = new WatchLimiter(config.watches, clock);
    const server = new Server(grpcServerOptions(config));
    try {
      engine.start();
      const taskQueue = createTaskQueueService({ engine, policy: config.submit, clock, guard, watches, logger, rejections: metrics, maxStatsQueues: maxQueuesShown });
      server.addService(withStrictDecoding(TaskQueueService), taskQueue);
      http?.attachApi(new ApiGateway({ service: taskQueue, maxBodyBytes: maxMessageBytes(config), logger: apiLog }));
      const workerService = createWorkerService({
        gateway: engine.workers,
        options: config.engine,
        maxResultBytes: config.submit.maxPayloadBytes,
        helloTimeoutMs: config.helloTimeoutMs,
        maxAwaitingHello: config.engine.limits?.maxWorkerSessions ?? 10_000,
        maxAwaitingHelloPerCredential: config.engine.limits?.maxWorkerSessionsPerCredential ?? 1_000,
        guard,
        logger,
      });
      server.addService(withStrictDecoding(WorkerServiceService), workerService.service);
      metrics.watch(engine, { watchesOpen: () => watches.open, workerStreamsAwaitingHello: () => workerService.awaitingHello() });
      const grpcPort = await bind(server, config.listen, tls ? tls.serverCredentials() : ServerCredentials.createInsecure());
      readiness.ready();
      const host = config.listen.slice(0, config.listen.lastIndexOf(':'));
      const addresses = { grpc: `${host}:${grpcPort}`, httpPort };
      logger.info(
        { grpc: addresses.grpc, grpc_port: grpcPort, http_port: httpPort, store: config.store, data: config.store === 'sqlite' ? config.dataDir : undefined, tls: tls ? (tls.mutual ? 'mutual' : 'server') : 'off', tokens: authenticator.requiresToken },
        'coordinator listening',
      );
      return new Coordinator(config, logger, store, engine, server, http, { authenticator, guard, tls }, workerService, addresses, storeFailure, readiness);
    } catch (err: unknown) {
      readiness.draining();
      server.forceShutdown();
      await http?.close();
      await engine.close();
      await store.close();
      throw err;
    }
  }

  /**
   * Re-reads the TLS certificates and the tokens file (on SIGHUP). New connections get the
   * new certificates; open connections carry on, and so do their streams unless the new
   * tokens no longer allow them (those are closed). A file that fails to load changes
   * nothing: the error is logged and returned.
   * @returns the error, or undefined when everything reloaded.
   */
  reloadCredentials(): Error | undefined {
    try {
      const material = this.config.tls ? loadTlsMaterial(this.config.tls) : undefined;
      const tokens = this.config.tokensFile === undefined ? undefined : TokenRegistry.fromFile(this.config.tokensFile);
      if (material) this.security.tls?.replace(material);
      this.security.authenticator.replaceTokens(tokens);
      const revoked = this.security.guard.revalidate();
      this.logger.info({ tls: material !== undefined, tokens: tokens?.size ?? 0, streams_revoked: revoked }, 'credentials reloaded');
      return undefined;
    } catch (err: unknown) {
      this.logger.error({ err_message: errorMessage(err) }, 'credentials reload failed; keeping the ones in use');
      return err instanceof Error ? err : new Error(errorMessage(err));
    }
  }

  /**
   * Stops accepting work, ends worker streams, waits up to the shutdown grace for calls in
   * flight, and flushes the store. Idempotent; every step runs even if one fails.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = 'stopping';
    this.readiness.draining(); // /readyz says so until the HTTP port closes, after the calls in flight
    this.logger.info('coordinator shutting down');
    const errors: unknown[] = [];
    const step = async (fn: () => Promise<void> | void): Promise<void> => {
      try {
        await fn();
      } catch (err: unknown) {
        errors.push(err);
      }
    };
    await step(() => this.workerService.close('the coordinator is shutting down'));
    await step(() => this.engine.close());
    await step(() => shutdownGrpcServer(this.server, this.config.shutdownGraceMs));
    await step(() => this.http?.close());
    await step(() => this.store.close());
    this.state = 'stopped';
    if (errors.length > 0) {
      this.logger.error({ err: errors[0] }, 'coordinator shutdown had errors');
      throw errors[0];
    }
    this.logger.info('coordinator stopped');
  }

  get isServing(): boolean {
    return this.state === 'serving';
  }
}

/**
 * Credentials first: a bad certificate or tokens file must refuse to start before the store
 * is touched. Warns when the ports reach beyond loopback without them.
 */
function loadCredentials(config: CoordinatorConfig, logger: Logger): { tls: ReloadableTls | undefined; authenticator: Authenticator } {
  const tls = config.tls ? new ReloadableTls(loadTlsMaterial(config.tls)) : undefined;
  const authenticator = new Authenticator(config.tokensFile === undefined ? undefined : TokenRegistry.fromFile(config.tokensFile));
  const warning = exposureWarning(config, tls !== undefined, authenticator.requiresToken);
  if (warning) logger.warn({ grpc: config.listen, http: config.http }, warning);
  return { tls, authenticator };
}

/** The HTTP endpoint, listening, unless `--http off`. */
async function listenHttp(config: CoordinatorConfig, deps: HttpEndpointDeps): Promise<{ http: HttpEndpoint | undefined; httpPort: number | undefined }> {
  if (config.http === undefined) return { http: undefined, httpPort: undefined };
  const http = new HttpEndpoint(deps);
  return { http, httpPort: await http.listen(config.http) };
}

function openStore(config: CoordinatorConfig, logger: Logger, metrics: CoordinatorMetrics): TaskStore {
  const onCommit = metrics.storeCommitted.bind(metrics);
  if (config.store === 'memory') {
    // Leaves --data alone: no directory is made, nothing is read from or written to it.
    logger.warn({ store: 'memory' }, 'the task store is in memory (--store memory): nothing survives a restart; use it for benchmarks and trying things out');
    return MemoryTaskStore.open({ commitIntervalMs: config.commitIntervalMs, commitMaxBatch: config.commitMaxBatch, logger, onCommit });
  }
  return SqliteTaskStore.open({
    dataDir: config.dataDir,
    synchronous: config.sync,
    commitIntervalMs: config.commitIntervalMs,
    commitMaxBatch: config.commitMaxBatch,
    logger,
    onCommit,
  });
}

/** The largest request either port reads: one payload at the limit plus room for the rest of the message. */
function maxMessageBytes(config: CoordinatorConfig): number {
  return config.submit.maxPayloadBytes + 1024 * 1024;
}

/** The built dashboard, or undefined (with a warning) when this install has not built it. */
function loadDashboard(config: CoordinatorConfig, logger: Logger): DashboardFiles | undefined {
  const dir = builtDashboardDir();
  const files = DashboardFiles.load(dir, config.traceUrl === undefined ? {} : { traceUrl: config.traceUrl });
  if (!files) logger.warn({ dir }, 'the dashboard is not built here (make build builds it); serving the API without it');
  return files;
}

function grpcServerOptions(config: CoordinatorConfig): ServerOptions {
  return {
    // Room for one payload or result at the limit plus its envelope; bigger messages are refused.
    'grpc.max_receive_message_length': maxMessageBytes(config),
    // Calls in flight on one connection (HTTP/2 SETTINGS; clients queue beyond it): enough
    // for the watches a connection may hold (api/watch-limits.ts) plus its unary calls.
    'grpc.max_concurrent_streams': MAX_STREAMS_PER_CONNECTION,
    // A connection with no call for this long is closed (clients reconnect when they need
    // to); keepalive pings find peers that vanished without closing.
    'grpc.max_connection_idle_ms': 5 * 60_000,
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
  };
}

function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => {
      if (err) reject(new UnavailableError(`cannot listen on ${address}: ${bindFailure(err)}`, { cause: err }));
      else resolve(port);
    });
  });
}

/** grpc-js wraps the socket error in a long sentence; keep the part that says what happened. */
function bindFailure(err: Error): string {
  const inUse = /EADDRINUSE|address already in use/i.test(err.message);
  return inUse ? 'the address is already in use' : err.message;
}

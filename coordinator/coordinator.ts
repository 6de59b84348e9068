import { Server, ServerCredentials } from '@grpc/grpc-js';
import { systemClock, type Clock } from '../shared/clock';
import { UnavailableError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { TaskQueueService } from '../shared/gen/baton/v1/task_queue';
import { WorkerServiceService } from '../shared/gen/baton/v1/worker_service';
import { createTaskQueueService } from './api/task-queue-service';
import { createWorkerService } from './api/worker-service';
import type { CoordinatorConfig } from './config';
import { Engine } from './core/engine';
import { HttpEndpoint } from './http/http-server';
import { CoordinatorMetrics } from './metrics';
import { SqliteTaskStore } from './store/sqlite-store';

type CoordinatorState = 'serving' | 'stopping' | 'stopped';

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
    private readonly store: SqliteTaskStore,
    private readonly engine: Engine,
    private readonly server: Server,
    private readonly http: HttpEndpoint | undefined,
    readonly addresses: CoordinatorAddresses,
    /** Resolves (with the error) if the store fails a write: the owner should close and exit non-zero. */
    readonly storeFailure: Promise<unknown>,
  ) {}

  /**
   * Opens the store, rebuilds the queues and starts serving.
   * @throws BatonError when the data directory is unusable or an address cannot be bound.
   */
  static async start(config: CoordinatorConfig, logger: Logger, clock: Clock = systemClock): Promise<Coordinator> {
    const store = SqliteTaskStore.open({
      dataDir: config.dataDir,
      synchronous: config.sync,
      commitIntervalMs: config.commitIntervalMs,
      commitMaxBatch: config.commitMaxBatch,
      logger,
    });
    const metrics = new CoordinatorMetrics();
    let reportStoreFailure: (err: unknown) => void = () => undefined;
    const storeFailure = new Promise<unknown>((resolve) => (reportStoreFailure = resolve));
    const engine = new Engine({ store, clock, logger, options: config.engine, metrics, onStoreFailure: (err) => reportStoreFailure(err) });
    metrics.watch(engine);
    // Room for one payload or result at the limit plus its envelope; bigger messages are refused.
    const server = new Server({ 'grpc.max_receive_message_length': config.submit.maxPayloadBytes + 1024 * 1024 });
    let http: HttpEndpoint | undefined;
    try {
      engine.start();
      server.addService(TaskQueueService, createTaskQueueService({ engine, policy: config.submit, clock, logger }));
      server.addService(
        WorkerServiceService,
        createWorkerService({ gateway: engine.workers, options: config.engine, maxResultBytes: config.submit.maxPayloadBytes, logger }),
      );
      const grpcPort = await bind(server, config.listen);
      let httpPort: number | undefined;
      if (config.http !== undefined) {
        http = new HttpEndpoint({ registry: metrics.registry, isReady: () => true, logger });
        httpPort = await http.listen(config.http);
      }
      const host = config.listen.slice(0, config.listen.lastIndexOf(':'));
      const addresses = { grpc: `${host}:${grpcPort}`, httpPort };
      logger.info({ grpc: addresses.grpc, grpc_port: grpcPort, http_port: httpPort, data: config.dataDir }, 'coordinator listening');
      return new Coordinator(config, logger, store, engine, server, http, addresses, storeFailure);
    } catch (err: unknown) {
      server.forceShutdown();
      await http?.close();
      await engine.close();
      await store.close();
      throw err;
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
    this.logger.info('coordinator shutting down');
    const errors: unknown[] = [];
    const step = async (fn: () => Promise<void> | void): Promise<void> => {
      try {
        await fn();
      } catch (err: unknown) {
        errors.push(err);
      }
    };
    await step(() => this.engine.close());
    await step(() => shutdownServer(this.server, this.config.shutdownGraceMs));
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

function bind(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => {
      if (err) reject(new UnavailableError(`cannot listen on ${address}: ${bindFailure(err)}`, { cause: err }));
      else resolve(port);
    });
  });
}

/** tryShutdown can wait forever on open streams: fall back to forceShutdown after the grace. */
function shutdownServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** grpc-js wraps the socket error in a long sentence; keep the part that says what happened. */
function bindFailure(err: Error): string {
  const inUse = /EADDRINUSE|address already in use/i.test(err.message);
  return inUse ? 'the address is already in use' : err.message;
}

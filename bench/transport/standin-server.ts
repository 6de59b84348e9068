/**
 * The transport stand-in: a process that speaks Baton's gRPC contract with no store and no
 * engine, so that benchmarks can measure what grpc-js alone moves with Baton's real messages
 * and batching ("the limit" of issue 8). Submits are answered at once, leases stream to
 * connected workers within their credit, results are acknowledged at once, and GetTask and
 * WatchTask answer from memory. Every task ever submitted stays in memory.
 *
 * It is a benchmark tool, not a coordinator: no durability, no retries (a failed attempt
 * ends its task DEAD; a lease whose worker went away is queued again at once), no delays,
 * priorities, timeouts, liveness checks, authentication or TLS.
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Counter, Registry } from 'prom-client';
import type { Logger } from '../../shared/logger';
import { TaskQueueService } from '../../shared/gen/baton/v1/task_queue';
import { WorkerServiceService } from '../../shared/gen/baton/v1/worker_service';
import { OpenWatches, createStandInTaskQueue, createStandInWorkerService, type StandInServiceDeps } from './standin-services';
import { shutdownGrpcServer } from '../../coordinator/grpc-shutdown';
import { TaskBook } from './standin-tasks';
import { WorkerHub } from './standin-workers';

export interface StandInOptions {
  /** gRPC host:port; port 0 picks one. */
  readonly listen: string;
  /** HTTP host:port for /metrics, /healthz and /readyz; port 0 picks one. */
  readonly http: string;
  readonly logger: Logger;
  /** How long shutdown waits for calls in flight before forcing. Default 5000 ms. */
  readonly shutdownGraceMs?: number;
}

/** The real coordinator's defaults, stated in Welcome. */
const TERMS = { heartbeatIntervalMs: 2000, leaseTimeoutMs: 10_000, maxResultBytes: 1024 * 1024 };
const MAX_RECEIVE_BYTES = TERMS.maxResultBytes + 1024 * 1024;

type StandInState = 'serving' | 'stopping' | 'stopped';

export class StandInServer {
  private state: StandInState = 'serving';
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly grpc: Server,
    private readonly http: HttpServer,
    private readonly hub: WorkerHub,
    private readonly watches: OpenWatches,
    private readonly log: Logger,
    private readonly shutdownGraceMs: number,
    readonly grpcPort: number,
    readonly httpPort: number,
  ) {}

  /** Listens on both ports, then logs `coordinator listening` as the real coordinator does. */
  static async start(options: StandInOptions): Promise<StandInServer> {
    const registry = new Registry();
    // The real coordinator's names and labels (coordinator/metrics.ts), so benchmarks count alike.
    const finished = new Counter({ name: 'baton_tasks_finished_total', help: 'Tasks whose terminal state has committed', labelNames: ['queue', 'state'], registers: [registry] });
    const submitted = new Counter({ name: 'baton_tasks_submitted_total', help: 'Tasks accepted', labelNames: ['queue'], registers: [registry] });
    const now = (): number => Date.now();
    const book = new TaskBook((queue, state) => finished.inc({ queue, state }));
    const hub = new WorkerHub(book, now);
    const deps: StandInServiceDeps = { book, hub, terms: TERMS, now, logger: options.logger, submitted: (queue, count) => submitted.inc({ queue }, count) };
    const watches = new OpenWatches();
    const grpc = new Server({ 'grpc.max_receive_message_length': MAX_RECEIVE_BYTES, 'grpc.max_concurrent_streams': 2000 });
    grpc.addService(TaskQueueService, createStandInTaskQueue(deps, watches));
    grpc.addService(WorkerServiceService, createStandInWorkerService(deps));
    const http = createServer((req, res) => serveHttp(req, res, registry));
    let grpcPort: number;
    let httpPort: number;
    try {
      grpcPort = await bindGrpc(grpc, options.listen);
      httpPort = await listenHttp(http, options.http);
    } catch (err: unknown) {
      grpc.forceShutdown();
      http.close();
      throw err;
    }
    const host = options.listen.slice(0, options.listen.lastIndexOf(':'));
    options.logger.info({ grpc: `${host}:${grpcPort}`, grpc_port: grpcPort, http_port: httpPort, store: 'none (transport stand-in)' }, 'coordinator listening');
    return new StandInServer(grpc, http, hub, watches, options.logger, options.shutdownGraceMs ?? 5000, grpcPort, httpPort);
  }

  /** Ends worker streams and watches, then stops both servers. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.transition('serving', 'stopping');
    this.log.info('coordinator shutting down');
    // grpc-js's tryShutdown waits for open streams: end them first.
    this.hub.close('the coordinator is shutting down');
    this.watches.closeAll('the coordinator is shutting down; watch again');
    await shutdownGrpcServer(this.grpc, this.shutdownGraceMs);
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.transition('stopping', 'stopped');
    this.log.info('coordinator stopped');
  }

  private transition(from: StandInState, to: StandInState): void {
    if (this.state !== from) throw new Error(`stand-in: illegal transition ${this.state} -> ${to}`);
    this.state = to;
  }
}

function serveHttp(req: IncomingMessage, res: ServerResponse, registry: Registry): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET') {
    res.writeHead(405).end();
  } else if (path === '/metrics') {
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  } else if (path === '/healthz' || path === '/readyz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  } else {
    res.writeHead(404).end();
  }
}

function bindGrpc(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });
}

function listenHttp(server: HttpServer, address: string): Promise<number> {
  const colon = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(address.slice(colon + 1)), address.slice(0, colon), () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

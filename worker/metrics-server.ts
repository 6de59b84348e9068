import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../shared/errors';
import { splitHostPort } from '../shared/host-port';
import { isLoopbackHost } from '../shared/loopback';
import type { Logger } from '../shared/logger';

export interface MetricsServerDeps {
  readonly metrics: { scrape(): Promise<string>; readonly contentType: string };
  /** Reported in the /healthz body; /healthz answers 200 whatever it says. */
  readonly health: () => { readonly state: string; readonly connected: boolean };
  readonly logger: Logger;
}

/** A host and port to listen on. */
export interface ListenAddress {
  /** Without IPv6 brackets. */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

/** Headers that keep a slow or hostile client from holding a socket for long (as the coordinator's endpoint). */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * Parses `HOST:PORT` (`[::1]:9464` for IPv6).
 * @throws ConfigError naming `key` when it is not one.
 */
export function parseListenAddress(address: string, key: string): ListenAddress {
  const split = splitHostPort(address);
  const host = split?.host.replace(/^\[(.*)\]$/, '$1');
  if (!split || !host) throw new ConfigError(key, `expected HOST:PORT, got "${address}"`);
  return { host, port: split.port };
}

/**
 * A worker's own HTTP endpoint: GET /metrics (Prometheus text) and GET /healthz, a liveness
 * check that answers 200 for as long as the process serves it (connected to the coordinator
 * or not: restarting a worker does not bring a coordinator back, and a draining worker must
 * not be killed). Anything else is 404, other methods 405. No authentication: it is meant
 * for loopback or a network only the monitoring reaches.
 */
export class WorkerMetricsServer {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    /** The port it listens on. */
    readonly port: number,
  ) {}

  /**
   * Listens on `address` and logs `metrics listening` with `metrics_port`, and a warning
   * when the address is beyond loopback.
   * @throws the listen error (EADDRINUSE, EADDRNOTAVAIL, ...).
   */
  static async start(address: ListenAddress, deps: MetricsServerDeps): Promise<WorkerMetricsServer> {
    const server = createServer(
      { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, maxHeaderSize: MAX_HEADER_BYTES },
      (req, res) => handle(deps, req, res),
    );
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
    const shown = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}`;
    deps.logger.info({ metrics: shown, metrics_port: port }, 'metrics listening');
    if (!isLoopbackHost(address.host)) {
      deps.logger.warn(
        { metrics: shown },
        `INSECURE: worker metrics listening on ${shown}, beyond loopback, without authentication. ` +
          'Anyone who can reach the port can read /metrics: queue and task type names, counts and timings. ' +
          'Bind it to loopback or let only your monitoring reach it.',
      );
    }
    return new WorkerMetricsServer(server, port);
  }

  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }
}

function handle(deps: MetricsServerDeps, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET') {
    res.writeHead(405, { allow: 'GET' }).end();
    return;
  }
  const path = (req.url ?? '').split('?')[0];
  if (path === '/healthz') {
    const { state, connected } = deps.health();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', state, connected }));
    return;
  }
  if (path === '/metrics') {
    deps.metrics.scrape().then(
      (text) => res.writeHead(200, { 'content-type': deps.metrics.contentType }).end(text),
      (err: unknown) => {
        deps.logger.error({ err }, 'metrics collection failed');
        res.writeHead(500).end();
      },
    );
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /healthz or /metrics\n');
}

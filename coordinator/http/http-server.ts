import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';
import { BatonError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { ReadinessStatus } from '../readiness';
import type { Authenticator } from '../security/authenticator';
import type { ReloadableTls } from '../security/reloadable-tls';

export interface HttpEndpointDeps {
  readonly metrics: { scrape(): Promise<string>; readonly contentType: string };
  /** What /readyz reports: 200 only for 'ready'. */
  readonly readiness: () => ReadinessStatus;
  /** With a tokens file, /metrics needs a valid token of any role not limited to queues; /healthz and /readyz never do. */
  readonly authenticator: Authenticator;
  /** HTTPS (and, when it is mutual, a client certificate) instead of plain HTTP. */
  readonly tls: ReloadableTls | undefined;
  readonly logger: Logger;
}

/** Headers that keep a slow or hostile client from holding a socket for long. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * /healthz (liveness: 200 whenever the process answers), /readyz (readiness: 200 only while
 * the coordinator takes work, 503 with the reason otherwise) and /metrics, over HTTP or
 * HTTPS. It listens from before the store opens, so that probes see `starting`.
 */
export class HttpEndpoint {
  private readonly server: Server;

  constructor(private readonly deps: HttpEndpointDeps) {
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    const limits = { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, maxHeaderSize: 16 * 1024 };
    if (deps.tls) {
      const server = createHttpsServer({ ...deps.tls.httpsOptions(), ...limits }, handler);
      deps.tls.attach(server);
      this.server = server;
    } else {
      this.server = createServer(limits, handler);
    }
  }

  /** Listens on host:port; resolves with the bound port. */
  listen(address: string): Promise<number> {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(colon + 1));
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (req.url === '/healthz') {
      // Answering at all is the proof: the process is up and its event loop turns.
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
      return;
    }
    if (req.url === '/readyz') {
      const status = this.deps.readiness();
      res.writeHead(status === 'ready' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
      return;
    }
    if (req.url === '/metrics') {
      if (!this.authenticated(req, res)) return;
      this.deps.metrics.scrape().then(
        (text) => res.writeHead(200, { 'content-type': this.deps.metrics.contentType }).end(text),
        (err: unknown) => {
          this.deps.logger.error({ err }, 'metrics collection failed');
          res.writeHead(500).end();
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /healthz, /readyz or /metrics\n');
  }

  /** Answers 401 and returns false unless the request carries acceptable credentials. */
  private authenticated(req: IncomingMessage, res: ServerResponse): boolean {
    const header = req.headers.authorization;
    const socket = req.socket;
    if (this.deps.tls?.mutual && !(socket instanceof TLSSocket && socket.authorized)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'UNAUTHENTICATED', message: 'a client certificate from the client CA is required' }));
      return false;
    }
    try {
      const caller = this.deps.authenticator.authenticate({
        authorization: header === undefined ? [] : [header],
        certificate: socket instanceof TLSSocket && socket.authorized ? socket.getPeerCertificate() : undefined,
      });
      if (caller.queues !== null) {
        // The metrics name every queue and count its tasks: more than such a token may see.
        const message = 'a token limited to queues cannot read /metrics, which covers every queue';
        res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'PERMISSION_DENIED', message }));
        return false;
      }
      return true;
    } catch (err: unknown) {
      const message = err instanceof BatonError ? err.message : 'unauthenticated';
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end(JSON.stringify({ code: 'UNAUTHENTICATED', message }));
      return false;
    }
  }
}

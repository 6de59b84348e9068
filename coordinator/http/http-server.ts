import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';
import { BatonError, PermissionDeniedError, UnauthenticatedError } from '../../shared/errors';
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
  /** Told of every refused /metrics request, as the gRPC services tell of refused calls. Default: nobody. */
  readonly refusals?: { note(method: string, err: unknown, peer: string): void };
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
    // HEAD too: some load balancers probe with it (Node sends the headers without the body).
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
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

  /** Answers 401 or 403 (and notes the refusal) and returns false unless the request carries acceptable credentials. */
  private authenticated(req: IncomingMessage, res: ServerResponse): boolean {
    try {
      this.authorizeMetrics(req);
      return true;
    } catch (err: unknown) {
      const refusal = err instanceof BatonError ? err : new UnauthenticatedError('unauthenticated');
      this.deps.refusals?.note('GET /metrics', refusal, req.socket.remoteAddress ?? 'unknown');
      const status = refusal.code === 'PERMISSION_DENIED' ? 403 : 401;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (status === 401 && !this.deps.tls?.mutual) headers['www-authenticate'] = 'Bearer';
      res.writeHead(status, headers).end(JSON.stringify({ code: refusal.code, message: refusal.message }));
      return false;
    }
  }

  /** @throws BatonError UNAUTHENTICATED or PERMISSION_DENIED. */
  private authorizeMetrics(req: IncomingMessage): void {
    const socket = req.socket;
    const certified = socket instanceof TLSSocket && socket.authorized;
    if (this.deps.tls?.mutual && !certified) throw new UnauthenticatedError('a client certificate from the client CA is required');
    const header = req.headers.authorization;
    const caller = this.deps.authenticator.authenticate({
      authorization: header === undefined ? [] : [header],
      certificate: certified ? socket.getPeerCertificate() : undefined,
    });
    // The metrics name every queue and count its tasks: more than such a token may see.
    if (caller.queues !== null) throw new PermissionDeniedError('a token limited to queues cannot read /metrics, which covers every queue');
  }
}

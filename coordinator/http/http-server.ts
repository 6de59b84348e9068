import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { BatonError, PermissionDeniedError, UnauthenticatedError, UnavailableError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { ReadinessStatus } from '../readiness';
import type { Authenticator } from '../security/authenticator';
import type { ReloadableTls } from '../security/reloadable-tls';
import { ApiGateway, respondError } from './api-gateway';
import type { DashboardFiles } from './dashboard-files';
import { HttpRefusal } from './http-errors';
import { HTTP_PEER_PREFIX, type HttpCaller } from './in-process-call';
import { checkHost, checkSameOrigin } from './request-origin';
import { isLoopbackHost } from '../../shared/loopback';

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
  /** The dashboard served at /; none: / answers 404. */
  readonly dashboard?: DashboardFiles;
  /** Names the port answers to besides loopback ones while it listens on loopback without tokens (--http-hosts). */
  readonly allowedHosts?: ReadonlySet<string>;
}

/** Headers that keep a slow or hostile client from holding a socket for long. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Open connections from one address, and in all: each costs a socket and its buffers. */
export const MAX_CONNECTIONS_PER_ADDRESS = 256;
export const MAX_CONNECTIONS = 10_000;
/** Authorization values are tokens: printable ASCII. Anything else is refused before it reaches gRPC metadata. */
const NO_HOSTS: ReadonlySet<string> = new Set();
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The coordinator's HTTP port, over HTTP or HTTPS: the HTTP/JSON API under /v1/ (once
 * attached), the dashboard at /, /healthz (liveness: 200 whenever the process answers),
 * /readyz (readiness: 200 only while the coordinator takes work, 503 with the reason
 * otherwise) and /metrics. It listens from before the store opens, so that probes see
 * `starting`.
 */
export class HttpEndpoint {
  private readonly server: Server;
  private api: ApiGateway | undefined;
  /** Listening on loopback: requests must name loopback in their Host (request-origin.ts). */
  private loopbackOnly = true;
  private readonly connections = new Map<string, number>();

  constructor(private readonly deps: HttpEndpointDeps) {
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    // Node checks the two timeouts every connectionsCheckingInterval: 5 s keeps them close to what they say.
    const limits = { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, maxHeaderSize: 16 * 1024, connectionsCheckingInterval: 5_000 };
    if (deps.tls) {
      const server = createHttpsServer({ ...deps.tls.httpsOptions(), ...limits }, handler);
      deps.tls.attach(server);
      this.server = server;
    } else {
      this.server = createServer(limits, handler);
    }
    this.server.maxConnections = MAX_CONNECTIONS;
    // A client that sends `Expect: 100-continue` gets its answer (a refusal, often) before it sends a body.
    this.server.on('checkContinue', handler);
    this.server.on('connection', (socket: Socket) => this.admitConnection(socket));
  }

  /** Listens on host:port; resolves with the bound port. */
  listen(address: string): Promise<number> {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(colon + 1));
    this.loopbackOnly = isLoopbackHost(host);
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Serves the API from now on; until then /v1/ answers 503. */
  attachApi(api: ApiGateway): void {
    this.api = api;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = requestUrl(req.url);
    if (!url) {
      respondError(res, new HttpRefusal(400, 'INVALID_ARGUMENT', 'the request target must be a path, such as /v1/tasks'));
      return;
    }
    // Probes may name the host however they like; everything else is for this machine's names only (request-origin.ts).
    if (url.pathname !== '/healthz' && url.pathname !== '/readyz') {
      try {
        checkHost(req, { loopbackOnly: this.loopbackOnly, tokens: this.deps.authenticator.requiresToken, allowedHosts: this.deps.allowedHosts ?? NO_HOSTS });
      } catch (err: unknown) {
        this.deps.refusals?.note(`${req.method ?? 'GET'} ${url.pathname}`, err, req.socket.remoteAddress ?? 'unknown');
        respondError(res, err, req);
        return;
      }
    }
    if (url.pathname === '/v1' || url.pathname.startsWith('/v1/')) {
      this.serveApi(req, res, url);
      return;
    }
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
    if (this.deps.dashboard && this.requireCertificate(req, res, url.pathname) && this.deps.dashboard.serve(req, res, url.pathname)) return;
    if (res.headersSent) return;
    const dashboard = this.deps.dashboard ? 'the dashboard at /, ' : '';
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found; try ${dashboard}/v1/openapi.json, /healthz, /readyz or /metrics\n`);
  }

  private serveApi(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const caller = this.callerOf(req);
    try {
      checkSameOrigin(req);
      if (this.deps.tls?.mutual && caller.certificate === undefined) throw new UnauthenticatedError('a client certificate from the client CA is required');
      if (!caller.authorization.every((value) => PRINTABLE_ASCII.test(value))) throw new UnauthenticatedError('malformed authorization: a token is printable ASCII');
      // Before anything is read or decoded: a caller without credentials costs a header check.
      this.deps.authenticator.authenticate({ authorization: [...caller.authorization], certificate: caller.certificate });
      if (url.pathname === '/v1/openapi.json') {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpRefusal(405, 'UNIMPLEMENTED', `${url.pathname} takes GET, not ${req.method}`, { allow: 'GET' });
        const text = ApiGateway.openApiDocument;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(req.method === 'HEAD' ? undefined : text);
        return;
      }
      if (!this.api) throw new UnavailableError('the coordinator is starting; try again shortly');
    } catch (err: unknown) {
      this.deps.refusals?.note(`${req.method ?? 'GET'} ${url.pathname}`, err, caller.peer);
      respondError(res, this.challenged(err), req);
      return;
    }
    // serve() answers every failure itself; this catch only keeps a bug in it from taking the process down.
    this.api.serve(req, res, url, caller).catch((err: unknown) => {
      this.deps.logger.error({ err, path: url.pathname }, 'HTTP API request failed unexpectedly');
      res.destroy();
    });
  }

  /** Who sent the request, as the gRPC handlers read a caller. */
  private callerOf(req: IncomingMessage): HttpCaller {
    const socket = req.socket;
    const certified = socket instanceof TLSSocket && socket.authorized;
    // By address, not port: each HTTP/1.1 stream holds a connection of its own, so a port says little.
    return {
      // Every value: two Authorization headers are refused, as two authorization metadata entries are.
      authorization: req.headersDistinct.authorization ?? [],
      certificate: certified ? socket.getPeerCertificate() : undefined,
      peer: `${HTTP_PEER_PREFIX}${socket.remoteAddress ?? 'unknown'}`,
    };
  }

  /** Closes a connection beyond the per-address cap at once; counts it until it closes otherwise. */
  private admitConnection(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const open = this.connections.get(address) ?? 0;
    if (open >= MAX_CONNECTIONS_PER_ADDRESS) {
      socket.destroy();
      return;
    }
    this.connections.set(address, open + 1);
    socket.once('close', () => {
      const left = (this.connections.get(address) ?? 1) - 1;
      if (left === 0) this.connections.delete(address);
      else this.connections.set(address, left);
    });
  }

  /** Under mutual TLS, even the dashboard's files need a client certificate; answers 401 and returns false without one. */
  private requireCertificate(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    if (!this.deps.tls?.mutual || this.callerOf(req).certificate !== undefined) return true;
    const err = new UnauthenticatedError('a client certificate from the client CA is required');
    this.deps.refusals?.note(`GET ${pathname}`, err, req.socket.remoteAddress ?? 'unknown');
    respondError(res, err);
    return false;
  }

  /** Answers 401 or 403 (and notes the refusal) and returns false unless the request carries acceptable credentials. */
  private authenticated(req: IncomingMessage, res: ServerResponse): boolean {
    try {
      this.authorizeMetrics(req);
      return true;
    } catch (err: unknown) {
      const refusal = err instanceof BatonError ? err : new UnauthenticatedError('unauthenticated');
      this.deps.refusals?.note('GET /metrics', refusal, req.socket.remoteAddress ?? 'unknown');
      respondError(res, this.challenged(refusal), req);
      return false;
    }
  }

  /**
   * A 401 says how to authenticate (RFC 6750): `WWW-Authenticate: Bearer`, unless what is
   * missing is a client certificate, which no header can give.
   */
  private challenged(err: unknown): unknown {
    if (!(err instanceof BatonError) || err.code !== 'UNAUTHENTICATED' || this.deps.tls?.mutual) return err;
    return new HttpRefusal(401, 'UNAUTHENTICATED', err.message, { 'www-authenticate': 'Bearer' });
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

/** The request target as a URL, or undefined when it is not a plain path (`//host`, `http://...`, `*`). */
function requestUrl(target: string | undefined): URL | undefined {
  if (target === undefined || !target.startsWith('/') || target.startsWith('//')) return undefined;
  try {
    return new URL(target, 'http://coordinator');
  } catch {
    return undefined;
  }
}

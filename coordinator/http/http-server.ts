import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../shared/logger';
import type { Registry } from 'prom-client';

export interface HttpEndpointDeps {
  readonly registry: Registry;
  /** True while the coordinator serves requests. */
  readonly isReady: () => boolean;
  readonly logger: Logger;
}

/** /healthz and /metrics. */
export class HttpEndpoint {
  private readonly server: Server;

  constructor(private readonly deps: HttpEndpointDeps) {
    this.server = createServer((req, res) => {
      if (req.method !== 'GET') {
        res.writeHead(405).end();
        return;
      }
      if (req.url === '/healthz') {
        const ready = this.deps.isReady();
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ready ? 'ok' : 'unavailable' }));
        return;
      }
      if (req.url === '/metrics') {
        this.deps.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.deps.registry.contentType }).end(text),
          (err: unknown) => {
            this.deps.logger.error({ err }, 'metrics collection failed');
            res.writeHead(500).end();
          },
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /healthz or /metrics\n');
    });
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
}

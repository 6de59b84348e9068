import { expect } from 'chai';
import { request, type IncomingHttpHeaders } from 'node:http';
import { ConfigError } from '../../../shared/errors';
import { createLogger } from '../../../shared/logger';
import { isLoopbackHost } from '../../../shared/loopback';
import { WorkerMetricsServer, parseListenAddress, type MetricsServerDeps } from '../../../worker/metrics-server';

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request on a fresh connection. */
function call(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

function recordingDeps(scrape: () => Promise<string> = () => Promise.resolve('baton_worker_slots 4\n')): { deps: MetricsServerDeps; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ name: 'worker', destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } });
  const deps: MetricsServerDeps = {
    metrics: { scrape, contentType: 'text/plain; version=0.0.4; charset=utf-8' },
    health: () => ({ state: 'draining', connected: false }),
    logger,
  };
  return { deps, lines };
}

describe('parseListenAddress', () => {
  it('reads HOST:PORT, brackets and all, and names the setting when it cannot', () => {
    expect(parseListenAddress('127.0.0.1:0', '--metrics')).to.deep.equal({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('[::1]:9464', '--metrics')).to.deep.equal({ host: '::1', port: 9464 });
    expect(parseListenAddress('metrics.internal:9464', '--metrics')).to.deep.equal({ host: 'metrics.internal', port: 9464 });
    for (const bad of ['9464', ':9464', '127.0.0.1:', '127.0.0.1:65536', '127.0.0.1:http']) {
      expect(() => parseListenAddress(bad, 'BATON_METRICS'), bad).to.throw(ConfigError, /^BATON_METRICS: expected HOST:PORT/);
    }
  });

  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopbackHost)).to.deep.equal([true, true, true, true]);
    expect(['0.0.0.0', '::', '10.0.0.1', 'example.com'].map(isLoopbackHost)).to.deep.equal([false, false, false, false]);
  });
});

describe('WorkerMetricsServer', () => {
  let server: WorkerMetricsServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /metrics and a liveness /healthz; 404 elsewhere, 405 for other methods; logs its port', async () => {
    const { deps, lines } = recordingDeps();
    server = await WorkerMetricsServer.start({ host: '127.0.0.1', port: 0 }, deps);
    const port = server.port;
    expect(lines.map((line) => [line.msg, line.metrics_port, line.metrics])).to.deep.equal([['metrics listening', port, `127.0.0.1:${port}`]]);

    const metrics = await call(port, '/metrics');
    expect([metrics.status, metrics.headers['content-type'], metrics.body]).to.deep.equal([200, deps.metrics.contentType, 'baton_worker_slots 4\n']);
    expect((await call(port, '/metrics?name[]=x')).status).to.equal(200);
    const health = await call(port, '/healthz');
    expect([health.status, JSON.parse(health.body)]).to.deep.equal([200, { status: 'ok', state: 'draining', connected: false }]);
    expect((await call(port, '/')).status).to.equal(404);
    const post = await call(port, '/metrics', 'POST');
    expect([post.status, post.headers.allow]).to.deep.equal([405, 'GET']);
  });

  it('answers 500 and logs the error when collection fails', async () => {
    const { deps, lines } = recordingDeps(() => Promise.reject(new Error('collect broke')));
    server = await WorkerMetricsServer.start({ host: '127.0.0.1', port: 0 }, deps);
    expect((await call(server.port, '/metrics')).status).to.equal(500);
    expect(lines.find((line) => line.msg === 'metrics collection failed')).to.have.nested.property('err.message', 'collect broke');
  });

  it('warns that it is unauthenticated when it listens beyond loopback', async () => {
    const { deps, lines } = recordingDeps();
    server = await WorkerMetricsServer.start({ host: '0.0.0.0', port: 0 }, deps);
    const warning = lines.find((line) => line.level === 40);
    expect(warning?.msg).to.match(/^INSECURE: worker metrics listening on 0\.0\.0\.0:\d+, beyond loopback, without authentication/);
  });

  it('closes idempotently, after which nothing answers', async () => {
    const { deps } = recordingDeps();
    const started = await WorkerMetricsServer.start({ host: '127.0.0.1', port: 0 }, deps);
    await Promise.all([started.close(), started.close()]);
    const refused = await call(started.port, '/metrics').then(
      () => undefined,
      (err: unknown) => err as NodeJS.ErrnoException,
    );
    expect(refused?.code).to.equal('ECONNREFUSED');
  });

  it('rejects with the listen error when the port is taken', async () => {
    const { deps } = recordingDeps();
    server = await WorkerMetricsServer.start({ host: '127.0.0.1', port: 0 }, deps);
    const taken = await WorkerMetricsServer.start({ host: '127.0.0.1', port: server.port }, deps).then(
      () => undefined,
      (err: unknown) => err as NodeJS.ErrnoException,
    );
    expect(taken?.code).to.equal('EADDRINUSE');
  });
});

import { expect } from 'chai';
import { HttpEndpoint } from '../../../coordinator/http/http-server';
import { Readiness, type ReadinessStatus } from '../../../coordinator/readiness';
import { Authenticator } from '../../../coordinator/security/authenticator';
import { TokenRegistry } from '../../../coordinator/security/token-registry';
import { hashToken } from '../../../coordinator/security/tokens-file';
import { BatonError } from '../../../shared/errors';
import { silentLogger } from '../../../shared/logger';

const METRICS = { scrape: () => Promise.resolve('baton_up 1\n'), contentType: 'text/plain; version=0.0.4' };

describe('HttpEndpoint: liveness and readiness', () => {
  let status: ReadinessStatus = 'starting';
  let endpoint: HttpEndpoint;
  let port: number;

  before(async () => {
    endpoint = new HttpEndpoint({ metrics: METRICS, readiness: () => status, authenticator: new Authenticator(undefined), tls: undefined, logger: silentLogger() });
    port = await endpoint.listen('127.0.0.1:0');
  });
  after(() => endpoint.close());

  async function get(path: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    const text = await response.text();
    return { status: response.status, body: response.headers.get('content-type') === 'application/json' ? (JSON.parse(text) as unknown) : text };
  }

  it('answers /readyz 503 with the reason unless ready, and /healthz 200 all along', async () => {
    const seen: Array<[ReadinessStatus, number, unknown, number]> = [];
    for (const next of ['starting', 'ready', 'draining', 'store_failed'] as const) {
      status = next;
      const ready = await get('/readyz');
      const health = await get('/healthz');
      seen.push([next, ready.status, ready.body, health.status]);
      expect(health.body).to.deep.equal({ status: 'ok' });
    }
    expect(seen).to.deep.equal([
      ['starting', 503, { status: 'starting' }, 200],
      ['ready', 200, { status: 'ready' }, 200],
      ['draining', 503, { status: 'draining' }, 200],
      ['store_failed', 503, { status: 'store_failed' }, 200],
    ]);
  });

  it('still serves /metrics and names /readyz among the paths it knows', async () => {
    expect(await get('/metrics')).to.deep.equal({ status: 200, body: 'baton_up 1\n' });
    const missing = await get('/nothing');
    expect(missing.status).to.equal(404);
    expect(missing.body).to.equal('not found; try /v1/openapi.json, /healthz, /readyz or /metrics\n');
  });
});

describe('HttpEndpoint: probes by HEAD, refused scrapes counted', () => {
  const refused: Array<[string, string]> = [];
  let endpoint: HttpEndpoint;
  let port: number;

  before(async () => {
    const tokens = TokenRegistry.of([
      { name: 'ops', role: 'admin', hash: hashToken('ops-secret'), queues: null, source: 'test' },
      { name: 'billing', role: 'client', hash: hashToken('billing-secret'), queues: new Set(['billing']), source: 'test' },
    ]);
    const refusals = { note: (method: string, err: unknown) => refused.push([method, err instanceof BatonError ? err.code : String(err)]) };
    endpoint = new HttpEndpoint({ metrics: METRICS, readiness: () => 'ready', authenticator: new Authenticator(tokens), tls: undefined, logger: silentLogger(), refusals });
    port = await endpoint.listen('127.0.0.1:0');
  });
  after(() => endpoint.close());

  const scrape = (token?: string): Promise<Response> => fetch(`http://127.0.0.1:${port}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('answers HEAD on the probes like GET, without a body', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'HEAD' });
      expect([path, response.status, await response.text()]).to.deep.equal([path, 200, '']);
    }
    expect((await fetch(`http://127.0.0.1:${port}/healthz`, { method: 'POST' })).status).to.equal(405);
  });

  it('counts every refused /metrics scrape as a refused call, and not an allowed one', async () => {
    expect([(await scrape()).status, (await scrape('wrong')).status, (await scrape('billing-secret')).status, (await scrape('ops-secret')).status]).to.deep.equal([401, 401, 403, 200]);
    expect(refused).to.deep.equal([
      ['GET /metrics', 'UNAUTHENTICATED'],
      ['GET /metrics', 'UNAUTHENTICATED'],
      ['GET /metrics', 'PERMISSION_DENIED'],
    ]);
  });
});

describe('Readiness', () => {
  it('only moves forward: starting, ready, draining; a store failure shows through the shutdown it causes', () => {
    const readiness = new Readiness();
    expect(readiness.status).to.equal('starting');
    readiness.ready();
    expect(readiness.isReady).to.equal(true);
    readiness.storeFailed();
    readiness.draining();
    readiness.ready();
    expect(readiness.status).to.equal('store_failed');

    const stopping = new Readiness();
    stopping.ready();
    stopping.draining();
    stopping.ready();
    expect(stopping.status).to.equal('draining');
  });
});

import { expect } from 'chai';
import { HttpEndpoint } from '../../../coordinator/http/http-server';
import { Readiness, type ReadinessStatus } from '../../../coordinator/readiness';
import { Authenticator } from '../../../coordinator/security/authenticator';
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
    expect(missing.body).to.equal('not found; try /healthz, /readyz or /metrics\n');
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

import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_MAX_REQUESTS_PER_CLIENT } from '../../coordinator/http/api-gateway';
import { pollUntil } from '../support/poll';
import type { CoordinatorHandle } from '../support/processes';
import { startCoordinator } from '../support/processes';
import { apiError, HttpApi } from '../support/http-api';
import { httpGet, tlsServerArgs, useSecurityBed, writeTokensFile } from '../support/security-fixtures';

const TOKENS = {
  admin: 'http-admin-token-0123456789abcdef',
  client: 'http-client-token-0123456789abcd',
  clientA: 'http-client-a-token-0123456789ab',
  worker: 'http-worker-token-0123456789abcd',
} as const;

describe('security: the HTTP/JSON API takes the gRPC API credentials', function () {
  this.timeout(60_000);
  const bed = useSecurityBed();
  let coordinator: CoordinatorHandle;
  let anonymous: HttpApi;

  before(async () => {
    const dir = bed.group.tempDir();
    const tokens = writeTokensFile(dir, [
      { name: 'ops', role: 'admin', token: TOKENS.admin },
      { name: 'app', role: 'client', token: TOKENS.client },
      { name: 'tenant-a', role: 'client', token: TOKENS.clientA, queues: ['a'] },
      { name: 'runner', role: 'worker', token: TOKENS.worker },
    ]);
    coordinator = await startCoordinator(bed.group, { dataDir: join(dir, 'data'), args: ['--tokens', tokens] });
    anonymous = new HttpApi(`http://127.0.0.1:${coordinator.httpPort}`);
  });

  it('refuses every route without a token, streams and the OpenAPI document included', async () => {
    for (const path of ['/v1/tasks', '/v1/stats', '/v1/queues', '/v1/schedules', '/v1/workers', '/v1/openapi.json']) {
      const reply = await anonymous.get(path);
      expect(reply.status, path).to.equal(401);
      expect(apiError(reply).status).to.equal('UNAUTHENTICATED');
      expect(reply.headers.get('www-authenticate'), path).to.equal('Bearer');
    }
    const submit = await anonymous.post('/v1/tasks', { type: 'add' });
    expect(submit.status).to.equal(401);
    const watch = await anonymous.events('/v1/stats:watch');
    expect(watch.status).to.equal(401);
    const wrong = await anonymous.withToken('not-a-token-0123456789abcdef').get('/v1/stats');
    expect(wrong.status).to.equal(401);
  });

  it('lets a client submit and read, and keeps admin actions for admins', async () => {
    const client = anonymous.withToken(TOKENS.client);
    const submitted = await client.post('/v1/tasks', { queue: 'b', type: 'report' });
    expect(submitted.status, submitted.text).to.equal(200);
    const id = (submitted.json as { task: { id: string } }).task.id;
    expect((await client.get(`/v1/tasks/${id}`)).status).to.equal(200);
    const pause = await client.post('/v1/queues/b:pause');
    expect(pause.status).to.equal(403);
    expect(apiError(pause).status).to.equal('PERMISSION_DENIED');
    const trigger = await client.post('/v1/schedules/nightly:trigger');
    expect(trigger.status).to.equal(403);
    const admin = anonymous.withToken(TOKENS.admin);
    expect((await admin.post('/v1/queues/b:pause')).status).to.equal(200);
    expect((await admin.post('/v1/queues/b:resume')).status).to.equal(200);
    expect((await admin.post(`/v1/tasks/${id}:cancel`)).status).to.equal(200);
  });

  it('keeps a token limited to queues to those queues, and a worker token out', async () => {
    const admin = anonymous.withToken(TOKENS.admin);
    const other = (await admin.post('/v1/tasks', { queue: 'b', type: 'x' })).json as { task: { id: string } };
    const tenant = anonymous.withToken(TOKENS.clientA);
    const refused = await tenant.get(`/v1/tasks/${other.task.id}`);
    expect(refused.status).to.equal(403);
    expect(apiError(refused).message).to.match(/queue b/);
    expect((await tenant.post('/v1/tasks', { queue: 'a', type: 'x' })).status).to.equal(200);
    const stats = (await tenant.get('/v1/stats')).json as { queues?: { queue: string }[] };
    expect((stats.queues ?? []).map((q) => q.queue)).to.deep.equal(['a']);
    const worker = await anonymous.withToken(TOKENS.worker).get('/v1/stats');
    expect(worker.status).to.equal(403);
  });

  it('serves the dashboard page without a token: it asks for one, and every call it makes needs it', async () => {
    const page = await fetch(`${anonymous.base}/`);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('baton-config');
  });
});

describe('security: the HTTP/JSON API over mutual TLS', function () {
  this.timeout(60_000);
  const bed = useSecurityBed();

  it('needs a client certificate from the client CA for the API and the dashboard', async () => {
    const ca = await bed.ca({ clientNames: ['client'] });
    const coordinator = await startCoordinator(bed.group, { dataDir: join(bed.group.tempDir(), 'data'), args: tlsServerArgs(ca.server, ca.ca.cert) });
    const bare = await httpGet({ port: coordinator.httpPort, path: '/v1/stats', tls: { ca: ca.ca.cert } });
    expect(bare.status).to.equal(401);
    expect(JSON.parse(bare.body)).to.deep.equal({ error: { code: 401, status: 'UNAUTHENTICATED', message: 'a client certificate from the client CA is required' } });
    expect((await httpGet({ port: coordinator.httpPort, path: '/', tls: { ca: ca.ca.cert } })).status).to.equal(401);
    const certified = { ca: ca.ca.cert, cert: ca.clients.client!.cert, key: ca.clients.client!.key };
    expect((await httpGet({ port: coordinator.httpPort, path: '/v1/stats', tls: certified })).status).to.equal(200);
    expect((await httpGet({ port: coordinator.httpPort, path: '/', tls: certified })).status).to.equal(200);
  });
});

describe('security: what one HTTP client can make the coordinator hold', function () {
  this.timeout(60_000);
  const bed = useSecurityBed();
  let coordinator: CoordinatorHandle;
  let api: HttpApi;
  const sockets: Socket[] = [];

  before(async () => {
    coordinator = await startCoordinator(bed.group, { dataDir: join(bed.group.tempDir(), 'data'), args: ['--max-watches-per-connection', '2'] });
    api = new HttpApi(`http://127.0.0.1:${coordinator.httpPort}`);
  });

  after(() => {
    for (const socket of sockets) socket.destroy();
  });

  it('refuses a third stream from one address over the watch limit, and takes one again once a stream closes', async () => {
    const first = new AbortController();
    const second = new AbortController();
    const open = (controller: AbortController): Promise<Response> => fetch(`${api.base}/v1/stats:watch`, { signal: controller.signal });
    expect((await open(first)).status).to.equal(200);
    expect((await open(second)).status).to.equal(200);
    const third = await api.get('/v1/stats:watch');
    expect(third.status).to.equal(429);
    expect(apiError(third).message).to.match(/2 watches are open on this connection, the limit \(maxWatchesPerConnection\) is 2/);
    first.abort();
    // The slot comes back when the server sees the stream close: poll for it.
    const reopened = new AbortController();
    const status = await pollUntil(() => open(reopened).then((r) => r.status), (code) => code === 200, 'a stream slot freed by the closed one');
    expect(status).to.equal(200);
    reopened.abort();
    second.abort();
  });

  it(`holds at most ${DEFAULT_MAX_REQUESTS_PER_CLIENT} unfinished requests from one address: a slow sender cannot pile up more`, async () => {
    for (let i = 0; i < DEFAULT_MAX_REQUESTS_PER_CLIENT; i += 1) {
      const socket = connect(coordinator.httpPort, '127.0.0.1');
      sockets.push(socket);
      // Headers whole, body never: the request is in flight until the server's request timeout.
      socket.write('POST /v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
    }
    const refused = await pollUntil(() => api.get('/v1/stats'), (reply) => reply.status === 429, 'the request limit to refuse one more');
    expect(apiError(refused).message).to.equal(`${DEFAULT_MAX_REQUESTS_PER_CLIENT} requests from this address are in flight, the limit; wait for some to finish`);
    for (const socket of sockets.splice(0)) socket.destroy();
    await pollUntil(() => api.get('/v1/stats'), (reply) => reply.status === 200, 'the slots back once the slow senders went');
  });
});

/** Sends `request` as it is on a fresh connection; resolves with the status line's code and the body. */
function rawHttp(port: number, request: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
    socket.end(request);
  });
}

describe('security: the HTTP port against other sites\' pages and malformed requests', function () {
  this.timeout(60_000);
  const bed = useSecurityBed();
  let coordinator: CoordinatorHandle;
  let api: HttpApi;

  before(async () => {
    coordinator = await startCoordinator(bed.group, { dataDir: join(bed.group.tempDir(), 'data') });
    api = new HttpApi(`http://127.0.0.1:${coordinator.httpPort}`);
  });

  it('answers a request target that is not a path with 400, and stays up', async () => {
    for (const target of ['//[', '//a:b', 'http://[', '*']) {
      const reply = await rawHttp(coordinator.httpPort, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      expect(reply.status, target).to.equal(400);
    }
    expect((await api.get('/v1/stats')).status).to.equal(200);
  });

  it('answers a body that grows past the limit as it arrives with 413, and a body where none belongs with 400', async () => {
    const chunk = 'x'.repeat(3 * 1024 * 1024); // past maxPayloadBytes (1 MiB) + 1 MiB, sent chunked: no Content-Length to refuse early
    const big = await rawHttp(coordinator.httpPort, `POST /v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`);
    expect(big.status).to.equal(413);
    expect(big.text).to.include('is over the limit of');
    const body = '{"x": 1}';
    const withBody = await rawHttp(coordinator.httpPort, `DELETE /v1/schedules/nightly HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect(withBody.status).to.equal(400);
    expect(withBody.text).to.include('takes no body');
  });

  it('refuses a Host other than loopback while it listens on loopback (DNS rebinding)', async () => {
    const reply = await rawHttp(coordinator.httpPort, 'GET /v1/tasks HTTP/1.1\r\nHost: rebind.attacker.example:7071\r\nConnection: close\r\n\r\n');
    expect(reply.status).to.equal(403);
    expect(reply.text).to.include('a coordinator listening on loopback without tokens answers only to localhost, 127.0.0.1, [::1] and the names in --http-hosts');
    const localhost = await rawHttp(coordinator.httpPort, 'GET /v1/stats HTTP/1.1\r\nHost: localhost:7071\r\nConnection: close\r\n\r\n');
    expect(localhost.status).to.equal(200);
  });

  it('refuses changes a page of another site asks a browser to make (cross-site form posts, no-cors fetches)', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const fromElsewhere = await api.request('POST', '/v1/queues/default:pause', '', { ...form, origin: 'http://evil.example' });
    expect(fromElsewhere.status).to.equal(403);
    expect(apiError(fromElsewhere).message).to.equal(`a request from http://evil.example may not change anything on 127.0.0.1:${coordinator.httpPort} (cross-origin)`);
    const crossSite = await api.request('POST', '/v1/queues/default:pause', '', { 'sec-fetch-site': 'cross-site' });
    expect(apiError(crossSite).message).to.equal('a request from another site (Sec-Fetch-Site: cross-site) may not change anything');
    expect((await api.get('/v1/queues/default')).json).to.not.have.nested.property('queue.settings.paused');
    const sameOrigin = await api.request('POST', '/v1/queues/default:pause', undefined, { origin: api.base, 'sec-fetch-site': 'same-origin' });
    expect(sameOrigin.status).to.equal(200);
    await api.post('/v1/queues/default:resume');
  });

  it('keeps the request slots of an address for requests: open streams do not use them up', async () => {
    const streams = Array.from({ length: DEFAULT_MAX_REQUESTS_PER_CLIENT + 1 }, () => new AbortController());
    try {
      for (const stream of streams) expect((await fetch(`${api.base}/v1/stats:watch`, { signal: stream.signal })).status).to.equal(200);
      expect((await api.get('/v1/queues')).status).to.equal(200);
    } finally {
      for (const stream of streams) stream.abort();
    }
  });

  it('ends a stats stream with UNAVAILABLE, "watch again", when the coordinator shuts down', async () => {
    const events = api.events('/v1/stats:watch?interval=60s');
    await pollUntil(() => fetch(`${api.base}/metrics`).then((r) => r.text()), (text) => /^baton_watches_open 1$/m.test(text), 'the stream to open');
    await coordinator.process.stop(10_000);
    const { events: seen } = await events;
    expect(seen.at(-1)).to.deep.equal({ event: 'end', data: { error: { code: 503, status: 'UNAVAILABLE', message: 'the coordinator is shutting down; watch again' } } });
  });
});

/** Opens a connection, writes `request`, and resolves once `ready` accepts what came back so far; the caller closes it. */
function holdHttp(port: number, request: string, ready: (received: string) => boolean): Promise<{ socket: Socket; received: () => string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let settled = false;
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!settled && ready(text)) {
        settled = true;
        resolve({ socket, received: () => text });
      }
    });
    socket.on('error', (err) => {
      if (!settled) reject(err);
    });
    socket.write(request);
  });
}

describe('security: what a connection can leave behind, and reverse proxies', function () {
  this.timeout(60_000);
  const bed = useSecurityBed();
  let coordinator: CoordinatorHandle;
  let api: HttpApi;

  before(async () => {
    const tokens = writeTokensFile(bed.group.tempDir(), [{ name: 'ops', role: 'admin', token: TOKENS.admin }]);
    coordinator = await startCoordinator(bed.group, { dataDir: join(bed.group.tempDir(), 'data'), args: ['--tokens', tokens] });
    api = new HttpApi(`http://127.0.0.1:${coordinator.httpPort}`, TOKENS.admin);
  });

  const auth = `Authorization: Bearer ${TOKENS.admin}\r\n`;
  const watchesOpen = async (): Promise<number> => Number(/^baton_watches_open (\d+)$/m.exec((await api.get('/metrics')).text)?.[1] ?? -1);

  it('gives back the slots of requests pipelined behind a stream when their connection is reset', async () => {
    const idle = (await api.post('/v1/tasks', { queue: 'nobody-serves', type: 'x' })).json as { task: { id: string } };
    const request = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`;
    // Behind a stream that never ends: five watches of a task that does not change, then small
    // answers (`{}`: no workers), small enough that Node keeps parsing the pipeline.
    const pipeline = [request('/v1/stats:watch'), ...Array.from({ length: 5 }, () => request(`/v1/tasks/${idle.task.id}:watch`)), ...Array.from({ length: 32 }, () => request('/v1/workers'))];
    const held = await holdHttp(coordinator.httpPort, pipeline.join(''), (text) => text.includes('data: '));
    // One more answer queued behind at a time, until the address has no slot left.
    await pollUntil(
      async () => {
        held.socket.write(request('/v1/workers'));
        return (await api.get('/v1/stats')).status;
      },
      (status) => status === 429,
      'every slot of the address held',
    );
    expect(await watchesOpen()).to.equal(6, 'the stats stream, and the five task watches queued behind it');
    held.socket.resetAndDestroy();
    await pollUntil(() => api.get('/v1/stats').then((r) => r.status), (status) => status === 200, 'the slots back after the reset');
    expect(await pollUntil(watchesOpen, (open) => open === 0, 'no watch left open')).to.equal(0);
  });

  it('closes the connection of a refused request instead of reading the rest of its body', async () => {
    const held = await holdHttp(coordinator.httpPort, 'POST /v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{"type":', (text) => text.includes('\r\n\r\n'));
    expect(held.received()).to.match(/^HTTP\/1\.1 401/);
    expect(held.received().toLowerCase()).to.include('connection: close');
    held.socket.destroy();
  });

  it('answers Expect: 100-continue only once the headers pass: a body over the limit is refused before it is sent', async () => {
    const big = await holdHttp(coordinator.httpPort, `POST /v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nContent-Length: 99000000\r\nExpect: 100-continue\r\n\r\n`, (text) => text.includes('\r\n\r\n'));
    expect(big.received()).to.match(/^HTTP\/1\.1 413/);
    big.socket.destroy();
    const body = '{"type": "continued"}';
    const small = await holdHttp(coordinator.httpPort, `POST /v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`, (text) => text.startsWith('HTTP/1.1 100'));
    small.socket.write(body);
    await pollUntil(() => Promise.resolve(small.received()), (text) => /HTTP\/1\.1 200/.test(text), 'the task accepted after 100 Continue');
    small.socket.destroy();
  });

  it('with tokens, answers to any Host (behind a proxy that keeps it), and takes a same-origin page behind a proxy that rewrites it', async () => {
    const proxied = await rawHttp(coordinator.httpPort, `GET /v1/stats HTTP/1.1\r\nHost: baton.example.com\r\n${auth}Connection: close\r\n\r\n`);
    expect(proxied.status).to.equal(200);
    const page = await api.request('POST', '/v1/queues/default:pause', undefined, { origin: 'https://baton.example.com', 'sec-fetch-site': 'same-origin' });
    expect(page.status).to.equal(200);
    await api.post('/v1/queues/default:resume');
  });

  it('reads a label named payload as any other label, and refuses a string that is not text', async () => {
    const labelled = await api.post('/v1/tasks', { type: 'x', labels: { payload: 'kept' } });
    expect(labelled.status, labelled.text).to.equal(200);
    expect((labelled.json as { task: { labels: Record<string, string> } }).task.labels).to.deep.equal({ payload: 'kept' });
    const surrogate = await api.post('/v1/tasks', '{"type": "x", "idempotencyKey": "\\ud800"}');
    expect(surrogate.status).to.equal(400);
    expect(apiError(surrogate).message).to.match(/lone surrogate/);
  });
});

describe('security: --http-hosts names a reverse proxy\'s host on a loopback coordinator without tokens', function () {
  this.timeout(60_000);
  const bed = useSecurityBed();

  it('answers those names, refuses others on every path but the probes, /metrics included', async () => {
    const coordinator = await startCoordinator(bed.group, { dataDir: join(bed.group.tempDir(), 'data'), args: ['--http-hosts', 'Baton.Example.com'] });
    const get = (host: string, path: string) => rawHttp(coordinator.httpPort, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    expect((await get('baton.example.com', '/v1/stats')).status).to.equal(200);
    expect((await get('localhost.', '/v1/stats')).status).to.equal(200);
    expect((await get('app.localhost:7071', '/v1/stats')).status).to.equal(200);
    expect((await get('rebind.attacker.example', '/metrics')).status).to.equal(403);
    expect((await get('rebind.attacker.example', '/')).status).to.equal(403);
    expect((await get('rebind.attacker.example', '/healthz')).status).to.equal(200);
  });
});

describe('security: Authorization headers over HTTP are read as gRPC metadata is', function () {
  this.timeout(60_000);
  const bed = useSecurityBed();

  it('refuses two Authorization headers and values a token cannot hold, with 401', async () => {
    const tokens = writeTokensFile(bed.group.tempDir(), [
      { name: 'ops', role: 'admin', token: TOKENS.admin },
      { name: 'app', role: 'client', token: TOKENS.client },
    ]);
    const coordinator = await startCoordinator(bed.group, { dataDir: join(bed.group.tempDir(), 'data'), args: ['--tokens', tokens] });
    const two = await rawHttp(coordinator.httpPort, `GET /v1/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKENS.admin}\r\nAuthorization: Bearer ${TOKENS.client}\r\nConnection: close\r\n\r\n`);
    expect(two.status).to.equal(401);
    expect(two.text).to.include('expected exactly one');
    const tab = await rawHttp(coordinator.httpPort, `GET /v1/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer\t${TOKENS.admin}\r\nConnection: close\r\n\r\n`);
    expect(tab.status).to.equal(401);
    const one = await rawHttp(coordinator.httpPort, `GET /v1/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKENS.admin}\r\nConnection: close\r\n\r\n`);
    expect(one.status).to.equal(200);
  });
});

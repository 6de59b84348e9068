import { expect } from 'chai';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskState, type BatonClient, type Task } from '../../client/index';
import { startCoordinator, startWorker, spawnBaton, type BatonProcess, type CoordinatorHandle, type LogLine } from '../support/processes';
import {
  httpFailure,
  httpGet,
  reloadCredentials,
  rejection,
  tlsAddress,
  tlsServerArgs,
  useSecurityBed,
  writeTokensFile,
} from '../support/security-fixtures';
import type { TestCa } from '../support/test-ca';

/** No worker serves this queue: a task submitted there stays QUEUED. */
const IDLE_QUEUE = 'idle';

const PINO_WARN = 40;

/** Every snapshot a watch delivers until it ends by itself (the task reached a terminal state). */
async function drain(watch: AsyncIterator<Task>): Promise<Task[]> {
  const seen: Task[] = [];
  for (let next = await watch.next(); next.done !== true; next = await watch.next()) seen.push(next.value);
  return seen;
}

describe('security: TLS with a server certificate', function () {
  this.timeout(60_000);
  const bed = useSecurityBed();
  let ca: TestCa;
  let coordinator: CoordinatorHandle;
  let address: string;

  before(async () => {
    ca = await bed.ca();
    coordinator = await startCoordinator(bed.group, { dataDir: join(bed.group.tempDir(), 'data'), args: tlsServerArgs(ca.server) });
    address = tlsAddress(coordinator);
  });

  it('serves gRPC over TLS: a client trusting the CA has a task run by a worker that also trusts it', async () => {
    const listening = await coordinator.process.waitForLog((l) => l.msg === 'coordinator listening', 'listening');
    expect(listening.tls).to.equal('server');
    const client = bed.client({ address, tls: { ca: ca.ca.cert } });
    // First a plain call: it fails fast, with the transport's reason, if the handshake does.
    expect((await client.list({ queue: IDLE_QUEUE })).tasks).to.deep.equal([]);
    const worker = await startWorker(bed.group, address, { args: ['--tls-ca', ca.ca.cert, '--queue', 'tls-run'] });
    expect((await worker.waitForLog((l) => l.msg === 'worker starting', 'worker starting')).tls).to.equal('on');

    const { task } = await client.submit('noop', { n: 41 }, { queue: 'tls-run' });
    const done = await client.wait(task.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    const got = await client.get(task.id);
    expect(client.decodeResult(got)).to.deep.equal({ n: 41 });
  });

  it('refuses a plaintext client: UNAVAILABLE', async () => {
    const plaintext = bed.client({ address: coordinator.address });
    const err = await rejection(plaintext.list({ queue: IDLE_QUEUE }));
    expect(err.code).to.equal('UNAVAILABLE');
  });

  it('is refused by a client that trusts another CA: UNAVAILABLE, for the certificate', async () => {
    const stranger = bed.client({ address, tls: { ca: ca.otherCa.cert } });
    const err = await rejection(stranger.list({ queue: IDLE_QUEUE }));
    expect(err.code).to.equal('UNAVAILABLE');
    expect(err.message).to.match(/certificate/i);
  });

  it('serves /healthz and /metrics over HTTPS to a client trusting the CA, and nothing over plain HTTP', async () => {
    const health = await httpGet({ port: coordinator.httpPort, path: '/healthz', tls: { ca: ca.ca.cert } });
    expect(health.status).to.equal(200);
    expect(JSON.parse(health.body)).to.deep.equal({ status: 'ok' });
    // Without tokens or client certificates, /metrics is open (to whoever trusts the server).
    const metrics = await httpGet({ port: coordinator.httpPort, path: '/metrics', tls: { ca: ca.ca.cert } });
    expect(metrics.status).to.equal(200);

    const untrusted = await httpFailure({ port: coordinator.httpPort, path: '/healthz', tls: { ca: ca.otherCa.cert } });
    expect(untrusted.code).to.match(/CERT|SIGNATURE|SELF_SIGNED/);
    await httpFailure({ port: coordinator.httpPort, path: '/healthz' });
  });
});

describe('security: mutual TLS', function () {
  this.timeout(60_000);
  const bed = useSecurityBed();
  let ca: TestCa;
  let coordinator: CoordinatorHandle;
  let address: string;

  before(async () => {
    ca = await bed.ca({ clientNames: ['client', 'worker'] });
    coordinator = await startCoordinator(bed.group, { dataDir: join(bed.group.tempDir(), 'data'), args: tlsServerArgs(ca.server, ca.ca.cert) });
    address = tlsAddress(coordinator);
  });

  it('lets in a client and a worker with certificates from the CA: a task runs end to end', async () => {
    const listening = await coordinator.process.waitForLog((l) => l.msg === 'coordinator listening', 'listening');
    expect(listening.tls).to.equal('mutual');
    const client = bed.client({ address, tls: { ca: ca.ca.cert, cert: ca.clients.client!.cert, key: ca.clients.client!.key } });
    expect((await client.list({ queue: IDLE_QUEUE })).tasks).to.deep.equal([]);
    const worker = await startWorker(bed.group, address, {
      args: ['--tls-ca', ca.ca.cert, '--tls-cert', ca.clients.worker!.cert, '--tls-key', ca.clients.worker!.key, '--queue', 'mtls-run'],
    });
    expect((await worker.waitForLog((l) => l.msg === 'worker starting', 'worker starting')).tls).to.equal('mutual');

    const { task } = await client.submit('noop', { n: 7 }, { queue: 'mtls-run' });
    const done = await client.wait(task.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect(client.decodeResult(await client.get(task.id))).to.deep.equal({ n: 7 });
  });

  it('refuses a client without a certificate', async () => {
    const anonymous = bed.client({ address, tls: { ca: ca.ca.cert } });
    const err = await rejection(anonymous.list({ queue: IDLE_QUEUE }));
    expect(err.code).to.equal('UNAVAILABLE');
    expect(err.message).to.match(/certificate required/);
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const stranger = bed.client({ address, tls: { ca: ca.ca.cert, cert: ca.otherCa.client.cert, key: ca.otherCa.client.key } });
    const err = await rejection(stranger.list({ queue: IDLE_QUEUE }));
    expect(err.code).to.equal('UNAVAILABLE');
  });

  it('keeps /metrics from HTTPS clients without a certificate from the CA, and /healthz open to probes', async () => {
    const health = await httpGet({ port: coordinator.httpPort, path: '/healthz', tls: { ca: ca.ca.cert } });
    expect(health.status).to.equal(200);
    const bare = await httpGet({ port: coordinator.httpPort, path: '/metrics', tls: { ca: ca.ca.cert } });
    expect(bare.status).to.equal(401);
    expect(JSON.parse(bare.body)).to.deep.equal({ error: { code: 401, status: 'UNAUTHENTICATED', message: 'a client certificate from the client CA is required' } });
    const stranger = await httpGet({
      port: coordinator.httpPort,
      path: '/metrics',
      tls: { ca: ca.ca.cert, cert: ca.otherCa.client.cert, key: ca.otherCa.client.key },
    });
    expect(stranger.status).to.equal(401);

    const metrics = await httpGet({ port: coordinator.httpPort, path: '/metrics', tls: { ca: ca.ca.cert, cert: ca.clients.client!.cert, key: ca.clients.client!.key } });
    expect(metrics.status).to.equal(200);
    expect(metrics.body).to.match(/^# HELP /m);
  });
});

describe('security: certificates reload on SIGHUP', function () {
  this.timeout(90_000);
  const bed = useSecurityBed();
  /** The CA the coordinator starts with, and the unrelated one it moves to. */
  let caA: TestCa;
  let caB: TestCa;
  let live: { cert: string; key: string };
  let coordinator: CoordinatorHandle;
  let address: string;
  let worker: BatonProcess;
  /** Connected (and its connection open) before any reload. */
  let clientA: BatonClient;

  before(async () => {
    [caA, caB] = await Promise.all([bed.ca(), bed.ca()]);
    const dir = bed.group.tempDir();
    live = { cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
    copyFileSync(caA.server.cert, live.cert);
    copyFileSync(caA.server.key, live.key);
    coordinator = await startCoordinator(bed.group, { dataDir: join(bed.group.tempDir(), 'data'), args: tlsServerArgs(live) });
    address = tlsAddress(coordinator);
    clientA = bed.client({ address, tls: { ca: caA.ca.cert } });
    // Fails fast, with the transport's reason, if the handshake does.
    await clientA.list({ queue: IDLE_QUEUE });
    // One slot: a hanging task holds it, so the next task waits in the queue until we free it.
    worker = await startWorker(bed.group, address, { concurrency: 1, args: ['--tls-ca', caA.ca.cert, '--worker-id', 'before-reload'] });
  });

  it('gives new connections the new certificate, and keeps the connected worker and an open watch', async () => {
    const blocker = (await clientA.submit('hang', {})).task;
    for await (const update of clientA.watch(blocker.id)) if (update.state === TaskState.TASK_STATE_RUNNING) break;
    const watched = (await clientA.submit('noop', { n: 2 })).task;
    const watch = clientA.watch(watched.id)[Symbol.asyncIterator]();
    const first = await watch.next();
    expect(first.done !== true && first.value.state, 'the watch is open before the reload').to.equal(TaskState.TASK_STATE_QUEUED);

    copyFileSync(caB.server.cert, live.cert);
    copyFileSync(caB.server.key, live.key);
    const reloaded = await reloadCredentials(coordinator.process, 'reloaded');
    expect(reloaded.tls).to.equal(true);

    const clientB = bed.client({ address, tls: { ca: caB.ca.cert } });
    expect((await clientB.list({ queue: IDLE_QUEUE })).tasks).to.deep.equal([]);
    const stale = bed.client({ address, tls: { ca: caA.ca.cert } });
    expect((await rejection(stale.list({ queue: IDLE_QUEUE }))).code, 'a new connection trusting only the old CA').to.equal('UNAVAILABLE');

    // Freeing the slot lets the worker connected before the reload run the watched task.
    await clientB.cancel(blocker.id);
    const rest = await drain(watch);
    const last = rest[rest.length - 1];
    expect(last?.state, 'the watch opened before the reload sees the end').to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect((await clientB.get(watched.id)).attempts[0]?.workerId).to.equal('before-reload');

    const { task } = await clientB.submit('noop', { n: 3 });
    const done = await clientB.wait(task.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect(done.attempts[0]?.workerId).to.equal('before-reload');
    // The worker trusts only the old CA: had its stream been dropped, it could not have come back.
    expect(worker.lines.filter((l) => l.msg === 'connected to the coordinator')).to.have.length(1);
    expect(worker.lines.filter((l) => l.msg === 'disconnected from the coordinator; reconnecting')).to.deep.equal([]);

    // HTTPS moved too.
    expect((await httpGet({ port: coordinator.httpPort, path: '/healthz', tls: { ca: caB.ca.cert } })).status).to.equal(200);
    await httpFailure({ port: coordinator.httpPort, path: '/healthz', tls: { ca: caA.ca.cert } });
  });

  it('keeps the certificate in use when the new file is garbage, and says so', async () => {
    writeFileSync(live.cert, 'this is not a certificate\n');
    const failed = await reloadCredentials(coordinator.process, 'failed');
    expect(failed.level).to.equal(50);
    expect(String(failed.err_message)).to.include(live.cert);

    const fresh = bed.client({ address, tls: { ca: caB.ca.cert } });
    expect((await fresh.list({ queue: IDLE_QUEUE })).tasks).to.deep.equal([]);
    expect((await httpGet({ port: coordinator.httpPort, path: '/healthz', tls: { ca: caB.ca.cert } })).status).to.equal(200);

    // A key that does not belong to the certificate is refused the same way.
    copyFileSync(caB.server.cert, live.cert);
    copyFileSync(caA.server.key, live.key);
    await reloadCredentials(coordinator.process, 'failed');
    const again = bed.client({ address, tls: { ca: caB.ca.cert } });
    expect((await again.list({ queue: IDLE_QUEUE })).tasks).to.deep.equal([]);
  });
});

describe('security: the warning for an exposed coordinator', function () {
  this.timeout(60_000);
  const bed = useSecurityBed();
  let ca: TestCa;
  let tokensFile: string;

  before(async () => {
    ca = await bed.ca();
    tokensFile = writeTokensFile(bed.group.tempDir(), [{ role: 'admin', token: 'exposure-admin-token-0123' }]);
  });

  const insecureLines = (proc: BatonProcess): LogLine[] => proc.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('INSECURE:'));

  /** Starts a coordinator with `args` after the loopback defaults of startCoordinator, and stops it again. */
  async function linesOf(args: string[]): Promise<LogLine[]> {
    const coordinator = await startCoordinator(bed.group, { dataDir: join(bed.group.tempDir(), 'data'), args });
    await coordinator.process.stop();
    return insecureLines(coordinator.process);
  }

  it('warns when listening beyond loopback with neither TLS nor tokens', async () => {
    const lines = await linesOf(['--listen', '0.0.0.0:0']);
    expect(lines).to.have.length(1);
    expect(lines[0]!.level).to.equal(PINO_WARN);
    expect(lines[0]!.msg).to.match(/^INSECURE: listening on 0\.0\.0\.0:0, beyond loopback, without TLS .* or tokens/);
  });

  it('warns about what is missing when only one of TLS and tokens is on', async () => {
    const tlsOnly = await linesOf(['--listen', '0.0.0.0:0', ...tlsServerArgs(ca.server)]);
    expect(tlsOnly.map((l) => [l.level, l.msg])).to.have.length(1);
    expect(tlsOnly[0]!.msg).to.match(/without tokens \(--tokens\)\./);
    const tokensOnly = await linesOf(['--listen', '0.0.0.0:0', '--tokens', tokensFile]);
    expect(tokensOnly).to.have.length(1);
    expect(tokensOnly[0]!.msg).to.match(/without TLS \(--tls-cert, --tls-key\)\./);
  });

  it('warns for an HTTP port beyond loopback too', async () => {
    const lines = await linesOf(['--http', '0.0.0.0:0']);
    expect(lines).to.have.length(1);
    expect(lines[0]!.msg).to.match(/^INSECURE: listening on 0\.0\.0\.0:0, beyond loopback/);
  });

  it('does not warn with both TLS and tokens on', async () => {
    expect(await linesOf(['--listen', '0.0.0.0:0', '--http', '0.0.0.0:0', ...tlsServerArgs(ca.server), '--tokens', tokensFile])).to.deep.equal([]);
  });

  it('does not warn on the default (loopback) addresses', async () => {
    // No --listen or --http: the defaults. Another process may hold the default ports; the
    // warning comes before binding, so a refusal to bind still shows what was decided.
    const proc = bed.group.add(spawnBaton(['coordinator', '--data', join(bed.group.tempDir(), 'data')], 'coordinator'));
    const outcome = await proc.waitForLog(
      (l) => l.msg === 'coordinator listening' || l.msg === 'coordinator failed to start',
      'listening or failing',
    );
    if (outcome.msg === 'coordinator listening') expect(outcome).to.include({ grpc: '127.0.0.1:7070', http_port: 7071 });
    else expect(JSON.stringify(outcome)).to.match(/127\.0\.0\.1:707[01]/);
    await proc.stop();
    expect(insecureLines(proc)).to.deep.equal([]);
  });
});

import { expect } from 'chai';
import { connect, type ClientHttp2Stream } from 'node:http2';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BatonClient, BatonError } from '../../client/index';
import type { StatsJson } from '../../client/cli/stats-format';
import { parsePromText, series, seriesOf } from '../support/prom-text';
import { spawnBaton, startCoordinator, startWorker, type BatonProcess, type CoordinatorHandle } from '../support/processes';
import { httpGet, useSecurityBed, writeTokensFile } from '../support/security-fixtures';
import { useTestProcesses } from '../support/test-processes';

const WORKER_ID = 'stats-worker';
const CONCURRENCY = 4;
/** Queue `a` gets this many tasks, all of which succeed. */
const A_TASKS = 10;
/** Queue `b` gets this many tasks that fail permanently, plus one delayed by an hour. */
const B_DEAD = 3;
/** Refused for being over --max-queued-tasks-per-queue. */
const PER_QUEUE_LIMIT = 20;

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `baton ARGS` and collects its output; `onStdout` sees the output so far after each chunk. */
function runBaton(proc: BatonProcess, onStdout: (soFar: string) => void = () => undefined): Promise<CliResult> {
  const chunks: Buffer[] = [];
  proc.child.stdout!.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    onStdout(Buffer.concat(chunks).toString());
  });
  return new Promise((resolve) => {
    proc.child.once('close', (code) => resolve({ code, stdout: Buffer.concat(chunks).toString(), stderr: proc.stderrText.join('') }));
  });
}

async function refusedWith(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(err).to.be.instanceOf(BatonError);
  expect((err as BatonError).code).to.equal(code);
}

describe('metrics, readiness and stats after a known workload', function () {
  this.timeout(60_000);
  const processes = useTestProcesses();
  const { group } = processes;
  let coordinator: CoordinatorHandle;
  let client: BatonClient;

  before(async () => {
    coordinator = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data'), args: ['--max-queued-tasks-per-queue', String(PER_QUEUE_LIMIT)] });
    await startWorker(group, coordinator.address, { concurrency: CONCURRENCY, args: ['--queue', 'a', '--queue', 'b', '--worker-id', WORKER_ID] });
    client = processes.client(coordinator.address);

    const a = await client.submitMany(Array.from({ length: A_TASKS }, (_, n) => ({ type: 'noop', payload: { n }, options: { queue: 'a' } })));
    const b = await client.submitMany(Array.from({ length: B_DEAD }, () => ({ type: 'rejectInput', payload: {}, options: { queue: 'b' } })));
    await client.submit('noop', {}, { queue: 'b', delay: '1h' });
    const { task: idle } = await client.submit('noop', {}, { queue: 'idle' }); // no worker serves it
    await client.cancel(idle.id);
    for (const { task } of [...a, ...b]) await client.wait(task.id, { timeoutMs: 30_000 });

    await refusedWith(client.submit('', {}), 'INVALID_ARGUMENT'); // 1 task
    await refusedWith(client.submitMany([...Array.from({ length: 4 }, () => ({ type: 'noop' })), { type: '' }]), 'INVALID_ARGUMENT'); // 5 tasks
    await refusedWith(client.submitMany(Array.from({ length: PER_QUEUE_LIMIT + 1 }, () => ({ type: 'noop', options: { queue: 'crowded' } }))), 'RESOURCE_EXHAUSTED');
  });

  async function scrape(): Promise<Map<string, number>> {
    const reply = await httpGet({ port: coordinator.httpPort, path: '/metrics' });
    expect(reply.status).to.equal(200);
    return parsePromText(reply.body);
  }

  it('/metrics equals the workload: submitted, finished by state, depth by state (0 for a drained queue), slots, refusals, store rows', async () => {
    const samples = await scrape();
    const expected: Array<[string, Record<string, string>, number]> = [
      ['baton_tasks_submitted_total', { queue: 'a' }, A_TASKS],
      ['baton_tasks_submitted_total', { queue: 'b' }, B_DEAD + 1],
      ['baton_tasks_submitted_total', { queue: 'idle' }, 1],
      ['baton_tasks_finished_total', { queue: 'a', state: 'succeeded' }, A_TASKS],
      ['baton_tasks_finished_total', { queue: 'b', state: 'dead' }, B_DEAD],
      ['baton_tasks_finished_total', { queue: 'idle', state: 'canceled' }, 1],
      ['baton_attempts_total', { queue: 'a', outcome: 'succeeded' }, A_TASKS],
      ['baton_attempts_total', { queue: 'b', outcome: 'failed' }, B_DEAD],
      ['baton_workers_connected', {}, 1],
      ['baton_workers_slots', {}, CONCURRENCY],
      ['baton_workers_slots_in_use', {}, 0],
      ['baton_leases_active', {}, 0],
      ['baton_tasks_delayed', {}, 1],
      ['baton_submissions_rejected_total', { reason: 'invalid_argument' }, 1 + 5],
      ['baton_submissions_rejected_total', { reason: 'queue_full' }, PER_QUEUE_LIMIT + 1],
    ];
    for (const [name, labels, value] of expected) expect(samples.get(series(name, labels)), series(name, labels)).to.equal(value);

    const depth = (queue: string): Record<string, number | undefined> =>
      Object.fromEntries(['scheduled', 'queued', 'running'].map((state) => [state, samples.get(series('baton_queue_depth', { queue, state }))]));
    expect(depth('a')).to.deep.equal({ scheduled: 0, queued: 0, running: 0 });
    expect(depth('b')).to.deep.equal({ scheduled: 1, queued: 0, running: 0 });
    expect(depth('idle')).to.deep.equal({ scheduled: 0, queued: 0, running: 0 });
    expect(seriesOf(samples, 'baton_queue_depth').size).to.equal(9, 'three states of a, b and idle; nothing for the refused queue');
    for (const queue of ['a', 'b', 'idle']) expect(samples.get(series('baton_queue_oldest_ready_age_seconds', { queue }))).to.equal(0);
    expect(samples.has('baton_queue_ready')).to.equal(false);

    const otherRefusals = [...seriesOf(samples, 'baton_submissions_rejected_total')].filter(([key]) => !/invalid_argument|queue_full/.test(key));
    expect(otherRefusals.map(([, value]) => value)).to.deep.equal([0, 0, 0, 0, 0, 0]);

    // Rows: per task that ran, its insert, the lease (task + attempt) and the result (task +
    // attempt); the delayed task's insert; the canceled task's insert and cancel.
    expect(samples.get('baton_store_commit_batch_size_sum')).to.equal((A_TASKS + B_DEAD) * 5 + 1 + 2);
    const commits = samples.get('baton_store_commit_batch_size_count');
    expect(commits).to.be.greaterThan(0);
    expect(samples.get('baton_store_commit_duration_seconds_count')).to.equal(commits);
  });

  it('answers /readyz and /healthz 200 while serving', async () => {
    const ready = await httpGet({ port: coordinator.httpPort, path: '/readyz' });
    expect([ready.status, JSON.parse(ready.body)]).to.deep.equal([200, { status: 'ready' }]);
    const health = await httpGet({ port: coordinator.httpPort, path: '/healthz' });
    expect(health.status).to.equal(200);
  });

  it('baton stats --json shows the same counts, the last minute\'s rates and the worker', async () => {
    const result = await runBaton(group.add(spawnBaton(['stats', '--json', '--coordinator', coordinator.address], 'baton stats --json')));
    expect(result).to.deep.include({ code: 0, stderr: '' });
    const stats = JSON.parse(result.stdout) as StatsJson;
    const none = { scheduled: 0, queued: 0, running: 0, succeeded: 0, dead: 0, canceled: 0, oldestReadyAgeMs: 0, paused: false, deadPerSecond: 0 };
    expect(stats.queues).to.deep.equal([
      { ...none, queue: 'a', succeeded: A_TASKS, submittedPerSecond: A_TASKS / 60, completedPerSecond: A_TASKS / 60 },
      { ...none, queue: 'b', scheduled: 1, dead: B_DEAD, submittedPerSecond: (B_DEAD + 1) / 60, completedPerSecond: B_DEAD / 60, deadPerSecond: B_DEAD / 60 },
      { ...none, queue: 'idle', canceled: 1, submittedPerSecond: 1 / 60, completedPerSecond: 1 / 60 },
    ]);
    expect(stats.workers).to.have.length(1);
    const [worker] = stats.workers;
    expect(worker).to.deep.include({ workerId: WORKER_ID, hostname: hostname(), principal: 'anonymous', queues: ['a', 'b'], slotsInUse: 0, slotsTotal: CONCURRENCY, draining: false });
    const takenAt = Date.parse(stats.takenAt ?? '');
    expect(Date.parse(worker!.connectedSince ?? '')).to.be.at.most(Date.parse(worker!.lastHeartbeat ?? ''));
    expect(Date.parse(worker!.lastHeartbeat ?? '')).to.be.at.most(takenAt);
    expect(stats.omittedQueues).to.equal(0);
  });

  it('baton stats shows people the queues and workers tables', async () => {
    const result = await runBaton(group.add(spawnBaton(['stats', '--coordinator', coordinator.address], 'baton stats')));
    expect(result).to.deep.include({ code: 0, stderr: '' });
    expect(result.stdout).to.match(/^QUEUE +SCHEDULED +QUEUED +RUNNING +SUCCEEDED +DEAD +CANCELED +SUBMIT\/S +DONE\/S +OLDEST READY$/m);
    expect(result.stdout).to.match(/^a +0 +0 +0 +10 +0 +0 +0\.17 +0\.17 +-$/m);
    expect(result.stdout).to.match(/^b +1 +0 +0 +0 +3 +0 +0\.07 +0\.05 +-$/m);
    expect(result.stdout).to.match(/^idle +0 +0 +0 +0 +0 +1 +0\.02 +0\.02 +-$/m);
    expect(result.stdout).to.match(new RegExp(`^${WORKER_ID} +${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +a,b +0/${CONCURRENCY} +\\S+ ago +\\S+ ago +anonymous$`, 'm'));
  });

  it('baton stats --watch prints snapshot after snapshot, a blank line between, and stops cleanly on SIGINT', async () => {
    const proc = group.add(spawnBaton(['stats', '--watch', '200ms', '--coordinator', coordinator.address], 'baton stats --watch'));
    const result = await runBaton(proc, (soFar) => {
      if ((soFar.match(/^QUEUE /gm) ?? []).length >= 2) proc.signal('SIGINT');
    });
    expect(result).to.deep.include({ code: 0, stderr: '' });
    expect(result.stdout).to.contain('anonymous\n\nQUEUE '); // the workers table, a blank line, the next snapshot
    expect(result.stdout.startsWith('QUEUE ')).to.equal(true);
  });

  it('baton stats --watch stops cleanly when its reader goes away', async () => {
    const proc = group.add(spawnBaton(['stats', '--watch', '100ms', '--json', '--coordinator', coordinator.address], 'baton stats --watch | head -1'));
    proc.child.stdout!.once('data', () => proc.child.stdout!.destroy());
    const { code } = await proc.exited;
    expect(code).to.equal(0);
  });
});

describe('GetStats and tokens', function () {
  this.timeout(60_000);
  const bed = useSecurityBed();
  const TOKENS = { admin: 'admin-token-0123456789abcdef', worker: 'worker-token-0123456789abcdef', clientA: 'client-a-token-0123456789abc' };
  let coordinator: CoordinatorHandle;

  before(async () => {
    const dir = bed.group.tempDir();
    const tokens = writeTokensFile(dir, [
      { name: 'admin', role: 'admin', token: TOKENS.admin },
      { name: 'worker', role: 'worker', token: TOKENS.worker },
      { name: 'client-a', role: 'client', token: TOKENS.clientA, queues: ['a'] },
    ]);
    coordinator = await startCoordinator(bed.group, { dataDir: join(dir, 'data'), args: ['--tokens', tokens] });
    await startWorker(bed.group, coordinator.address, { args: ['--queue', 'a', '--queue', 'secret', '--worker-id', 'shared-worker', '--token', TOKENS.worker] });
    const admin = bed.client({ address: coordinator.address, token: TOKENS.admin });
    await admin.submit('noop', {}, { queue: 'elsewhere' });
    await admin.submit('noop', {}, { queue: 'secret', delay: '1h' });
    await admin.submit('noop', {}, { queue: 'a', delay: '1h' });
  });

  it('shows a token limited to queues only its queues, and its workers without the other queues', async () => {
    const limited = await bed.client({ address: coordinator.address, token: TOKENS.clientA }).stats();
    expect(limited.queues.map((queue) => [queue.queue, queue.scheduled])).to.deep.equal([['a', 1]]);
    expect(limited.workers.map((worker) => [worker.workerId, worker.queues, worker.principal])).to.deep.equal([['shared-worker', ['a'], 'token:worker']]);
    const all = await bed.client({ address: coordinator.address, token: TOKENS.admin }).stats();
    expect(all.queues.map((queue) => queue.queue)).to.deep.equal(['a', 'elsewhere', 'secret']);
    expect(all.queues.find((queue) => queue.queue === 'elsewhere')?.queued).to.equal(1);
    expect(all.workers[0]?.queues).to.deep.equal(['a', 'secret']);
  });

  it('refuses a worker token', async () => {
    const err = await bed.client({ address: coordinator.address, token: TOKENS.worker }).stats().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(BatonError);
    expect(err).to.include({ code: 'PERMISSION_DENIED', message: 'GetStats needs the client role; this credential has the worker role' });
  });

  it('keeps /readyz and /healthz open to probes without a token', async () => {
    expect((await httpGet({ port: coordinator.httpPort, path: '/readyz' })).status).to.equal(200);
    expect((await httpGet({ port: coordinator.httpPort, path: '/healthz' })).status).to.equal(200);
  });
});

describe('readiness during shutdown', function () {
  this.timeout(60_000);
  const processes = useTestProcesses();

  it('answers /readyz 503 "draining" from the start of a shutdown until its HTTP port closes', async () => {
    const coordinator = await startCoordinator(processes.group, { dataDir: join(processes.group.tempDir(), 'data'), args: ['--shutdown-grace', '50s'] });
    // A call whose request never ends holds the gRPC server's graceful shutdown, and with it
    // the HTTP endpoint, open: the coordinator stays in the middle of draining until it ends.
    const session = connect(`http://127.0.0.1:${coordinator.port}`);
    session.on('error', () => undefined);
    const held: ClientHttp2Stream = session.request({ ':method': 'POST', ':path': '/baton.v1.TaskQueue/GetStats', 'content-type': 'application/grpc', te: 'trailers' });
    held.on('error', () => undefined);
    await new Promise<void>((resolve) => held.once('ready', () => resolve()));
    // The server handles frames in order: once it answers a PING sent after the request's
    // HEADERS, the call is registered, and the shutdown must wait for it (under load the
    // SIGTERM could otherwise overtake the HEADERS, and the shutdown find nothing to wait for).
    await new Promise<void>((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));
    try {
      coordinator.process.signal('SIGTERM');
      await coordinator.process.waitForLog((line) => line.msg === 'coordinator shutting down', 'shutting down');
      const ready = await httpGet({ port: coordinator.httpPort, path: '/readyz' });
      expect([ready.status, JSON.parse(ready.body)]).to.deep.equal([503, { status: 'draining' }]);
      expect((await httpGet({ port: coordinator.httpPort, path: '/healthz' })).status).to.equal(200);
    } finally {
      held.close();
      session.close();
    }
    expect((await coordinator.process.exited).code).to.equal(0);
  });
});


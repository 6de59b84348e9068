import { expect } from 'chai';
import { credentials, status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskQueueClient, SubmitTaskRequest, type WatchTaskResponse } from '../../shared/gen/baton/v1/task_queue';
import { WorkerServiceClient } from '../../shared/gen/baton/v1/worker_service';
import { type BatonClient } from '../../client/index';
import { metric } from '../support/chaos';
import { startCoordinator, type CoordinatorHandle } from '../support/processes';
import { hello, openStream } from '../support/raw-worker-stream';
import { useTestProcesses } from '../support/test-processes';
import { RawGrpcClient } from '../support/raw-grpc-client';


function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1]) * 1024;
}

function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** A SubmitTaskRequest whose idempotency key is the given raw bytes, valid UTF-8 or not. */
function submissionWithKeyBytes(key: Uint8Array): Buffer {
  const writer = new BinaryWriter();
  SubmitTaskRequest.encode({ ...SubmitTaskRequest.fromPartial({ type: 'noop', queue: 'utf8' }) }, writer);
  writer.uint32((11 << 3) | 2).bytes(key); // field 11, idempotency_key, length-delimited
  return Buffer.from(writer.finish());
}

/**
 * Each case here was an attack on the coordinator before it had limits: memory that grew on
 * request, answers amplified beyond what was asked, series that never went away, bytes that
 * decoded into something else, streams held open forever.
 */
describe('security: hostile input and bounded memory', function () {
  this.timeout(120_000);
  const { group, client: clientFor } = useTestProcesses();
  let coordinator: CoordinatorHandle;
  let client: BatonClient;
  let raw: RawGrpcClient;

  before(async () => {
    coordinator = await startCoordinator(group, {
      dataDir: join(group.tempDir(), 'data'),
      args: ['--hello-timeout', '300ms', '--max-queued-tasks-per-queue', '50', '--max-payload-bytes', String(2 * 1024 * 1024)],
    });
    client = clientFor(coordinator.address);
    raw = new RawGrpcClient(coordinator.address);
  });

  after(() => raw.close());

  it('answers undecodable bytes with INVALID_ARGUMENT, on unary calls and on the worker stream', async () => {
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    const unary = await raw.unary('SubmitTask', garbage, 5000);
    expect(unary.code).to.equal(status.INVALID_ARGUMENT);
    expect(unary.details).to.match(/^SubmitTask: the message cannot be decoded/);
    const stream = raw.bidi('Connect');
    stream.write(garbage);
    const ended = await stream.ended;
    expect(ended.code).to.equal(status.INVALID_ARGUMENT);
    expect(ended.details).to.match(/^ConnectRequest: the message cannot be decoded/);
  });

  it('refuses invalid UTF-8 instead of letting two different keys decode to the same one', async () => {
    for (const key of [Uint8Array.of(0x6b, 0xff), Uint8Array.of(0x6b, 0xfe)]) {
      const outcome = await raw.unary('SubmitTask', submissionWithKeyBytes(key), 5000);
      expect(outcome.code).to.equal(status.INVALID_ARGUMENT);
      expect(outcome.details).to.match(/a string field holds invalid UTF-8/);
    }
    expect((await client.list({ queue: 'utf8' })).tasks).to.deep.equal([]);
    const fine = await raw.unary('SubmitTask', submissionWithKeyBytes(new TextEncoder().encode('k\u00e9')), 5000);
    expect(fine.code).to.equal(status.OK);
  });

  it('gives run_at the horizon of delay: a year', async () => {
    const far = new Date(Date.now() + 100 * 365 * 24 * 3_600_000);
    const err = await client.submit('noop', {}, { runAt: far }).catch((e: unknown) => e);
    expect(err).to.have.property('code', 'INVALID_ARGUMENT');
    expect((err as Error).message).to.equal('run_at: more than the limit of 365 days ahead');
  });

  it('closes a worker stream that never says hello, and counts it while it waits', async () => {
    const stream = openStream(new WorkerServiceClient(coordinator.address, credentials.createInsecure()));
    const err = await stream.ended;
    expect(err?.code).to.equal(status.DEADLINE_EXCEEDED);
    expect(err?.details).to.equal('no hello within 300ms of opening the stream');
    expect(await metric(coordinator.httpPort, 'baton_worker_streams_awaiting_hello')).to.equal(0);
  });

  it('answers a heartbeat of made-up leases with one Cancel, and refuses a list longer than the limit', async () => {
    const { stream, next, ended } = openStream(new WorkerServiceClient(coordinator.address, credentials.createInsecure()));
    stream.write({ message: { $case: 'hello', value: hello({ workerId: 'amplifier', queues: ['nothing-here'], concurrency: 1 }) } });
    expect((await next()).message?.$case).to.equal('welcome');
    const madeUp = Array.from({ length: 60 }, (_, i) => uuid(i));
    stream.write({ message: { $case: 'heartbeat', value: { leaseIds: madeUp, leasesReceived: 0 } } });
    const cancel = await next();
    expect(cancel.message?.$case === 'cancel' && cancel.message.value.leaseIds).to.deep.equal(madeUp);

    stream.write({ message: { $case: 'heartbeat', value: { leaseIds: Array.from({ length: 50_000 }, (_, i) => uuid(i)), leasesReceived: 0 } } });
    const err = await ended;
    expect(err?.code).to.equal(status.RESOURCE_EXHAUSTED);
    expect(err?.details).to.equal('heartbeat.lease_ids: 50000 entries is over the limit of 66 (2 × concurrency + 64)');
    // Only the one Cancel for the 60: nothing was sent for the 50,000.
    expect((await Promise.race([next(), new Promise((resolve) => setImmediate(() => resolve('nothing')))]))).to.equal('nothing');
  });

  it('bounds queues and their metric series: a limit on distinct queues, series gone once a queue is empty and idle', async () => {
    const bounded = await startCoordinator(group, { dataDir: join(group.tempDir(), 'queues'), args: ['--max-queues', '20', '--metrics-queue-idle', '0'] });
    const client = clientFor(bounded.address);
    const seriesOf = async (prefix: string): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${bounded.httpPort}/metrics`)).text();
      return text.split('\n').filter((line) => line.includes(`queue="${prefix}`)).length;
    };
    const queues = Array.from({ length: 20 }, (_, i) => `tenant-${i}`);
    const ids = [];
    for (const queue of queues) ids.push((await client.submit('noop', {}, { queue })).task.id);
    const refused = await client.submit('noop', {}, { queue: 'one-too-many' }).catch((e: unknown) => e);
    expect(refused).to.have.property('code', 'RESOURCE_EXHAUSTED');
    expect((refused as Error).message).to.match(/20 queues have unfinished tasks; 1 new one\(s\) would pass the limit \(maxQueues\) of 20/);
    expect(await seriesOf('tenant-')).to.be.greaterThan(0);

    for (const id of ids) await client.cancel(id);
    expect(await seriesOf('tenant-')).to.equal(0);
    await client.submit('noop', {}, { queue: 'one-too-many' }); // room again
  });

  it('bounds the unfinished tasks of one queue', async () => {
    await client.submitMany(Array.from({ length: 50 }, () => ({ type: 'noop', options: { queue: 'full' } })));
    const err = await client.submit('noop', {}, { queue: 'full' }).catch((e: unknown) => e);
    expect(err).to.have.property('code', 'RESOURCE_EXHAUSTED');
    expect((err as Error).message).to.equal('queue full has 50 unfinished tasks; 1 more would pass the limit (maxQueuedTasksPerQueue) of 50');
  });

  it('keeps 600 watches of a 1 MiB task by clients that do not read from growing memory by their payloads', async () => {
    const { task } = await client.submit('noop', Buffer.alloc(1024 * 1024, 7), { queue: 'big-watched' });
    const before = rssBytes(coordinator.process.pid);
    const stubborn = Array.from({ length: 3 }, () => new TaskQueueClient(coordinator.address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
    const calls: Array<ClientReadableStream<WatchTaskResponse>> = [];
    try {
      for (const watcher of stubborn) {
        for (let i = 0; i < 200; i += 1) {
          const call = watcher.watchTask({ id: task.id });
          call.on('error', () => undefined);
          call.pause(); // reads nothing
          calls.push(call);
        }
      }
      await until(async () => (await metric(coordinator.httpPort, 'baton_watches_open')) === 600, 'all 600 watches open');
      const grown = rssBytes(coordinator.process.pid) - before;
      // Each watch used to hold a full copy of the task (~820 MB for 600); now an update is a few hundred bytes.
      expect(grown, `RSS grew by ${Math.round(grown / 1e6)} MB`).to.be.below(150 * 1024 * 1024);
    } finally {
      for (const call of calls) call.cancel();
      for (const watcher of stubborn) watcher.close();
    }
  });

  it('refuses a watch past the per-connection limit, naming it', async () => {
    const tight = await startCoordinator(group, { dataDir: join(group.tempDir(), 'tight'), args: ['--max-watches-per-connection', '2'] });
    const own = clientFor(tight.address);
    const { task } = await own.submit('noop', {}, { queue: 'idle' });
    const direct = new TaskQueueClient(tight.address, credentials.createInsecure());
    try {
      const open = [direct.watchTask({ id: task.id }), direct.watchTask({ id: task.id })];
      for (const call of open) call.on('error', () => undefined);
      await until(async () => (await metric(tight.httpPort, 'baton_watches_open')) === 2, 'two watches open');
      const third = direct.watchTask({ id: task.id });
      const err = await new Promise<ServiceError>((resolve) => third.on('error', resolve));
      expect(err.code).to.equal(status.RESOURCE_EXHAUSTED);
      expect(err.details).to.equal('2 watches are open on this connection, the limit (maxWatchesPerConnection) is 2');
      for (const call of open) call.cancel();
    } finally {
      direct.close();
    }
  });
});

/** Polls `done` until it holds: for conditions only visible from outside the process (RSS, metrics). */
async function until(done: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

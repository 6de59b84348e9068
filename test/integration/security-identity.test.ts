import { expect } from 'chai';
import { credentials, status } from '@grpc/grpc-js';
import { join } from 'node:path';
import { WorkerServiceClient, type ConnectResponse } from '../../shared/gen/baton/v1/worker_service';
import { TaskState, type BatonClient } from '../../client/index';
import { FAST_FAILURE_ARGS } from '../support/chaos';
import { startCoordinator, startWorker, type BatonProcess, type CoordinatorHandle } from '../support/processes';
import { hello, openStream } from '../support/raw-worker-stream';
import { useTestProcesses } from '../support/test-processes';


function forgedSuccess(leaseId: string): { message: { $case: 'results'; value: { results: [{ leaseId: string; outcome: { $case: 'success'; value: { result: Buffer; contentType: string } } }] } } } {
  return { message: { $case: 'results', value: { results: [{ leaseId, outcome: { $case: 'success', value: { result: Buffer.from('"forged"'), contentType: '' } } }] } } };
}

/**
 * A worker's identity and its leases belong to the process that holds its credential and
 * resume secret: what GetTask shows (worker id, lease id) is not enough to take them over.
 */
describe('security: worker identity cannot be taken over', function () {
  this.timeout(60_000);
  const { group, client: clientFor } = useTestProcesses();
  let coordinator: CoordinatorHandle;
  let client: BatonClient;
  let raw: WorkerServiceClient;
  let worker: BatonProcess;

  before(async () => {
    coordinator = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data'), args: FAST_FAILURE_ARGS });
    client = clientFor(coordinator.address);
    raw = new WorkerServiceClient(coordinator.address, credentials.createInsecure());
    worker = await startWorker(group, coordinator.address, { args: ['--worker-id', 'real-worker', '--queue', 'owned'], concurrency: 2 });
  });

  after(() => raw.close());

  it("refuses a Hello that reuses a live worker's id and lease, however often; the real result is kept", async () => {
    const { task } = await client.submit('sleep', { ms: 1500 }, { queue: 'owned', maxAttempts: 3 });
    const running = await waitForState(client, task.id, TaskState.TASK_STATE_RUNNING);
    const { workerId, leaseId } = running.attempts[0]!;
    expect(workerId).to.equal('real-worker');

    for (let i = 0; i < 3; i += 1) {
      const impostor = openStream(raw);
      impostor.stream.write({ message: { $case: 'hello', value: hello({ workerId, queues: ['owned'], heldLeaseIds: [leaseId] }) } });
      const err = await impostor.ended;
      expect(err?.code, `takeover ${i + 1}`).to.equal(status.ALREADY_EXISTS);
      expect(err?.details).to.match(/worker id real-worker is connected on another stream; only that process may take it over/);
    }

    const done = await client.wait(task.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect(done.attempts).to.have.length(1);
    expect(done.attempts[0]!.workerId).to.equal('real-worker');
    expect(client.decodeResult(done)).to.have.property('slept', 1500);
  });

  it("rejects a result for another session's lease and leaves the task to its worker", async () => {
    const { task } = await client.submit('sleep', { ms: 800 }, { queue: 'owned' });
    const running = await waitForState(client, task.id, TaskState.TASK_STATE_RUNNING);
    const impostor = openStream(raw);
    impostor.stream.write({ message: { $case: 'hello', value: hello({ workerId: 'other-id', queues: ['elsewhere'] }) } });
    expect((await impostor.next()).message?.$case).to.equal('welcome');
    impostor.stream.write(forgedSuccess(running.attempts[0]!.leaseId));
    const ack = await nextAck(impostor.next);
    expect(ack.code).to.equal(status.FAILED_PRECONDITION);
    impostor.stream.end();
    const done = await client.wait(task.id, { timeoutMs: 30_000 });
    expect(client.decodeResult(done)).to.have.property('slept', 800);
  });

  it("keeps a departed worker's id and leases from a Hello without its resume secret", async () => {
    const { task } = await client.submit('sleep', { ms: 60_000 }, { queue: 'owned', maxAttempts: 2 });
    const running = await waitForState(client, task.id, TaskState.TASK_STATE_RUNNING);
    const { leaseId } = running.attempts[0]!;
    const linesBefore = coordinator.process.lines.length;
    await worker.kill(); // its lease is now orphaned, waiting for the real worker to come back
    // The process is gone; the coordinator hears of the closed stream a moment later.
    await coordinator.process.waitForLog(
      (line) => line.msg === 'worker disconnected' && line.worker_id === 'real-worker' && coordinator.process.lines.indexOf(line) >= linesBefore,
      'the coordinator noticing the worker is gone',
    );

    const squatter = openStream(raw);
    squatter.stream.write({ message: { $case: 'hello', value: hello({ workerId: 'real-worker', queues: ['owned'], heldLeaseIds: [leaseId], resumeSecret: 'made-up-secret-0123456789' }) } });
    const err = await squatter.ended;
    expect(err?.code).to.equal(status.ALREADY_EXISTS);
    expect(err?.details).to.match(/worker id real-worker disconnected holding leases that still wait for it/);

    const other = openStream(raw);
    other.stream.write({ message: { $case: 'hello', value: hello({ workerId: 'other-worker', queues: ['elsewhere'] }) } });
    expect((await other.next()).message?.$case).to.equal('welcome');
    other.stream.write(forgedSuccess(leaseId));
    expect((await nextAck(other.next)).code).to.equal(status.FAILED_PRECONDITION);
    other.stream.end();

    // Still the first attempt, still running: only the lease timeout ends it, as a lost worker.
    const after = await client.get(task.id);
    expect(after.state).to.equal(TaskState.TASK_STATE_RUNNING);
    expect(after.attempts).to.have.length(1);
    await client.cancel(task.id);
  });
});

async function waitForState(client: BatonClient, id: string, state: TaskState): Promise<Awaited<ReturnType<BatonClient['get']>>> {
  for await (const task of client.watch(id)) {
    if (task.state === state) return client.get(id);
  }
  throw new Error(`task ${id} never reached state ${state}`);
}

async function nextAck(next: () => Promise<ConnectResponse>): Promise<{ code: number; message: string }> {
  for (;;) {
    const response = await next();
    if (response.message?.$case === 'resultAcks') return response.message.value.acks[0]!;
  }
}

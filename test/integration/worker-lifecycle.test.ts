import { expect } from 'chai';
import { join } from 'node:path';
import { BatonClient, TaskState, type Task } from '../../client/index';
import { ProcessGroup, startCoordinator, startWorker } from '../support/processes';
import { readRunLog, runCounts } from '../support/run-log';

describe('worker lifecycle', function () {
  this.timeout(90_000);
  const group = new ProcessGroup();
  let client: BatonClient | undefined;

  afterEach(async () => {
    client?.close();
    client = undefined;
    await group.cleanup();
  });

  it('drains on SIGTERM: the running task finishes and is recorded, then the worker exits 0', async () => {
    const coordinator = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data') });
    client = new BatonClient({ address: coordinator.address });
    const worker = await startWorker(group, coordinator.address);
    const { task } = await client.submit('sleep', { ms: 1500 });
    for await (const update of client.watch(task.id)) {
      if (update.state === TaskState.TASK_STATE_RUNNING) break;
    }
    worker.signal('SIGTERM');
    const exit = await worker.exited;
    expect(exit.code).to.equal(0);
    const done = await client.get(task.id);
    expect(done.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect(done.attempt).to.equal(1);
  });

  it('reconnects after the coordinator restarts and reclaims its running task without a second run', async () => {
    const dir = group.tempDir();
    const dataDir = join(dir, 'data');
    const runLog = join(dir, 'runs.jsonl');
    const first = await startCoordinator(group, { dataDir });
    client = new BatonClient({ address: first.address });
    const worker = await startWorker(group, first.address, { env: { BATON_TEST_RUN_LOG: runLog } });
    const { task } = await client.submit('sleep', { ms: 2000 });
    for await (const update of client.watch(task.id)) {
      if (update.state === TaskState.TASK_STATE_RUNNING) break;
    }
    await first.process.kill();
    const second = await startCoordinator(group, { dataDir, port: first.port });
    await second.process.waitForLog((l) => l.msg === 'worker connected' && (l.reclaimed as number) === 1, 'the worker to reclaim its lease');
    const done = await client.wait(task.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect(done.attempts).to.have.length(1);
    expect(runCounts(readRunLog(runLog)).get(task.id)).to.equal(1);
    expect(worker.alive).to.equal(true);
  });

  it('after its shutdown grace, aborts handlers and hands their leases back at once', async () => {
    const coordinator = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data') });
    client = new BatonClient({ address: coordinator.address });
    const worker = await startWorker(group, coordinator.address, { args: ['--shutdown-grace', '200ms'] });
    const { task } = await client.submit('hang', {});
    for await (const update of client.watch(task.id)) if (update.state === TaskState.TASK_STATE_RUNNING) break;
    worker.signal('SIGTERM');
    expect((await worker.exited).code).to.equal(0);
    await coordinator.process.waitForLog((l) => l.msg === 'worker no longer holds a lease; releasing it' && l.task_id === task.id, 'the lease released');
    const released = await client.get(task.id);
    expect(released.attempts[0]!.error).to.match(/no longer holds the lease/);
    expect([TaskState.TASK_STATE_SCHEDULED, TaskState.TASK_STATE_QUEUED]).to.include(released.state);
  });

  it('the coordinator ends open watches on SIGTERM instead of waiting for them', async () => {
    const coordinator = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data'), args: ['--shutdown-grace', '10m'] });
    client = new BatonClient({ address: coordinator.address });
    const { task } = await client.submit('noop', {}, { queue: 'nobody' });
    const seen = client.watch(task.id)[Symbol.asyncIterator]();
    const first: IteratorResult<Task> = await seen.next();
    expect(first.done ? undefined : first.value.state).to.equal(TaskState.TASK_STATE_QUEUED);
    coordinator.process.signal('SIGTERM');
    expect((await coordinator.process.exited).code).to.equal(0);
    const ended = await seen.next().catch((err: unknown) => err);
    expect(ended).to.have.property('code', 'UNAVAILABLE');
  });
});

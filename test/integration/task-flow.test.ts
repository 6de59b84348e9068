import { expect } from 'chai';
import { join } from 'node:path';
import { BatonClient, TaskState, type Task } from '../../client/index';
import { ProcessGroup, startCoordinator, startWorker, type CoordinatorHandle } from '../support/processes';
import { readRunLog, runCounts } from '../support/run-log';

const FAST_RETRY = { initialBackoff: 10, multiplier: 2, maxBackoff: 50, jitter: 0 };

async function waitAll(client: BatonClient, ids: readonly string[]): Promise<Task[]> {
  return Promise.all(ids.map((id) => client.wait(id, { timeoutMs: 60_000 })));
}

describe('task flow through real processes', function () {
  this.timeout(120_000);
  const group = new ProcessGroup();
  let coordinator: CoordinatorHandle;
  let client: BatonClient;
  let runLog: string;

  before(async () => {
    const dir = group.tempDir();
    runLog = join(dir, 'runs.jsonl');
    coordinator = await startCoordinator(group, { dataDir: join(dir, 'data') });
    const env = { BATON_TEST_RUN_LOG: runLog };
    await Promise.all([1, 2, 3].map(() => startWorker(group, coordinator.address, { concurrency: 16, env })));
    client = new BatonClient({ address: coordinator.address });
  });

  after(async () => {
    client?.close();
    await group.cleanup();
  });

  it('runs 1,000 tasks over 3 workers, each exactly once', async () => {
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch += 1) {
      const items = Array.from({ length: 100 }, (_, i) => ({ type: 'noop', payload: { n: batch * 100 + i } }));
      const results = await client.submitMany(items);
      ids.push(...results.map((r) => r.task.id));
    }
    expect(new Set(ids).size).to.equal(1000);

    const finished = await waitAll(client, ids);
    for (const [index, task] of finished.entries()) {
      expect(task.state, `task ${task.id}`).to.equal(TaskState.TASK_STATE_SUCCEEDED);
      expect(task.attempt).to.equal(1);
      expect(client.decodeResult(task)).to.deep.equal({ n: index });
    }
    const runs = readRunLog(runLog).filter((run) => ids.includes(run.taskId));
    const counts = runCounts(runs);
    expect(counts.size).to.equal(1000);
    expect([...counts.values()].every((count) => count === 1), 'every task ran once').to.equal(true);
    expect(new Set(runs.map((run) => run.pid)).size, 'work spread over all three workers').to.equal(3);
  });

  it('retries a handler that fails twice, then records success on attempt 3', async () => {
    const { task } = await client.submit('failTimes', { failures: 2 }, { maxAttempts: 5, retry: FAST_RETRY });
    const done = await client.wait(task.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect(done.attempt).to.equal(3);
    expect(client.decodeResult(done)).to.deep.equal({ attempt: 3 });
    expect(done.attempts.map((a) => a.error)).to.deep.equal(['planned failure 1 of 2', 'planned failure 2 of 2', '']);
    expect(done.lastError).to.equal('planned failure 2 of 2');
  });

  it('ends a task that always fails DEAD after max_attempts, with its last error', async () => {
    const { task } = await client.submit('alwaysFail', { message: 'boom' }, { maxAttempts: 3, retry: FAST_RETRY });
    const done = await client.wait(task.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_DEAD);
    expect(done.attempt).to.equal(3);
    expect(done.lastError).to.equal('boom');
    expect(done.attempts).to.have.length(3);
    expect(runCounts(readRunLog(runLog)).get(task.id)).to.equal(3);
  });

  it('sends a NonRetryableError straight to DEAD', async () => {
    const { task } = await client.submit('rejectInput', { x: 1 }, { maxAttempts: 5, retry: FAST_RETRY });
    const done = await client.wait(task.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_DEAD);
    expect(done.attempt).to.equal(1);
    expect(done.lastError).to.match(/bad input/);
  });

  it('honours a delay: the task waits SCHEDULED, then runs', async () => {
    const { task } = await client.submit('noop', { n: 7 }, { delay: 300 });
    expect(task.state).to.equal(TaskState.TASK_STATE_SCHEDULED);
    const done = await client.wait(task.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect(done.attempts[0]!.startedAt!.getTime()).to.be.at.least(task.runAt!.getTime());
  });

  it('runs higher priority first within a queue', async () => {
    // A queue no worker serves yet, so that everything is queued before anything runs.
    const low = await client.submit('noop', { n: 1 }, { queue: 'prio', priority: 0 });
    const high = await client.submit('noop', { n: 2 }, { queue: 'prio', priority: 10 });
    const worker = await startWorker(group, coordinator.address, { concurrency: 1, args: ['--queue', 'prio'], env: { BATON_TEST_RUN_LOG: runLog } });
    const [lowDone, highDone] = await waitAll(client, [low.task.id, high.task.id]);
    expect(highDone!.finishedAt!.getTime()).to.be.at.most(lowDone!.attempts[0]!.startedAt!.getTime());
    await worker.stop();
  });

  it('returns the first task for a repeated idempotency key', async () => {
    const first = await client.submit('noop', { n: 1 }, { idempotencyKey: 'order-42' });
    const second = await client.submit('noop', { n: 2 }, { idempotencyKey: 'order-42' });
    expect(first.deduplicated).to.equal(false);
    expect(second.deduplicated).to.equal(true);
    expect(second.task.id).to.equal(first.task.id);
  });

  it('cancels a queued task, and refuses to cancel it twice', async () => {
    const { task } = await client.submit('noop', {}, { queue: 'nobody-serves-this' });
    const canceled = await client.cancel(task.id);
    expect(canceled.state).to.equal(TaskState.TASK_STATE_CANCELED);
    const again = await client.cancel(task.id).catch((err: unknown) => err);
    expect(again).to.have.property('code', 'FAILED_PRECONDITION');
  });

  it('cancels a running task: the handler is aborted and the task stays CANCELED', async () => {
    const { task } = await client.submit('sleep', { ms: 60_000 });
    const seen = client.watch(task.id)[Symbol.asyncIterator]();
    for (let next = await seen.next(); !next.done; next = await seen.next()) {
      if (next.value.state === TaskState.TASK_STATE_RUNNING) break;
    }
    await seen.return?.();
    const canceled = await client.cancel(task.id);
    expect(canceled.state).to.equal(TaskState.TASK_STATE_CANCELED);
    expect(canceled.attempts[0]!.error).to.equal('task canceled');
  });

  it('retries a DEAD task on request with a fresh attempt budget', async () => {
    const { task } = await client.submit('alwaysFail', {}, { maxAttempts: 1 });
    const dead = await client.wait(task.id, { timeoutMs: 30_000 });
    expect(dead.state).to.equal(TaskState.TASK_STATE_DEAD);
    const requeued = await client.retry(task.id);
    expect([TaskState.TASK_STATE_QUEUED, TaskState.TASK_STATE_RUNNING, TaskState.TASK_STATE_DEAD]).to.include(requeued.state);
    const deadAgain = await client.wait(task.id, { timeoutMs: 30_000 });
    expect(deadAgain.state).to.equal(TaskState.TASK_STATE_DEAD);
    expect(deadAgain.attempts).to.have.length(2);
  });
});

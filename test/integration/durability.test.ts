import { expect } from 'chai';
import { join } from 'node:path';
import { BatonClient, TaskState } from '../../client/index';
import { startCoordinator, startWorker } from '../support/processes';
import { useTestProcesses } from '../support/test-processes';
import { readRunLog, runCounts } from '../support/run-log';

describe('durability across a coordinator crash', function () {
  this.timeout(180_000);
  const { group, client: clientFor } = useTestProcesses();
  let client: BatonClient | undefined;


  it('runs every acknowledged task after SIGKILL and restart on the same data', async () => {
    const dir = group.tempDir();
    const dataDir = join(dir, 'data');
    const runLog = join(dir, 'runs.jsonl');
    const first = await startCoordinator(group, { dataDir });
    client = clientFor(first.address);

    // No worker yet: every task is acknowledged and queued, none has run.
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, batch) => {
        const items = Array.from({ length: 100 }, (__, i) => ({ type: 'noop', payload: { n: batch * 100 + i } }));
        const results = await client!.submitMany(items);
        ids.push(...results.map((r) => r.task.id));
      }),
    );
    expect(ids).to.have.length(1000);

    await first.process.kill();
    client.close();

    const second = await startCoordinator(group, { dataDir, port: first.port });
    const restarted = await second.process.waitForLog((l) => l.msg === 'engine started', 'engine started');
    expect(restarted.unfinished).to.equal(1000);
    client = clientFor(second.address);
    await startWorker(group, second.address, { concurrency: 32, env: { BATON_TEST_RUN_LOG: runLog } });

    const finished = await Promise.all(ids.map((id) => client!.wait(id, { timeoutMs: 120_000 })));
    expect(finished.every((task) => task.state === TaskState.TASK_STATE_SUCCEEDED)).to.equal(true);
    const counts = runCounts(readRunLog(runLog));
    expect(counts.size).to.equal(1000);
    expect([...counts.values()].every((count) => count === 1)).to.equal(true);
  });

  it('shuts down gracefully on SIGTERM: exits 0, and the tasks it held run after a restart', async () => {
    const dir = group.tempDir();
    const dataDir = join(dir, 'data');
    const first = await startCoordinator(group, { dataDir });
    client?.close();
    client = clientFor(first.address);
    const worker = await startWorker(group, first.address, { concurrency: 2 });
    const running = await client.submit('stubborn', { ms: 1500 });
    for await (const update of client.watch(running.task.id)) if (update.state === TaskState.TASK_STATE_RUNNING) break;
    const queued = await client.submitMany(Array.from({ length: 50 }, () => ({ type: 'noop', options: { queue: 'later' } })));

    first.process.signal('SIGTERM');
    expect((await first.process.exited).code).to.equal(0);
    await worker.waitForLog((l) => l.msg === 'disconnected from the coordinator; reconnecting', 'the worker to notice');

    const second = await startCoordinator(group, { dataDir, port: first.port });
    await second.process.waitForLog((l) => l.msg === 'worker connected' && (l.reclaimed as number) === 1, 'the worker to reclaim its running task');
    await startWorker(group, second.address, { args: ['--queue', 'later'] });
    const done = await client.wait(running.task.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect(done.attempts).to.have.length(1);
    const rest = await Promise.all(queued.map((q) => client!.wait(q.task.id, { timeoutMs: 30_000 })));
    expect(rest.every((t) => t.state === TaskState.TASK_STATE_SUCCEEDED)).to.equal(true);
  });
});

import { expect } from 'chai';
import { join } from 'node:path';
import { BatonClient, TaskState } from '../../client/index';
import { FAST_FAILURE_ARGS, LEASE_TIMEOUT_MS, metric } from '../support/chaos';
import { startCoordinator, startWorker } from '../support/processes';
import { useTestProcesses } from '../support/test-processes';
import { readRunLog, runCounts } from '../support/run-log';

describe('chaos: a handler that blocks the event loop for 3x the lease timeout', function () {
  this.timeout(60_000);
  const { group, client: clientFor } = useTestProcesses();
  let client: BatonClient | undefined;

  it('succeeds once, with no redelivery', async () => {
    const dir = group.tempDir();
    const runLog = join(dir, 'runs.jsonl');
    const coordinator = await startCoordinator(group, { dataDir: join(dir, 'data'), args: [...FAST_FAILURE_ARGS] });
    const env = { BATON_TEST_RUN_LOG: runLog };
    await startWorker(group, coordinator.address, { concurrency: 1, env });
    // A second worker that would take the task if the first were wrongly declared dead.
    await startWorker(group, coordinator.address, { concurrency: 1, env });
    client = clientFor(coordinator.address);
    const { task } = await client.submit('block', { ms: 3 * LEASE_TIMEOUT_MS });
    const done = await client.wait(task.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect(done.attempts).to.have.length(1);
    expect(runCounts(readRunLog(runLog)).get(task.id)).to.equal(1);
    expect(await metric(coordinator.httpPort, 'baton_heartbeat_misses_total')).to.equal(0);
  });
});

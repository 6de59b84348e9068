import { expect } from 'chai';
import { join } from 'node:path';
import { AttemptOutcome, BatonClient, TaskState, type Task } from '../../client/index';
import { FAST_FAILURE_ARGS } from '../support/chaos';
import { REPO_ROOT, spawnBaton, startCoordinator, type BatonProcess } from '../support/processes';
import { useTestProcesses } from '../support/test-processes';

const FIXTURE_HANDLERS = join(REPO_ROOT, 'test', 'fixtures', 'handlers.cjs');

describe('chaos: a handler that kills its own worker process', function () {
  this.timeout(90_000);
  const { group, client: clientFor } = useTestProcesses();
  let client: BatonClient | undefined;

  it('ends DEAD after max_attempts instead of looping forever', async () => {
    const coordinator = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data'), args: [...FAST_FAILURE_ARGS] });
    client = clientFor(coordinator.address);
    const { task } = await client.submit('crash', {}, { maxAttempts: 3 });
    const outcome = client.wait(task.id, { timeoutMs: 60_000 });

    // A supervisor, as systemd or Kubernetes would be: a worker that dies is replaced.
    let done: Task | undefined;
    void outcome.then((t) => (done = t));
    let deaths = 0;
    while (!done) {
      // Not startWorker: the worker may die before it logs that it connected.
      const worker: BatonProcess = group.add(spawnBaton(['worker', '--coordinator', coordinator.address, '--concurrency', '1', FIXTURE_HANDLERS], 'worker'));
      const ended = await Promise.race([worker.exited.then(() => 'died' as const), outcome.then(() => 'finished' as const)]);
      if (ended === 'died') deaths += 1;
    }
    const final = await outcome;
    expect(final.state).to.equal(TaskState.TASK_STATE_DEAD);
    expect(final.attempts.map((a) => a.outcome)).to.deep.equal(Array(3).fill(AttemptOutcome.ATTEMPT_OUTCOME_WORKER_LOST));
    expect(deaths).to.equal(3);
  });
});

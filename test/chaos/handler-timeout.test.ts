import { expect } from 'chai';
import { join } from 'node:path';
import { AttemptOutcome, BatonClient, TaskState } from '../../client/index';
import { FAST_FAILURE_ARGS } from '../support/chaos';
import { startCoordinator, startWorker } from '../support/processes';
import { useTestProcesses } from '../support/test-processes';
import { readRunLog, runCounts } from '../support/run-log';

describe('chaos: a handler that hangs past its timeout', function () {
  this.timeout(60_000);
  const { group, client: clientFor } = useTestProcesses();
  let client: BatonClient | undefined;
  let runLog: string;
  before(async () => {
    const dir = group.tempDir();
    runLog = join(dir, 'runs.jsonl');
    const coordinator = await startCoordinator(group, { dataDir: join(dir, 'data'), args: [...FAST_FAILURE_ARGS] });
    await startWorker(group, coordinator.address, { concurrency: 4, env: { BATON_TEST_RUN_LOG: runLog } });
    client = clientFor(coordinator.address);
  });

  for (const type of ['hang', 'hangIgnoringSignal']) {
    it(`${type}: is canceled at its timeout, retried, and ends DEAD after max_attempts`, async () => {
      const { task } = await client!.submit(type, {}, { timeout: 300, maxAttempts: 2 });
      const done = await client!.wait(task.id, { timeoutMs: 30_000 });
      expect(done.state).to.equal(TaskState.TASK_STATE_DEAD);
      expect(done.attempts.map((a) => a.outcome)).to.deep.equal([AttemptOutcome.ATTEMPT_OUTCOME_TIMED_OUT, AttemptOutcome.ATTEMPT_OUTCOME_TIMED_OUT]);
      expect(done.lastError).to.equal('execution timeout of 300ms exceeded');
      expect(runCounts(readRunLog(runLog)).get(task.id)).to.equal(2);
    });
  }

  it('succeeds when a retry beats the timeout', async () => {
    const { task } = await client!.submit('sleep', { ms: 10 }, { timeout: 2000, maxAttempts: 2 });
    const done = await client!.wait(task.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
  });
});

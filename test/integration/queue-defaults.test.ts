import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AttemptOutcome, BatonClient, TaskState } from '../../client/index';
import { startCoordinator, startWorker } from '../support/processes';
import { useTestProcesses } from '../support/test-processes';

describe('per-queue task defaults from the config file', function () {
  this.timeout(60_000);
  const { group, client: clientFor } = useTestProcesses();
  let client: BatonClient | undefined;

  it('gives tasks of a queue its timeout and attempts unless they set their own', async () => {
    const dir = group.tempDir();
    const configFile = join(dir, 'baton.json');
    writeFileSync(configFile, JSON.stringify({ queues: { slow: { timeout: '300ms', maxAttempts: 2, retryInitialBackoff: '10ms' } } }));
    const coordinator = await startCoordinator(group, { dataDir: join(dir, 'data'), args: ['--config', configFile] });
    await startWorker(group, coordinator.address, { args: ['--queue', 'slow', '--queue', 'default'] });
    client = clientFor(coordinator.address);

    const { task } = await client.submit('hang', {}, { queue: 'slow' });
    expect(task.maxAttempts).to.equal(2);
    const done = await client.wait(task.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_DEAD);
    expect(done.attempts.map((a) => a.outcome)).to.deep.equal([AttemptOutcome.ATTEMPT_OUTCOME_TIMED_OUT, AttemptOutcome.ATTEMPT_OUTCOME_TIMED_OUT]);

    const optedOut = await client.submit('noop', {}, { queue: 'slow', timeout: 0 });
    expect(optedOut.task.timeout, 'an explicit zero timeout overrides the queue default').to.equal(undefined);
    expect((await client.submit('noop', {}, { queue: 'slow' })).task.timeout).to.deep.equal({ seconds: 0, nanos: 300_000_000 });

    const elsewhere = await client.submit('noop', {}, { queue: 'default' });
    expect(elsewhere.task.maxAttempts).to.equal(3);
    expect(elsewhere.task.timeout).to.equal(undefined);
  });
});

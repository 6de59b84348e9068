import { expect } from 'chai';
import { join } from 'node:path';
import { BatonClient, TaskState, AttemptOutcome } from '../../client/index';
import { FAST_FAILURE_ARGS, metric } from '../support/chaos';
import { startCoordinator, startWorker } from '../support/processes';
import { useTestProcesses } from '../support/test-processes';

describe('chaos: SIGSTOP a worker past the lease window, then SIGCONT', function () {
  this.timeout(120_000);
  const { group, client: clientFor } = useTestProcesses();
  let client: BatonClient | undefined;

  it('redelivers its tasks elsewhere, rejects its late results, and no result flips', async () => {
    const coordinator = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data'), args: [...FAST_FAILURE_ARGS] });
    client = clientFor(coordinator.address);
    const frozen = await startWorker(group, coordinator.address, { concurrency: 5, args: ['--worker-id', 'frozen'] });
    // `stubborn` ignores its abort signal, so the frozen worker finishes every task after SIGCONT.
    const ids = (await client.submitMany(Array.from({ length: 5 }, () => ({ type: 'stubborn', payload: { ms: 400 } })))).map((r) => r.task.id);
    for (const id of ids) {
      for await (const update of client.watch(id)) if (update.state === TaskState.TASK_STATE_RUNNING) break;
    }

    frozen.signal('SIGSTOP');
    await coordinator.process.waitForLog((l) => l.msg === 'worker missed its heartbeats; session declared dead' && l.worker_id === 'frozen', 'the frozen worker declared dead');
    const healthy = await startWorker(group, coordinator.address, { concurrency: 5, args: ['--worker-id', 'healthy'] });
    const redelivered = await Promise.all(ids.map((id) => client!.wait(id, { timeoutMs: 30_000 })));
    for (const task of redelivered) {
      expect(task.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
      expect(client.decodeResult(task)).to.deep.equal({ pid: healthy.pid });
      expect(task.attempts.map((a) => [a.workerId, a.outcome])).to.deep.equal([
        ['frozen', AttemptOutcome.ATTEMPT_OUTCOME_WORKER_LOST],
        ['healthy', AttemptOutcome.ATTEMPT_OUTCOME_SUCCEEDED],
      ]);
    }

    frozen.signal('SIGCONT');
    // Its handlers finish and it reports all five results; each is fenced off.
    for (let rejected = 1; rejected <= 5; rejected += 1) {
      await frozen.waitForLog(
        (l) => l.msg === 'result rejected by the coordinator' && frozen.lines.filter((x) => x.msg === 'result rejected by the coordinator').length >= rejected,
        `${rejected} rejected results`,
      );
    }
    expect(await metric(coordinator.httpPort, 'baton_stale_results_total')).to.equal(5);
    for (const id of ids) {
      const task = await client.get(id);
      expect(task.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
      expect(client.decodeResult(task), `task ${id} kept the healthy worker's result`).to.deep.equal({ pid: healthy.pid });
      expect(task.attempts).to.have.length(2);
    }
  });
});

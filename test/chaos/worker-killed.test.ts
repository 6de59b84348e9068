import { expect } from 'chai';
import { join } from 'node:path';
import { BatonClient, TaskState } from '../../client/index';
import { FAST_FAILURE_ARGS } from '../support/chaos';
import { startCoordinator, startWorker } from '../support/processes';
import { useTestProcesses } from '../support/test-processes';
import { readRunLog } from '../support/run-log';

describe('chaos: SIGKILL one of three workers in the middle of 2,000 tasks', function () {
  this.timeout(180_000);
  const { group, client: clientFor } = useTestProcesses();
  let client: BatonClient | undefined;

  it('finishes every task; only tasks leased to the killed worker ran twice', async () => {
    const dir = group.tempDir();
    const runLog = join(dir, 'runs.jsonl');
    const coordinator = await startCoordinator(group, { dataDir: join(dir, 'data'), args: [...FAST_FAILURE_ARGS] });
    const env = { BATON_TEST_RUN_LOG: runLog };
    const workers = await Promise.all(
      [1, 2, 3].map((n) => startWorker(group, coordinator.address, { concurrency: 16, env, args: ['--worker-id', `worker-${n}`] })),
    );
    client = clientFor(coordinator.address);

    const ids: string[] = [];
    for (let batch = 0; batch < 4; batch += 1) {
      const items = Array.from({ length: 500 }, (_, i) => ({ type: 'sleep', payload: { ms: 5 + ((batch * 500 + i) % 46) } }));
      ids.push(...(await client.submitMany(items)).map((r) => r.task.id));
    }
    // Tasks run roughly in submission order: once the 600th is done, the run is well under way.
    await client.wait(ids[600]!, { timeoutMs: 60_000 });
    const victim = workers[0]!;
    await victim.kill();

    const finished = await Promise.all(ids.map((id) => client!.wait(id, { timeoutMs: 120_000 })));
    expect(finished.filter((t) => t.state !== TaskState.TASK_STATE_SUCCEEDED).map((t) => t.id)).to.deep.equal([]);

    const runs = readRunLog(runLog);
    const byTask = new Map<string, number[]>();
    for (const run of runs) byTask.set(run.taskId, [...(byTask.get(run.taskId) ?? []), run.pid]);
    expect(byTask.size).to.equal(2000);
    const leasedToVictim = new Set(
      finished.filter((t) => t.attempts.some((a) => a.workerId === 'worker-1' && a.error.includes('lost'))).map((t) => t.id),
    );
    expect(leasedToVictim.size, 'tasks were in flight on the killed worker').to.be.greaterThan(0);
    const repeated = [...byTask].filter(([, pids]) => pids.length > 1);
    for (const [taskId, pids] of repeated) {
      expect(leasedToVictim.has(taskId), `task ${taskId} ran twice but was not leased to the killed worker`).to.equal(true);
      expect(pids, `task ${taskId} ran on ${pids.join(', ')}`).to.have.length(2);
      expect(pids[0], `task ${taskId}: its first run was on the killed worker`).to.equal(victim.pid);
    }
    for (const task of finished) {
      if (!leasedToVictim.has(task.id)) expect(task.attempts, `task ${task.id}`).to.have.length(1);
    }
  });
});

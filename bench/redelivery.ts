/**
 * How long after a worker dies its tasks start again elsewhere: should be close to
 * lease_timeout + backoff. Measured for a killed worker (its stream closes at once) and a
 * frozen one (SIGSTOP: only heartbeat silence gives it away).
 */
import { join } from 'node:path';
import { BatonClient, TaskState } from '../client/index';
import { ProcessGroup, REPO_ROOT, startCoordinator, startWorker } from '../test/support/processes';

const LEASE_TIMEOUT_MS = 1000;
const BACKOFF_MS = 100;
const TASKS = 20;
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'handlers.cjs');

export async function benchRedelivery(): Promise<void> {
  for (const how of ['SIGKILL', 'SIGSTOP'] as const) {
    const group = new ProcessGroup();
    try {
      const coordinator = await startCoordinator(group, {
        dataDir: join(group.tempDir('baton-bench-'), 'data'),
        args: ['--heartbeat-interval', '100ms', '--lease-timeout', `${LEASE_TIMEOUT_MS}ms`, '--retry-initial-backoff', `${BACKOFF_MS}ms`, '--retry-jitter', '0'],
      });
      const client = new BatonClient({ address: coordinator.address });
      const doomed = await startWorker(group, coordinator.address, { module: FIXTURES, concurrency: TASKS });
      const ids = (await client.submitMany(Array.from({ length: TASKS }, () => ({ type: 'stubborn', payload: { ms: 60_000 } })))).map((r) => r.task.id);
      for (const id of ids) for await (const t of client.watch(id)) if (t.state === TaskState.TASK_STATE_RUNNING) break;
      await startWorker(group, coordinator.address, { module: FIXTURES, concurrency: TASKS });
      const killedAt = Date.now();
      doomed.signal(how);
      const delays = await Promise.all(
        ids.map(async (id) => {
          for await (const t of client.watch(id)) if (t.state === TaskState.TASK_STATE_RUNNING && t.attempt === 2) break;
          const task = await client.get(id);
          return (task.attempts[1]?.startedAt?.getTime() ?? NaN) - killedAt;
        }),
      );
      delays.sort((a, b) => a - b);
      console.log(
        `redelivery after ${how} of a worker holding ${TASKS} tasks (lease_timeout ${LEASE_TIMEOUT_MS}ms + backoff ${BACKOFF_MS}ms = ${LEASE_TIMEOUT_MS + BACKOFF_MS}ms): ` +
          `min ${delays[0]} ms, median ${delays[Math.floor(delays.length / 2)]} ms, max ${delays[delays.length - 1]} ms`,
      );
      doomed.signal('SIGCONT');
      client.close();
    } finally {
      await group.cleanup();
    }
  }
}

import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { BatonError, TaskState, type BatonClient, type Task } from '../../client/index';
import type { TaskQueueClient } from '../../shared/gen/baton/v1/task_queue';
import { startCoordinator, startWorker, type CoordinatorHandle } from '../support/processes';
import { pollUntil, settled } from '../support/poll';
import { listAllTasks, openTaskQueue, rpc } from '../support/task-queue-rpc';
import { useTestProcesses } from '../support/test-processes';

const STEPS = [
  { fraction: 0.25, message: 'step 1 of 4' },
  { fraction: 0.5, message: 'step 2 of 4' },
  { fraction: 0.75, message: 'step 3 of 4' },
];

async function collect(updates: AsyncIterable<Task>): Promise<Task[]> {
  const seen: Task[] = [];
  for await (const update of updates) seen.push(update);
  return seen;
}

function isNotFound(outcome: Awaited<ReturnType<typeof settled>>): boolean {
  return !outcome.ok && outcome.reason instanceof BatonError && outcome.reason.code === 'NOT_FOUND';
}

describe('progress, retention and time-ranged listings on a real coordinator', function () {
  this.timeout(60_000);
  // Registered first, so it runs first: the coordinator's shutdown then waits on no open connection.
  const rawClients: TaskQueueClient[] = [];
  after(() => rawClients.forEach((made) => made.close()));
  const { group, client: clientFor } = useTestProcesses();
  let coordinator: CoordinatorHandle;
  let client: BatonClient;
  let raw: TaskQueueClient;

  before(async () => {
    coordinator = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data'), args: ['--retention-sweep-interval', '200ms'] });
    await startWorker(group, coordinator.address, { args: ['--queue', 'default', '--queue', 'short-lived', '--queue', 'kept'] });
    client = clientFor(coordinator.address);
    raw = openTaskQueue(coordinator.address);
    rawClients.push(raw);
  });

  const waitAll = (ids: readonly string[]): Promise<Task[]> => Promise.all(ids.map((id) => client.wait(id, { timeoutMs: 30_000 })));
  const submitNoops = async (queue: string, count: number): Promise<string[]> =>
    (await client.submitMany(Array.from({ length: count }, (_, n) => ({ type: 'noop', payload: { n }, options: { queue } })))).map((r) => r.task.id);

  it('shows a handler’s progress to a client watching the task while it runs, and in GetTask', async () => {
    const gateDir = group.tempDir();
    const { task } = await client.submit('progressSteps', { steps: STEPS, gateDir });
    const watched = collect(client.watch(task.id));

    for (const [index, step] of STEPS.entries()) {
      const shown = await pollUntil(() => client.get(task.id), (t) => t.progress?.fraction === step.fraction, `progress ${step.fraction} in GetTask`);
      expect(shown.state).to.equal(TaskState.TASK_STATE_RUNNING);
      expect(shown.progress?.message).to.equal(step.message);
      expect(shown.progress?.updatedAt).to.be.instanceOf(Date);
      writeFileSync(join(gateDir, `go-${index}`), ''); // the handler goes on to the next step
    }

    const updates = await watched;
    expect(updates.at(-1)?.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    // Each step was committed (GetTask showed it) while the task ran and the watch was open.
    const runningProgress = updates
      .filter((update) => update.state === TaskState.TASK_STATE_RUNNING && update.progress !== undefined)
      .map((update) => ({ fraction: update.progress!.fraction, message: update.progress!.message }));
    expect(runningProgress, 'progress the watch delivered while RUNNING').to.deep.equal(STEPS);
    const done = await client.get(task.id);
    expect(done.progress?.fraction, 'the latest attempt keeps its last progress').to.equal(0.75);
  });

  it('deletes finished tasks of a queue once its 1 s retention has passed, keeping unfinished and dead ones and other queues’ tasks', async () => {
    const { queue } = await rpc(raw.updateQueue.bind(raw), {
      name: 'short-lived',
      settings: { concurrency: 0, rate: 0, burst: 0, weight: 0, paused: false, retention: { seconds: 1, nanos: 0 } },
      updateMask: ['retention'],
    });
    expect(queue?.settings?.retention).to.deep.equal({ seconds: 1, nanos: 0 });

    // Finished first, so that a retention applied to every queue would take these before the short-lived ones.
    const kept = await submitNoops('kept', 3);
    await waitAll(kept);

    const succeeded = await submitNoops('short-lived', 5);
    const keyed = (await client.submit('noop', {}, { queue: 'short-lived', idempotencyKey: 'nightly-report' })).task.id;
    const canceled = (await client.cancel((await client.submit('noop', {}, { queue: 'short-lived', delay: 3_600_000 })).task.id)).id;
    const dead = (await client.submit('alwaysFail', {}, { queue: 'short-lived', maxAttempts: 1 })).task.id;
    const unfinished = (await client.submit('noop', {}, { queue: 'short-lived', delay: 3_600_000 })).task.id;
    const finished = await waitAll([...succeeded, keyed, canceled, dead]);
    expect(finished.map((task) => task.state)).to.deep.equal([
      ...succeeded.map(() => TaskState.TASK_STATE_SUCCEEDED),
      TaskState.TASK_STATE_SUCCEEDED,
      TaskState.TASK_STATE_CANCELED,
      TaskState.TASK_STATE_DEAD,
    ]);

    for (const id of [...succeeded, keyed, canceled]) {
      await pollUntil(() => settled(client.get(id)), isNotFound, `task ${id} deleted by retention`);
    }
    expect((await client.get(unfinished)).state, 'an unfinished task is never deleted').to.equal(TaskState.TASK_STATE_SCHEDULED);
    expect((await client.get(dead)).state, 'dead tasks follow dead_retention (30 days)').to.equal(TaskState.TASK_STATE_DEAD);
    const stillKept = await waitAll(kept);
    expect(stillKept.map((task) => task.state), 'a queue without the setting keeps its tasks').to.deep.equal(kept.map(() => TaskState.TASK_STATE_SUCCEEDED));

    const again = await client.submit('noop', {}, { queue: 'short-lived', idempotencyKey: 'nightly-report' });
    expect(again.deduplicated, 'a deleted task’s idempotency key is free again').to.equal(false);
    expect(again.task.id).to.not.equal(keyed);
  });

  it('lists exactly the tasks created at or after created_after and before created_before', async () => {
    const batch = async (): Promise<Task[]> => {
      const results = await client.submitMany(Array.from({ length: 4 }, (_, n) => ({ type: 'noop', payload: { n }, options: { queue: 'ranged' } })));
      const tasks = results.map((result) => result.task);
      // The next batch is created in a later millisecond.
      const newestMs = Math.max(...tasks.map((task) => task.createdAt!.getTime()));
      while (Date.now() <= newestMs) await delay(1);
      return tasks;
    };
    const [early, middle, late] = [await batch(), await batch(), await batch()];
    const idsOf = (tasks: readonly Task[]): string[] => tasks.map((task) => task.id).sort();
    const firstCreated = (tasks: readonly Task[]): Date => new Date(Math.min(...tasks.map((task) => task.createdAt!.getTime())));
    const listed = async (range: { createdAfter?: Date; createdBefore?: Date }): Promise<string[]> => idsOf(await listAllTasks(raw, { queue: 'ranged', ...range }));

    expect(await listed({ createdAfter: firstCreated(middle), createdBefore: firstCreated(late) })).to.deep.equal(idsOf(middle));
    expect(await listed({ createdAfter: firstCreated(middle) }), 'created_after is inclusive').to.deep.equal(idsOf([...middle, ...late]));
    expect(await listed({ createdBefore: firstCreated(middle) }), 'created_before is exclusive').to.deep.equal(idsOf(early));
    expect(await listed({ createdAfter: new Date(firstCreated(late).getTime() + 60_000) })).to.deep.equal([]);
  });
});

import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { TaskState, type BatonClient } from '../../client/index';
import type { Task } from '../../shared/gen/baton/v1/task';
import type { TaskQueueClient } from '../../shared/gen/baton/v1/task_queue';
import { startCoordinator, startWorker, type CoordinatorHandle } from '../support/processes';
import { everySpec, fireAfter, firesLogged, loggedFires, taskTemplate } from '../support/schedule-specs';
import { listAllTasks, openTaskQueue, rpc, rpcRefusal } from '../support/task-queue-rpc';
import { useTestProcesses } from '../support/test-processes';

/** The fire times of `tasks`, oldest first. */
function fireTimesOf(tasks: readonly Task[]): number[] {
  return tasks.map((task) => task.scheduleFireTime!.getTime()).sort((a, b) => a - b);
}

describe('schedules on a real coordinator', function () {
  this.timeout(60_000);
  // Registered first, so it runs first: the coordinators' shutdown then waits on no open connection.
  const rawClients: TaskQueueClient[] = [];
  after(() => rawClients.forEach((made) => made.close()));
  const { group, client: clientFor } = useTestProcesses();
  const open = (coordinator: CoordinatorHandle): TaskQueueClient => {
    const made = openTaskQueue(coordinator.address);
    rawClients.push(made);
    return made;
  };

  it('fires an every-second schedule once per second across a SIGKILL and restart, catching up the seconds it was down', async () => {
    const dataDir = join(group.tempDir(), 'data');
    const first = await startCoordinator(group, { dataDir, args: ['--log-level', 'debug'] }); // debug: the fires' log lines
    const rawFirst = open(first);
    const { schedule } = await rpc(rawFirst.createSchedule.bind(rawFirst), { spec: everySpec('heartbeat', 1) });
    const createdMs = schedule!.createdAt!.getTime();
    const firedBeforeKill = await firesLogged(first.process, 'heartbeat', 3);

    await first.process.kill();
    const killedMs = Date.now();
    // Down across at least two fire times: the downtime is the behaviour under test.
    await delay(2_500);
    const second = await startCoordinator(group, { dataDir, args: ['--log-level', 'debug'] }); // debug: the fires' log lines
    const listeningMs = Date.now();
    // The first fire due after the restart is on time: by then every missed one was caught up.
    await fireAfter(second.process, 'heartbeat', listeningMs);
    const rawSecond = open(second);
    const tasks = await listAllTasks(rawSecond, { schedule: 'heartbeat' });

    const fireTimes = fireTimesOf(tasks);
    expect(new Set(fireTimes).size, 'no fire time submitted twice').to.equal(tasks.length);
    expect(fireTimes[0], 'the first fire is one interval after the creation').to.equal(createdMs + 1000);
    const expected = Array.from({ length: tasks.length }, (_, i) => createdMs + 1000 * (i + 1));
    expect(fireTimes, 'every second from the first fire to the last, none missing').to.deep.equal(expected);
    const lastBeforeKill = Math.max(...firedBeforeKill.map((fire) => fire.fireMs));
    const whileDown = fireTimes.filter((ms) => ms > killedMs && ms < listeningMs);
    expect(whileDown.length, 'fire times that came due while the coordinator was down').to.be.at.least(2);
    expect(fireTimes.at(-1)).to.be.above(listeningMs);
    expect(fireTimes).to.include(lastBeforeKill);
    for (const task of tasks) {
      expect(task.schedule).to.equal('heartbeat');
      expect(task.idempotencyKey).to.equal(`schedule:heartbeat@${task.scheduleFireTime!.toISOString()}`);
    }
    expect(loggedFires(second.process, 'heartbeat').every((fire) => fire.fireMs > lastBeforeKill), 'the restart fired nothing already fired').to.equal(true);
  });

  describe('managing a schedule', () => {
    let coordinator: CoordinatorHandle;
    let raw: TaskQueueClient;
    let client: BatonClient;

    before(async () => {
      coordinator = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data'), args: ['--log-level', 'debug'] });
      await startWorker(group, coordinator.address);
      raw = open(coordinator);
      client = clientFor(coordinator.address);
    });

    const listFireTimes = async (name: string): Promise<number[]> => fireTimesOf(await listAllTasks(raw, { schedule: name }));

    it('shows next fire times and recent fires; pause stops fires, resume does not catch up, trigger fires now, delete keeps the tasks', async () => {
      await rpc(raw.createSchedule.bind(raw), { spec: everySpec('pulse', 1) });
      // Fires every second all along: while it fires, the paused schedule would have too.
      await rpc(raw.createSchedule.bind(raw), { spec: everySpec('witness', 1) });
      const fired = await firesLogged(coordinator.process, 'pulse', 2);
      const done = await Promise.all(fired.map((fire) => client.wait(fire.taskId, { timeoutMs: 30_000 })));
      expect(done.map((task) => task.state)).to.deep.equal([TaskState.TASK_STATE_SUCCEEDED, TaskState.TASK_STATE_SUCCEEDED]);

      const { schedule: shown } = await rpc(raw.getSchedule.bind(raw), { name: 'pulse' });
      const next = shown!.nextFireTimes.map((date) => date.getTime());
      expect(next).to.have.length(5);
      expect(next.slice(1).map((ms, i) => ms - next[i]!), 'one second apart').to.deep.equal([1000, 1000, 1000, 1000]);
      expect(next[0]).to.be.above(shown!.lastFireTime!.getTime());
      const recent = shown!.recentFires;
      expect(recent.map((fire) => fire.fireTime!.getTime()), 'newest first').to.deep.equal(recent.map((fire) => fire.fireTime!.getTime()).sort((a, b) => b - a));
      for (const task of done) {
        const fire = recent.find((candidate) => candidate.taskId === task.id);
        expect(fire, `a recent fire for task ${task.id}`).to.not.equal(undefined);
        expect(fire!.taskState).to.equal(TaskState.TASK_STATE_SUCCEEDED);
        expect(fire!.fireTime).to.deep.equal(task.scheduleFireTime);
      }

      const { schedule: paused } = await rpc(raw.pauseSchedule.bind(raw), { name: 'pulse' });
      expect(paused!.paused).to.equal(true);
      expect(paused!.nextFireTimes).to.deep.equal([]);
      const pausedAtMs = paused!.lastFireTime!.getTime();
      await fireAfter(coordinator.process, 'witness', pausedAtMs + 2_000);
      expect((await listFireTimes('pulse')).filter((ms) => ms > pausedAtMs), 'fires while paused').to.deep.equal([]);

      const { schedule: resumed } = await rpc(raw.resumeSchedule.bind(raw), { name: 'pulse' });
      expect(resumed!.paused).to.equal(false);
      const resumedAtMs = resumed!.lastFireTime!.getTime();
      expect(resumedAtMs - pausedAtMs, 'paused across two fire times at least').to.be.at.least(2_000);
      const firstAfterResume = await fireAfter(coordinator.process, 'pulse', pausedAtMs);
      expect(firstAfterResume.fireMs, 'the first fire after resuming is the next fire time, not a missed one').to.equal(resumed!.nextFireTimes[0]!.getTime());
      expect((await listFireTimes('pulse')).filter((ms) => ms > pausedAtMs && ms <= resumedAtMs), 'caught up on resume').to.deep.equal([]);

      // Trigger fires now, even while paused.
      await rpc(raw.pauseSchedule.bind(raw), { name: 'pulse' });
      const triggeredFrom = Date.now();
      const { task: triggered } = await rpc(raw.triggerSchedule.bind(raw), { name: 'pulse' });
      const fireMs = triggered!.scheduleFireTime!.getTime();
      expect(fireMs).to.be.within(triggeredFrom, Date.now());
      expect(triggered!.schedule).to.equal('pulse');
      expect(triggered!.idempotencyKey).to.equal(`schedule:pulse@${new Date(fireMs).toISOString()}`);
      expect((await client.wait(triggered!.id, { timeoutMs: 30_000 })).state).to.equal(TaskState.TASK_STATE_SUCCEEDED);

      const beforeDelete = await listAllTasks(raw, { schedule: 'pulse' });
      await rpc(raw.deleteSchedule.bind(raw), { name: 'pulse' });
      expect((await rpcRefusal(raw.getSchedule.bind(raw), { name: 'pulse' })).code).to.equal(status.NOT_FOUND);
      const afterDelete = await listAllTasks(raw, { schedule: 'pulse' });
      expect(afterDelete.map((task) => task.id).sort(), 'the deleted schedule left its tasks').to.deep.equal(beforeDelete.map((task) => task.id).sort());
      expect(afterDelete.map((task) => task.id)).to.include(triggered!.id);
      await rpc(raw.deleteSchedule.bind(raw), { name: 'witness' });
    });

    it('pages ListSchedules by name', async () => {
      const names = ['page-c', 'page-a', 'page-e', 'page-b', 'page-d'];
      for (const name of names) await rpc(raw.createSchedule.bind(raw), { spec: everySpec(name, 3600) });
      const pages: string[][] = [];
      let pageToken = '';
      do {
        const page = await rpc(raw.listSchedules.bind(raw), { pageSize: 2, pageToken });
        expect(page.schedules.length).to.be.within(1, 2);
        expect(page.schedules.every((schedule) => schedule.recentFires.length === 0), 'listings carry no recent fires').to.equal(true);
        pages.push(page.schedules.map((schedule) => schedule.spec!.name));
        pageToken = page.nextPageToken;
      } while (pageToken !== '' && pages.length < 100);
      const listed = pages.flat();
      expect(listed, 'by name, each once').to.deep.equal([...new Set(listed)].sort());
      expect(listed).to.include.members(names);
      expect(pages).to.have.length(Math.ceil(listed.length / 2));
    });

    it('refuses bad specs with INVALID_ARGUMENT (or ALREADY_EXISTS) naming the field', async () => {
      const create = raw.createSchedule.bind(raw);
      const refusals: Array<[string, Parameters<typeof everySpec>[2], number, RegExp]> = [
        ['malformed cron', { every: undefined, cron: '61 * * * *' }, status.INVALID_ARGUMENT, /^spec\.cron: /],
        ['cron of three fields', { every: undefined, cron: '* * *' }, status.INVALID_ARGUMENT, /^spec\.cron: /],
        ['unknown timezone', { every: undefined, cron: '0 * * * *', timezone: 'Mars/Olympus_Mons' }, status.INVALID_ARGUMENT, /^spec\.timezone: /],
        ['an interval of 0', { every: { seconds: 0, nanos: 0 } }, status.INVALID_ARGUMENT, /^spec\.every: /],
        ['both cron and every', { cron: '0 * * * *' }, status.INVALID_ARGUMENT, /spec\.cron, spec\.every: set exactly one/],
        ['no task type', { task: taskTemplate('') }, status.INVALID_ARGUMENT, /^spec\.task\.type: /],
        ['jitter longer than the interval', { jitter: { seconds: 2, nanos: 0 } }, status.INVALID_ARGUMENT, /^spec\.jitter: /],
      ];
      for (const [what, overrides, code, message] of refusals) {
        const refused = await rpcRefusal(create, { spec: everySpec(`bad-${what.replace(/ /g, '-')}`, 1, overrides) });
        expect(refused.code, what).to.equal(code);
        expect(refused.details, what).to.match(message);
      }
      await rpc(create, { spec: everySpec('taken', 3600) });
      const duplicate = await rpcRefusal(create, { spec: everySpec('taken', 60) });
      expect(duplicate.code).to.equal(status.ALREADY_EXISTS);
      expect(duplicate.details).to.match(/^spec\.name: /);
      const listed = await rpc(raw.listSchedules.bind(raw), { pageSize: 1000, pageToken: '' });
      expect(listed.schedules.filter((schedule) => schedule.spec!.name.startsWith('bad-')), 'no refused spec was created').to.deep.equal([]);
    });
  });
});

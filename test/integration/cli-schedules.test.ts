import { expect } from 'chai';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { BatonClient } from '../../client/index';
import type { QueueJson } from '../../client/cli/queue-format';
import type { ScheduleJson } from '../../client/cli/schedule-format';
import type { TaskJson } from '../../client/cli/format';
import { spawnBaton, type CoordinatorHandle } from '../support/processes';
import { useTestProcesses } from '../support/test-processes';

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** No worker serves this queue: what a schedule submits there stays put for the test to look at. */
const IDLE_QUEUE = 'cli-schedules-idle';

/** Polls `check` every 50 ms until it returns a value, for what no event announces (a progress report). */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

describe('baton schedule, queue, list filters and progress as processes, against a real coordinator', function () {
  this.timeout(60_000);
  const processes = useTestProcesses();
  const { group } = processes;
  let coordinator: CoordinatorHandle;
  let client: BatonClient;

  before(async () => {
    ({ coordinator, client } = await processes.coordinatorWithWorker());
  });

  function cli(...args: string[]): Promise<CliResult> {
    const proc = group.add(spawnBaton([...args, '--coordinator', coordinator.address], `baton ${args.join(' ')}`, { BATON_COORDINATOR: '' }));
    const stdout: Buffer[] = [];
    proc.child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    return new Promise((resolve) => {
      proc.child.once('close', (code) => resolve({ code, stdout: Buffer.concat(stdout).toString(), stderr: proc.stderrText.join('') }));
    });
  }

  async function json<T>(...args: string[]): Promise<T> {
    const result = await cli(...args, '--json');
    expect(result.stderr, args.join(' ')).to.equal('');
    expect(result.code, args.join(' ')).to.equal(0);
    return JSON.parse(result.stdout) as T;
  }

  it('creates, triggers, inspects, updates, pauses, resumes and deletes a schedule', async () => {
    const created = await cli(
      ...['schedule', 'create', 'cli-hourly', '--every', '1h', '--overlap', 'allow', '--jitter', '0s'],
      ...['echo', '{"from":"schedule"}', '--queue', IDLE_QUEUE, '--label', 'via=cli', '--max-attempts', '2'],
    );
    expect(created.stderr).to.equal('');
    expect(created.code).to.equal(0);
    expect(created.stdout).to.match(/^name: +cli-hourly$/m);
    expect(created.stdout).to.match(/^when: +every 1h$/m);
    expect(created.stdout).to.match(/^overlap: +allow$/m);

    const triggered = await cli('schedule', 'trigger', 'cli-hourly');
    expect(triggered.code).to.equal(0);
    expect(triggered.stdout).to.match(/^[0-9a-f-]{36}\n$/);
    const taskId = triggered.stdout.trim();

    const task = await json<TaskJson>('get', taskId);
    expect(task).to.deep.include({ id: taskId, schedule: 'cli-hourly', queue: IDLE_QUEUE, payload: { from: 'schedule' }, labels: { via: 'cli' }, maxAttempts: 2 });
    expect(task.scheduleFireTime).to.match(/^\d{4}-\d\d-\d\dT/);
    const shownTask = await cli('get', taskId);
    expect(shownTask.stdout).to.match(/^schedule: +cli-hourly$/m);

    const listed = await cli('list', '--schedule', 'cli-hourly', '--since', '10m', '--json');
    expect(listed.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as TaskJson).id)).to.deep.equal([taskId]);
    expect((await cli('list', '--schedule', 'cli-hourly', '--until', '10m')).stdout).to.equal('no tasks\n');

    const schedule = await json<ScheduleJson>('schedule', 'get', 'cli-hourly');
    expect(schedule).to.deep.include({ name: 'cli-hourly', everyMs: 3_600_000, overlap: 'allow', paused: false });
    expect(schedule.recentFires.map((fire) => fire.taskId)).to.include(taskId);
    expect(schedule.nextFireTimes.length).to.be.above(0);

    const updated = await json<ScheduleJson>('schedule', 'update', 'cli-hourly', '--cron', '0 3 * * *', '--tz', 'Europe/Berlin', 'echo', '--queue', IDLE_QUEUE);
    expect(updated).to.deep.include({ cron: '0 3 * * *', everyMs: null, timezone: 'Europe/Berlin', overlap: 'skip' });

    expect((await json<ScheduleJson>('schedule', 'pause', 'cli-hourly')).paused).to.equal(true);
    expect((await cli('schedule', 'list')).stdout).to.match(/^cli-hourly +paused +cron 0 3 \* \* \* \(Europe\/Berlin\) +echo/m);
    expect((await json<ScheduleJson>('schedule', 'resume', 'cli-hourly')).paused).to.equal(false);

    expect(await cli('schedule', 'delete', 'cli-hourly')).to.deep.equal({ code: 0, stdout: 'deleted schedule cli-hourly\n', stderr: '' });
    const gone = await cli('schedule', 'get', 'cli-hourly');
    expect(gone.code).to.equal(1);
    expect(gone.stderr).to.match(/^error: NOT_FOUND: /);
    // The task the schedule submitted stays, and keeps its name.
    expect((await json<TaskJson>('get', taskId)).schedule).to.equal('cli-hourly');
  });

  it("exits 1 with the coordinator's message for what only it checks, 2 for what the CLI checks", async () => {
    const badCron = await cli('schedule', 'create', 'cli-bad', '--cron', 'every day', 'echo');
    expect(badCron.code).to.equal(1);
    expect(badCron.stderr).to.match(/^error: INVALID_ARGUMENT: .*cron/);
    const both = await cli('schedule', 'create', 'cli-bad', '--cron', '* * * * *', '--every', '1m', 'echo');
    expect(both).to.deep.include({ code: 2, stdout: '' });
    expect(both.stderr).to.match(/^error: --cron and --every: give one, not both\n/);
  });

  it('updates queue settings from the flags given, and shows them', async () => {
    const updated = await json<QueueJson>('queue', 'update', 'cli-queue', '--concurrency', '3', '--rate', '120/m', '--retention', '2d');
    expect(updated).to.deep.include({ name: 'cli-queue', concurrency: 3, rate: 2, retentionMs: 172_800_000 });
    const again = await json<QueueJson>('queue', 'update', 'cli-queue', '--weight', '5');
    expect(again).to.deep.include({ concurrency: 3, rate: 2, weight: 5 }, 'settings not named stay');
    const shown = await cli('queue', 'get', 'cli-queue');
    expect(shown.stdout).to.match(/^concurrency: +3$/m);
    expect(shown.stdout).to.match(/^rate: +2\/s$/m);
    expect(shown.stdout).to.match(/^dead retention: +30d( \(default\))?$/m);
    expect((await json<QueueJson>('queue', 'pause', 'cli-queue')).paused).to.equal(true);
    expect((await cli('queue', 'list')).stdout).to.match(/^cli-queue +paused +3 +2\/s/m);
    expect((await json<QueueJson>('queue', 'resume', 'cli-queue')).paused).to.equal(false);
    const none = await cli('queue', 'update', 'cli-queue');
    expect(none.code).to.equal(2);
    expect(none.stderr).to.match(/^error: nothing to change/);
  });

  it('shows the progress a handler reported; wait without a terminal prints the task alone', async () => {
    const gateDir = group.tempDir('baton-progress-');
    const { task } = await client.submit('progressSteps', { gateDir, steps: [{ fraction: 0.5, message: 'half way' }] });
    const shown = await until('the progress report', async () => {
      const result = await cli('get', task.id);
      return /^progress: +50% half way/m.test(result.stdout) ? result : undefined;
    });
    expect(shown.code).to.equal(0);
    const waiting = cli('wait', task.id, '--timeout', '30s');
    if (!existsSync(join(gateDir, 'go-0'))) writeFileSync(join(gateDir, 'go-0'), '');
    const waited = await waiting;
    expect(waited.code).to.equal(0);
    expect(waited.stdout).to.not.contain('\r');
    expect(waited.stdout).to.match(/^id: +[0-9a-f-]{36}\n/);
    expect(waited.stdout).to.match(/^state: +succeeded$/m);
    const done = await json<TaskJson>('get', task.id);
    expect(done.progress).to.deep.include({ fraction: 0.5, message: 'half way' });
  });
});

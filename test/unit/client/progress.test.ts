import { expect } from 'chai';
import type { CliIo } from '../../../client/cli/cli-io';
import { formatProgress, formatTaskBlock, formatTaskJsonLine, taskSummaryToJson, taskToJson } from '../../../client/cli/format';
import { runClientCli } from '../../../client/cli/main';
import { MAX_PROGRESS_LINE_CHARS, ProgressLine, formatProgressLine } from '../../../client/cli/progress-line';
import { Task, TaskState } from '../../../shared/gen/baton/v1/task';
import { fakeIo } from './support/fake-io';
import { RecordingTaskQueue } from './support/recording-task-queue';

const REWRITE = '\r\x1b[K';
const REPORTED_AT = new Date('2030-01-01T00:00:05Z');

const task = (partial: Partial<Task> = {}): Task =>
  Task.fromPartial({ id: 'T1', queue: 'default', type: 'resize', state: TaskState.TASK_STATE_RUNNING, attempt: 1, maxAttempts: 3, ...partial });

describe('progress', () => {
  describe('formatting', () => {
    it('shows the fraction as a percentage rounded down, and the message', () => {
      expect(formatProgress({ fraction: 0.425, message: 'resizing 3 of 7', updatedAt: undefined })).to.equal('42% resizing 3 of 7');
      expect(formatProgress({ fraction: 0.999, message: '', updatedAt: undefined })).to.equal('99%');
      expect(formatProgress({ fraction: 1, message: 'done', updatedAt: undefined })).to.equal('100% done');
      expect(formatProgress({ fraction: 7, message: '', updatedAt: undefined })).to.equal('100%');
      expect(formatProgress({ fraction: -1, message: '', updatedAt: undefined })).to.equal('0%');
    });

    it('get shows progress, schedule and fire time when set, and nothing of them otherwise', () => {
      const block = formatTaskBlock(
        task({ progress: { fraction: 0.5, message: 'half', updatedAt: REPORTED_AT }, schedule: 'nightly', scheduleFireTime: new Date('2030-01-01T03:00:00Z') }),
      );
      expect(block).to.match(/^progress: +50% half \(reported 2030-01-01T00:00:05.000Z\)$/m);
      expect(block).to.match(/^schedule: +nightly$/m);
      expect(block).to.match(/^fire time: +2030-01-01T03:00:00.000Z$/m);
      const plain = formatTaskBlock(task());
      for (const key of ['progress', 'schedule', 'fire time']) expect(plain).to.not.match(new RegExp(`^${key}:`, 'm'));
    });

    it('puts progress, schedule and fire time in every task JSON, null when unset', () => {
      const json = taskToJson(task({ progress: { fraction: 0.25, message: '', updatedAt: REPORTED_AT }, schedule: 'nightly', scheduleFireTime: REPORTED_AT }));
      expect(json).to.deep.include({
        schedule: 'nightly',
        scheduleFireTime: '2030-01-01T00:00:05.000Z',
        progress: { fraction: 0.25, message: null, updatedAt: '2030-01-01T00:00:05.000Z' },
      });
      expect(taskSummaryToJson(task())).to.deep.include({ schedule: null, scheduleFireTime: null, progress: null });
      expect(Object.keys(JSON.parse(formatTaskJsonLine(task())) as object)).to.include.members(['schedule', 'scheduleFireTime', 'progress']);
    });

    it('fits the progress line into one terminal row, without control characters', () => {
      expect(formatProgressLine(task({ state: TaskState.TASK_STATE_QUEUED }))).to.equal('queued');
      expect(formatProgressLine(task({ attempt: 2, progress: { fraction: 0.1, message: 'a\nb\rc\x1b', updatedAt: undefined } }))).to.equal(
        'running (attempt 2 of 3) 10% a b c ',
      );
      const long = formatProgressLine(task({ progress: { fraction: 0.5, message: '€'.repeat(500), updatedAt: undefined } }));
      expect([...long]).to.have.length(MAX_PROGRESS_LINE_CHARS);
      expect(long.endsWith('...')).to.equal(true);
    });
  });

  describe('ProgressLine', () => {
    function ttyIo(stdoutIsTty: boolean): { io: CliIo; written: string[] } {
      const written: string[] = [];
      return { io: { stdout: (s) => written.push(s), stderr: () => undefined, env: {}, stdoutIsTty }, written };
    }

    it('exists only on a terminal and without --json', () => {
      expect(ProgressLine.forTerminal(ttyIo(false).io, { json: false })).to.equal(undefined);
      expect(ProgressLine.forTerminal(ttyIo(true).io, { json: true })).to.equal(undefined);
      expect(ProgressLine.forTerminal(ttyIo(true).io, { json: false })).to.be.instanceOf(ProgressLine);
    });

    it('rewrites the line only when it changes, and erases it once', () => {
      const { io, written } = ttyIo(true);
      const line = ProgressLine.forTerminal(io, { json: false });
      line?.clear(); // nothing shown yet: nothing to erase
      line?.show(task({ state: TaskState.TASK_STATE_QUEUED }));
      line?.show(task({ state: TaskState.TASK_STATE_QUEUED }));
      line?.show(task({ progress: { fraction: 0.3, message: 'x', updatedAt: undefined } }));
      line?.clear();
      line?.clear();
      expect(written).to.deep.equal([`${REWRITE}queued`, `${REWRITE}running 30% x`, REWRITE]);
    });
  });

  describe('baton wait and submit --wait', () => {
    let server: RecordingTaskQueue;
    const finished = task({ state: TaskState.TASK_STATE_SUCCEEDED, progress: { fraction: 1, message: 'done', updatedAt: REPORTED_AT } });

    before(async () => {
      server = await RecordingTaskQueue.start();
    });

    beforeEach(() => {
      server.watchScript = [
        task({ state: TaskState.TASK_STATE_QUEUED }),
        task({ progress: { fraction: 0.25, message: 'resizing', updatedAt: REPORTED_AT } }),
        task({ progress: { fraction: 0.25, message: 'resizing', updatedAt: REPORTED_AT } }),
        task({ progress: { fraction: 0.5, message: 'uploading', updatedAt: REPORTED_AT } }),
        task({ state: TaskState.TASK_STATE_SUCCEEDED, progress: { fraction: 1, message: 'done', updatedAt: REPORTED_AT } }),
      ];
      server.answers.getTask = () => ({ task: finished });
      server.answers.submitTask = () => ({ task: task({ state: TaskState.TASK_STATE_QUEUED }), deduplicated: false });
    });

    afterEach(() => server.reset());

    after(() => server?.close());

    async function run(argv: string[], stdoutIsTty: boolean): Promise<{ code: number; stdout: string }> {
      const fake = fakeIo();
      const code = await runClientCli([...argv, '--coordinator', server.address], { ...fake.io, stdoutIsTty });
      expect(fake.stderr()).to.equal('');
      return { code, stdout: fake.stdout() };
    }

    it('on a terminal, shows each new progress in place, then erases it before the task', async () => {
      const { code, stdout } = await run(['wait', 'T1'], true);
      expect(code).to.equal(0);
      const lines = ['queued', 'running 25% resizing', 'running 50% uploading', 'succeeded']; // no progress once it finished
      expect(stdout).to.equal(`${lines.map((line) => `${REWRITE}${line}`).join('')}${REWRITE}${formatTaskBlock(finished)}`);
    });

    it('prints the task alone when stdout is not a terminal, or with --json', async () => {
      expect(await run(['wait', 'T1'], false)).to.deep.equal({ code: 0, stdout: formatTaskBlock(finished) });
      expect(await run(['wait', 'T1', '--json'], true)).to.deep.equal({ code: 0, stdout: formatTaskJsonLine(finished) });
    });

    it('submit --wait shows progress the same way, on a terminal only', async () => {
      const tty = await run(['submit', 'resize', '--wait'], true);
      expect(tty.stdout.startsWith(`${REWRITE}queued${REWRITE}running 25% resizing`)).to.equal(true);
      expect(tty.stdout.endsWith(`${REWRITE}${formatTaskBlock(finished)}`)).to.equal(true);
      expect((await run(['submit', 'resize', '--wait'], false)).stdout).to.equal(formatTaskBlock(finished));
    });
  });
});

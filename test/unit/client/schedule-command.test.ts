import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runClientCli } from '../../../client/cli/main';
import { CatchUpPolicy, OverlapPolicy, Schedule, type CreateScheduleRequest, type ListSchedulesRequest } from '../../../shared/gen/baton/v1/schedule';
import { Task, TaskState } from '../../../shared/gen/baton/v1/task';
import { fakeIo } from './support/fake-io';
import { RecordingTaskQueue, grpcError } from './support/recording-task-queue';

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('baton schedule', () => {
  let server: RecordingTaskQueue;
  let dir: string;

  before(async () => {
    server = await RecordingTaskQueue.start();
    dir = mkdtempSync(join(tmpdir(), 'baton-schedule-cli-'));
  });

  afterEach(() => server.reset());

  after(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function run(...argv: string[]): Promise<Result> {
    const { io, stdout, stderr } = fakeIo();
    const code = await runClientCli([...argv, '--coordinator', server.address], io);
    return { code, stdout: stdout(), stderr: stderr() };
  }

  /** Runs a command line that must fail locally: exit 2, the message, nothing sent. */
  async function refused(argv: string[], message: RegExp): Promise<void> {
    const result = await run(...argv);
    expect(result.stderr, argv.join(' ')).to.match(message);
    expect(result.stderr).to.match(/run 'baton help schedule( \w+)?' for usage\n$/);
    expect(result.code).to.equal(2);
    expect(result.stdout).to.equal('');
    expect(server.calls).to.deep.equal([]);
  }

  function createRequest(): CreateScheduleRequest {
    const [request] = server.requests<CreateScheduleRequest>('createSchedule');
    if (!request) throw new Error('no CreateSchedule');
    return request;
  }

  describe('create and update: the command line as a ScheduleSpec', () => {
    it('sends every schedule option and every task option', async () => {
      const result = await run(
        ...['schedule', 'create', 'nightly', '--cron', '0 3 * * *', '--tz', 'Europe/Berlin'],
        ...['--overlap', 'buffer-one', '--catch-up', 'all', '--catch-up-limit', '12'],
        ...['--start', '2030-01-01T00:00:00Z', '--end', '2031-01-01T00:00:00Z', '--jitter', '30s'],
        ...['report', '{"kind":"daily"}', '--queue', 'reports', '--priority', '5', '--max-attempts', '4', '--timeout', '2m'],
        ...['--label', 'team=data', '--label', 'tier=1', '--retry-initial-backoff', '2s', '--retry-multiplier', '3'],
        ...['--retry-max-backoff', '1m', '--retry-jitter', '0.5', '--max-infra-failures', '9'],
      );
      expect(result.stderr).to.equal('');
      expect(result.code).to.equal(0);
      const { spec } = createRequest();
      expect(spec).to.deep.include({
        name: 'nightly',
        cron: '0 3 * * *',
        every: undefined,
        timezone: 'Europe/Berlin',
        overlap: OverlapPolicy.OVERLAP_POLICY_BUFFER_ONE,
        catchUp: CatchUpPolicy.CATCH_UP_POLICY_ALL,
        catchUpLimit: 12,
        startTime: new Date('2030-01-01T00:00:00Z'),
        endTime: new Date('2031-01-01T00:00:00Z'),
        jitter: { seconds: 30, nanos: 0 },
      });
      expect(spec?.task).to.deep.include({
        type: 'report',
        queue: 'reports',
        contentType: 'application/json',
        priority: 5,
        maxAttempts: 4,
        timeout: { seconds: 120, nanos: 0 },
        labels: { team: 'data', tier: '1' },
      });
      expect(JSON.parse(spec?.task?.payload.toString() ?? '')).to.deep.equal({ kind: 'daily' });
      expect(spec?.task?.retry).to.deep.equal({
        initialBackoff: { seconds: 2, nanos: 0 },
        multiplier: 3,
        maxBackoff: { seconds: 60, nanos: 0 },
        jitter: 0.5,
        maxInfrastructureFailures: 9,
      });
    });

    it('sends --every with the defaults unset, and no retry policy without retry flags', async () => {
      expect((await run('schedule', 'create', 'poll', '--every', '15m', 'poll')).code).to.equal(0);
      const { spec } = createRequest();
      expect(spec).to.deep.include({
        cron: '',
        every: { seconds: 900, nanos: 0 },
        timezone: '',
        overlap: OverlapPolicy.OVERLAP_POLICY_UNSPECIFIED,
        catchUp: CatchUpPolicy.CATCH_UP_POLICY_UNSPECIFIED,
        catchUpLimit: 0,
        jitter: undefined,
      });
      expect(spec?.task?.retry).to.equal(undefined);
      expect(spec?.task?.payload.length).to.equal(0);
    });

    it('reads @FILE, and sends a payload of another content type as it is', async () => {
      const json = join(dir, 'payload.json');
      const binary = join(dir, 'payload.bin');
      writeFileSync(json, '{"from":"file"}');
      writeFileSync(binary, Buffer.from([0, 255, 1]));
      expect((await run('schedule', 'create', 'a', '--every', '1h', 't', `@${json}`)).code).to.equal(0);
      expect((await run('schedule', 'create', 'b', '--every', '1h', 't', `@${binary}`, '--content-type', 'application/octet-stream')).code).to.equal(0);
      expect((await run('schedule', 'create', 'c', '--every', '1h', 't', 'plain words', '--content-type', 'text/plain')).code).to.equal(0);
      const [a, b, c] = server.requests<CreateScheduleRequest>('createSchedule').map((request) => request.spec?.task);
      expect(a?.payload.toString()).to.equal('{"from":"file"}');
      expect([...(b?.payload ?? [])]).to.deep.equal([0, 255, 1]);
      expect(b?.contentType).to.equal('application/octet-stream');
      expect(c?.payload.toString()).to.equal('plain words');
    });

    it('update takes the same arguments and sends UpdateSchedule', async () => {
      expect((await run('schedule', 'update', 'nightly', '--cron', '0 4 * * *', 'report', '--overlap', 'ALLOW')).code).to.equal(0);
      const [request] = server.requests<CreateScheduleRequest>('updateSchedule');
      expect(request?.spec).to.deep.include({ name: 'nightly', cron: '0 4 * * *', overlap: OverlapPolicy.OVERLAP_POLICY_ALLOW });
      expect(server.requests('createSchedule')).to.deep.equal([]);
      server.reset();
      await refused(['schedule', 'update', 'nightly', 'report'], /^error: missing --cron EXPR or --every DURATION\n/);
    });
  });

  describe('create: refusals, before anything is sent', () => {
    const create = (...rest: string[]): string[] => ['schedule', 'create', ...rest];

    it('needs NAME and TYPE, and takes at most a payload after them', async () => {
      await refused(create(), /^error: schedule create: missing NAME\n/);
      await refused(create('n', '--cron', '* * * * *'), /^error: schedule create: missing TYPE\n/);
      await refused(create('n', '--cron', '* * * * *', 't', '{}', 'extra'), /^error: schedule create: unexpected argument 'extra'\n/);
    });

    it('needs exactly one of --cron and --every', async () => {
      await refused(create('n', 't'), /^error: missing --cron EXPR or --every DURATION\n/);
      await refused(create('n', '--cron', '* * * * *', '--every', '1m', 't'), /^error: --cron and --every: give one, not both\n/);
    });

    it("refuses submit's --delay, --run-at and --idempotency-key, saying why", async () => {
      await refused(create('n', '--every', '1h', 't', '--delay', '5s'), /^error: --delay: not for a schedule: each fire's task runs at its fire time \(--jitter spreads them out\)\n/);
      await refused(create('n', '--every', '1h', 't', '--run-at', '2030-01-01T00:00:00Z'), /^error: --run-at: not for a schedule: .*--start/);
      await refused(create('n', '--every', '1h', 't', '--idempotency-key', 'k'), /^error: --idempotency-key: not for a schedule: each fire's key is derived from/);
      await refused(create('n', '--every', '1h', 't', '--wait'), /^error: schedule create: Unknown option '--wait'/);
    });

    it('refuses unknown policies, listing the known ones', async () => {
      await refused(create('n', '--every', '1h', 't', '--overlap', 'queue'), /^error: --overlap: unknown policy "queue"; expected one of allow, skip, buffer-one\n/);
      await refused(create('n', '--every', '1h', 't', '--catch-up', 'some'), /^error: --catch-up: unknown policy "some"; expected one of skip, one, all\n/);
    });

    it('refuses bad durations, times and numbers, naming the flag', async () => {
      await refused(create('n', '--every', 'hourly', 't'), /^error: --every: expected a duration like 250ms, 5s, 2m or 1h, got "hourly"\n/);
      await refused(create('n', '--every', '1h', '--jitter', '5 minutes', 't'), /^error: --jitter: expected a duration/);
      await refused(create('n', '--every', '1h', '--timeout', 'long', 't'), /^error: --timeout: expected a duration/);
      await refused(create('n', '--every', '1h', '--retry-max-backoff', 'x', 't'), /^error: --retry-max-backoff: expected a duration/);
      await refused(create('n', '--every', '1h', '--retry-multiplier', 'double', 't'), /^error: --retry-multiplier: expected a number, got 'double'\n/);
      await refused(create('n', '--every', '1h', '--start', 'tomorrow', 't'), /^error: --start: expected an ISO 8601 time/);
      await refused(create('n', '--every', '1h', '--priority', 'high', 't'), /^error: --priority: expected an integer/);
      await refused(create('n', '--every', '1h', '--catch-up', 'all', '--catch-up-limit=-1', 't'), /^error: --catch-up-limit: expected an integer from 0 to 4294967295/);
      await refused(create('n', '--every', '1h', '--label', 'novalue', 't'), /^error: --label: expected key=value/);
      await refused(create('n', '--every', '1h', 't', '{oops'), /^error: invalid JSON payload: .*got '\{oops'/);
      await refused(create('n', '--every', '1h', 't', '@/no/such/file.json'), /^error: cannot read the payload file \/no\/such\/file\.json: ENOENT/);
    });

    it('refuses flags that mean nothing together', async () => {
      await refused(create('n', '--every', '1h', '--catch-up-limit', '5', 't'), /^error: --catch-up-limit needs --catch-up all\n/);
      await refused(create('n', '--every', '1h', '--catch-up', 'one', '--catch-up-limit', '5', 't'), /^error: --catch-up-limit needs --catch-up all\n/);
      await refused(create('n', '--every', '1h', '--tz', 'Europe/Berlin', 't'), /^error: --tz is for --cron, not --every\n/);
      await refused(
        create('n', '--every', '1h', '--start', '2031-01-01T00:00:00Z', '--end', '2030-01-01T00:00:00Z', 't'),
        /^error: --start \(2031-01-01T00:00:00.000Z\) is after --end \(2030-01-01T00:00:00.000Z\)\n/,
      );
    });

    it('leaves the cron syntax and the zone to the coordinator, whose refusal exits 1', async () => {
      server.answers.createSchedule = () => {
        throw grpcError(status.INVALID_ARGUMENT, 'spec.cron: expected 5 or 6 fields, got 2');
      };
      const result = await run('schedule', 'create', 'n', '--cron', '* *', 't');
      expect(result.code).to.equal(1);
      expect(result.stderr).to.equal('error: INVALID_ARGUMENT: spec.cron: expected 5 or 6 fields, got 2\n');
    });
  });

  describe('the other subcommands', () => {
    const SCHEDULE = Schedule.fromPartial({
      spec: { name: 'nightly', cron: '0 3 * * *', task: { type: 'report' } },
      nextFireTimes: [new Date('2030-01-02T03:00:00Z')],
      recentFires: [{ fireTime: new Date('2030-01-01T03:00:00Z'), taskId: 'task-1', taskState: TaskState.TASK_STATE_SUCCEEDED }],
      skippedFires: 2,
    });

    it('get prints the schedule; --json one object', async () => {
      server.answers.getSchedule = () => ({ schedule: SCHEDULE });
      const shown = await run('schedule', 'get', 'nightly');
      expect(shown.code).to.equal(0);
      expect(shown.stdout).to.match(/^name: +nightly$/m);
      expect(shown.stdout).to.match(/^skipped fires: +2 /m);
      expect(shown.stdout).to.contain('recent fires:\n  2030-01-01T03:00:00.000Z  task-1  succeeded\n');
      const json = await run('schedule', 'get', 'nightly', '--json');
      expect(JSON.parse(json.stdout)).to.deep.include({ name: 'nightly', skippedFires: 2, nextFireTimes: ['2030-01-02T03:00:00.000Z'] });
      expect(server.requests('getSchedule')).to.deep.equal([{ name: 'nightly' }, { name: 'nightly' }]);
    });

    it('list reads every page and prints a table, or one JSON line per schedule', async () => {
      const pages: Record<string, { schedules: Schedule[]; nextPageToken: string }> = {
        '': { schedules: [SCHEDULE], nextPageToken: 'p2' },
        p2: { schedules: [Schedule.fromPartial({ spec: { name: 'poll', every: { seconds: 60, nanos: 0 }, task: { type: 'poll' } }, paused: true })], nextPageToken: '' },
      };
      server.answers.listSchedules = (request) => pages[(request as ListSchedulesRequest).pageToken];
      const table = await run('schedule', 'list');
      expect(table.code).to.equal(0);
      const lines = table.stdout.trimEnd().split('\n');
      expect(lines).to.have.length(3);
      expect(lines[0]).to.match(/^NAME +STATE +WHEN +TYPE +QUEUE +NEXT FIRE +SKIPPED$/);
      expect(lines[1]).to.match(/^nightly +active +cron 0 3 \* \* \* \(UTC\) +report +default +2030-01-02T03:00:00.000Z +2$/);
      expect(lines[2]).to.match(/^poll +paused +every 1m +poll +default +- +0$/);
      const json = await run('--json', 'schedule', 'list');
      expect(json.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { name: string }).name)).to.deep.equal(['nightly', 'poll']);
      expect(server.requests<ListSchedulesRequest>('listSchedules').map((request) => request.pageToken)).to.deep.equal(['', 'p2', '', 'p2']);
      server.reset();
      expect((await run('schedule', 'list')).stdout).to.equal('no schedules\n');
    });

    it('pause and resume print the schedule', async () => {
      server.answers.pauseSchedule = () => ({ schedule: { ...SCHEDULE, paused: true, nextFireTimes: [] } });
      const paused = await run('schedule', 'pause', 'nightly');
      expect(paused.stdout).to.match(/^state: +paused$/m);
      expect(paused.stdout).to.contain('next fires:\n  none while paused\n');
      expect((await run('schedule', 'resume', 'nightly')).code).to.equal(0);
      expect(server.calls.map((call) => call.method)).to.deep.equal(['pauseSchedule', 'resumeSchedule']);
    });

    it('trigger prints the task id like submit, the task with --json', async () => {
      server.answers.triggerSchedule = () => ({ task: Task.fromPartial({ id: 'T9', schedule: 'nightly', scheduleFireTime: new Date('2030-01-01T00:00:00Z') }) });
      expect(await run('schedule', 'trigger', 'nightly')).to.deep.equal({ code: 0, stdout: 'T9\n', stderr: '' });
      const json = JSON.parse((await run('schedule', 'trigger', 'nightly', '--json')).stdout) as Record<string, unknown>;
      expect(json).to.include({ id: 'T9', schedule: 'nightly', scheduleFireTime: '2030-01-01T00:00:00.000Z' });
    });

    it('delete says what it deleted; an unknown name is the coordinator\'s NOT_FOUND, exit 1', async () => {
      expect(await run('schedule', 'delete', 'nightly')).to.deep.equal({ code: 0, stdout: 'deleted schedule nightly\n', stderr: '' });
      expect(JSON.parse((await run('schedule', 'delete', 'nightly', '--json')).stdout)).to.deep.equal({ name: 'nightly', deleted: true });
      server.answers.deleteSchedule = () => {
        throw grpcError(status.NOT_FOUND, 'schedule gone not found');
      };
      expect(await run('schedule', 'delete', 'gone')).to.deep.equal({ code: 1, stdout: '', stderr: 'error: NOT_FOUND: schedule gone not found\n' });
    });

    it('needs exactly one NAME', async () => {
      for (const verb of ['delete', 'get', 'pause', 'resume', 'trigger']) {
        await refused(['schedule', verb], new RegExp(`^error: schedule ${verb}: missing NAME\\n`));
        await refused(['schedule', verb, 'a', 'b'], new RegExp(`^error: schedule ${verb}: unexpected argument 'b'\\n`));
      }
      await refused(['schedule', 'list', 'x'], /^error: schedule list: unexpected argument 'x'\n/);
    });

    it('refuses a missing or unknown subcommand', async () => {
      const verbs = 'create, update, delete, get, list, pause, resume, trigger';
      await refused(['schedule'], new RegExp(`^error: schedule: expected a subcommand \\(one of ${verbs}\\) before '--coordinator'\\n`));
      await refused(['schedule', 'frob'], new RegExp(`^error: schedule: unknown subcommand 'frob'; expected one of ${verbs}\\n`));
      const { io, stderr } = fakeIo();
      expect(await runClientCli(['schedule'], io)).to.equal(2);
      expect(stderr()).to.match(/^error: schedule: missing SUBCOMMAND \(one of create, /);
    });
  });
});

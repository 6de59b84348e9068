import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { runClientCli } from '../../../client/cli/main';
import { Queue, type UpdateQueueRequest } from '../../../shared/gen/baton/v1/queue';
import { fakeIo } from './support/fake-io';
import { RecordingTaskQueue, grpcError } from './support/recording-task-queue';

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('baton queue', () => {
  let server: RecordingTaskQueue;

  before(async () => {
    server = await RecordingTaskQueue.start();
  });

  afterEach(() => server.reset());

  after(() => server?.close());

  async function run(...argv: string[]): Promise<Result> {
    const { io, stdout, stderr } = fakeIo();
    const code = await runClientCli([...argv, '--coordinator', server.address], io);
    return { code, stdout: stdout(), stderr: stderr() };
  }

  async function refused(argv: string[], message: RegExp): Promise<void> {
    const result = await run(...argv);
    expect(result.stderr, argv.join(' ')).to.match(message);
    expect(result.stderr).to.match(/run 'baton help queue( \w+)?' for usage\n$/);
    expect(result.code).to.equal(2);
    expect(result.stdout).to.equal('');
    expect(server.calls).to.deep.equal([]);
  }

  async function updateOf(...flags: string[]): Promise<UpdateQueueRequest> {
    const result = await run('queue', 'update', 'mail', ...flags);
    expect(result.stderr).to.equal('');
    expect(result.code).to.equal(0);
    const requests = server.requests<UpdateQueueRequest>('updateQueue');
    server.reset();
    const [request] = requests;
    if (!request) throw new Error('no UpdateQueue');
    return request;
  }

  describe('update: the flags given, and only those, in the update mask', () => {
    it('one flag, one path', async () => {
      const request = await updateOf('--concurrency', '10');
      expect(request.name).to.equal('mail');
      expect(request.updateMask).to.deep.equal(['concurrency']);
      expect(request.settings).to.deep.include({ concurrency: 10 });
      expect((await updateOf('--burst', '20')).updateMask).to.deep.equal(['burst']);
      expect((await updateOf('--weight', '3')).updateMask).to.deep.equal(['weight']);
    });

    it('every flag, every path, with 0 sent as a change (no limit)', async () => {
      const request = await updateOf('--concurrency', '0', '--rate', '0', '--burst', '0', '--weight', '0', '--retention', '3d', '--dead-retention', '12h');
      expect(request.updateMask).to.deep.equal(['concurrency', 'rate', 'burst', 'weight', 'retention', 'dead_retention']);
      expect(request.settings).to.deep.equal({
        concurrency: 0,
        rate: 0,
        burst: 0,
        weight: 0,
        paused: false,
        retention: { seconds: 259_200, nanos: 0 },
        deadRetention: { seconds: 43_200, nanos: 0 },
      });
    });

    it('reads a rate per second, minute or hour', async () => {
      const rates: Array<[string, number]> = [
        ['5', 5],
        ['5/s', 5],
        ['0.5/s', 0.5],
        ['120/m', 2],
        ['36/h', 0.01],
      ];
      for (const [flag, perSecond] of rates) {
        const request = await updateOf('--rate', flag);
        expect(request.updateMask, flag).to.deep.equal(['rate']);
        expect(request.settings?.rate, flag).to.be.closeTo(perSecond, 1e-12);
      }
    });

    it("puts a retention back to its default with 'default'", async () => {
      const request = await updateOf('--retention', 'default', '--dead-retention', 'DEFAULT');
      expect(request.updateMask).to.deep.equal(['retention', 'dead_retention']);
      expect(request.settings?.retention).to.equal(undefined);
      expect(request.settings?.deadRetention).to.equal(undefined);
    });

    it('refuses an update with no setting, and bad values, naming the flag', async () => {
      await refused(['queue', 'update', 'mail'], /^error: nothing to change: give at least one of --concurrency, --rate, --burst, --weight, --retention, --dead-retention\n/);
      await refused(['queue', 'update', '--concurrency', '1'], /^error: queue update: missing NAME\n/);
      await refused(['queue', 'update', 'mail', '--concurrency', 'lots'], /^error: --concurrency: expected an integer from 0 to 4294967295, got 'lots'\n/);
      await refused(['queue', 'update', 'mail', '--concurrency=-1'], /^error: --concurrency: expected an integer from 0/);
      await refused(['queue', 'update', 'mail', '--rate', '5/d'], /^error: --rate: expected tasks per second like 10, 10\/s, 600\/m or 0\.5\/s, got '5\/d'\n/);
      await refused(['queue', 'update', 'mail', '--rate', 'fast'], /^error: --rate: expected tasks per second/);
      await refused(['queue', 'update', 'mail', '--burst', '1.5'], /^error: --burst: expected an integer/);
      await refused(['queue', 'update', 'mail', '--retention', 'a week'], /^error: --retention: expected a duration/);
      await refused(['queue', 'update', 'mail', '--paused'], /^error: queue update: Unknown option '--paused'/);
    });

    it("passes the coordinator's refusal on with exit 1", async () => {
      server.answers.updateQueue = () => {
        throw grpcError(status.INVALID_ARGUMENT, 'settings.weight: must be from 1 to 1000, got 5000');
      };
      const result = await run('queue', 'update', 'mail', '--weight', '5000');
      expect(result).to.deep.equal({ code: 1, stdout: '', stderr: 'error: INVALID_ARGUMENT: settings.weight: must be from 1 to 1000, got 5000\n' });
    });
  });

  describe('get, list, pause, resume', () => {
    const MAIL = Queue.fromPartial({ name: 'mail', settings: { concurrency: 4, rate: 2.5 }, running: 3, queued: 10, scheduled: 1 });

    it('get prints the settings in words and the counts', async () => {
      server.answers.getQueue = () => ({ queue: MAIL });
      const result = await run('queue', 'get', 'mail');
      expect(result.code).to.equal(0);
      expect(result.stdout).to.equal(
        [
          'name:           mail',
          'state:          active',
          'concurrency:    4',
          'rate:           2.5/s',
          'burst:          3 (auto)',
          'weight:         1',
          'retention:      7d (default)',
          'dead retention: 30d (default)',
          'running:        3',
          'queued:         10',
          'scheduled:      1',
          '',
        ].join('\n'),
      );
      expect(server.requests('getQueue')).to.deep.equal([{ name: 'mail' }]);
    });

    it('list prints a table, or one JSON line per queue', async () => {
      server.answers.listQueues = () => ({ queues: [MAIL, Queue.fromPartial({ name: 'video', settings: { paused: true } })] });
      const table = await run('queue', 'list');
      expect(table.stdout.trimEnd().split('\n')).to.deep.equal([
        'QUEUE  STATE   CONCURRENCY  RATE       BURST     WEIGHT  RUNNING  QUEUED  SCHEDULED',
        'mail   active  4            2.5/s      3 (auto)  1       3        10      1',
        'video  paused  unlimited    unlimited  -         1       0        0       0',
      ]);
      const json = await run('queue', 'list', '--json');
      expect(json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown)).to.deep.equal([
        { name: 'mail', paused: false, concurrency: 4, rate: 2.5, burst: 0, weight: 0, retentionMs: null, deadRetentionMs: null, running: 3, queued: 10, scheduled: 1 },
        { name: 'video', paused: true, concurrency: 0, rate: 0, burst: 0, weight: 0, retentionMs: null, deadRetentionMs: null, running: 0, queued: 0, scheduled: 0 },
      ]);
      server.reset();
      expect((await run('queue', 'list')).stdout).to.equal('no queues\n');
    });

    it('pause and resume send the name and print the queue', async () => {
      server.answers.pauseQueue = () => ({ queue: { ...MAIL, settings: { ...MAIL.settings, paused: true } } });
      expect((await run('queue', 'pause', 'mail')).stdout).to.match(/^state: +paused$/m);
      expect((await run('queue', 'resume', 'mail', '--json')).stdout).to.match(/^\{"name":"mail",/);
      expect(server.calls.map((call) => [call.method, call.request])).to.deep.equal([
        ['pauseQueue', { name: 'mail' }],
        ['resumeQueue', { name: 'mail' }],
      ]);
    });

    it('need exactly one NAME', async () => {
      for (const verb of ['get', 'pause', 'resume']) {
        await refused(['queue', verb], new RegExp(`^error: queue ${verb}: missing NAME\\n`));
      }
      await refused(['queue', 'list', 'mail'], /^error: queue list: unexpected argument 'mail'\n/);
      await refused(['queue', 'drain'], /^error: queue: unknown subcommand 'drain'; expected one of update, get, list, pause, resume\n/);
    });
  });
});

import { expect } from 'chai';
import { runClientCli } from '../../../client/cli/main';
import { parseTimeArgument } from '../../../client/cli/time-argument';
import { UsageError } from '../../../client/cli/usage-error';
import type { ListTasksRequest, SubmitTaskRequest } from '../../../shared/gen/baton/v1/task_queue';
import { Task } from '../../../shared/gen/baton/v1/task';
import { fakeIo } from './support/fake-io';
import { RecordingTaskQueue } from './support/recording-task-queue';

const NOW_MS = Date.parse('2030-06-01T12:00:00Z');

describe('time arguments (--since, --until)', () => {
  it('reads a duration with its unit as that long ago', () => {
    expect(parseTimeArgument('list', '1h', '--since', NOW_MS).toISOString()).to.equal('2030-06-01T11:00:00.000Z');
    expect(parseTimeArgument('list', '90s', '--since', NOW_MS).toISOString()).to.equal('2030-06-01T11:58:30.000Z');
    expect(parseTimeArgument('list', '2d', '--since', NOW_MS).toISOString()).to.equal('2030-05-30T12:00:00.000Z');
    expect(parseTimeArgument('list', '1.5h', '--since', NOW_MS).toISOString()).to.equal('2030-06-01T10:30:00.000Z');
  });

  it('reads ISO 8601 dates and times', () => {
    expect(parseTimeArgument('list', '2030-01-01', '--since', NOW_MS).toISOString()).to.equal('2030-01-01T00:00:00.000Z');
    expect(parseTimeArgument('list', '2030-01-01T09:30:00Z', '--since', NOW_MS).toISOString()).to.equal('2030-01-01T09:30:00.000Z');
    expect(parseTimeArgument('list', '2030-01-01T09:30:00+02:00', '--since', NOW_MS).toISOString()).to.equal('2030-01-01T07:30:00.000Z');
  });

  it('refuses anything else, naming the flag and the forms it takes', () => {
    for (const value of ['30', 'yesterday', '2030', '1 hour', '-1h', '2030-13-45']) {
      expect(() => parseTimeArgument('list', value, '--until', NOW_MS), value).to.throw(
        UsageError,
        `--until: expected an ISO 8601 time (2030-01-01, 2030-01-01T09:00:00Z) or a duration ago (30m, 1h, 2d), got '${value}'`,
      );
    }
  });
});

describe('baton list filters and submit task options, as sent', () => {
  let server: RecordingTaskQueue;

  before(async () => {
    server = await RecordingTaskQueue.start();
  });

  afterEach(() => server.reset());

  after(() => server?.close());

  async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const { io, stdout, stderr } = fakeIo();
    const code = await runClientCli([...argv, '--coordinator', server.address], io);
    return { code, stdout: stdout(), stderr: stderr() };
  }

  it('list sends --schedule, --since and --until', async () => {
    const before = Date.now();
    expect((await run('list', '--schedule', 'nightly', '--since', '1h', '--until', '2999-01-01T00:00:00Z')).code).to.equal(0);
    const [request] = server.requests<ListTasksRequest>('listTasks');
    expect(request?.schedule).to.equal('nightly');
    expect(request?.createdBefore?.toISOString()).to.equal('2999-01-01T00:00:00.000Z');
    const sinceMs = request?.createdAfter?.getTime() ?? 0;
    expect(sinceMs).to.be.within(before - 3_600_000, Date.now() - 3_600_000);
  });

  it('list refuses a bad time and an empty window before sending anything', async () => {
    const bad = await run('list', '--since', 'last week');
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/^error: --since: expected an ISO 8601 time .* got 'last week'\n/);
    const empty = await run('list', '--since', '2030-01-02', '--until', '2030-01-01');
    expect(empty.code).to.equal(2);
    expect(empty.stderr).to.match(/^error: --since \(2030-01-02T00:00:00.000Z\) must be before --until \(2030-01-01T00:00:00.000Z\)\n/);
    expect(server.calls).to.deep.equal([]);
  });

  it('submit takes the retry options and --content-type it shares with schedules', async () => {
    server.answers.submitTask = () => ({ task: Task.fromPartial({ id: 'T1' }), deduplicated: false });
    const result = await run(
      ...['submit', 'resize', 'raw bytes', '--content-type', 'text/plain', '--retry-initial-backoff', '1s'],
      ...['--retry-multiplier', '1.5', '--retry-max-backoff', '10m', '--retry-jitter', '0', '--max-infra-failures', '0'],
    );
    expect(result).to.deep.equal({ code: 0, stdout: 'T1\n', stderr: '' });
    const [request] = server.requests<SubmitTaskRequest>('submitTask');
    expect(request?.payload.toString()).to.equal('raw bytes');
    expect(request?.contentType).to.equal('text/plain');
    expect(request?.retry).to.deep.equal({
      initialBackoff: { seconds: 1, nanos: 0 },
      multiplier: 1.5,
      maxBackoff: { seconds: 600, nanos: 0 },
      jitter: 0,
      maxInfrastructureFailures: 0,
    });
  });

  it('submit parses a +json content type as JSON, and sends no retry policy without retry flags', async () => {
    server.answers.submitTask = () => ({ task: Task.fromPartial({ id: 'T2' }), deduplicated: false });
    expect((await run('submit', 't', '{"a":1}', '--content-type', 'application/vnd.acme+json')).code).to.equal(0);
    const [request] = server.requests<SubmitTaskRequest>('submitTask');
    expect(request?.payload.toString()).to.equal('{"a":1}');
    expect(request?.retry).to.equal(undefined);
    const bad = await run('submit', 't', '{oops', '--content-type', 'application/json; charset=utf-8');
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/^error: invalid JSON payload/);
  });
});

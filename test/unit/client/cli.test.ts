import { expect } from 'chai';
import { runClientCli } from '../../../client/cli/main';
import { AttemptOutcome, TaskState } from '../../../shared/gen/baton/v1/task';
import { fakeIo } from './support/fake-io';
import { FakeTaskQueueServer } from './support/fake-task-queue-server';

describe('runClientCli (against a fake TaskQueue server)', () => {
  let server: FakeTaskQueueServer;

  beforeEach(async () => {
    server = new FakeTaskQueueServer();
    await server.start();
  });

  afterEach(() => server.stop());

  /** Runs the CLI with BATON_COORDINATOR pointing at the fake server. */
  async function run(argv: string[], signal?: AbortSignal): Promise<{ code: number; stdout: string; stderr: string }> {
    const { io, stdout, stderr } = fakeIo({ BATON_COORDINATOR: server.address }, signal);
    const code = await runClientCli(argv, io);
    return { code, stdout: stdout(), stderr: stderr() };
  }

  it('submits and prints only the id', async () => {
    const result = await run([
      'submit', 'email.send', '{"to":"a@b.c"}',
      '--queue', 'mail', '--priority=-3', '--delay', '5s', '--max-attempts', '4', '--timeout', '1m',
      '--idempotency-key', 'k1', '--label', 'team=mail', '--label', 'tier=a=b',
    ]);
    expect(result).to.deep.include({ code: 0, stderr: '' });
    const [task] = server.tasks.values();
    expect(result.stdout).to.equal(`${task?.id}\n`);
    const request = server.submitted[0];
    expect(request).to.deep.include({ queue: 'mail', priority: -3, maxAttempts: 4, idempotencyKey: 'k1' });
    expect(request?.delay).to.deep.equal({ seconds: 5, nanos: 0 });
    expect(request?.timeout).to.deep.equal({ seconds: 60, nanos: 0 });
    expect(request?.labels).to.deep.equal({ team: 'mail', tier: 'a=b' });
    expect(JSON.parse(request?.payload.toString() ?? '')).to.deep.equal({ to: 'a@b.c' });
  });

  it('prefers --coordinator over the environment', async () => {
    const { io, stderr } = fakeIo({ BATON_COORDINATOR: '127.0.0.1:1' });
    expect(await runClientCli(['--coordinator', server.address, 'submit', 't'], io)).to.equal(0);
    expect(stderr()).to.equal('');
  });

  it('prints a submitted task as JSON with --json, deduplicated included', async () => {
    await run(['submit', 't', '1', '--idempotency-key', 'k']);
    const result = await run(['submit', 't', '2', '--idempotency-key', 'k', '--json']);
    const printed = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(printed).to.include({ type: 't', state: 'queued', payload: 1, deduplicated: true });
  });

  it('submits with --wait and exits by the final state', async () => {
    const pending = run(['submit', 't', '--wait', '--wait-timeout', '10s']);
    await server.until(() => server.watches.size === 1, 'the CLI watches');
    const [task] = server.tasks.values();
    server.update(task?.id ?? '', { state: TaskState.TASK_STATE_DEAD, lastError: 'boom', attempt: 3 });
    const result = await pending;
    expect(result.code).to.equal(1);
    expect(result.stdout).to.match(/^state: +dead$/m);
    expect(result.stdout).to.match(/^last error: +boom$/m);
  });

  it('gets a task as an aligned block', async () => {
    const task = server.put({
      type: 'resize',
      state: TaskState.TASK_STATE_SUCCEEDED,
      attempt: 2,
      payload: Buffer.from('{"w":10}'),
      contentType: 'application/json',
      result: Buffer.from('{"ok":true}'),
      labels: { team: 'img' },
      attempts: [
        {
          number: 1,
          workerId: 'w-1',
          leaseId: 'l-1',
          outcome: AttemptOutcome.ATTEMPT_OUTCOME_FAILED,
          error: 'oops',
          startedAt: new Date('2030-01-01T00:00:00Z'),
          endedAt: new Date('2030-01-01T00:00:01.500Z'),
        },
      ],
    });
    const result = await run(['get', task.id]);
    expect(result.code).to.equal(0);
    const lines = result.stdout.split('\n');
    const valueColumn = (lines[0] ?? '').indexOf(task.id);
    expect(valueColumn).to.be.greaterThan(3);
    for (const line of lines.slice(0, lines.indexOf('attempts:'))) expect(line.charAt(valueColumn - 1)).to.equal(' ');
    expect(result.stdout).to.match(/^state: +succeeded$/m);
    expect(result.stdout).to.match(/^attempt: +2 of 3$/m);
    expect(result.stdout).to.match(/^payload: +\{"w":10\}$/m);
    expect(result.stdout).to.match(/^result: +\{"ok":true\}$/m);
    expect(result.stdout).to.match(/^labels: +team=img$/m);
    expect(result.stdout).to.contain('attempts:\n  #1  failed  w-1  2030-01-01T00:00:00.000Z  1.5s  oops\n');
  });

  it('gets a task as JSON with decoded payload and result and ISO times', async () => {
    const createdAt = new Date('2030-01-01T00:00:00Z');
    const task = server.put({
      type: 't',
      payload: Buffer.from('[1,2]'),
      contentType: 'application/json',
      result: Buffer.from([0xff]),
      resultContentType: 'application/octet-stream',
      createdAt,
    });
    const result = await run(['--json', 'get', task.id]);
    const printed = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(printed).to.deep.include({
      id: task.id,
      state: 'queued',
      payload: [1, 2],
      result: '/w==',
      createdAt: '2030-01-01T00:00:00.000Z',
      finishedAt: null,
      lastError: null,
      attempts: [],
    });
  });

  it('prints server errors as CODE: message with exit 1', async () => {
    const result = await run(['get', 'missing']);
    expect(result).to.deep.equal({ code: 1, stdout: '', stderr: 'error: NOT_FOUND: task missing not found\n' });
    const done = server.put({ state: TaskState.TASK_STATE_SUCCEEDED });
    const cancel = await run(['cancel', done.id]);
    expect(cancel.code).to.equal(1);
    expect(cancel.stderr).to.match(/^error: FAILED_PRECONDITION: task .* already finished/);
  });

  it('cancels and retries', async () => {
    const task = server.put({});
    expect((await run(['cancel', task.id])).stdout).to.match(/^state: +canceled$/m);
    expect((await run(['retry', task.id])).stdout).to.match(/^state: +queued$/m);
  });

  it('waits: exit 0 for SUCCEEDED, 1 on timeout with DEADLINE_EXCEEDED', async () => {
    const task = server.put({ state: TaskState.TASK_STATE_SUCCEEDED });
    expect((await run(['wait', task.id])).code).to.equal(0);
    const slow = server.put({});
    const result = await run(['wait', slow.id, '--timeout', '50ms']);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(`error: DEADLINE_EXCEEDED: task ${slow.id} did not finish within 50ms\n`);
  });

  it('stops waiting with exit 130 when its signal aborts', async () => {
    const task = server.put({});
    const controller = new AbortController();
    const pending = run(['wait', task.id], controller.signal);
    await server.until(() => server.watches.size === 1, 'the CLI watches');
    controller.abort();
    const result = await pending;
    expect(result).to.deep.include({ code: 130, stderr: 'interrupted\n' });
    await server.until(() => server.watches.size === 0, 'the watch is cancelled');
  });

  it('lists as a table, filtered, with a hint when more exist', async () => {
    server.put({ type: 'a', state: TaskState.TASK_STATE_DEAD });
    server.put({ type: 'b', state: TaskState.TASK_STATE_QUEUED });
    server.put({ type: 'c', state: TaskState.TASK_STATE_DEAD });
    const result = await run(['list', '--state', 'dead', '--limit', '1']);
    expect(result.code).to.equal(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^ID +STATE +TYPE +QUEUE +ATTEMPT +CREATED$/);
    expect(lines.slice(1).map((line) => line.split(/ +/)[2])).to.deep.equal(['c']);
    expect(result.stderr).to.equal('showing the newest 1; use --limit to see more\n');
  });

  it('lists as JSON lines across pages', async () => {
    for (let i = 0; i < 5; i += 1) server.put({ type: `t${i}` });
    const result = await run(['list', '--json', '--limit', '1000']);
    const types = result.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types).to.deep.equal(['t4', 't3', 't2', 't1', 't0']);
    expect((await run(['list', '--queue', 'elsewhere'])).stdout).to.equal('no tasks\n');
  });
});

describe('runClientCli (nothing listening)', () => {
  it('names the address it could not reach, exit 1', async () => {
    const { io, stdout, stderr } = fakeIo({ BATON_COORDINATOR: '127.0.0.1:1' });
    expect(await runClientCli(['get', 'x'], io)).to.equal(1);
    expect(stdout()).to.equal('');
    expect(stderr()).to.match(/^error: UNAVAILABLE: coordinator at 127\.0\.0\.1:1 is unavailable: /);
  });
});

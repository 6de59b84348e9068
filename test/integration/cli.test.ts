import { writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { BatonClient, BatonError, TaskState, type Task } from '../../client/index';
import { spawnBaton, type BatonProcess, type CoordinatorHandle } from '../support/processes';
import { useTestProcesses } from '../support/test-processes';

/** No worker serves this queue: a task submitted there stays QUEUED until someone acts on it. */
const IDLE_QUEUE = 'idle';

/** The fields of one task in `--json` output, as `TaskJson` in client/cli/format.ts documents them. */
const TASK_JSON_FIELDS = [
  'id',
  'queue',
  'type',
  'state',
  'attempt',
  'maxAttempts',
  'infrastructureFailures',
  'priority',
  'contentType',
  'payload',
  'result',
  'lastError',
  'labels',
  'idempotencyKey',
  'timeoutMs',
  'createdAt',
  'updatedAt',
  'runAt',
  'finishedAt',
  'attempts',
  'schedule',
  'scheduleFireTime',
  'progress',
  'fairnessKey',
];

/** A listed task has no payload, result or attempts (`TaskSummaryJson`). */
const TASK_SUMMARY_JSON_FIELDS = TASK_JSON_FIELDS.filter((field) => !['payload', 'result', 'attempts'].includes(field));

/** The fields of one attempt in `--json` output (`AttemptJson`). */
const ATTEMPT_JSON_FIELDS = ['number', 'outcome', 'workerId', 'startedAt', 'endedAt', 'error'];

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A port that was bound and closed again: nothing listens there. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Relay {
  readonly port: number;
  /** Resolves on the first connection through the relay. */
  readonly connected: Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP relay to the coordinator. Its first connection says that the CLI process is past its
 * start-up: the entry point installs its signal handlers before the client connects. A test
 * can then send a signal that is handled rather than fatal, without sleeping to guess when.
 */
async function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  let markConnected: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => {
    markConnected = resolve;
  });
  const track = (socket: Socket, peer: () => Socket): void => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      peer().destroy();
    });
  };
  const server = createServer((inbound) => {
    markConnected();
    const outbound = connect(targetPort, '127.0.0.1');
    track(inbound, () => outbound);
    track(outbound, () => inbound);
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    connected,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('baton CLI as a process, against a real coordinator', function () {
  this.timeout(60_000);
  const processes = useTestProcesses();
  const { group } = processes;
  let coordinator: CoordinatorHandle;
  let client: BatonClient;

  before(async () => {
    ({ coordinator, client } = await processes.coordinatorWithWorker());
  });

  /** Starts `baton ARGS` (BATON_COORDINATOR unset unless `env` sets it) and collects its output. */
  function start(args: string[], env: Record<string, string> = {}): { proc: BatonProcess; result: Promise<CliResult> } {
    const proc = group.add(spawnBaton(args, `baton ${args.join(' ')}`, { BATON_COORDINATOR: '', ...env }));
    const stdout: Buffer[] = [];
    proc.child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    // 'close', not 'exit': it comes once stdout and stderr are drained.
    const result = new Promise<CliResult>((resolve) => {
      proc.child.once('close', (code) => {
        resolve({ code, stdout: Buffer.concat(stdout).toString(), stderr: proc.stderrText.join('') });
      });
    });
    return { proc, result };
  }

  function baton(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    return start(args, env).result;
  }

  /** `baton ARGS --coordinator ADDRESS`. */
  function cli(...args: string[]): Promise<CliResult> {
    return baton([...args, '--coordinator', coordinator.address]);
  }

  async function idleTask(): Promise<Task> {
    return (await client.submit('noop', {}, { queue: IDLE_QUEUE })).task;
  }

  async function refusal(promise: Promise<unknown>): Promise<BatonError> {
    const err = await promise.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(err).to.be.instanceOf(BatonError);
    return err as BatonError;
  }

  describe('submit', () => {
    it('prints only the id, and sends every option', async () => {
      const result = await cli(
        ...['submit', 'email.send', '{"to":"a@b.c"}', '--queue', IDLE_QUEUE, '--priority=-3', '--delay', '5m'],
        ...['--max-attempts', '4', '--timeout', '1m', '--idempotency-key', 'cli-k1', '--label', 'team=mail', '--label', 'tier=a=b'],
      );
      expect(result).to.deep.include({ code: 0, stderr: '' });
      expect(result.stdout).to.match(/^[0-9a-f-]{36}\n$/);
      const task = await client.get(result.stdout.trim());
      expect(task).to.include({ type: 'email.send', queue: IDLE_QUEUE, priority: -3, maxAttempts: 4, idempotencyKey: 'cli-k1' });
      expect(task.state).to.equal(TaskState.TASK_STATE_SCHEDULED);
      expect(task.runAt!.getTime() - task.createdAt!.getTime()).to.be.within(290_000, 300_000);
      expect(task.timeout).to.deep.equal({ seconds: 60, nanos: 0 });
      expect(task.labels).to.deep.equal({ team: 'mail', tier: 'a=b' });
      expect(client.decodePayload(task)).to.deep.equal({ to: 'a@b.c' });
    });

    it('notes a repeated idempotency key on stderr, and says deduplicated with --json', async () => {
      const first = await cli('submit', 'noop', '1', '--queue', IDLE_QUEUE, '--idempotency-key', 'cli-k2');
      const second = await cli('submit', 'noop', '2', '--queue', IDLE_QUEUE, '--idempotency-key', 'cli-k2');
      expect(second).to.deep.equal({
        code: 0,
        stdout: first.stdout,
        stderr: 'note: idempotency key already used; this is the existing task\n',
      });
      const json = await cli('--json', 'submit', 'noop', '3', '--queue', IDLE_QUEUE, '--idempotency-key', 'cli-k2');
      const printed = JSON.parse(json.stdout) as Record<string, unknown>;
      expect(printed).to.include({ id: first.stdout.trim(), payload: 1, deduplicated: true, state: 'queued' });
    });

    it('--wait prints the finished task, exit 0 when it succeeded', async () => {
      const result = await cli('submit', 'noop', '{"n":5}', '--wait', '--wait-timeout', '30s');
      expect(result).to.deep.include({ code: 0, stderr: '' });
      expect(result.stdout).to.match(/^state: +succeeded$/m);
      expect(result.stdout).to.match(/^attempt: +1 of 3$/m);
      expect(result.stdout).to.match(/^result: +\{"n":5\}$/m);
      expect(result.stdout).to.match(/^attempts:\n {2}#1 {2}succeeded /m);
    });

    it('--wait exits 1 when the task ends dead, showing its last error', async () => {
      const result = await cli('submit', 'alwaysFail', '{"message":"boom"}', '--max-attempts', '1', '--wait');
      expect(result).to.deep.include({ code: 1, stderr: '' });
      expect(result.stdout).to.match(/^state: +dead$/m);
      expect(result.stdout).to.match(/^last error: +boom$/m);
    });
  });

  describe('--json', () => {
    it('prints one object with the documented fields: submit --wait, get, list', async () => {
      const submitted = await cli('--json', 'submit', 'noop', '{"n":3}', '--label', 'k=v', '--wait');
      expect(submitted.code).to.equal(0);
      const task = JSON.parse(submitted.stdout) as Record<string, unknown> & { attempts: Array<Record<string, unknown>> };
      expect(Object.keys(task)).to.have.members([...TASK_JSON_FIELDS, 'deduplicated']);
      expect(task).to.deep.include({
        queue: 'default',
        type: 'noop',
        state: 'succeeded',
        attempt: 1,
        contentType: 'application/json',
        payload: { n: 3 },
        result: { n: 3 },
        lastError: null,
        labels: { k: 'v' },
        idempotencyKey: null,
        timeoutMs: null,
        deduplicated: false,
      });
      for (const key of ['createdAt', 'updatedAt', 'runAt', 'finishedAt']) expect(task[key], key).to.match(ISO_TIME);
      expect(task.attempts).to.have.length(1);
      const [attempt] = task.attempts;
      expect(Object.keys(attempt!)).to.have.members(ATTEMPT_JSON_FIELDS);
      expect(attempt).to.include({ number: 1, outcome: 'succeeded', error: null });
      expect(attempt!.startedAt).to.match(ISO_TIME);

      const got = await cli('get', String(task.id), '--json');
      expect(got.code).to.equal(0);
      const gotTask = JSON.parse(got.stdout) as Record<string, unknown>;
      expect(Object.keys(gotTask)).to.have.members(TASK_JSON_FIELDS);
      const expected: Record<string, unknown> = { ...task };
      delete expected.deduplicated;
      expect(gotTask).to.deep.equal(expected);

      const listed = await cli('list', '--json', '--limit', '2');
      const lines = listed.stdout.trimEnd().split('\n');
      expect(lines).to.have.length(2);
      for (const line of lines) expect(Object.keys(JSON.parse(line) as object)).to.have.members(TASK_SUMMARY_JSON_FIELDS);
    });
  });

  describe('get, cancel, retry, wait', () => {
    it('get prints the task as an aligned block with its attempts', async () => {
      const { task } = await client.submit('noop', { w: 10 }, { labels: { team: 'img' } });
      await client.wait(task.id, { timeoutMs: 30_000 });
      const result = await cli('get', task.id);
      expect(result).to.deep.include({ code: 0, stderr: '' });
      const lines = result.stdout.split('\n');
      const valueColumn = (lines[0] ?? '').indexOf(task.id);
      expect(valueColumn).to.be.greaterThan(3);
      for (const line of lines.slice(0, lines.indexOf('attempts:'))) expect(line.charAt(valueColumn - 1)).to.equal(' ');
      expect(result.stdout).to.match(/^state: +succeeded$/m);
      expect(result.stdout).to.match(/^payload: +\{"w":10\}$/m);
      expect(result.stdout).to.match(/^result: +\{\}$/m);
      expect(result.stdout).to.match(/^labels: +team=img$/m);
      expect(result.stdout).to.match(/^attempts:\n {2}#1 {2}succeeded {2}\S+ {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}\S+\n$/m);
    });

    it('cancel and retry print the task; refused, they exit 1 with the coordinator message', async () => {
      const task = await idleTask();
      const canceled = await cli('cancel', task.id);
      expect(canceled).to.deep.include({ code: 0, stderr: '' });
      expect(canceled.stdout).to.match(/^state: +canceled$/m);

      const expected = await refusal(client.cancel(task.id));
      expect(await cli('cancel', task.id)).to.deep.equal({
        code: 1,
        stdout: '',
        stderr: `error: FAILED_PRECONDITION: ${expected.message}\n`,
      });

      const retried = await cli('retry', task.id);
      expect(retried).to.deep.include({ code: 0, stderr: '' });
      expect(retried.stdout).to.match(/^state: +queued$/m);
      const again = await cli('retry', task.id);
      expect(again.code).to.equal(1);
      expect(again.stderr).to.equal(`error: FAILED_PRECONDITION: task ${task.id} is queued; only dead or canceled tasks can be retried\n`);
    });

    it("exits 1 for an unknown id, with the coordinator's NOT_FOUND message on stderr", async () => {
      expect(await cli('get', '01234567-89ab-7def-8123-456789abcdef')).to.deep.equal({
        code: 1,
        stdout: '',
        stderr: 'error: NOT_FOUND: task 01234567-89ab-7def-8123-456789abcdef not found\n',
      });
      expect(await cli('get', 'no-such-task')).to.deep.equal({
        code: 1,
        stdout: '',
        stderr: 'error: INVALID_ARGUMENT: id: "no-such-task" is not a task id (a lowercase UUID)\n',
      });
    });

    it('wait exits 0 for a task that succeeded, 1 with DEADLINE_EXCEEDED after --timeout', async () => {
      const { task: done } = await client.submit('noop', {});
      await client.wait(done.id, { timeoutMs: 30_000 });
      const ok = await cli('wait', done.id);
      expect(ok).to.deep.include({ code: 0, stderr: '' });
      expect(ok.stdout).to.match(/^state: +succeeded$/m);

      const idle = await idleTask();
      expect(await cli('wait', idle.id, '--timeout', '300ms')).to.deep.equal({
        code: 1,
        stdout: '',
        stderr: `error: DEADLINE_EXCEEDED: task ${idle.id} did not finish within 300ms\n`,
      });
    });

    it('submit --wait names the task it submitted when the wait fails', async () => {
      const result = await cli('submit', 'noop', '{}', '--queue', 'cli-idle-wait', '--wait', '--wait-timeout', '200ms');
      expect(result.code).to.equal(1);
      const id = /^note: task (\S+) was submitted; waiting for it failed$/m.exec(result.stderr)?.[1];
      expect(id, result.stderr).to.be.a('string');
      expect(result.stderr).to.include(`error: DEADLINE_EXCEEDED: task ${id} did not finish within 200ms`);
      expect((await client.get(id!)).queue).to.equal('cli-idle-wait');
    });

    it('wait stops on SIGINT with exit 130', async () => {
      const task = await idleTask();
      const relay = await startRelay(coordinator.port);
      try {
        const { proc, result } = start(['wait', task.id, '--coordinator', `127.0.0.1:${relay.port}`]);
        await relay.connected;
        proc.signal('SIGINT');
        expect(await result).to.deep.equal({ code: 130, stdout: '', stderr: 'interrupted\n' });
      } finally {
        await relay.close();
      }
    });
  });

  describe('list', () => {
    const queue = 'cli-list';
    let ids: string[];

    before(async () => {
      ids = [];
      for (const type of ['a', 'b', 'c']) ids.push((await client.submit(type, {}, { queue })).task.id);
      await client.cancel(ids[1]!);
    });

    it('prints a table, filtered, with a hint on stderr when more exist', async () => {
      const result = await cli('list', '--queue', queue, '--state', 'queued', '--limit', '1');
      expect(result.code).to.equal(0);
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines[0]).to.match(/^ID +STATE +TYPE +QUEUE +ATTEMPT +CREATED$/);
      expect(lines.slice(1).map((line) => line.split(/ +/).slice(0, 4))).to.deep.equal([[ids[2], 'queued', 'c', queue]]);
      expect(result.stderr).to.equal('showing the newest 1; use --limit to see more\n');
    });

    it('prints JSON lines, newest first, and "no tasks" for an empty result', async () => {
      const result = await cli('list', '--queue', queue, '--json');
      expect(result).to.deep.include({ code: 0, stderr: '' });
      const tasks = result.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { id: string; state: string });
      expect(tasks.map((task) => [task.id, task.state])).to.deep.equal([
        [ids[2], 'queued'],
        [ids[1], 'canceled'],
        [ids[0], 'queued'],
      ]);
      expect(await cli('list', '--queue', 'nothing-here')).to.deep.equal({ code: 0, stdout: 'no tasks\n', stderr: '' });
      expect(await cli('list', '--queue', 'nothing-here', '--json')).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    });
  });

  describe('exit codes of refusals', () => {
    it('reads a payload from @FILE', async () => {
      const file = join(group.tempDir(), 'payload.json');
      writeFileSync(file, JSON.stringify({ n: 'from a file' }));
      const result = await cli('submit', 'noop', `@${file}`, '--wait', '--json');
      expect(result.code).to.equal(0);
      expect((JSON.parse(result.stdout) as { payload: unknown }).payload).to.deep.equal({ n: 'from a file' });
    });

    it('exits 2 for a usage error found locally, sending nothing', async () => {
      const queue = 'cli-usage';
      const result = await cli('submit', 'noop', '{to:1}', '--queue', queue);
      expect(result.code).to.equal(2);
      expect(result.stdout).to.equal('');
      expect(result.stderr).to.match(/^error: invalid JSON payload: .*got '\{to:1\}'/);
      expect(result.stderr).to.match(/\nrun 'baton help submit' for usage\n$/);
      expect((await client.list({ queue })).tasks).to.have.length(0);
    });

    // The CLI leaves these to the coordinator, whose INVALID_ARGUMENT names the field; like every
    // error from the coordinator, it exits 1 (2 is for mistakes the CLI finds without asking).
    const refused: Array<[string, string[], string]> = [
      ['an empty type', ['submit', ''], 'type: must not be empty'],
      ['a queue name with a space', ['submit', 'noop', '--queue', 'has spaces'], 'queue: "has spaces" has characters outside'],
      ['too many attempts', ['submit', 'noop', '--max-attempts', '5000'], 'max_attempts: 5000 is over the limit of 1000'],
      [
        '--delay with --run-at',
        ['submit', 'noop', '--delay', '5s', '--run-at', '2030-01-01T00:00:00Z'],
        'delay and run_at: set at most one of them',
      ],
    ];
    for (const [what, args, message] of refused) {
      it(`exits 1 with the coordinator's INVALID_ARGUMENT for ${what}`, async () => {
        const result = await cli(...args);
        expect(result.code).to.equal(1);
        expect(result.stdout).to.equal('');
        expect(result.stderr.startsWith(`error: INVALID_ARGUMENT: ${message}`), result.stderr).to.equal(true);
        expect(result.stderr).to.not.contain('baton help');
      });
    }
  });

  describe('choosing the coordinator', () => {
    let id: string;
    let nowhere: string;

    before(async () => {
      id = (await idleTask()).id;
      nowhere = `127.0.0.1:${await closedPort()}`;
    });

    it('uses $BATON_COORDINATOR without --coordinator', async () => {
      const result = await baton(['get', id], { BATON_COORDINATOR: coordinator.address });
      expect(result).to.deep.include({ code: 0, stderr: '' });
      expect(result.stdout).to.match(new RegExp(`^id: +${id}$`, 'm'));
    });

    it('prefers --coordinator over $BATON_COORDINATOR, before or after the command', async () => {
      const flagAfter = await baton(['get', id, '--coordinator', coordinator.address], { BATON_COORDINATOR: nowhere });
      expect(flagAfter).to.deep.include({ code: 0, stderr: '' });
      const flagBefore = await baton(['--coordinator', nowhere, 'get', id], { BATON_COORDINATOR: coordinator.address });
      expect(flagBefore.code).to.equal(1);
      expect(flagBefore.stdout).to.equal('');
      expect(flagBefore.stderr).to.match(new RegExp(`^error: UNAVAILABLE: coordinator at ${nowhere.replace(/\./g, '\\.')} is unavailable: \\S`));
    });
  });
});

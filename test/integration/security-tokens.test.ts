import { expect } from 'chai';
import { status, type Metadata } from '@grpc/grpc-js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskState, type BatonClient, type Task } from '../../client/index';
import type { TaskQueueClient } from '../../shared/gen/baton/v1/task_queue';
import type { KeepAliveRequest, KeepAliveResponse, WorkerServiceClient } from '../../shared/gen/baton/v1/worker_service';
import { spawnBaton, startCoordinator, startWorker, type BatonProcess, type CoordinatorHandle } from '../support/processes';
import { hello, openStream } from '../support/raw-worker-stream';
import {
  authorization,
  httpGet,
  rawUnary,
  reloadCredentials,
  rejection,
  sayHello,
  sha256Hex,
  startCoordinatorWithEnv,
  useSecurityBed,
  writeTokensFile,
  type SecurityBed,
} from '../support/security-fixtures';

/** No worker serves these queues: a task submitted there stays QUEUED. */
const QUEUE_A = 'a';
const QUEUE_B = 'b';

const TOKENS = {
  admin: 'admin-token-0123456789abcdef',
  client: 'client-token-0123456789abcdef',
  worker: 'worker-token-0123456789abcdef',
  clientA: 'client-a-token-0123456789abc',
  workerA: 'worker-a-token-0123456789abc',
  /** In the file only as `"sha256": HEX`. */
  hashedClient: 'hashed-client-token-0123456789',
  /** In the file only as `"token": "sha256:HEX"`. */
  hashedWorker: 'hashed-worker-token-0123456789',
  /** In no file. */
  unknown: 'unknown-token-0123456789abcdef',
} as const;

const A_TASK_ID = '01234567-89ab-7def-8123-456789abcdef';

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `baton ARGS` with BATON_COORDINATOR and BATON_TOKEN unset unless `env` sets them; its exit code and output. */
function runCli(bed: SecurityBed, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const proc = bed.group.add(spawnBaton(args, `baton ${args[0] ?? ''}`, { BATON_COORDINATOR: '', BATON_TOKEN: '', ...env }));
  const stdout: Buffer[] = [];
  proc.child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
  return new Promise((resolve) => {
    proc.child.once('close', (code) => resolve({ code, stdout: Buffer.concat(stdout).toString(), stderr: proc.stderrText.join('') }));
  });
}

/** GetTask on a raw client with exactly the given metadata: the status code and details. */
async function rawGet(raw: TaskQueueClient, metadata: Metadata): Promise<{ code: number; details: string }> {
  const { error } = await rawUnary(raw.getTask.bind(raw), { id: A_TASK_ID }, metadata);
  return { code: error?.code ?? status.OK, details: error?.details ?? '' };
}

async function keepAliveCode(raw: WorkerServiceClient, sessionId = 'no-such-session'): Promise<{ code: number; details: string; alive: boolean | undefined }> {
  const { error, response } = await rawUnary<KeepAliveRequest, KeepAliveResponse>(raw.keepAlive.bind(raw), { workerId: 'raw-worker', sessionId });
  return { code: error?.code ?? status.OK, details: error?.details ?? '', alive: response?.sessionAlive };
}

/** The first snapshot of a watch, with the iterator left open for the rest. */
async function openWatch(client: BatonClient, id: string): Promise<{ first: Task; rest: AsyncIterator<Task> }> {
  const rest = client.watch(id)[Symbol.asyncIterator]();
  const first = await rest.next();
  if (first.done === true) throw new Error('the watch ended at once');
  return { first: first.value, rest };
}

async function lastOf(watch: AsyncIterator<Task>): Promise<Task | undefined> {
  let last: Task | undefined;
  for (let next = await watch.next(); next.done !== true; next = await watch.next()) last = next.value;
  return last;
}

describe('security: tokens and roles over gRPC', function () {
  this.timeout(60_000);
  const bed = useSecurityBed();
  let coordinator: CoordinatorHandle;
  let admin: BatonClient;
  /** Queued in queue b by the admin: what a client limited to queue a must not reach. */
  let taskInB: Task;

  before(async () => {
    const tokensFile = writeTokensFile(bed.group.tempDir(), [
      { name: 'ops', role: 'admin', token: TOKENS.admin },
      { name: 'app', role: 'client', token: TOKENS.client },
      { name: 'pool', role: 'worker', token: TOKENS.worker },
      { name: 'app-a', role: 'client', token: TOKENS.clientA, queues: [QUEUE_A] },
      { name: 'pool-a', role: 'worker', token: TOKENS.workerA, queues: [QUEUE_A] },
      { name: 'hashed-app', role: 'client', sha256: sha256Hex(TOKENS.hashedClient) },
      { name: 'hashed-pool', role: 'worker', token: `sha256:${sha256Hex(TOKENS.hashedWorker)}` },
    ]);
    coordinator = await startCoordinator(bed.group, { dataDir: join(bed.group.tempDir(), 'data'), args: ['--tokens', tokensFile] });
    admin = bed.client({ address: coordinator.address, token: TOKENS.admin });
    taskInB = (await admin.submit('noop', { n: 1 }, { queue: QUEUE_B })).task;
  });

  describe('who are you', () => {
    it('refuses calls without a token on both services: UNAUTHENTICATED', async () => {
      const anonymous = bed.client({ address: coordinator.address });
      const err = await rejection(anonymous.list({ queue: QUEUE_A }));
      expect(err.code).to.equal('UNAUTHENTICATED');
      expect(err.message).to.equal('missing credentials: send "authorization: Bearer TOKEN" (gRPC metadata or HTTP header)');
      expect((await rejection(anonymous.submit('noop', {}, { queue: QUEUE_A }))).code).to.equal('UNAUTHENTICATED');

      const rawWorker = bed.rawWorkerService(coordinator.address);
      expect((await keepAliveCode(rawWorker)).code).to.equal(status.UNAUTHENTICATED);
      const session = sayHello(rawWorker, { queues: [QUEUE_A] });
      const { error } = await session.outcome;
      expect(error?.code).to.equal(status.UNAUTHENTICATED);
      await session.close();
    });

    it('refuses a token that is in no file: UNAUTHENTICATED, on both services', async () => {
      const stranger = bed.client({ address: coordinator.address, token: TOKENS.unknown });
      const err = await rejection(stranger.list({ queue: QUEUE_A }));
      expect(err.code).to.equal('UNAUTHENTICATED');
      expect(err.message).to.equal('invalid token');

      const rawWorker = bed.rawWorkerService(coordinator.address, { token: TOKENS.unknown });
      expect(await keepAliveCode(rawWorker)).to.include({ code: status.UNAUTHENTICATED, details: 'invalid token' });
      const session = sayHello(rawWorker, { queues: [QUEUE_A] });
      expect((await session.outcome).error?.code).to.equal(status.UNAUTHENTICATED);
      await session.close();
    });

    it('refuses the hash of a token presented as the token', async () => {
      const err = await rejection(bed.client({ address: coordinator.address, token: `sha256:${sha256Hex(TOKENS.hashedClient)}` }).list({ queue: QUEUE_A }));
      expect(err.code).to.equal('UNAUTHENTICATED');
    });

    // Each carries a valid admin token: only the form of the header is wrong.
    const malformed: Array<[string, string[]]> = [
      ['another scheme', [`Basic ${Buffer.from(`ops:${TOKENS.admin}`).toString('base64')}`]],
      ['the token without "Bearer"', [TOKENS.admin]],
      ['"Bearer" without a token', ['Bearer']],
      ['a token with a space in it', [`Bearer ${TOKENS.admin} extra`]],
      // grpc-js (and Node's HTTP/2) refuse to send two authorization entries; joined is what a proxy would make of them.
      ['two credentials in one header', [`Bearer ${TOKENS.admin}, Bearer ${TOKENS.admin}`]],
    ];
    for (const [what, values] of malformed) {
      it(`refuses a malformed authorization header (${what}): UNAUTHENTICATED`, async () => {
        const raw = bed.rawTaskQueue(coordinator.address);
        const result = await rawGet(raw, authorization(...values));
        expect(result.code, result.details).to.equal(status.UNAUTHENTICATED);
        expect(result.details).to.match(/^malformed authorization/);
      });
    }

    it('accepts the same admin token in a well-formed header on a raw call', async () => {
      const raw = bed.rawTaskQueue(coordinator.address);
      const result = await rawGet(raw, authorization(`Bearer ${TOKENS.admin}`));
      // Past authentication: the id is unknown.
      expect(result.code, result.details).to.equal(status.NOT_FOUND);
    });
  });

  describe('roles', () => {
    it('refuses a client token on the WorkerService: Connect and KeepAlive are PERMISSION_DENIED', async () => {
      const rawWorker = bed.rawWorkerService(coordinator.address, { token: TOKENS.client });
      expect(await keepAliveCode(rawWorker)).to.deep.include({
        code: status.PERMISSION_DENIED,
        details: 'KeepAlive needs the worker role; this credential has the client role',
      });
      const session = sayHello(rawWorker, { queues: [QUEUE_A] });
      const { error } = await session.outcome;
      expect(error?.code).to.equal(status.PERMISSION_DENIED);
      expect(error?.details).to.equal('Connect needs the worker role; this credential has the client role');
      await session.close();
    });

    it('keeps a real worker with a client token out: it says why and exits 1 instead of retrying a credential that cannot work', async () => {
      const worker = bed.group.add(
        spawnBaton(['worker', '--coordinator', coordinator.address, '--token', TOKENS.client, join(__dirname, '..', 'fixtures', 'handlers.cjs')], 'worker'),
      );
      const { code } = await worker.exited;
      expect(code).to.equal(1);
      expect(worker.stderrText.join('')).to.equal(
        "baton worker: the coordinator refused this worker's credentials: Connect needs the worker role; this credential has the client role\n",
      );
      expect(worker.lines.filter((l) => l.msg === 'connected to the coordinator')).to.deep.equal([]);
    });

    it('refuses a worker token on the TaskQueue service: PERMISSION_DENIED for every method', async () => {
      const asWorker = bed.client({ address: coordinator.address, token: TOKENS.worker });
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['SubmitTask', () => asWorker.submit('by-worker', {}, { queue: QUEUE_A })],
        ['SubmitTasks', () => asWorker.submitMany([{ type: 'by-worker', options: { queue: QUEUE_A } }])],
        ['GetTask', () => asWorker.get(taskInB.id)],
        ['ListTasks', () => asWorker.list({ queue: QUEUE_B })],
        ['CancelTask', () => asWorker.cancel(taskInB.id)],
        ['RetryTask', () => asWorker.retry(taskInB.id)],
        ['WatchTask', () => openWatch(asWorker, taskInB.id)],
      ];
      for (const [method, call] of calls) {
        const err = await rejection(call());
        expect(err.code, method).to.equal('PERMISSION_DENIED');
        expect(err.message).to.equal(`${method} needs the client role; this credential has the worker role`);
      }
      expect((await admin.list({ type: 'by-worker' })).tasks, 'nothing was submitted').to.deep.equal([]);
      expect((await admin.get(taskInB.id)).state, 'nor canceled').to.equal(TaskState.TASK_STATE_QUEUED);
    });

    it('lets a worker token and an admin token use the WorkerService: welcomed, KeepAlive answered', async () => {
      for (const [who, token] of [['worker', TOKENS.worker], ['admin', TOKENS.admin]] as const) {
        const rawWorker = bed.rawWorkerService(coordinator.address, { token });
        const session = sayHello(rawWorker, { workerId: `raw-${who}`, queues: [`raw-${who}`] });
        const { welcome, error } = await session.outcome;
        expect(error, `${who}: ${error?.details ?? ''}`).to.equal(undefined);
        const { error: keepAliveError, response } = await rawUnary<KeepAliveRequest, KeepAliveResponse>(rawWorker.keepAlive.bind(rawWorker), {
          workerId: `raw-${who}`,
          sessionId: welcome!.sessionId,
        });
        expect(keepAliveError, who).to.equal(null);
        expect(response?.sessionAlive, who).to.equal(true);
        await session.close();
      }
    });

    it('lets an admin token use the TaskQueue service', async () => {
      const { task } = await admin.submit('noop', {}, { queue: QUEUE_A });
      expect((await admin.get(task.id)).queue).to.equal(QUEUE_A);
      expect((await admin.list({})).tasks.map((t) => t.id)).to.include.members([task.id, taskInB.id]);
      expect((await admin.cancel(task.id)).state).to.equal(TaskState.TASK_STATE_CANCELED);
    });

    it('runs tasks submitted with a client token on a real worker with a worker token', async () => {
      const worker = await startWorker(bed.group, coordinator.address, { args: ['--token', TOKENS.worker, '--queue', 'work'] });
      expect((await worker.waitForLog((l) => l.msg === 'worker starting', 'worker starting')).token).to.equal(true);
      const client = bed.client({ address: coordinator.address, token: TOKENS.client });
      const { task } = await client.submit('noop', { n: 5 }, { queue: 'work' });
      const done = await client.wait(task.id, { timeoutMs: 30_000 });
      expect(done.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
      expect(client.decodeResult(done)).to.deep.equal({ n: 5 });
    });
  });

  describe('a client token limited to queue a', () => {
    let limited: BatonClient;
    before(() => {
      limited = bed.client({ address: coordinator.address, token: TOKENS.clientA });
    });

    it('submits, reads, watches, cancels, retries and lists in queue a', async () => {
      const { task } = await limited.submit('noop', { n: 1 }, { queue: QUEUE_A });
      const [batch] = await limited.submitMany([{ type: 'noop', options: { queue: QUEUE_A } }]);
      expect((await limited.get(task.id)).queue).to.equal(QUEUE_A);
      const { first, rest } = await openWatch(limited, task.id);
      expect(first.state).to.equal(TaskState.TASK_STATE_QUEUED);
      expect((await limited.cancel(task.id)).state).to.equal(TaskState.TASK_STATE_CANCELED);
      expect((await lastOf(rest))?.state).to.equal(TaskState.TASK_STATE_CANCELED);
      expect((await limited.retry(task.id)).state).to.equal(TaskState.TASK_STATE_QUEUED);
      const listed = await limited.list({ queue: QUEUE_A });
      expect(listed.tasks.map((t) => t.id)).to.include.members([task.id, batch!.task.id]);
      expect(listed.tasks.every((t) => t.queue === QUEUE_A)).to.equal(true);
    });

    it('may not submit to queue b, alone or in a batch: PERMISSION_DENIED, and nothing is stored', async () => {
      const alone = await rejection(limited.submit('limited-b', {}, { queue: QUEUE_B }));
      expect(alone.code).to.equal('PERMISSION_DENIED');
      expect(alone.message).to.equal("SubmitTask: queue b is not among this credential's queues (a)");
      const batch = await rejection(
        limited.submitMany([
          { type: 'limited-b', options: { queue: QUEUE_A } },
          { type: 'limited-b', options: { queue: QUEUE_B } },
        ]),
      );
      expect(batch.code).to.equal('PERMISSION_DENIED');
      expect(batch.message).to.match(/^SubmitTasks tasks\[1\]: queue b is not among/);
      expect((await admin.list({ type: 'limited-b' })).tasks).to.deep.equal([]);
    });

    it("may not get, watch, cancel or retry a task of queue b: PERMISSION_DENIED, and the task is left as it was", async () => {
      for (const [method, call] of [
        ['GetTask', () => limited.get(taskInB.id)],
        ['WatchTask', () => openWatch(limited, taskInB.id)],
        ['CancelTask', () => limited.cancel(taskInB.id)],
      ] as const) {
        const err = await rejection(call());
        expect(err.code, method).to.equal('PERMISSION_DENIED');
        expect(err.message, method).to.equal(`${method}: queue b is not among this credential's queues (a)`);
      }
      expect((await admin.get(taskInB.id)).state).to.equal(TaskState.TASK_STATE_QUEUED);

      // Retry needs a canceled (or dead) task to act on; the admin cancels one in b.
      const { task } = await admin.submit('noop', {}, { queue: QUEUE_B });
      await admin.cancel(task.id);
      const err = await rejection(limited.retry(task.id));
      expect(err.code).to.equal('PERMISSION_DENIED');
      expect(err.message).to.equal("RetryTask: queue b is not among this credential's queues (a)");
      expect((await admin.get(task.id)).state).to.equal(TaskState.TASK_STATE_CANCELED);
    });

    it('must name queue a to list: without a queue or with queue b, PERMISSION_DENIED', async () => {
      const everything = await rejection(limited.list({}));
      expect(everything.code).to.equal('PERMISSION_DENIED');
      expect(everything.message).to.equal('ListTasks: this credential is limited to queues a; name one of them in queue (baton list --queue)');
      const other = await rejection(limited.list({ queue: QUEUE_B }));
      expect(other.code).to.equal('PERMISSION_DENIED');
      expect((await limited.list({ queue: QUEUE_A })).tasks.every((t) => t.queue === QUEUE_A)).to.equal(true);
    });
  });

  describe('a worker token limited to queue a', () => {
    const cases: Array<[string, string[]]> = [
      ['queue b', [QUEUE_B]],
      ['queues a and b', [QUEUE_A, QUEUE_B]],
      ['no queue (the default queue)', []],
    ];
    for (const [what, queues] of cases) {
      it(`ends a Connect stream whose hello asks for ${what}: PERMISSION_DENIED`, async () => {
        const rawWorker = bed.rawWorkerService(coordinator.address, { token: TOKENS.workerA });
        const session = sayHello(rawWorker, { queues });
        const { error } = await session.outcome;
        expect(error?.code, error?.details).to.equal(status.PERMISSION_DENIED);
        expect(error?.details).to.match(/^hello\.queues: queue (b|default) is not among this credential's queues \(a\)$/);
        await session.close();
      });
    }

    it('welcomes a hello for queue a', async () => {
      const rawWorker = bed.rawWorkerService(coordinator.address, { token: TOKENS.workerA });
      const session = sayHello(rawWorker, { workerId: 'raw-a', queues: [QUEUE_A] });
      expect((await session.outcome).welcome?.sessionId).to.be.a('string').that.is.not.equal('');
      await session.close();
    });

    it('refuses a real worker asking for queue b, which says why, and lets one for queue a run its tasks', async () => {
      const handlers = join(__dirname, '..', 'fixtures', 'handlers.cjs');
      const wrong = bed.group.add(spawnBaton(['worker', '--coordinator', coordinator.address, '--token', TOKENS.workerA, '--queue', QUEUE_B, handlers], 'worker-b'));
      expect((await wrong.exited).code).to.equal(1);
      expect(wrong.stderrText.join('')).to.include("hello.queues: queue b is not among this credential's queues (a)");

      await startWorker(bed.group, coordinator.address, { args: ['--token', TOKENS.workerA, '--queue', 'a'] });
      const { task } = await admin.submit('noop', { n: 9 }, { queue: QUEUE_A });
      expect((await admin.wait(task.id, { timeoutMs: 30_000 })).state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
      // The worker takes only a: the task in b is still waiting.
      expect((await admin.get(taskInB.id)).state).to.equal(TaskState.TASK_STATE_QUEUED);
    });
  });

  describe('tokens kept as sha256 hashes', () => {
    it('accepts a client token the file holds as "sha256": HEX', async () => {
      const hashed = bed.client({ address: coordinator.address, token: TOKENS.hashedClient });
      const { task } = await hashed.submit('noop', {}, { queue: 'hashed' });
      expect((await hashed.get(task.id)).id).to.equal(task.id);
    });

    it('accepts a worker token the file holds as "token": "sha256:HEX"', async () => {
      const rawWorker = bed.rawWorkerService(coordinator.address, { token: TOKENS.hashedWorker });
      const session = sayHello(rawWorker, { workerId: 'hashed', queues: ['hashed'] });
      const { welcome, error } = await session.outcome;
      expect(error?.details).to.equal(undefined);
      expect(welcome?.sessionId).to.be.a('string');
      await session.close();
    });
  });

  describe('the CLI', () => {
    it('submits with --token', async () => {
      const result = await runCli(bed, ['submit', 'noop', '{"n":1}', '--queue', 'cli', '--coordinator', coordinator.address, '--token', TOKENS.client]);
      expect(result).to.deep.include({ code: 0, stderr: '' });
      expect((await admin.get(result.stdout.trim())).queue).to.equal('cli');
    });

    it('submits with BATON_TOKEN', async () => {
      const result = await runCli(bed, ['submit', 'noop', '{"n":2}', '--queue', 'cli', '--coordinator', coordinator.address], { BATON_TOKEN: TOKENS.client });
      expect(result).to.deep.include({ code: 0, stderr: '' });
      expect((await admin.get(result.stdout.trim())).queue).to.equal('cli');
    });

    it('exits 1 with UNAUTHENTICATED without a token or with an unknown one', async () => {
      const none = await runCli(bed, ['list', '--queue', 'cli', '--coordinator', coordinator.address]);
      expect(none.code).to.equal(1);
      expect(none.stdout).to.equal('');
      expect(none.stderr).to.match(/^error: UNAUTHENTICATED: missing credentials/);
      const unknown = await runCli(bed, ['list', '--queue', 'cli', '--coordinator', coordinator.address, '--token', TOKENS.unknown]);
      expect(unknown.code).to.equal(1);
      expect(unknown.stderr).to.equal('error: UNAUTHENTICATED: invalid token\nhint: pass --token TOKEN or set BATON_TOKEN\n');
    });

    it('exits 1 with PERMISSION_DENIED for a worker token', async () => {
      const result = await runCli(bed, ['list', '--coordinator', coordinator.address], { BATON_TOKEN: TOKENS.worker });
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/^error: PERMISSION_DENIED: ListTasks needs the client role/);
    });
  });

  describe('over HTTP', () => {
    it('answers /metrics without a token, or with an unknown or malformed one, with 401 UNAUTHENTICATED', async () => {
      const refusals: Array<[string, Record<string, string>]> = [
        ['no token', {}],
        ['an unknown token', { authorization: `Bearer ${TOKENS.unknown}` }],
        ['another scheme', { authorization: `Basic ${Buffer.from(`ops:${TOKENS.admin}`).toString('base64')}` }],
      ];
      for (const [what, headers] of refusals) {
        const reply = await httpGet({ port: coordinator.httpPort, path: '/metrics', headers });
        expect(reply.status, what).to.equal(401);
        expect(reply.headers['content-type'], what).to.equal('application/json');
        expect(reply.headers['www-authenticate'], what).to.equal('Bearer');
        expect(JSON.parse(reply.body), what).to.have.nested.property('error.status', 'UNAUTHENTICATED');
      }
    });

    it('serves /metrics to any valid token not limited to queues: client, worker, admin, hashed', async () => {
      for (const token of [TOKENS.client, TOKENS.worker, TOKENS.admin, TOKENS.hashedWorker]) {
        const reply = await httpGet({ port: coordinator.httpPort, path: '/metrics', headers: { authorization: `Bearer ${token}` } });
        expect(reply.status).to.equal(200);
        expect(reply.body).to.match(/^# HELP /m);
      }
    });

    it('keeps /metrics, which names every queue, from a token limited to queues: 403', async () => {
      const reply = await httpGet({ port: coordinator.httpPort, path: '/metrics', headers: { authorization: `Bearer ${TOKENS.clientA}` } });
      expect(reply.status).to.equal(403);
      // The error body every refusal on the HTTP port has.
      expect(JSON.parse(reply.body)).to.deep.equal({ error: { code: 403, status: 'PERMISSION_DENIED', message: 'a token limited to queues cannot read /metrics, which covers every queue' } });
    });

    it('serves /healthz without a token', async () => {
      const reply = await httpGet({ port: coordinator.httpPort, path: '/healthz' });
      expect(reply.status).to.equal(200);
      expect(JSON.parse(reply.body)).to.deep.equal({ status: 'ok' });
    });
  });
});

describe('security: a text tokens file from BATON_TOKENS_FILE, reloaded on SIGHUP', function () {
  this.timeout(60_000);
  const bed = useSecurityBed();
  const T = {
    admin: 'reload-admin-token-0123456789',
    keep: 'reload-keep-token-0123456789',
    doomed: 'reload-doomed-token-0123456789',
    fresh: 'reload-fresh-token-0123456789',
    worker: 'reload-worker-token-0123456789',
    doomedWorker: 'reload-doomed-worker-token-0123456789',
    queues: 'reload-queues-token-0123456789',
  } as const;
  let tokensFile: string;
  let coordinator: CoordinatorHandle;
  let worker: BatonProcess;
  let doomedWorker: BatonProcess;
  let admin: BatonClient;
  let keep: BatonClient;
  let doomed: BatonClient;

  /** Polls /metrics (the only outside view of it) until that many streams await hello. */
  const awaitingHello = async (count: number): Promise<void> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { body } = await httpGet({ port: coordinator.httpPort, path: '/metrics', headers: { authorization: `Bearer ${T.admin}` } });
      if (new RegExp(`^baton_worker_streams_awaiting_hello ${count}$`, 'm').test(body)) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} streams awaiting hello`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const textFile = (lines: string[]): string => ['# tokens for the reload test', ...lines, ''].join('\n');
  const before1 = textFile([
    `admin ${T.admin}`,
    `client ${T.keep}   # stays`,
    `client ${T.doomed} # goes`,
    `worker sha256:${sha256Hex(T.worker)}`,
    `worker ${T.doomedWorker}`,
    `client ${T.queues} q1,q2`,
  ]);

  before(async () => {
    tokensFile = join(bed.group.tempDir(), 'tokens.txt');
    writeFileSync(tokensFile, before1);
    coordinator = await startCoordinatorWithEnv(bed.group, { dataDir: join(bed.group.tempDir(), 'data'), env: { BATON_TOKENS_FILE: tokensFile } });
    // The worker takes its token from BATON_TOKEN.
    worker = await startWorker(bed.group, coordinator.address, { args: ['--queue', 'work'], env: { BATON_TOKEN: T.worker } });
    doomedWorker = await startWorker(bed.group, coordinator.address, { args: ['--queue', 'other-work'], env: { BATON_TOKEN: T.doomedWorker } });
    admin = bed.client({ address: coordinator.address, token: T.admin });
    keep = bed.client({ address: coordinator.address, token: T.keep });
    doomed = bed.client({ address: coordinator.address, token: T.doomed });
  });

  it('reads the text format: roles, a sha256 line, a queue list, comments', async () => {
    const listening = await coordinator.process.waitForLog((l) => l.msg === 'coordinator listening', 'listening');
    expect(listening.tokens).to.equal(true);
    expect((await doomed.list({ queue: 'x' })).tasks).to.deep.equal([]);
    const queues = bed.client({ address: coordinator.address, token: T.queues });
    await queues.submit('noop', {}, { queue: 'q2' });
    expect((await rejection(queues.submit('noop', {}, { queue: 'q3' }))).code).to.equal('PERMISSION_DENIED');
    expect((await rejection(bed.client({ address: coordinator.address }).list({ queue: 'x' }))).code).to.equal('UNAUTHENTICATED');
    const { task } = await keep.submit('noop', { n: 1 }, { queue: 'work' });
    expect((await keep.wait(task.id, { timeoutMs: 30_000 })).state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
  });

  it('refuses a removed token after SIGHUP, even on streams it opened, accepts an added one, and keeps the others working', async () => {
    // A watch opened with the token about to go, on a task nobody will run.
    const { task: parked } = await keep.submit('noop', {}, { queue: 'parked' });
    const watch = await openWatch(doomed, parked.id);
    expect(watch.first.state).to.equal(TaskState.TASK_STATE_QUEUED);
    // A worker stream opened with a token about to go, that has not said hello yet.
    const preHello = openStream(bed.rawWorkerService(coordinator.address, { token: T.doomedWorker }));
    await awaitingHello(1); // the coordinator holds it before the reload

    writeFileSync(tokensFile, textFile([`admin ${T.admin}`, `client ${T.keep}`, `client ${T.fresh}`, `worker sha256:${sha256Hex(T.worker)}`]));
    const reloaded = await reloadCredentials(coordinator.process, 'reloaded');
    expect(reloaded.tokens).to.equal(4);

    const gone = await rejection(doomed.list({ queue: 'x' }));
    expect(gone.code).to.equal('UNAUTHENTICATED');
    expect(gone.message).to.equal('invalid token');
    expect((await rejection(bed.client({ address: coordinator.address, token: T.queues }).list({ queue: 'q1' }))).code).to.equal('UNAUTHENTICATED');
    expect((await httpGet({ port: coordinator.httpPort, path: '/metrics', headers: { authorization: `Bearer ${T.doomed}` } })).status).to.equal(401);
    expect((await bed.client({ address: coordinator.address, token: T.fresh }).list({ queue: 'x' })).tasks).to.deep.equal([]);
    expect((await keep.list({ queue: 'x' })).tasks).to.deep.equal([]);

    // The stream that opened before the reload cannot use the token it opened with.
    preHello.stream.write({ message: { $case: 'hello', value: hello({ workerId: 'late-hello', queues: ['other-work'] }) } });
    const late = await preHello.ended;
    expect(late?.code).to.equal(status.UNAUTHENTICATED);
    expect(late?.details).to.equal('the token of this call was revoked');
    // A worker whose token was removed loses its stream, and cannot come back.
    const dropped = await doomedWorker.waitForLog((l) => l.msg === 'disconnected from the coordinator; reconnecting', 'the revoked worker dropped');
    expect(dropped.err_message).to.equal('credentials reloaded: the token of this call was revoked');
    // A watch opened with the removed token ends: revoking a token reaches its open streams.
    const revoked = await rejection(lastOf(watch.rest));
    expect(revoked.code).to.equal('UNAUTHENTICATED');
    expect(revoked.message).to.equal('the token of this call was revoked');
    await admin.cancel(parked.id);
    // The worker's stream, whose token stayed, carries on undisturbed.
    const { task } = await keep.submit('noop', { n: 2 }, { queue: 'work' });
    expect((await keep.wait(task.id, { timeoutMs: 30_000 })).state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect(worker.lines.filter((l) => l.msg === 'connected to the coordinator')).to.have.length(1);
  });

  it('keeps the tokens in use when the new file is bad, and says so', async () => {
    for (const bad of ['{ "tokens": [ not json', textFile([`admin ${T.admin}`, 'client too-short'])]) {
      writeFileSync(tokensFile, bad);
      const failed = await reloadCredentials(coordinator.process, 'failed');
      expect(failed.err_message).to.include(tokensFile);
      expect((await keep.list({ queue: 'x' })).tasks).to.deep.equal([]);
      expect((await bed.client({ address: coordinator.address, token: T.fresh }).list({ queue: 'x' })).tasks).to.deep.equal([]);
      expect((await rejection(doomed.list({ queue: 'x' }))).code).to.equal('UNAUTHENTICATED');
    }
  });
});

describe('security: one credential cannot hold every worker slot', function () {
  this.timeout(60_000);
  const bed = useSecurityBed();
  const SANDBOX = 'sandbox-worker-token-0123456789';
  const PROD = 'prod-worker-token-0123456789';

  it('counts streams that have not said hello against their credential', async () => {
    const tokensFile = writeTokensFile(bed.group.tempDir(), [
      { name: 'sandbox', role: 'worker', token: SANDBOX },
      { name: 'prod', role: 'worker', token: PROD },
    ]);
    const coordinator = await startCoordinator(bed.group, {
      dataDir: join(bed.group.tempDir(), 'data'),
      args: ['--tokens', tokensFile, '--max-workers-per-credential', '2'],
    });
    const sandbox = bed.rawWorkerService(coordinator.address, { token: SANDBOX });
    const silent = [openStream(sandbox), openStream(sandbox)];
    const third = openStream(sandbox);
    const refused = await third.ended;
    expect(refused?.code).to.equal(status.RESOURCE_EXHAUSTED);
    expect(refused?.details).to.equal('2 Connect streams of this credential have not sent hello yet, the limit (maxWorkersPerCredential) is 2');
    const prod = sayHello(bed.rawWorkerService(coordinator.address, { token: PROD }), { workerId: 'prod-1' });
    expect((await prod.outcome).welcome).to.not.equal(undefined);
    await prod.close();
    for (const stream of silent) stream.stream.cancel();
  });
});

import { expect } from 'chai';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TaskQueueClient, type SubmitTaskRequest } from '../../shared/gen/baton/v1/task_queue';
import { WorkerServiceClient } from '../../shared/gen/baton/v1/worker_service';
import { BatonClient, TaskState } from '../../client/index';
import { openStream } from '../support/raw-worker-stream';
import { BatonProcess, ProcessGroup, REPO_ROOT, spawnBaton, startCoordinator, startWorker, type CoordinatorHandle } from '../support/processes';

function submitRaw(client: TaskQueueClient, request: Partial<SubmitTaskRequest>): Promise<ServiceError | undefined> {
  const full: SubmitTaskRequest = {
    queue: '',
    type: 'noop',
    payload: Buffer.alloc(0),
    contentType: '',
    priority: 0,
    maxAttempts: 0,
    idempotencyKey: '',
    labels: {},
    traceContext: {},
    fairnessKey: '',
    ...request,
  };
  return new Promise((resolve) => client.submitTask(full, (err) => resolve(err ?? undefined)));
}

describe('bad input', function () {
  this.timeout(60_000);
  const group = new ProcessGroup();
  let coordinator: CoordinatorHandle;
  let raw: TaskQueueClient;
  let workerClient: WorkerServiceClient;
  let client: BatonClient;

  before(async () => {
    coordinator = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data'), args: ['--max-payload-bytes', '1024'] });
    raw = new TaskQueueClient(coordinator.address, credentials.createInsecure());
    workerClient = new WorkerServiceClient(coordinator.address, credentials.createInsecure());
    client = new BatonClient({ address: coordinator.address });
  });

  after(async () => {
    raw?.close();
    workerClient?.close();
    client?.close();
    await group.cleanup();
  });

  const cases: Array<[string, Partial<SubmitTaskRequest>, RegExp]> = [
    ['an empty type', { type: '' }, /^type: must not be empty/],
    ['an over-long type', { type: 't'.repeat(129) }, /^type: 129 characters is over the limit of 128/],
    ['an over-long queue', { queue: 'q'.repeat(200) }, /^queue: 200 characters/],
    ['a queue with spaces', { queue: 'my queue' }, /^queue: "my queue" has characters/],
    ['a payload over the limit', { payload: Buffer.alloc(2048) }, /^payload: 2048 bytes exceeds the limit of 1024 bytes/],
    ['both delay and run_at', { delay: { seconds: 1, nanos: 0 }, runAt: new Date() }, /^delay and run_at: set at most one/],
    ['a negative timeout', { timeout: { seconds: -1, nanos: 0 } }, /^timeout: must not be negative/],
    ['too many attempts', { maxAttempts: 5000 }, /^max_attempts: 5000 is over the limit of 1000/],
    ['a jitter above 1', { retry: { multiplier: 2, jitter: 2 } }, /^retry.jitter: must be between 0 and 1/],
    ['a multiplier below 1', { retry: { multiplier: 0.5, jitter: 0 } }, /^retry.multiplier: must be between 1 and 100/],
    ['a malformed content type', { contentType: 'not a mime type' }, /^content_type: "not a mime type" is not a MIME type/],
  ];
  for (const [what, request, message] of cases) {
    it(`rejects ${what} with INVALID_ARGUMENT naming the field`, async () => {
      const err = await submitRaw(raw, request);
      expect(err?.code, err?.details).to.equal(status.INVALID_ARGUMENT);
      expect(err?.details).to.match(message);
    });
  }

  it('names the failing entry of a batch and commits none of it', async () => {
    const before = (await client.list({ pageSize: 1000 })).tasks.length;
    const request = (type: string): SubmitTaskRequest => ({ queue: '', type, payload: Buffer.alloc(0), contentType: '', priority: 0, maxAttempts: 0, idempotencyKey: '', labels: {}, traceContext: {}, fairnessKey: '' });
    const err = await new Promise<ServiceError | null>((resolve) =>
      raw.submitTasks({ tasks: [request('noop'), request('noop'), request('')] }, (e) => resolve(e)),
    );
    expect(err?.code).to.equal(status.INVALID_ARGUMENT);
    expect(err?.details).to.match(/^tasks\[2\]\.type: must not be empty/);
    expect((await client.list({ pageSize: 1000 })).tasks.length).to.equal(before);
  });

  it('answers NOT_FOUND for an unknown task id', async () => {
    const err = await client.get('01234567-89ab-7def-8123-456789abcdef').catch((e: unknown) => e);
    expect(err).to.have.property('code', 'NOT_FOUND');
    expect((err as Error).message).to.equal('task 01234567-89ab-7def-8123-456789abcdef not found');
  });

  it('rejects a result sent before hello with FAILED_PRECONDITION and ends the stream', async () => {
    const { stream, ended } = openStream(workerClient);
    stream.write({ message: { $case: 'results', value: { results: [{ leaseId: 'x', outcome: { $case: 'success', value: { result: Buffer.alloc(0), contentType: '' } } }] } } });
    const err = await ended;
    expect(err?.code).to.equal(status.FAILED_PRECONDITION);
    expect(err?.details).to.equal('the first message on a Connect stream must be hello, got results');
  });

  it('rejects a hello with a bad concurrency, naming the field', async () => {
    const { stream, ended } = openStream(workerClient);
    stream.write({ message: { $case: 'hello', value: { workerId: 'w1', queues: [], taskTypes: [], concurrency: 0, heldLeaseIds: [], resumeSecret: '' } } });
    const err = await ended;
    expect(err?.code).to.equal(status.INVALID_ARGUMENT);
    expect(err?.details).to.match(/^hello.concurrency: must be between 1 and 10000, got 0/);
  });

  it('rejects a result for a lease the worker does not hold, and leaves the task alone', async () => {
    const { task } = await client.submit('noop', { n: 1 }, { queue: 'fenced' });
    const { stream, next } = openStream(workerClient);
    stream.write({ message: { $case: 'hello', value: { workerId: 'intruder', queues: ['elsewhere'], taskTypes: [], concurrency: 1, heldLeaseIds: [], resumeSecret: '' } } });
    const welcome = await next();
    expect(welcome.message?.$case).to.equal('welcome');
    stream.write({ message: { $case: 'results', value: { results: [{ leaseId: '00000000-0000-4000-8000-000000000000', outcome: { $case: 'success', value: { result: Buffer.from('{}'), contentType: '' } } }] } } });
    const acks = await next();
    expect(acks.message?.$case).to.equal('resultAcks');
    const ack = acks.message?.$case === 'resultAcks' ? acks.message.value.acks[0] : undefined;
    expect(ack?.code).to.equal(status.FAILED_PRECONDITION);
    expect(ack?.message).to.match(/^lease 00000000-0000-4000-8000-000000000000 is not current/);
    stream.end();
    const after = await client.get(task.id);
    expect(after.state).to.equal(TaskState.TASK_STATE_QUEUED);
  });

  it('fails a task whose result is over the limit, without jamming its worker', async () => {
    await startWorker(group, coordinator.address, { args: ['--queue', 'results'] });
    const tooBig = await client.submit('big', { bytes: 3 * 1024 * 1024 }, { queue: 'results', maxAttempts: 3 });
    const done = await client.wait(tooBig.task.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_DEAD);
    expect(done.attempts).to.have.length(1);
    expect(done.lastError).to.match(/^result of \d+ bytes exceeds the coordinator's limit of 1024 bytes/);
    const fine = await client.submit('big', { bytes: 100 }, { queue: 'results' });
    expect((await client.wait(fine.task.id, { timeoutMs: 30_000 })).state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
  });

  it('turns an oversized result from a worker that ignores the limit into a failure', async () => {
    const { task } = await client.submit('noop', {}, { queue: 'raw' });
    const { stream, next } = openStream(workerClient);
    stream.write({ message: { $case: 'hello', value: { workerId: 'careless', queues: ['raw'], taskTypes: [], concurrency: 1, heldLeaseIds: [], resumeSecret: '' } } });
    const welcome = await next();
    expect(welcome.message?.$case === 'welcome' && welcome.message.value.maxResultBytes).to.equal(1024);
    const leases = await next();
    const lease = leases.message?.$case === 'leases' ? leases.message.value.leases[0] : undefined;
    expect(lease?.taskId).to.equal(task.id);
    stream.write({ message: { $case: 'results', value: { results: [{ leaseId: lease!.leaseId, outcome: { $case: 'success', value: { result: Buffer.alloc(2000, 65), contentType: '' } } }] } } });
    const acks = await next();
    expect(acks.message?.$case === 'resultAcks' && acks.message.value.acks[0]?.code).to.equal(status.OK);
    stream.end();
    const dead = await client.get(task.id);
    expect(dead.state).to.equal(TaskState.TASK_STATE_DEAD);
    expect(dead.lastError).to.equal('result of 2000 bytes exceeds the limit of 1024 bytes');
  });

  it('keeps serving others after all of that', async () => {
    const { task } = await client.submit('noop', { ok: true });
    expect(task.state).to.equal(TaskState.TASK_STATE_QUEUED);
    const listed = await client.list({ state: 'queued', pageSize: 1000 });
    expect(listed.tasks.map((t) => t.id)).to.include(task.id);
  });
});

describe('an unusable data directory', function () {
  this.timeout(30_000);
  const group = new ProcessGroup();
  after(() => group.cleanup());

  async function startFails(dataDir: string): Promise<{ code: number | null; stderr: string }> {
    const proc = group.add(spawnBaton(['coordinator', '--listen', '127.0.0.1:0', '--http', 'off', '--data', dataDir], 'coordinator'));
    const { code } = await proc.exited;
    return { code, stderr: proc.stderrText.join('') };
  }

  it('refuses a directory that is not Baton\'s', async () => {
    const dir = group.tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const { code, stderr } = await startFails(dir);
    expect(code).to.equal(1);
    expect(stderr).to.match(/is not a Baton data directory/);
    expect(stderr).to.include('notes.txt');
  });

  it('refuses a corrupt database file', async () => {
    const dir = join(group.tempDir(), 'data');
    mkdirSync(dir);
    writeFileSync(join(dir, 'baton.db'), Buffer.alloc(8192, 7));
    const { code, stderr } = await startFails(dir);
    expect(code).to.equal(1);
    expect(stderr).to.match(/baton\.db is not a valid Baton database/);
  });

  it('says a read-only data directory is read-only, not that its valid database is invalid', async function () {
    const asRoot = process.getuid?.() === 0;
    const nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];
    // As root, the coordinator must run as nobody, who needs to read the checkout to do so.
    const probe = `require(${JSON.stringify(join(REPO_ROOT, 'dist', 'coordinator', 'main.js'))})`;
    if (asRoot && spawnSync(nobody[0]!, [...nobody.slice(1), process.execPath, '-e', probe]).status !== 0) this.skip();
    const parent = group.tempDir();
    chmodSync(parent, 0o755);
    const dataDir = join(parent, 'data');
    const first = await startCoordinator(group, { dataDir });
    await first.process.stop();
    chmodSync(join(dataDir, 'baton.db'), 0o444);
    chmodSync(dataDir, 0o555);
    const baton = [process.execPath, join(REPO_ROOT, 'dist', 'bin', 'baton.js'), 'coordinator', '--listen', '127.0.0.1:0', '--http', 'off', '--data', dataDir];
    const argv = asRoot ? [...nobody, ...baton] : baton;
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = group.add(new BatonProcess(child, 'read-only coordinator'));
    const { code } = await proc.exited;
    chmodSync(dataDir, 0o755); // let cleanup remove it
    expect(code).to.equal(1);
    expect(proc.stderrText.join('')).to.match(/cannot write to .*baton\.db \(is the data directory or the file read-only\?\)/);
  });

  it('refuses a data directory another coordinator is using', async () => {
    const dataDir = join(group.tempDir(), 'data');
    await startCoordinator(group, { dataDir });
    const { code, stderr } = await startFails(dataDir);
    expect(code).to.equal(1);
    expect(stderr).to.match(/is in use by another process/);
  });

  it('refuses a bad setting, naming it', async () => {
    const proc = group.add(spawnBaton(['coordinator', '--lease-timeout', 'soon'], 'coordinator'));
    const { code } = await proc.exited;
    expect(code).to.equal(2);
    expect(proc.stderrText.join('')).to.match(/--lease-timeout: expected a duration like 500ms or 10s, got "soon"/);
  });
});

import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { expect } from 'chai';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BatonClient, BatonError, TaskState, type SubmitOptions, type Task } from '../../client/index';
import { ProcessGroup, startCoordinator, startWorker, type CoordinatorHandle } from '../support/processes';
import { useTestProcesses } from '../support/test-processes';

/** No worker serves this queue: a task submitted there stays QUEUED until someone acts on it. */
const IDLE_QUEUE = 'idle';

async function rejection(promise: Promise<unknown>): Promise<BatonError> {
  try {
    await promise;
  } catch (err: unknown) {
    expect(err).to.be.instanceOf(BatonError);
    return err as BatonError;
  }
  throw new Error('expected a rejection');
}

/** What a promise rejected with, whatever it is. */
async function reasonOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err: unknown) {
    return err;
  }
  throw new Error('expected a rejection');
}

async function consume(watch: AsyncIterable<Task>): Promise<Task[]> {
  const seen: Task[] = [];
  for await (const task of watch) seen.push(task);
  return seen;
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

/**
 * A BatonClient that tells the test when its watches deliver. `wait` gives no outward sign
 * that its watch is open; this lets a test act at that moment (kill the coordinator, abort)
 * instead of after a sleep. The streams themselves are the real ones.
 */
class ObservedClient extends BatonClient {
  /** How many watches were opened, by the test or by `wait`. */
  watchCount = 0;
  private readonly delivered: Task[] = [];
  private readonly waiters = new Set<() => void>();

  override watch(id: string, signal?: AbortSignal): AsyncIterable<Task> {
    this.watchCount += 1;
    const inner = super.watch(id, signal);
    const observe = (task: Task): void => {
      this.delivered.push(task);
      for (const waiter of [...this.waiters]) waiter();
    };
    return (async function* () {
      for await (const task of inner) {
        observe(task);
        yield task;
      }
    })();
  }

  /** Resolves with the `count`th snapshot delivered by any watch, once it has arrived. */
  delivery(count = 1): Promise<Task> {
    return new Promise((resolve) => {
      const check = (): void => {
        const task = this.delivered[count - 1];
        if (task === undefined) return;
        this.waiters.delete(check);
        resolve(task);
      };
      this.waiters.add(check);
      check();
    });
  }
}

describe('BatonClient against a real coordinator', function () {
  this.timeout(60_000);
  const processes = useTestProcesses();
  let coordinator: CoordinatorHandle;
  let client: BatonClient;

  before(async () => {
    ({ coordinator, client } = await processes.coordinatorWithWorker());
  });

  it('submits a JSON payload with options and reads the task back', async () => {
    const options: SubmitOptions = {
      queue: IDLE_QUEUE,
      priority: -3,
      maxAttempts: 4,
      timeout: '1m',
      retry: { initialBackoff: '2s', multiplier: 3, maxBackoff: '1m', jitter: 0 },
      labels: { team: 'mail' },
      traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    };
    const { task, deduplicated } = await client.submit('email.send', { to: 'a@b.c' }, options);
    expect(deduplicated).to.equal(false);
    expect(task).to.include({ type: 'email.send', queue: IDLE_QUEUE, priority: -3, maxAttempts: 4, attempt: 0 });
    expect(task.state).to.equal(TaskState.TASK_STATE_QUEUED);

    const got = await client.get(task.id);
    expect(got).to.include({ id: task.id, contentType: 'application/json' });
    expect(client.decodePayload(got)).to.deep.equal({ to: 'a@b.c' });
    expect(got.labels).to.deep.equal({ team: 'mail' });
    expect(got.traceContext).to.deep.equal(options.traceContext);
    expect(got.timeout).to.deep.equal({ seconds: 60, nanos: 0 });
    // jitter 0 is sent as set, not taken for "unset": the task keeps 0, not the default.
    expect(got.retry).to.deep.include({ multiplier: 3, jitter: 0 });
    expect(got.retry?.initialBackoff).to.deep.equal({ seconds: 2, nanos: 0 });
  });

  it('sends concurrent submits together, and each still gets its own task or its own refusal', async () => {
    const methods: string[] = [];
    const recording: Interceptor = (options, next) => {
      methods.push(String(options.method_definition.path));
      return new InterceptingCall(next(options));
    };
    const observed = new BatonClient({ address: coordinator.address, channelOptions: { interceptors: [recording] } });
    try {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => observed.submit('noop', { i }, { queue: IDLE_QUEUE })));
      expect(new Set(results.map((result) => result.task.id)).size).to.equal(50);
      expect(methods.length, 'fewer calls than submits').to.be.below(50);
      expect(methods).to.include('/baton.v1.TaskQueue/SubmitTasks');
      for (const [i, result] of results.entries()) expect(client.decodePayload(await client.get(result.task.id))).to.deep.equal({ i });

      // One bad submit among good ones fails alone, with the message it would have had alone.
      const outcomes = await Promise.allSettled([
        observed.submit('noop', {}, { queue: IDLE_QUEUE }),
        observed.submit('noop', {}, { queue: 'not a queue name!' }),
        observed.submit('noop', {}, { queue: IDLE_QUEUE }),
      ]);
      expect(outcomes.map((outcome) => outcome.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
      const refused = (outcomes[1] as PromiseRejectedResult).reason as BatonError;
      expect(refused.code).to.equal('INVALID_ARGUMENT');
      expect(refused.message).to.match(/^queue: /);
    } finally {
      observed.close();
    }
  });

  it('delays a task: SCHEDULED, with run_at the delay after creation', async () => {
    const { task } = await client.submit('noop', {}, { queue: IDLE_QUEUE, delay: '10m' });
    expect(task.state).to.equal(TaskState.TASK_STATE_SCHEDULED);
    const delayMs = task.runAt!.getTime() - task.createdAt!.getTime();
    expect(delayMs).to.be.within(590_000, 600_000);
  });

  it('sends a binary payload as is, as application/octet-stream', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xff]);
    const { task } = await client.submit('noop', bytes, { queue: IDLE_QUEUE });
    const got = await client.get(task.id);
    expect(got.contentType).to.equal('application/octet-stream');
    expect(Buffer.from(got.payload).equals(bytes)).to.equal(true);
    expect(client.decodePayload(got)).to.deep.equal(bytes);
  });

  it('returns the first task for a repeated idempotency key, marked deduplicated', async () => {
    const first = await client.submit('noop', 1, { queue: IDLE_QUEUE, idempotencyKey: 'sdk-key' });
    const second = await client.submit('noop', 2, { queue: IDLE_QUEUE, idempotencyKey: 'sdk-key' });
    expect(second.deduplicated).to.equal(true);
    expect(second.task.id).to.equal(first.task.id);
    expect(client.decodePayload(await client.get(second.task.id))).to.equal(1);
  });

  it('submits many in order, and commits none when the coordinator refuses one', async () => {
    const queue = 'batch';
    const results = await client.submitMany([
      { type: 'a', options: { queue } },
      { type: 'b', payload: [1], options: { queue } },
    ]);
    expect(results.map((result) => result.task.type)).to.deep.equal(['a', 'b']);

    const err = await rejection(
      client.submitMany([
        { type: 'c', options: { queue } },
        { type: '', options: { queue } },
      ]),
    );
    expect(err.code).to.equal('INVALID_ARGUMENT');
    expect(err.message).to.equal('tasks[1].type: must not be empty');
    const listed = await client.list({ queue });
    expect(listed.tasks.map((task) => task.type)).to.deep.equal(['b', 'a']);
  });

  it('names the item it cannot encode, and sends nothing', async () => {
    const queue = 'batch-local';
    const err = await rejection(
      client.submitMany([
        { type: 'a', options: { queue } },
        { type: 'b', options: { queue, delay: 'soon' } },
      ]),
    );
    expect(err.code).to.equal('INVALID_ARGUMENT');
    expect(err.message).to.match(/^items\[1\]: delay: expected a duration/);
    expect((await client.list({ queue })).tasks).to.have.length(0);
  });

  // The client checks none of these: the coordinator is the source of truth, and its message
  // names the wire field.
  const refused: Array<[string, string, SubmitOptions, RegExp]> = [
    ['an empty type', '', {}, /^type: must not be empty$/],
    ['a queue name with a space', 'noop', { queue: 'has spaces' }, /^queue: "has spaces" has characters outside/],
    ['a retry multiplier below 1', 'noop', { retry: { multiplier: 0.5 } }, /^retry\.multiplier: must be between 1 and 100, got 0\.5$/],
    ['a retry jitter above 1', 'noop', { retry: { jitter: 2 } }, /^retry\.jitter: must be between 0 and 1, got 2$/],
    ['too many attempts', 'noop', { maxAttempts: 5000 }, /^max_attempts: 5000 is over the limit of 1000$/],
    ['a negative timeout', 'noop', { timeout: -1500 }, /^timeout: must not be negative$/],
    ['both delay and runAt', 'noop', { delay: '1s', runAt: new Date('2030-01-01T00:00:00Z') }, /^delay and run_at: set at most one/],
    ['an empty label key', 'noop', { labels: { '': 'x' } }, /^labels: keys must be/],
  ];
  for (const [what, type, options, message] of refused) {
    it(`passes on the coordinator's INVALID_ARGUMENT for ${what}`, async () => {
      const err = await rejection(client.submit(type, {}, { queue: IDLE_QUEUE, ...options }));
      expect(err.code).to.equal('INVALID_ARGUMENT');
      expect(err.message).to.match(message);
    });
  }

  it("rejects an unknown id with the coordinator's NOT_FOUND", async () => {
    const err = await rejection(client.get('01234567-89ab-7def-8123-456789abcdef'));
    expect(err.code).to.equal('NOT_FOUND');
    expect(err.message).to.equal('task 01234567-89ab-7def-8123-456789abcdef not found');
  });

  it('cancels an unfinished task once, retries it, and refuses to retry a queued one', async () => {
    const { task } = await client.submit('noop', {}, { queue: IDLE_QUEUE });
    const canceled = await client.cancel(task.id);
    expect(canceled.state).to.equal(TaskState.TASK_STATE_CANCELED);
    expect(canceled.finishedAt).to.be.instanceOf(Date);

    const again = await rejection(client.cancel(task.id));
    expect(again.code).to.equal('FAILED_PRECONDITION');
    expect(again.message).to.match(/already canceled/);

    const requeued = await client.retry(task.id);
    expect(requeued.state).to.equal(TaskState.TASK_STATE_QUEUED);
    const twice = await rejection(client.retry(task.id));
    expect(twice.code).to.equal('FAILED_PRECONDITION');
    expect(twice.message).to.match(/only dead or canceled tasks can be retried/);
  });

  it('lists newest first, page by page, filtered by queue, state and type', async () => {
    const queue = 'paging';
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await client.submit(`t${i}`, { i }, { queue })).task.id);

    const types: string[][] = [];
    let pageToken = '';
    do {
      const page = await client.list({ queue, pageSize: 2, pageToken });
      types.push(page.tasks.map((task) => task.type));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(types).to.deep.equal([['t4', 't3'], ['t2', 't1'], ['t0']]);

    await client.cancel(ids[1]!);
    const canceled = await client.list({ queue, state: 'canceled' });
    expect(canceled.tasks.map((task) => task.id)).to.deep.equal([ids[1]]);
    const queued = await client.list({ queue, state: TaskState.TASK_STATE_QUEUED });
    expect(queued.tasks).to.have.length(4);
    expect((await client.list({ queue, type: 't3' })).tasks.map((task) => task.id)).to.deep.equal([ids[3]]);
    expect((await client.list({ queue: 'nothing-here' })).tasks).to.deep.equal([]);
  });

  it('refuses what it cannot send, and passes on the coordinator refusing a page', async () => {
    const badState = await rejection(client.list({ state: 'done' }));
    expect(badState.code).to.equal('INVALID_ARGUMENT');
    expect(badState.message).to.match(/^state: unknown task state "done"/);

    const badToken = await rejection(client.list({ pageToken: 'not-a-token' }));
    expect(badToken.code).to.equal('INVALID_ARGUMENT');
    expect(badToken.message).to.match(/^page_token: /);

    const tooBig = await rejection(client.list({ pageSize: 1001 }));
    expect(tooBig.code).to.equal('INVALID_ARGUMENT');
    expect(tooBig.message).to.match(/^page_size: over the limit of 1000/);

    // page_size is a uint32: a negative one cannot be sent at all.
    const negative = await rejection(client.list({ pageSize: -5 }));
    expect(negative.code).to.equal('INVALID_ARGUMENT');
    expect(negative.message).to.match(/^pageSize: expected an integer from 0 to 4294967295/);
  });

  it('watches a task to SUCCEEDED, and the stream ends by itself', async () => {
    const { task } = await client.submit('noop', { n: 7 });
    const seen = await consume(client.watch(task.id));
    const states = seen.map((update) => update.state);
    expect(states[states.length - 1]).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect([...states].sort((a, b) => a - b), 'states arrive in lifecycle order').to.deep.equal(states);
    expect(new Set(states).size, 'each state once').to.equal(states.length);
    const done = seen[seen.length - 1]!;
    expect(done.attempts).to.have.length(1);
    // Watch messages stay small whatever the task holds: payload and result come from get (and wait).
    expect(seen.every((update) => update.payload.length === 0 && update.result.length === 0)).to.equal(true);
    expect(client.decodeResult(await client.get(task.id))).to.deep.equal({ n: 7 });
  });

  it('waits for a task that succeeds, and resolves (not rejects) with one that ends DEAD', async () => {
    const ok = await client.submit('noop', { n: 1 });
    const failing = await client.submit('alwaysFail', { message: 'boom' }, { maxAttempts: 1 });
    const [succeeded, dead] = await Promise.all([
      client.wait(ok.task.id, { timeoutMs: 30_000 }),
      client.wait(failing.task.id, { timeoutMs: 30_000 }),
    ]);
    expect(succeeded.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect(client.decodeResult(succeeded)).to.deep.equal({ n: 1 });
    expect(dead).to.include({ state: TaskState.TASK_STATE_DEAD, lastError: 'boom' });
  });

  it('returns a finished task from wait at once, from its first snapshot', async () => {
    const { task } = await client.submit('noop', {}, { queue: IDLE_QUEUE });
    await client.cancel(task.id);
    expect((await client.wait(task.id)).state).to.equal(TaskState.TASK_STATE_CANCELED);
  });

  it('reports NOT_FOUND from watch and wait', async () => {
    expect((await rejection(consume(client.watch('01234567-89ab-7def-8123-456789abcdef')))).code).to.equal('NOT_FOUND');
    const err = await rejection(client.wait('01234567-89ab-7def-8123-456789abcdef', { timeoutMs: 30_000 }));
    expect(err.code).to.equal('NOT_FOUND');
    expect(err.message).to.equal('task 01234567-89ab-7def-8123-456789abcdef not found');
  });

  it('closes idempotently; calls, watches and waits after close reject with FAILED_PRECONDITION', async () => {
    const closed = new BatonClient({ address: coordinator.address });
    expect((await closed.list({ pageSize: 1 })).tasks).to.be.an('array'); // the channel was open
    closed.close();
    closed.close();
    const calls = [() => closed.get('x'), () => consume(closed.watch('x')), () => closed.wait('x')];
    for (const call of calls) {
      const err = await rejection(call());
      expect(err.code).to.equal('FAILED_PRECONDITION');
      expect(err.message).to.equal('BatonClient is closed');
    }
  });
});

describe('BatonClient streams end with their reader', function () {
  // A leaked stream makes the coordinator's shutdown wait its whole grace, and stop() below
  // SIGKILLs it after 30 seconds.
  this.timeout(90_000);
  const group = new ProcessGroup();
  let coordinator: CoordinatorHandle;
  let client: ObservedClient;
  let task: Task;

  beforeEach(async () => {
    // With a 10-minute grace, shutdown finishes at once only if no stream is open.
    const dataDir = join(group.tempDir(), 'data');
    coordinator = await startCoordinator(group, { dataDir, args: ['--shutdown-grace', '10m'] });
    client = new ObservedClient({ address: coordinator.address });
    ({ task } = await client.submit('noop', {}, { queue: IDLE_QUEUE }));
  });

  afterEach(async () => {
    client?.close();
    await group.cleanup();
  });

  /** SIGTERM; a clean exit 0 says the coordinator had no stream left to wait for. */
  async function expectNoStreamLeft(): Promise<void> {
    const exit = await coordinator.process.stop(30_000);
    expect(exit, 'the coordinator shut down without waiting for an open stream').to.deep.equal({ code: 0, signal: null });
  }

  it('cancels the watch when the loop breaks', async () => {
    for await (const update of client.watch(task.id)) {
      expect(update.state).to.equal(TaskState.TASK_STATE_QUEUED);
      break;
    }
    await expectNoStreamLeft();
  });

  it("cancels the watch when its signal aborts, rejecting with the signal's reason", async () => {
    const controller = new AbortController();
    const reason = new Error('enough');
    const watching = consume(client.watch(task.id, controller.signal));
    await client.delivery();
    controller.abort(reason);
    expect(await reasonOf(watching)).to.equal(reason);
    await expectNoStreamLeft();
  });

  it('gives up waiting after timeoutMs with DEADLINE_EXCEEDED, and cancels its watch', async () => {
    const err = await rejection(client.wait(task.id, { timeoutMs: 200 }));
    expect(err.code).to.equal('DEADLINE_EXCEEDED');
    expect(err.message).to.equal(`task ${task.id} did not finish within 200ms`);
    await expectNoStreamLeft();
  });

  it("stops waiting when its signal aborts, rejecting with the signal's reason, and cancels its watch", async () => {
    const controller = new AbortController();
    const reason = new Error('no longer needed');
    const waiting = client.wait(task.id, { signal: controller.signal });
    await client.delivery();
    controller.abort(reason);
    expect(await reasonOf(waiting)).to.equal(reason);
    await expectNoStreamLeft();
  });
});

describe('BatonClient across a coordinator crash', function () {
  this.timeout(120_000);
  const group = new ProcessGroup();
  let client: ObservedClient | undefined;

  after(async () => {
    client?.close();
    await group.cleanup();
  });

  it('keeps waiting through SIGKILL and a restart on the same port and data, and returns the final task', async () => {
    const dataDir = join(group.tempDir(), 'data');
    const first = await startCoordinator(group, { dataDir });
    client = new ObservedClient({ address: first.address });
    // No worker serves this queue until after the restart, so the task cannot finish before.
    const queue = 'after-restart';
    const { task } = await client.submit('noop', { n: 42 }, { queue });
    const waiting = client.wait(task.id, { timeoutMs: 60_000 });
    expect((await client.delivery()).state).to.equal(TaskState.TASK_STATE_QUEUED);

    await first.process.kill();
    const second = await startCoordinator(group, { dataDir, port: first.port });
    await startWorker(group, second.address, { args: ['--queue', queue] });

    const done = await waiting;
    expect(done.id).to.equal(task.id);
    expect(done.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect(client.decodeResult(done)).to.deep.equal({ n: 42 });
    expect(client.watchCount, 'watched again after the crash').to.be.at.least(2);
  });
});

describe('BatonClient with nothing listening', () => {
  it('fails fast with UNAVAILABLE naming the address, for calls, watches and waits', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const client = new BatonClient({ address });
    try {
      const calls = [() => client.get('x'), () => client.submit('noop'), () => consume(client.watch('x')), () => client.wait('x')];
      for (const call of calls) {
        const err = await rejection(call());
        expect(err.code).to.equal('UNAVAILABLE');
        expect(err.message).to.match(new RegExp(`^coordinator at ${address.replace(/\./g, '\\.')} is unavailable: \\S`));
        expect(err.message).to.not.match(/Resolution note/);
      }
    } finally {
      client.close();
    }
  });
});

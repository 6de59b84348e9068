import { expect } from 'chai';
import { createServer } from 'node:net';
import { BatonClient } from '../../../client/client';
import { BatonError } from '../../../shared/errors';
import { TaskState, type Task } from '../../../shared/gen/baton/v1/task';
import { FakeTaskQueueServer } from './support/fake-task-queue-server';

async function rejection(promise: Promise<unknown>): Promise<BatonError> {
  try {
    await promise;
  } catch (err: unknown) {
    expect(err).to.be.instanceOf(BatonError);
    return err as BatonError;
  }
  throw new Error('expected a rejection');
}

/** A port that was free a moment ago: nothing listens there. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('BatonClient (against a fake TaskQueue server)', () => {
  let server: FakeTaskQueueServer;
  let client: BatonClient;

  beforeEach(async () => {
    server = new FakeTaskQueueServer();
    await server.start();
    client = new BatonClient({ address: server.address });
  });

  afterEach(() => {
    client.close();
    server.stop();
  });

  it('submits a JSON payload and returns the committed task', async () => {
    const { task, deduplicated } = await client.submit('email.send', { to: 'a@b.c' }, { queue: 'mail', priority: 5 });
    expect(deduplicated).to.equal(false);
    expect(task).to.include({ type: 'email.send', queue: 'mail', priority: 5 });
    expect(client.decodePayload(task)).to.deep.equal({ to: 'a@b.c' });
    expect(server.submitted[0]?.contentType).to.equal('application/json');
  });

  it('reports deduplication by idempotency key', async () => {
    const first = await client.submit('t', 1, { idempotencyKey: 'k' });
    const second = await client.submit('t', 2, { idempotencyKey: 'k' });
    expect(second).to.deep.include({ deduplicated: true });
    expect(second.task.id).to.equal(first.task.id);
  });

  it('submits many in order', async () => {
    const results = await client.submitMany([{ type: 'a' }, { type: 'b', payload: [1] }]);
    expect(results.map((result) => result.task.type)).to.deep.equal(['a', 'b']);
  });

  it('names the bad item of submitMany before sending anything', async () => {
    const err = await rejection(client.submitMany([{ type: 'a' }, { type: 'b', options: { delay: 'x' } }]));
    expect(err.code).to.equal('INVALID_ARGUMENT');
    expect(err.message).to.match(/^items\[1\]: delay:/);
    expect(server.submitted).to.have.length(0);
  });

  it("rejects with the server's code and message", async () => {
    const notFound = await rejection(client.get('nope'));
    expect(notFound.code).to.equal('NOT_FOUND');
    expect(notFound.message).to.equal('task nope not found');
    const task = server.put({ state: TaskState.TASK_STATE_SUCCEEDED });
    const finished = await rejection(client.cancel(task.id));
    expect(finished.code).to.equal('FAILED_PRECONDITION');
  });

  it('gets, cancels and retries', async () => {
    const task = server.put({ type: 't' });
    expect((await client.get(task.id)).id).to.equal(task.id);
    expect((await client.cancel(task.id)).state).to.equal(TaskState.TASK_STATE_CANCELED);
    expect((await client.retry(task.id)).state).to.equal(TaskState.TASK_STATE_QUEUED);
  });

  it('lists with a state name and pages', async () => {
    server.put({ type: 'a', state: TaskState.TASK_STATE_DEAD });
    server.put({ type: 'b', state: TaskState.TASK_STATE_QUEUED });
    server.put({ type: 'c', state: TaskState.TASK_STATE_DEAD });
    const first = await client.list({ state: 'dead', pageSize: 1 });
    expect(first.tasks.map((task) => task.type)).to.deep.equal(['c']);
    const second = await client.list({ state: TaskState.TASK_STATE_DEAD, pageSize: 1, pageToken: first.nextPageToken });
    expect(second.tasks.map((task) => task.type)).to.deep.equal(['a']);
    expect(second.nextPageToken).to.equal('');
    const bad = await rejection(client.list({ state: 'nope' }));
    expect(bad.code).to.equal('INVALID_ARGUMENT');
  });

  it('decodes a JSON result', () => {
    expect(client.decodeResult({ result: Buffer.from('{"ok":true}'), resultContentType: 'application/json' })).to.deep.equal({
      ok: true,
    });
    expect(client.decodeResult({ result: Buffer.alloc(0), resultContentType: '' })).to.equal(undefined);
  });

  it('watches a task to its end', async () => {
    const task = server.put({});
    const seen: TaskState[] = [];
    for await (const update of client.watch(task.id)) {
      seen.push(update.state);
      if (seen.length === 1) server.update(task.id, { state: TaskState.TASK_STATE_RUNNING });
      if (seen.length === 2) server.update(task.id, { state: TaskState.TASK_STATE_SUCCEEDED });
    }
    expect(seen).to.deep.equal([TaskState.TASK_STATE_QUEUED, TaskState.TASK_STATE_RUNNING, TaskState.TASK_STATE_SUCCEEDED]);
  });

  it('cancels the stream when the consumer breaks', async () => {
    const task = server.put({});
    for await (const update of client.watch(task.id)) {
      expect(update.id).to.equal(task.id);
      break;
    }
    await server.until(() => server.watches.size === 0, 'the watch is cancelled');
  });

  it('cancels the stream when the signal aborts, rejecting with its reason', async () => {
    const task = server.put({});
    const controller = new AbortController();
    const reason = new Error('enough');
    let caught: unknown;
    try {
      for await (const update of client.watch(task.id, controller.signal)) {
        expect(update.id).to.equal(task.id);
        controller.abort(reason);
      }
    } catch (err: unknown) {
      caught = err;
    }
    expect(caught).to.equal(reason);
    await server.until(() => server.watches.size === 0, 'the watch is cancelled');
  });

  it('reports NOT_FOUND from a watch', async () => {
    const consume = async (): Promise<void> => {
      for await (const update of client.watch('nope')) expect.fail(`unexpected ${update.id}`);
    };
    expect((await rejection(consume())).code).to.equal('NOT_FOUND');
  });

  it('waits for a terminal state', async () => {
    const task = server.put({});
    const waiting = client.wait(task.id);
    await server.until(() => server.watches.size === 1, 'the wait watches');
    server.update(task.id, { state: TaskState.TASK_STATE_DEAD, lastError: 'boom' });
    const done: Task = await waiting;
    expect(done).to.include({ state: TaskState.TASK_STATE_DEAD, lastError: 'boom' });
  });

  it('keeps waiting across a dropped stream (coordinator restart)', async () => {
    const task = server.put({});
    const waiting = client.wait(task.id, { timeoutMs: 10_000 });
    await server.until(() => server.watches.size === 1, 'the wait watches');
    server.dropWatches();
    await server.until(() => server.watchCalls === 2 && server.watches.size === 1, 'the wait watches again');
    server.update(task.id, { state: TaskState.TASK_STATE_SUCCEEDED, result: Buffer.from('42') });
    expect(client.decodeResult(await waiting)).to.equal(42);
  });

  it('gives up after timeoutMs with DEADLINE_EXCEEDED and cancels its watch', async () => {
    const task = server.put({});
    const err = await rejection(client.wait(task.id, { timeoutMs: 50 }));
    expect(err.code).to.equal('DEADLINE_EXCEEDED');
    expect(err.message).to.equal(`task ${task.id} did not finish within 50ms`);
    await server.until(() => server.watches.size === 0, 'the watch is cancelled');
  });

  it('close is idempotent, and later calls reject with FAILED_PRECONDITION', async () => {
    client.close();
    client.close();
    expect((await rejection(client.get('x'))).code).to.equal('FAILED_PRECONDITION');
    expect((await rejection(client.wait('x'))).code).to.equal('FAILED_PRECONDITION');
  });
});

describe('BatonClient (nothing listening)', () => {
  it('fails fast with UNAVAILABLE naming the address, for calls and waits', async () => {
    const address = `127.0.0.1:${await unusedPort()}`;
    const client = new BatonClient({ address });
    try {
      const err = await rejection(client.get('x'));
      expect(err.code).to.equal('UNAVAILABLE');
      expect(err.message).to.contain(`coordinator at ${address} is unavailable`);
      const waitErr = await rejection(client.wait('x'));
      expect(waitErr.code).to.equal('UNAVAILABLE');
    } finally {
      client.close();
    }
  });

  it('does no I/O until the first call', () => {
    const client = new BatonClient({ address: '127.0.0.1:1' });
    client.close();
  });
});

import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskState, type BatonClient, type Task } from '../../client/index';
import type { QueueSettings } from '../../shared/gen/baton/v1/queue';
import type { TaskQueueClient } from '../../shared/gen/baton/v1/task_queue';
import { startCoordinator, startWorker, type CoordinatorHandle } from '../support/processes';
import { authorization, writeTokensFile } from '../support/security-fixtures';
import { maxSimultaneous, readSpanLog } from '../support/span-log';
import { listAllTasks, openTaskQueue, rpc, rpcRefusal } from '../support/task-queue-rpc';
import { useTestProcesses } from '../support/test-processes';

/** What UpdateQueue leaves alone when its mask does not name it. */
const NO_SETTINGS: QueueSettings = { concurrency: 0, rate: 0, burst: 0, weight: 0, paused: false };
const FLOW_QUEUES = ['capped-at-runtime', 'capped-by-config', 'rated', 'held', 'open'];

describe('queue flow control across real workers', function () {
  this.timeout(90_000);
  // Registered first, so it runs first: the coordinators' shutdown then waits on no open connection.
  const rawClients: TaskQueueClient[] = [];
  after(() => rawClients.forEach((made) => made.close()));
  const { group, client: clientFor } = useTestProcesses();
  let coordinator: CoordinatorHandle;
  let client: BatonClient;
  let raw: TaskQueueClient;
  let runLog: string;

  before(async () => {
    const dir = group.tempDir();
    runLog = join(dir, 'runs.jsonl');
    const configFile = join(dir, 'baton.json');
    writeFileSync(configFile, JSON.stringify({ queues: { 'capped-by-config': { concurrency: 2 } } }));
    coordinator = await startCoordinator(group, { dataDir: join(dir, 'data'), args: ['--config', configFile] });
    const queueArgs = FLOW_QUEUES.flatMap((queue) => ['--queue', queue]);
    await Promise.all([1, 2, 3].map(() => startWorker(group, coordinator.address, { concurrency: 8, args: queueArgs, env: { BATON_TEST_RUN_LOG: runLog } })));
    client = clientFor(coordinator.address);
    raw = openTaskQueue(coordinator.address);
    rawClients.push(raw);
  });

  const submitSpans = async (queue: string, count: number, ms: number): Promise<string[]> => {
    const items = Array.from({ length: count }, () => ({ type: 'span', payload: { ms }, options: { queue } }));
    return (await client.submitMany(items)).map((result) => result.task.id);
  };
  const waitAll = (ids: readonly string[]): Promise<Task[]> => Promise.all(ids.map((id) => client.wait(id, { timeoutMs: 60_000 })));
  const spansOf = (ids: readonly string[]): ReturnType<typeof readSpanLog> => {
    const wanted = new Set(ids);
    return readSpanLog(runLog).filter((record) => wanted.has(record.taskId));
  };

  /** Runs 30 short tasks on `queue` over the three 8-slot workers; the most that ran at once, and on how many workers. */
  const runThirty = async (queue: string): Promise<{ max: number; workers: number }> => {
    const ids = await submitSpans(queue, 30, 50);
    const done = await waitAll(ids);
    expect(done.map((task) => task.state)).to.deep.equal(ids.map(() => TaskState.TASK_STATE_SUCCEEDED));
    const spans = spansOf(ids);
    expect(spans, 'a start and an end line per task').to.have.length(60);
    return { max: maxSimultaneous(spans), workers: new Set(spans.map((span) => span.pid)).size };
  };

  it('never runs more than a concurrency of 2 set by UpdateQueue, with 24 worker slots free', async () => {
    const { queue } = await rpc(raw.updateQueue.bind(raw), {
      name: 'capped-at-runtime',
      settings: { ...NO_SETTINGS, concurrency: 2 },
      updateMask: ['concurrency'],
    });
    expect(queue?.settings?.concurrency).to.equal(2);
    const { max, workers } = await runThirty('capped-at-runtime');
    expect(max, 'tasks of the queue running at once').to.equal(2);
    expect(workers, 'the limit held across workers, not within one').to.be.at.least(2);
  });

  it('never runs more than a concurrency of 2 set in the config file (queues.NAME.concurrency)', async () => {
    const { queue } = await rpc(raw.getQueue.bind(raw), { name: 'capped-by-config' });
    expect(queue?.settings?.concurrency).to.equal(2);
    const { max } = await runThirty('capped-by-config');
    expect(max, 'tasks of the queue running at once').to.equal(2);
  });

  it('starts 200 tasks of a queue limited to 20/s (burst 1) over no less than ~9.5 s', async () => {
    await rpc(raw.updateQueue.bind(raw), { name: 'rated', settings: { ...NO_SETTINGS, rate: 20, burst: 1 }, updateMask: ['rate', 'burst'] });
    const ids = await submitSpans('rated', 200, 0);
    const done = await waitAll(ids);
    expect(done.every((task) => task.state === TaskState.TASK_STATE_SUCCEEDED)).to.equal(true);
    const starts = spansOf(ids)
      .filter((span) => span.event === 'start')
      .map((span) => span.atMs)
      .sort((a, b) => a - b);
    expect(starts).to.have.length(200);
    // The first starts at once, the other 199 at 20/s: 9.95 s. The lower bound leaves room for clock reads.
    expect(starts[199]! - starts[0]!, 'ms from the first start to the last').to.be.at.least(9_500);
  });

  it('keeps a paused queue QUEUED while its workers run another queue, and runs it all once resumed', async () => {
    const paused = await rpc(raw.pauseQueue.bind(raw), { name: 'held' });
    expect(paused.queue?.settings?.paused).to.equal(true);
    const held = await submitSpans('held', 5, 0);

    // The same workers serve `open`: one of its tasks running proves they are taking work.
    const [witness] = await waitAll(await submitSpans('open', 1, 0));
    expect(witness?.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    const listed = await listAllTasks(raw, { queue: 'held' });
    expect(listed.map((task) => task.state)).to.deep.equal(held.map(() => TaskState.TASK_STATE_QUEUED));
    expect(spansOf(held), 'no handler of the paused queue started').to.deep.equal([]);
    const view = await rpc(raw.getQueue.bind(raw), { name: 'held' });
    expect(view.queue).to.include({ queued: 5, running: 0 });

    const resumed = await rpc(raw.resumeQueue.bind(raw), { name: 'held' });
    expect(resumed.queue?.settings?.paused).to.equal(false);
    const done = await waitAll(held);
    expect(done.map((task) => task.state)).to.deep.equal(held.map(() => TaskState.TASK_STATE_SUCCEEDED));
  });

  it('serves a small queue while a large one is deep: 10 small tasks finish with most of 2,000 big ones still waiting', async () => {
    const worker = await startWorker(group, coordinator.address, { concurrency: 4, args: ['--queue', 'big', '--queue', 'small'] });
    const big: string[] = [];
    for (let batch = 0; batch < 4; batch += 1) {
      const items = Array.from({ length: 500 }, () => ({ type: 'sleep', payload: { ms: 5 }, options: { queue: 'big' } }));
      big.push(...(await client.submitMany(items)).map((result) => result.task.id));
    }
    const small = (await client.submitMany(Array.from({ length: 10 }, () => ({ type: 'noop', payload: {}, options: { queue: 'small' } })))).map((r) => r.task.id);
    const smallDone = await waitAll(small);
    expect(smallDone.every((task) => task.state === TaskState.TASK_STATE_SUCCEEDED)).to.equal(true);

    const { queue } = await rpc(raw.getQueue.bind(raw), { name: 'big' });
    const unfinished = (queue?.queued ?? 0) + (queue?.running ?? 0) + (queue?.scheduled ?? 0);
    // Without weights the worker would drain `big` first; with them `small` gets every other slot.
    expect(unfinished, 'big tasks still unfinished when the last small one was done').to.be.at.least(1_000);
    await worker.stop();
  });

  it('serves a tenant with a few tasks while another tenant of the same queue has a deep backlog (fairness keys)', async () => {
    const worker = await startWorker(group, coordinator.address, { concurrency: 2, args: ['--queue', 'tenants'] });
    const backlog: string[] = [];
    for (let batch = 0; batch < 2; batch += 1) {
      const items = Array.from({ length: 500 }, () => ({ type: 'sleep', payload: { ms: 5 }, options: { queue: 'tenants', fairnessKey: 'big-customer' } }));
      backlog.push(...(await client.submitMany(items)).map((result) => result.task.id));
    }
    const few = (await client.submitMany(Array.from({ length: 5 }, () => ({ type: 'noop', payload: {}, options: { queue: 'tenants', fairnessKey: 'small-customer' } })))).map((r) => r.task.id);
    const fewDone = await waitAll(few);
    expect(fewDone.every((task) => task.state === TaskState.TASK_STATE_SUCCEEDED && task.fairnessKey === 'small-customer')).to.equal(true);
    const { queue } = await rpc(raw.getQueue.bind(raw), { name: 'tenants' });
    // Without keys the small customer's tasks would wait behind the whole backlog (they are newest).
    expect((queue?.queued ?? 0) + (queue?.running ?? 0), 'backlog still unfinished when the small customer was done').to.be.at.least(500);
    await worker.stop();
  });

  it('refuses bad UpdateQueue input with INVALID_ARGUMENT naming the field', async () => {
    const update = raw.updateQueue.bind(raw);
    const negative = await rpcRefusal(update, { name: 'rated', settings: { ...NO_SETTINGS, rate: -1 }, updateMask: ['rate'] });
    expect(negative.code).to.equal(status.INVALID_ARGUMENT);
    expect(negative.details).to.match(/^settings\.rate: /);

    const unknown = await rpcRefusal(update, { name: 'rated', settings: NO_SETTINGS, updateMask: ['colour'] });
    expect(unknown.code).to.equal(status.INVALID_ARGUMENT);
    expect(unknown.details).to.match(/^update_mask: "colour" is not a queue setting/);

    const empty = await rpcRefusal(update, { name: 'rated', settings: { ...NO_SETTINGS, rate: 5 }, updateMask: [] });
    expect(empty.code).to.equal(status.INVALID_ARGUMENT);
    expect(empty.details).to.match(/^update_mask: /);

    const badName = await rpcRefusal(update, { name: 'no spaces allowed', settings: NO_SETTINGS, updateMask: ['paused'] });
    expect(badName.code).to.equal(status.INVALID_ARGUMENT);
    expect(badName.details).to.match(/^name: /);

    const { queue } = await rpc(raw.getQueue.bind(raw), { name: 'rated' });
    expect(queue?.settings).to.include({ rate: 20, burst: 1 }, 'refused updates changed nothing');
  });

  it('lets only the admin role change queue settings: a client token gets PERMISSION_DENIED', async () => {
    const adminToken = 'flow-admin-token-0123456789abcdef';
    const clientToken = 'flow-client-token-0123456789abcdef';
    const tokensFile = writeTokensFile(group.tempDir(), [
      { name: 'ops', role: 'admin', token: adminToken },
      { name: 'app', role: 'client', token: clientToken },
    ]);
    const secured = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data'), args: ['--tokens', tokensFile] });
    const securedRaw = openTaskQueue(secured.address);
    rawClients.push(securedRaw);
    const asClient = authorization(`Bearer ${clientToken}`);
    const request = { name: 'mail', settings: { ...NO_SETTINGS, concurrency: 1 }, updateMask: ['concurrency'] };
    const refused = await rpcRefusal(securedRaw.updateQueue.bind(securedRaw), request, asClient);
    expect(refused.code).to.equal(status.PERMISSION_DENIED);
    expect((await rpcRefusal(securedRaw.pauseQueue.bind(securedRaw), { name: 'mail' }, asClient)).code).to.equal(status.PERMISSION_DENIED);
    expect((await rpcRefusal(securedRaw.resumeQueue.bind(securedRaw), { name: 'mail' }, asClient)).code).to.equal(status.PERMISSION_DENIED);
    const read = await rpc(securedRaw.getQueue.bind(securedRaw), { name: 'mail' }, authorization(`Bearer ${clientToken}`));
    expect(read.queue?.settings?.concurrency, 'the refused update changed nothing').to.equal(0);

    const applied = await rpc(securedRaw.updateQueue.bind(securedRaw), request, authorization(`Bearer ${adminToken}`));
    expect(applied.queue?.settings?.concurrency).to.equal(1);
  });
});

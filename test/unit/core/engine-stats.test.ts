import { expect } from 'chai';
import { DEFAULT_ENGINE_LIMITS } from '../../../coordinator/core/engine-options';
import type { QueueStatsView } from '../../../coordinator/core/stats-snapshot';
import { EngineHarness, settle } from '../../support/engine-harness';

const ok = (leaseId: string) => ({ leaseId, kind: 'success' as const, result: Buffer.from('1'), contentType: 'application/json' });
const fatal = (leaseId: string) => ({ leaseId, kind: 'failure' as const, message: 'no', nonRetryable: true });
const retryable = (leaseId: string) => ({ leaseId, kind: 'failure' as const, message: 'again', nonRetryable: false });

describe('Engine stats: counts by state, rates, backlog age and worker slots', () => {
  let h: EngineHarness;
  beforeEach(() => {
    h = new EngineHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  function queueStats(queue: string): QueueStatsView | undefined {
    return h.engine.stats().queues(null, 1000).queues.find((stats) => stats.queue === queue);
  }

  it('counts unfinished tasks by state and ages the oldest ready one by its due time', async () => {
    const worker = h.connect('w1', 1, { hostname: 'box-1' });
    await h.submit(3);
    await h.submit(1, { runAtMs: h.clock.now() + 10_000 });
    h.clock.advance(800); // within the lease timeout: the worker is still alive
    expect(h.engine.queueDepths().get('default')).to.deep.equal({ scheduled: 1, queued: 2, running: 1, oldestReadyAgeMs: 800 });
    expect(h.engine.workerSlots()).to.deep.equal({ total: 1, inUse: 1 });

    // A retryable failure is scheduled again for its backoff; its slot is free until credit returns.
    await h.engine.workers.report(worker.sessionId, [retryable(worker.channel.grants[0]!.lease.leaseId)]);
    expect(h.engine.queueDepths().get('default')).to.include({ scheduled: 2, queued: 2, running: 0 });
    expect(h.engine.workerSlots()).to.deep.equal({ total: 1, inUse: 0 });
    h.clock.advance(100); // the backoff passes: queued again
    await settle();
    expect(h.engine.queueDepths().get('default')).to.include({ scheduled: 1, queued: 3, running: 0 });
  });

  it('counts finished tasks as they commit, and a retried one leaves its finished state', async () => {
    const worker = h.connect('w1', 2);
    await h.submit(2);
    const grants = worker.channel.grants;
    await h.engine.workers.report(worker.sessionId, [ok(grants[0]!.lease.leaseId), fatal(grants[1]!.lease.leaseId)]);
    const [third] = await h.submit(1, { queue: 'other' });
    await h.engine.cancel(third!);
    expect(queueStats('default')?.counts).to.deep.equal({ scheduled: 0, queued: 0, running: 0, succeeded: 1, dead: 1, canceled: 0 });
    expect(queueStats('other')?.counts).to.include({ canceled: 1, queued: 0 });
    expect(queueStats('default')).to.include({ submittedPerSecond: 2 / 60, completedPerSecond: 2 / 60, oldestReadyAgeMs: 0 });

    await h.engine.retry(grants[1]!.lease.taskId);
    await settle();
    expect(queueStats('default')?.counts).to.include({ dead: 0, succeeded: 1 });
    expect(queueStats('default')?.counts).to.include({ queued: 1 });
  });

  it('starts the finished counts from the store after a restart, and still has the queue once it is idle', async () => {
    const worker = h.connect('w1', 3);
    await h.submit(3, { queue: 'default' });
    await h.engine.workers.report(worker.sessionId, worker.channel.grants.map((grant) => ok(grant.lease.leaseId)));
    await h.restart();
    h.clock.advance(120_000);
    const { history, ...view } = queueStats('default')!;
    expect(view).to.deep.equal({
      queue: 'default',
      counts: { scheduled: 0, queued: 0, running: 0, succeeded: 3, dead: 0, canceled: 0 },
      submittedPerSecond: 0,
      completedPerSecond: 0,
      deadPerSecond: 0,
      oldestReadyAgeMs: 0,
      paused: false,
    });
    expect(history().completed.every((n) => n === 0)).to.equal(true, 'the restart began a new history');
  });

  it('keeps the stats of at most twice maxQueues queues however many names clients use, and a queue that comes back keeps its true counts', async () => {
    h.limits = { ...DEFAULT_ENGINE_LIMITS, maxQueues: 3 };
    await h.restart();
    const worker = h.connect('w1', 2, { queues: ['kept'] });
    await h.submit(2, { queue: 'kept' });
    await h.engine.workers.report(worker.sessionId, worker.channel.grants.map((grant) => ok(grant.lease.leaseId)));
    h.engine.workers.credit(worker.sessionId, 2);
    expect(queueStats('kept')?.counts).to.include({ succeeded: 2 });

    // A client cycles through fresh queue names: submit, cancel.
    for (let n = 0; n < 50; n += 1) {
      const [id] = await h.submit(1, { queue: `fresh-${n}` });
      await h.engine.cancel(id!);
      const listed = h.engine.stats().queues(null, 1000);
      expect(listed.queues.length + listed.omitted).to.be.at.most(6);
    }
    expect(queueStats('kept')).to.equal(undefined, 'forgotten: idle, and 6 queues were active since');

    // Back: two tasks succeed in one report (one commit) before anybody reads its counts.
    await h.submit(2, { queue: 'kept' });
    const grants = worker.channel.grants.slice(2);
    await h.engine.workers.report(worker.sessionId, grants.map((grant) => ok(grant.lease.leaseId)));
    await settle();
    expect(queueStats('kept')?.counts).to.include({ succeeded: 4, queued: 0, running: 0 });

    // After a restart: the 6 queues with the newest tasks.
    await h.restart();
    const afterRestart = h.engine.stats().queues(null, 1000).queues.map((stats) => stats.queue);
    expect(afterRestart).to.deep.equal(['fresh-45', 'fresh-46', 'fresh-47', 'fresh-48', 'fresh-49', 'kept']);
    expect(queueStats('kept')?.counts).to.include({ succeeded: 4 });
  });

  it('describes each connected worker: host, queues, slots, when it connected and was last heard from', async () => {
    const startedMs = h.clock.now();
    const worker = h.connect('w2', 4, { hostname: 'box-2', queues: ['default', 'mail'] });
    h.connect('w1', 1);
    await h.submit(2);
    h.clock.advance(700);
    h.engine.workers.touch(worker.sessionId);
    const { workers, takenAtMs } = h.engine.stats();
    expect(takenAtMs).to.equal(h.clock.now());
    expect(workers.map((w) => w.workerId)).to.deep.equal(['w1', 'w2']);
    const slotsInUse = worker.channel.grants.length;
    expect(workers[1]).to.deep.equal({
      workerId: 'w2',
      hostname: 'box-2',
      principal: 'anonymous',
      queues: ['default', 'mail'],
      slotsInUse,
      slotsTotal: 4,
      connectedAtMs: startedMs,
      lastSeenMs: startedMs + 700,
      draining: false,
    });
    expect(h.engine.workerSlots()).to.deep.equal({ total: 5, inUse: 2 });
  });
});

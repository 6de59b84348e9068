import { expect } from 'chai';
import { DAY_MS } from '../../../coordinator/core/queue-settings';
import { EngineHarness, settle } from '../../support/engine-harness';
import { taskSpec } from '../../support/tasks';

const ok = (leaseId: string) => ({ leaseId, kind: 'success' as const, result: Buffer.from('{}'), contentType: 'application/json' });

describe('queue settings and retention (fake clock, real store)', () => {
  let h: EngineHarness;
  /** Sweeps only when a test asks (the timer's sweeps would race the assertions). */
  const retention = { sweepIntervalMs: 365 * DAY_MS, batchSize: 500, maxBatchesPerSweep: 100, reclaimPages: 100 };
  beforeEach(async () => {
    h = new EngineHarness();
    h.options = { retention };
    await h.restart();
  });
  afterEach(async () => {
    await h.close();
  });

  /** Runs every ready task of the default queue to success through one session. */
  async function runAll(concurrency = 100): Promise<void> {
    const worker = h.connect(`w-${Math.random()}`, concurrency);
    await settle();
    await h.engine.workers.report(worker.sessionId, worker.channel.grants.map((grant) => ok(grant.lease.leaseId)));
    await settle();
    h.engine.workers.disconnect(worker.sessionId);
  }

  it('keeps UpdateQueue settings across a restart, over the config file, and starts nothing while paused', async () => {
    h.options = { retention, queues: new Map([['default', { concurrency: 5, ratePerSecond: 10 }]]) };
    await h.restart();
    await h.engine.queues.update('default', { concurrency: 1, paused: true });
    await h.restart();
    const view = h.engine.queues.view('default');
    expect(view.settings).to.include({ concurrency: 1, ratePerSecond: 10, paused: true });
    await h.submit(3);
    const worker = h.connect('w', 10);
    await settle();
    expect(worker.channel.grants).to.have.length(0);
    await h.engine.queues.update('default', { paused: false });
    await settle();
    expect(worker.channel.grants).to.have.length(1); // concurrency 1
    expect(h.engine.queues.view('default')).to.include({ running: 1, queued: 2 });
  });

  it('counts a dead worker\'s leases against the concurrency limit until they expire', async () => {
    await h.engine.queues.update('default', { concurrency: 1 });
    await h.submit(2);
    const first = h.connect('first', 5);
    await settle();
    expect(first.channel.grants).to.have.length(1);
    h.engine.workers.disconnect(first.sessionId);
    const second = h.connect('second', 5);
    await settle();
    expect(second.channel.grants).to.have.length(0); // the orphaned lease still counts
  });

  it('deletes finished tasks once their queue\'s retention has passed, keeps unfinished ones, and honours per-queue retention', async () => {
    h.options = { retention, queues: new Map([['keep', { retentionMs: 30 * DAY_MS }]]) };
    await h.restart();
    const finished = await h.submit(3);
    const kept = await h.submit(1, { queue: 'keep' });
    const unfinished = await h.submit(1, { runAtMs: h.clock.now() + 100 * DAY_MS });
    await runAll();
    const keepWorker = h.connect('keeper', 5, { queues: ['keep'] });
    await settle();
    await h.engine.workers.report(keepWorker.sessionId, keepWorker.channel.grants.map((grant) => ok(grant.lease.leaseId)));
    await settle();
    h.clock.advance(7 * DAY_MS + 1);
    expect(await h.engine.sweepRetention()).to.equal(3);
    for (const id of finished) expect(await h.engine.get(id).catch((err: { code: string }) => err.code)).to.equal('NOT_FOUND');
    expect(await h.state(kept[0]!)).to.equal('succeeded');
    expect(await h.state(unfinished[0]!)).to.equal('scheduled');
    expect(await h.engine.sweepRetention()).to.equal(0);
  });

  it('keeps finished tasks forever with a retention of 0', async () => {
    await h.engine.queues.update('default', { retentionMs: 0, deadRetentionMs: 0 });
    const [id] = await h.submit(1);
    await runAll();
    h.clock.advance(3650 * DAY_MS);
    expect(await h.engine.sweepRetention()).to.equal(0);
    expect(await h.state(id!)).to.equal('succeeded');
  });

  it('keeps dead tasks longer than succeeded ones by default', async () => {
    const [id] = await h.submit(1, { maxAttempts: 1 });
    const worker = h.connect('w', 1);
    await settle();
    await h.engine.workers.report(worker.sessionId, [{ leaseId: worker.channel.grants[0]!.lease.leaseId, kind: 'failure', message: 'no', nonRetryable: true }]);
    await settle();
    h.clock.advance(8 * DAY_MS);
    expect(await h.engine.sweepRetention()).to.equal(0);
    expect(await h.state(id!)).to.equal('dead');
    h.clock.advance(23 * DAY_MS);
    expect(await h.engine.sweepRetention()).to.equal(1);
  });

  it('deletes in batches, each its own commit, and stats count what is left', async () => {
    h.options = { retention: { ...retention, batchSize: 10, maxBatchesPerSweep: 3 } };
    await h.restart();
    await h.submit(45);
    await runAll();
    h.clock.advance(8 * DAY_MS);
    expect(await h.engine.sweepRetention()).to.equal(30); // 3 batches of 10 per sweep
    expect(await h.engine.sweepRetention()).to.equal(15);
    await h.submit(1); // the queue is listed while it has unfinished tasks
    const listed = h.engine.stats().queues(null, 10).queues.find((queue) => queue.queue === 'default');
    expect(listed?.counts.succeeded).to.equal(0);
    expect(listed?.counts.queued).to.equal(1);
  });

  it('never lets a sweep and a RetryTask of the same task fail each other, however their steps interleave', async () => {
    for (let round = 0; round < 24; round += 1) {
      const hops = round % 12;
      const sweepFirst = round >= 12;
      const queue = `q${round}`;
      const [id] = await h.submit(1, { maxAttempts: 1, queue });
      const worker = h.connect(`w${round}`, 1, { queues: [queue] });
      await settle();
      await h.engine.workers.report(worker.sessionId, [{ leaseId: worker.channel.grants[0]!.lease.leaseId, kind: 'failure', message: 'no', nonRetryable: true }]);
      await settle();
      h.engine.workers.disconnect(worker.sessionId);
      h.clock.advance(31 * DAY_MS);
      const retry = (): Promise<string> =>
        h.engine.retry(id!).then(
          (view) => view.task.state,
          (err: { code: string }) => err.code,
        );
      const first = sweepFirst ? h.engine.sweepRetention() : retry();
      for (let i = 0; i < hops; i += 1) await Promise.resolve();
      const second = sweepFirst ? retry() : h.engine.sweepRetention();
      const outcome = sweepFirst ? await second : await first;
      await (sweepFirst ? first : second);
      // Either the retry won (the task is queued again) or the sweep did (NOT_FOUND): never a failed store.
      expect(['queued', 'NOT_FOUND'], `${sweepFirst ? 'sweep' : 'retry'} first, ${hops} hops`).to.include(outcome);
      expect((await h.engine.submit([taskSpec()])).length, `the engine still takes work (${sweepFirst ? 'sweep' : 'retry'} first, ${hops} hops)`).to.equal(1);
    }
  });
});

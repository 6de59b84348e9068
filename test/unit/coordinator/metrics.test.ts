import { expect } from 'chai';
import { CoordinatorMetrics } from '../../../coordinator/metrics';
import type { QueueDepth } from '../../../coordinator/core/stats-snapshot';
import { FakeClock } from '../../support/fake-clock';
import { parsePromText, series, seriesOf } from '../../support/prom-text';

const NO_STREAMS = { watchesOpen: () => 0, workerStreamsAwaitingHello: () => 0 };

/** A core whose counts the test sets. */
class FakeCore {
  depths = new Map<string, QueueDepth>();
  slots = { total: 0, inUse: 0 };
  snapshotCounts(): { leases: number; workers: number; delayed: number; unfinishedByQueue: (queue: string) => number } {
    return { leases: 0, workers: 0, delayed: 0, unfinishedByQueue: (queue) => this.unfinished(queue) };
  }
  queueDepths(): ReadonlyMap<string, QueueDepth> {
    return this.depths;
  }
  workerSlots(): { total: number; inUse: number } {
    return this.slots;
  }
  private unfinished(queue: string): number {
    const depth = this.depths.get(queue);
    return depth ? depth.scheduled + depth.queued + depth.running : 0;
  }
}

async function scrape(metrics: CoordinatorMetrics): Promise<Map<string, number>> {
  return parsePromText(await metrics.scrape());
}

async function queuesWithSeries(metrics: CoordinatorMetrics): Promise<string[]> {
  const text = await metrics.registry.metrics(); // the registry itself: no pruning on the way
  return [...new Set([...text.matchAll(/queue="([^"]+)"/g)].map((match) => match[1]!))].sort();
}

describe('CoordinatorMetrics', () => {
  it('drops the series of a queue once it is empty and idle, at the next scrape', async () => {
    const clock = new FakeClock();
    const metrics = new CoordinatorMetrics(clock, 60_000, 100);
    metrics.tasksSubmitted('mail', 1);
    metrics.taskFinished('mail', 'canceled');
    clock.advance(59_999);
    await metrics.scrape();
    expect(await queuesWithSeries(metrics)).to.deep.equal(['mail']);
    clock.advance(1);
    await metrics.scrape();
    expect(await queuesWithSeries(metrics)).to.deep.equal([]);
  });

  it('keeps no more than its cap of queues with series, dropping the least recently active empty ones, without a scrape', async () => {
    const metrics = new CoordinatorMetrics(new FakeClock(), 60_000, 3);
    for (const queue of ['a', 'b', 'c']) metrics.tasksSubmitted(queue, 1);
    metrics.tasksSubmitted('a', 1); // a is now the most recent
    metrics.tasksSubmitted('d', 1);
    expect(await queuesWithSeries(metrics)).to.deep.equal(['a', 'c', 'd']);
    for (let i = 0; i < 1000; i += 1) metrics.tasksSubmitted(`fresh-${i}`, 1);
    expect(await queuesWithSeries(metrics)).to.have.length(3);
  });

  it('never drops the series of a queue that has unfinished tasks, however crowded', async () => {
    const metrics = new CoordinatorMetrics(new FakeClock(), 60_000, 2);
    const counts = { leases: 0, workers: 0, delayed: 0, unfinishedByQueue: (queue: string) => (queue === 'busy' ? 5 : 0) };
    const source = { snapshotCounts: () => counts, queueDepths: () => new Map<string, QueueDepth>(), workerSlots: () => ({ total: 0, inUse: 0 }) };
    metrics.watch(source, NO_STREAMS);
    metrics.tasksSubmitted('busy', 5);
    for (let i = 0; i < 100; i += 1) metrics.tasksSubmitted(`fresh-${i}`, 1);
    expect(await queuesWithSeries(metrics)).to.include('busy');
  });

  it('reports every unfinished state of a queue, and explicit zeros once it drains, until its series go', async () => {
    const clock = new FakeClock();
    const metrics = new CoordinatorMetrics(clock, 60_000, 100);
    const core = new FakeCore();
    metrics.watch(core, NO_STREAMS);
    core.depths.set('mail', { scheduled: 1, queued: 2, running: 3, oldestReadyAgeMs: 1500 });
    metrics.tasksSubmitted('mail', 6);
    let samples = await scrape(metrics);
    expect(seriesOf(samples, 'baton_queue_depth')).to.deep.equal(
      new Map([
        [series('baton_queue_depth', { queue: 'mail', state: 'scheduled' }), 1],
        [series('baton_queue_depth', { queue: 'mail', state: 'queued' }), 2],
        [series('baton_queue_depth', { queue: 'mail', state: 'running' }), 3],
      ]),
    );
    expect(samples.get(series('baton_queue_oldest_ready_age_seconds', { queue: 'mail' }))).to.equal(1.5);

    core.depths.delete('mail'); // drained
    metrics.taskFinished('mail', 'succeeded');
    samples = await scrape(metrics);
    for (const state of ['scheduled', 'queued', 'running']) expect(samples.get(series('baton_queue_depth', { queue: 'mail', state }))).to.equal(0);
    expect(samples.get(series('baton_queue_oldest_ready_age_seconds', { queue: 'mail' }))).to.equal(0);

    clock.advance(60_000);
    samples = await scrape(metrics);
    expect(seriesOf(samples, 'baton_queue_depth').size).to.equal(0);
    expect(seriesOf(samples, 'baton_queue_oldest_ready_age_seconds').size).to.equal(0);
  });

  it('reports the depth of a queue that has unfinished tasks but no event yet (after a restart)', async () => {
    const metrics = new CoordinatorMetrics(new FakeClock(), 60_000, 100);
    const core = new FakeCore();
    metrics.watch(core, NO_STREAMS);
    core.depths.set('restored', { scheduled: 4, queued: 0, running: 0, oldestReadyAgeMs: 0 });
    const samples = await scrape(metrics);
    expect(samples.get(series('baton_queue_depth', { queue: 'restored', state: 'scheduled' }))).to.equal(4);
    expect(samples.get(series('baton_queue_depth', { queue: 'restored', state: 'queued' }))).to.equal(0);
  });

  it('reports worker slots, store commits and refused submissions by reason, every reason from the start', async () => {
    const metrics = new CoordinatorMetrics(new FakeClock(), 60_000, 100);
    const core = new FakeCore();
    metrics.watch(core, NO_STREAMS);
    core.slots = { total: 12, inUse: 5 };
    let samples = await scrape(metrics);
    expect(samples.get('baton_workers_slots')).to.equal(12);
    expect(samples.get('baton_workers_slots_in_use')).to.equal(5);
    const reasons = [...seriesOf(samples, 'baton_submissions_rejected_total').keys()];
    expect(reasons).to.have.members(
      ['invalid_argument', 'unauthenticated', 'permission_denied', 'queue_full', 'too_many_tasks', 'too_many_queues', 'unavailable', 'other'].map((reason) =>
        series('baton_submissions_rejected_total', { reason }),
      ),
    );
    expect([...seriesOf(samples, 'baton_submissions_rejected_total').values()].every((value) => value === 0)).to.equal(true);

    metrics.rejected('queue_full', 100);
    metrics.rejected('invalid_argument', 1);
    metrics.storeCommitted({ durationMs: 3, rows: 7, writes: 2 });
    metrics.storeCommitted({ durationMs: 0.2, rows: 1, writes: 1 });
    samples = await scrape(metrics);
    expect(samples.get(series('baton_submissions_rejected_total', { reason: 'queue_full' }))).to.equal(100);
    expect(samples.get(series('baton_submissions_rejected_total', { reason: 'invalid_argument' }))).to.equal(1);
    expect(samples.get('baton_store_commit_duration_seconds_count')).to.equal(2);
    expect(samples.get('baton_store_commit_duration_seconds_sum')).to.be.closeTo(0.0032, 1e-9);
    expect(samples.get('baton_store_commit_batch_size_sum')).to.equal(8);
    expect(samples.get(series('baton_store_commit_batch_size_bucket', { le: '5' }))).to.equal(1);
  });
});

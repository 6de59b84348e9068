import { expect } from 'chai';
import { CoordinatorMetrics } from '../../../coordinator/metrics';
import { FakeClock } from '../../support/fake-clock';

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
    const counts = { leases: 0, workers: 0, delayed: 0, readyByQueue: new Map<string, number>(), unfinishedByQueue: (queue: string) => (queue === 'busy' ? 5 : 0) };
    metrics.watch({ snapshotCounts: () => counts }, { watchesOpen: () => 0, workerStreamsAwaitingHello: () => 0 });
    metrics.tasksSubmitted('busy', 5);
    for (let i = 0; i < 100; i += 1) metrics.tasksSubmitted(`fresh-${i}`, 1);
    expect(await queuesWithSeries(metrics)).to.include('busy');
  });
});

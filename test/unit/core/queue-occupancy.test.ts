import { expect } from 'chai';
import { admitSubmission, QueueOccupancy } from '../../../coordinator/core/queue-occupancy';

const LIMITS = { maxQueuedTasks: 10, maxQueuedTasksPerQueue: 4, maxQueues: 2, maxWorkerSessions: 1, maxWorkerSessionsPerCredential: 1 };

describe('admitSubmission', () => {
  it('counts tracked and in-flight tasks against each limit, naming the one passed', () => {
    const tracked = new QueueOccupancy();
    const inFlight = new QueueOccupancy();
    tracked.add('a', 3);
    inFlight.add('b', 1);
    admitSubmission(new Map([['a', 1]]), tracked, inFlight, LIMITS);
    expect(() => admitSubmission(new Map([['a', 2]]), tracked, inFlight, LIMITS)).to.throw(/queue a has 3 unfinished tasks; 2 more would pass the limit \(maxQueuedTasksPerQueue\) of 4/);
    expect(() => admitSubmission(new Map([['c', 1]]), tracked, inFlight, LIMITS)).to.throw(/2 queues have unfinished tasks; 1 new one\(s\) would pass the limit \(maxQueues\) of 2/);
    inFlight.add('b', 3);
    expect(() => admitSubmission(new Map([['a', 1], ['b', 0]]), tracked, inFlight, { ...LIMITS, maxQueuedTasks: 7 })).to.throw(/7 tasks are unfinished; 1 more would pass the limit \(maxQueuedTasks\) of 7/);
  });

  it('forgets a queue once its count is back to zero', () => {
    const occupancy = new QueueOccupancy();
    occupancy.add('a', 2);
    occupancy.remove('a', 2);
    expect(occupancy.queueCount).to.equal(0);
    expect(occupancy.size).to.equal(0);
  });
});

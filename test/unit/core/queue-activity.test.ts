import { expect } from 'chai';
import { QueueActivity } from '../../../coordinator/core/queue-activity';
import { FakeClock } from '../../support/fake-clock';

describe('QueueActivity', () => {
  it('starts finished counts from the store, keeps them as tasks finish and reopen, and ignores unfinished states', () => {
    const activity = new QueueActivity(new FakeClock(), 10);
    activity.seed([
      { queue: 'a', state: 'succeeded', count: 5 },
      { queue: 'a', state: 'queued', count: 7 },
      { queue: 'b', state: 'dead', count: 2 },
    ]);
    activity.taskFinished('a', 'succeeded');
    activity.taskFinished('b', 'canceled');
    activity.reopened('b', 'dead');
    expect(activity.finishedCounts('a')).to.deep.equal({ succeeded: 6, dead: 0, canceled: 0 });
    expect(activity.finishedCounts('b')).to.deep.equal({ succeeded: 0, dead: 1, canceled: 1 });
    expect(activity.finishedCounts('never')).to.deep.equal({ succeeded: 0, dead: 0, canceled: 0 });
    expect([...activity.queues()].sort()).to.deep.equal(['a', 'b']);
  });

  it('rates submissions and completions per queue over the last minute, and forgets idle windows', () => {
    const clock = new FakeClock();
    const activity = new QueueActivity(clock, 10);
    activity.submitted('fast', 120);
    for (let i = 0; i < 30; i += 1) activity.taskFinished('fast', 'succeeded');
    activity.taskFinished('fast', 'running'); // not a completion
    expect(activity.rates('fast')).to.deep.equal({ submittedPerSecond: 2, completedPerSecond: 0.5 });
    clock.advance(60_000);
    expect(activity.rates('fast')).to.deep.equal({ submittedPerSecond: 0, completedPerSecond: 0 });
    activity.submitted('other', 1);
    expect([...activity.queues()].sort()).to.deep.equal(['fast', 'other']); // 'fast' keeps its finished counts
  });

  it('keeps rate windows for at most its cap of queues, dropping idle ones first, then the oldest', () => {
    const clock = new FakeClock();
    const activity = new QueueActivity(clock, 2);
    activity.submitted('old', 1);
    clock.advance(61_000);
    activity.submitted('a', 1);
    activity.submitted('b', 1); // 'old' is idle: it goes
    expect([...activity.queues()].sort()).to.deep.equal(['a', 'b']);
    activity.submitted('c', 1); // none idle: the oldest, 'a', goes
    expect([...activity.queues()].sort()).to.deep.equal(['b', 'c']);
  });
});

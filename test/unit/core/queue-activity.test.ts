import { expect } from 'chai';
import { QueueActivity } from '../../../coordinator/core/queue-activity';
import type { TaskState } from '../../../coordinator/core/task';
import type { StateCount } from '../../../coordinator/core/task-store';
import { FakeClock } from '../../support/fake-clock';

/** A QueueActivity over a fake store of counts by queue and state; `reads` lists the queues counted in it. */
function activityOver(maxQueues: number, unfinished: ReadonlySet<string> = new Set()) {
  const clock = new FakeClock();
  const stored = new Map<string, Map<TaskState, number>>();
  const reads: string[] = [];
  const activity = new QueueActivity({
    clock,
    maxQueues,
    hasUnfinished: (queue) => unfinished.has(queue),
    countQueue: (queue): StateCount[] => {
      reads.push(queue);
      return [...(stored.get(queue) ?? [])].map(([state, count]) => ({ state, count }));
    },
  });
  /** A task of `queue` reached `state`, and the store committed it: as the engine tells it. */
  const finish = (queue: string, state: TaskState): void => {
    const counts = stored.get(queue) ?? new Map<TaskState, number>();
    counts.set(state, (counts.get(state) ?? 0) + 1);
    stored.set(queue, counts);
    activity.taskFinished(queue, state);
  };
  return { clock, activity, reads, finish, stored };
}

describe('QueueActivity', () => {
  it('starts finished counts from the store, keeps them as tasks finish and reopen, and ignores unfinished states', () => {
    const { activity, reads } = activityOver(10);
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
    expect(reads).to.deep.equal([], 'seeded queues are never counted again');
    expect(activity.finishedCounts('never')).to.deep.equal({ succeeded: 0, dead: 0, canceled: 0 });
    expect([...activity.queues()]).to.deep.equal(['a', 'b'], 'reading counts does not keep a queue');
  });

  it('rates submissions and completions per queue over the last minute, and forgets idle windows', () => {
    const { clock, activity } = activityOver(10);
    activity.submitted('fast', 120);
    for (let i = 0; i < 24; i += 1) activity.taskFinished('fast', 'succeeded');
    for (let i = 0; i < 6; i += 1) activity.taskFinished('fast', 'dead');
    activity.taskFinished('fast', 'running'); // not a completion
    expect(activity.rates('fast')).to.deep.equal({ submittedPerSecond: 2, completedPerSecond: 0.5, deadPerSecond: 0.1 });
    clock.advance(60_000);
    expect(activity.rates('fast')).to.deep.equal({ submittedPerSecond: 0, completedPerSecond: 0, deadPerSecond: 0 });
    // The 5-minute history still holds them, in its 10-second bucket.
    const history = activity.history('fast');
    expect(history.completed.reduce((a, b) => a + b, 0)).to.equal(30);
    expect(history.dead.reduce((a, b) => a + b, 0)).to.equal(6);
    expect(history.completed).to.have.length(30);
    clock.advance(300_000);
    expect(activity.rates('fast').completedPerSecond).to.equal(0); // the windows go once the history is idle too
    expect(activity.history('fast').completed.every((n) => n === 0)).to.equal(true);
    activity.submitted('other', 1);
    expect([...activity.queues()]).to.deep.equal(['fast', 'other']); // 'fast' is still among the recent
  });

  it('keeps at most its cap of queues however many names are used: the least recently active idle ones go, those with unfinished tasks stay', () => {
    const { clock, activity } = activityOver(100, new Set(['busy']));
    activity.track('busy');
    activity.submitted('old-but-active', 1);
    let largest = 0;
    for (let n = 0; n < 20_000; n += 1) {
      activity.submitted(`fresh-${n}`, 1);
      activity.taskFinished(`fresh-${n}`, 'canceled');
      if (n % 40 === 0) activity.taskFinished('old-but-active', 'succeeded'); // 40 names between: within the cap
      if (n % 1000 === 0) clock.advance(1000);
      largest = Math.max(largest, activity.size);
    }
    expect(largest).to.equal(100);
    expect(activity.has('busy')).to.equal(true, 'a queue with unfinished tasks is never forgotten');
    expect(activity.has('old-but-active')).to.equal(true, 'active more recently than the 99th newest');
    expect(activity.has('fresh-0')).to.equal(false);
    expect(activity.has('fresh-19999')).to.equal(true);
    expect(activity.size).to.equal(100);
  });

  it('reads the finished counts of a queue it forgot from the store, once, when asked, without counting a task twice', () => {
    const { activity, reads, finish, stored } = activityOver(2);
    stored.set('q', new Map([['succeeded', 5]]));
    activity.seed([{ queue: 'q', state: 'succeeded', count: 5 }]);
    activity.submitted('x', 1);
    activity.submitted('y', 1); // 'q' is the least recently active: forgotten
    expect(activity.has('q')).to.equal(false);
    for (let i = 0; i < 5; i += 1) finish('q', 'succeeded'); // the store now has 10

    // Back: two tasks finish while its counts are unknown (say, in one commit)...
    finish('q', 'succeeded');
    finish('q', 'dead');
    expect(reads).to.deep.equal([]);
    // ...then a reader asks: one count in the store, which already holds them.
    expect(activity.finishedCounts('q')).to.deep.equal({ succeeded: 11, dead: 1, canceled: 0 });
    finish('q', 'canceled');
    activity.reopened('q', 'dead');
    expect(activity.finishedCounts('q')).to.deep.equal({ succeeded: 11, dead: 0, canceled: 1 });
    expect(reads).to.deep.equal(['q']);
  });

  it('refuses a cap that is not a positive integer', () => {
    expect(() => activityOver(0)).to.throw(RangeError, /maxQueues/);
  });
});

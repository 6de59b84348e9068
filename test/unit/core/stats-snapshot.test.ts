import { expect } from 'chai';
import { LeaseTable } from '../../../coordinator/core/leases';
import { QueueActivity } from '../../../coordinator/core/queue-activity';
import { SessionRegistry } from '../../../coordinator/core/sessions';
import { statsSnapshot, type StatsSources } from '../../../coordinator/core/stats-snapshot';
import { TaskLedger } from '../../../coordinator/core/task-ledger';
import type { TaskStore } from '../../../coordinator/core/task-store';
import { silentLogger } from '../../../shared/logger';
import { FakeClock } from '../../support/fake-clock';
import { makeTask } from '../../support/tasks';

/** `object[property]`, a method call on it adding one to `counter.calls`. */
function countedMember(object: object, property: string | symbol, counter: { calls: number }): unknown {
  const value: unknown = Reflect.get(object, property, object);
  if (typeof value !== 'function') return value;
  return (...args: unknown[]) => {
    counter.calls += 1;
    return (value as (...a: unknown[]) => unknown).apply(object, args);
  };
}

/** Wraps `target` so that every method call on it adds one to `counter.calls`. */
function counting<T extends object>(target: T, counter: { calls: number }): T {
  return new Proxy(target, { get: (object, property) => countedMember(object, property, counter) });
}

/** Memory as the engine keeps it, without a store (finished counts read as none); `reads` lists the queues counted in the store. */
function memory() {
  const clock = new FakeClock();
  const ledger = new TaskLedger({ store: {} as TaskStore, clock, logger: silentLogger(), onReady: () => undefined, onStoreFailure: () => undefined });
  const reads: string[] = [];
  const activity = new QueueActivity({
    clock,
    maxQueues: 1_000_000,
    hasUnfinished: (queue) => ledger.occupancy.count(queue) > 0,
    countQueue: (queue) => {
      reads.push(queue);
      return [];
    },
  });
  let ids = 0;
  /** A queued task of `queue`, tracked as a committed submission is. */
  const queueTask = (queue: string): void => {
    ledger.track(makeTask({ id: `task-${(ids += 1)}`, queue, runAtMs: clock.now() }));
    activity.submitted(queue, 1);
  };
  return { clock, ledger, activity, reads, queueTask, leases: new LeaseTable(), sessions: new SessionRegistry() };
}

/** The same sources, counting every call the snapshot makes on the per-queue structures. */
function countedSources(m: ReturnType<typeof memory>, counter: { calls: number }): StatsSources {
  const ledger = new Proxy(m.ledger, {
    get(object, property) {
      if (property === 'occupancy' || property === 'ready' || property === 'scheduled') return counting(object[property], counter);
      return countedMember(object, property, counter);
    },
  });
  return { ledger, leases: counting(m.leases, counter), sessions: m.sessions, activity: counting(m.activity, counter), paused: () => false };
}

describe('statsSnapshot: the queues a caller gets', () => {
  it('costs a caller limited to a few queues the same however many other queues there are, and builds only their views', () => {
    function limitedCall(otherQueues: number) {
      const m = memory();
      m.queueTask('mine');
      for (let n = 0; n < otherQueues; n += 1) {
        if (n % 2 === 0) m.queueTask(`other-${n}`);
        else m.activity.taskFinished(`other-${n}`, 'succeeded');
      }
      const counter = { calls: 0 };
      const selection = statsSnapshot(countedSources(m, counter), m.clock.now()).queues(new Set(['mine', 'unused']), 100);
      return { calls: counter.calls, selection, reads: m.reads };
    }
    const few = limitedCall(10);
    const many = limitedCall(20_000);
    expect(many.selection.queues.map((queue) => [queue.queue, queue.counts.queued])).to.deep.equal([['mine', 1]]);
    expect(many.selection.omitted).to.equal(0);
    expect(many.reads).to.deep.equal(['mine'], 'finished counts read for its queue only');
    expect(few.calls).to.be.greaterThan(0);
    expect(many.calls).to.equal(few.calls);
  });

  it('gives an unrestricted caller with a small limit the queues with unfinished tasks first, then by name, building only those views', () => {
    const m = memory();
    for (let n = 0; n < 5000; n += 1) m.activity.taskFinished(`idle-${String(n).padStart(4, '0')}`, 'canceled');
    for (const queue of ['z-busy-1', 'z-busy-0']) m.queueTask(queue);
    const selection = statsSnapshot({ ledger: m.ledger, leases: m.leases, sessions: m.sessions, activity: m.activity, paused: () => false }, m.clock.now()).queues(null, 4);
    expect(selection.queues.map((queue) => queue.queue)).to.deep.equal(['idle-0000', 'idle-0001', 'z-busy-0', 'z-busy-1']);
    expect(selection.omitted).to.equal(5000 + 2 - 4);
    expect([...m.reads].sort()).to.deep.equal(['idle-0000', 'idle-0001', 'z-busy-0', 'z-busy-1']);
  });

  it('lists a caller\'s queues that have unfinished tasks or recent activity, and no others', () => {
    const m = memory();
    m.queueTask('a');
    m.activity.taskFinished('b', 'dead');
    const snapshot = statsSnapshot({ ledger: m.ledger, leases: m.leases, sessions: m.sessions, activity: m.activity, paused: () => false }, m.clock.now());
    const wide = new Set(Array.from({ length: 100 }, (_, n) => `q-${n}`).concat(['b', 'a']));
    expect(snapshot.queues(wide, 10).queues.map((queue) => queue.queue)).to.deep.equal(['a', 'b']);
    expect(snapshot.queues(new Set(['b', 'c']), 10).queues.map((queue) => queue.queue)).to.deep.equal(['b']);
    expect(snapshot.queues(null, 10).queues.map((queue) => [queue.queue, queue.counts.queued, queue.counts.dead])).to.deep.equal([
      ['a', 1, 0],
      ['b', 0, 0], // the fake store has none: counts of a queue not seeded are the store's
    ]);
  });
});

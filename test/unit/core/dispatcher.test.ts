import { expect } from 'chai';
import { dispatch } from '../../../coordinator/core/dispatcher';
import type { Lease } from '../../../coordinator/core/leases';
import { QueueFlow } from '../../../coordinator/core/queue-flow';
import type { QueueSettingsOverride } from '../../../coordinator/core/queue-settings';
import { ReadyIndex } from '../../../coordinator/core/ready-index';
import { SessionRegistry, type WorkerSession } from '../../../coordinator/core/sessions';
import { RecordingChannel } from '../../support/engine-harness';
import { FakeClock } from '../../support/fake-clock';
import { makeTask } from '../../support/tasks';

function session(id: string, queues: string[], credit: number): WorkerSession & { channel: RecordingChannel } {
  return { id, principal: 'anonymous', proof: '', workerId: id, hostname: '', connectedAtMs: 0, queues, types: new Set(), concurrency: credit, credit, leasesGranted: 0, draining: false, lastSeenMs: 0, channel: new RecordingChannel() };
}

/** Flow control with no limits, and nothing running. */
function openFlow(): QueueFlow {
  return new QueueFlow({ clock: new FakeClock(0), running: () => 0, onUnblocked: () => undefined });
}

function run(ready: ReadyIndex, sessions: SessionRegistry, flow: QueueFlow = openFlow(), nowMs = 0): number {
  return dispatch({
    ready,
    sessions,
    flow,
    nowMs,
    lease: (s, task) => {
      const lease: Lease = { leaseId: `${s.id}:${task.id}`, taskId: task.id, queue: task.queue, attempt: 1, workerId: s.workerId, proof: '', principal: 'anonymous', sessionId: s.id, startedAtMs: 0, deadlineMs: null, grantOrdinal: ++s.leasesGranted };
      return { lease, task, payload: task.payload };
    },
  });
}

describe('dispatch', () => {
  it('spreads tasks round robin and sends each session its leases in one message', () => {
    const ready = new ReadyIndex();
    for (let i = 0; i < 4; i += 1) ready.add(makeTask({ id: `t${i}`, runAtMs: i }));
    const sessions = new SessionRegistry();
    const a = session('a', ['default'], 10);
    const b = session('b', ['default'], 10);
    sessions.add(a);
    sessions.add(b);
    expect(run(ready, sessions)).to.equal(4);
    expect(a.channel.grants).to.have.length(2);
    expect(b.channel.grants).to.have.length(2);
    expect(a.credit + b.credit).to.equal(16);
  });

  it('stops at credit, leaves the rest ready, and skips sessions of other queues', () => {
    const ready = new ReadyIndex();
    for (let i = 0; i < 5; i += 1) ready.add(makeTask({ id: `t${i}` }));
    const sessions = new SessionRegistry();
    const busy = session('busy', ['default'], 2);
    const other = session('other', ['elsewhere'], 100);
    sessions.add(busy);
    sessions.add(other);
    expect(run(ready, sessions)).to.equal(2);
    expect(ready.size).to.equal(3);
    expect(busy.credit).to.equal(0);
    expect(other.channel.grants).to.have.length(0);
  });

  it('gives nothing to a draining session', () => {
    const ready = new ReadyIndex();
    ready.add(makeTask({ id: 't' }));
    const sessions = new SessionRegistry();
    const draining = { ...session('d', ['default'], 5), draining: true };
    sessions.add(draining);
    expect(run(ready, sessions)).to.equal(0);
  });

  it('gives nothing to a session whose stream is not writable (back-pressure) until it is again', () => {
    const ready = new ReadyIndex();
    ready.add(makeTask({ id: 't' }));
    const sessions = new SessionRegistry();
    const slow = session('slow', ['default'], 5);
    slow.channel.writable = false;
    sessions.add(slow);
    expect(run(ready, sessions)).to.equal(0);
    slow.channel.writable = true;
    expect(run(ready, sessions)).to.equal(1);
  });

  describe('with queue flow control', () => {
    function flowWith(settings: Record<string, QueueSettingsOverride>, clock = new FakeClock(0), running: (queue: string) => number = () => 0, onUnblocked = (): void => undefined): QueueFlow {
      return new QueueFlow({ clock, running, onUnblocked, configured: new Map(Object.entries(settings)) });
    }

    /** Grants one lease at a time to a session of `queues` (credit 1, returned after each grant), `n` times; the queues served, in order. */
    function serveOneByOne(ready: ReadyIndex, queues: string[], flow: QueueFlow, n: number): string[] {
      const sessions = new SessionRegistry();
      const worker = session('w', queues, 1);
      sessions.add(worker);
      const served: string[] = [];
      for (let i = 0; i < n; i += 1) {
        worker.credit = 1;
        worker.channel.grants.length = 0;
        if (run(ready, sessions, flow) === 0) break;
        served.push(...worker.channel.grants.map((grant) => grant.task.queue));
      }
      return served;
    }

    it('serves three queues of very different depths in proportion to their weights, so a deep queue never starves a shallow one', () => {
      const ready = new ReadyIndex();
      const depths = { deep: 20_000, middle: 1_000, shallow: 10 };
      for (const [queue, depth] of Object.entries(depths)) {
        for (let i = 0; i < depth; i += 1) ready.add(makeTask({ id: `${queue}-${String(i).padStart(6, '0')}`, queue }));
      }
      const flow = flowWith({ deep: { weight: 1 }, middle: { weight: 2 }, shallow: { weight: 1 } });
      const first40 = serveOneByOne(ready, ['deep', 'middle', 'shallow'], flow, 40);
      const count = (queue: string): number => first40.filter((q) => q === queue).length;
      // Weights 1:2:1 over 40 leases: 10, 20, 10.
      expect([count('deep'), count('middle'), count('shallow')]).to.deep.equal([10, 20, 10]);
      // The shallow queue's ten tasks are all out within its fair share of the first leases.
      expect(ready.hasReady('shallow')).to.equal(false);
      // With the shallow queue empty, the others share by weight: 1:2.
      const next30 = serveOneByOne(ready, ['deep', 'middle', 'shallow'], flow, 30);
      expect(next30.filter((q) => q === 'deep')).to.have.length(10);
      expect(next30.filter((q) => q === 'middle')).to.have.length(20);
    });

    it('keeps each worker fair over its own queues when workers serve different sets of queues', () => {
      const ready = new ReadyIndex();
      for (const queue of ['x', 'y', 'z']) {
        for (let i = 0; i < 1000; i += 1) ready.add(makeTask({ id: `${queue}-${String(i).padStart(4, '0')}`, queue }));
      }
      const flow = flowWith({ z: { weight: 3 } });
      const sessions = new SessionRegistry();
      const onlyX = session('a', ['x'], 1);
      const yAndZ = session('b', ['y', 'z'], 1);
      sessions.add(onlyX);
      sessions.add(yAndZ);
      for (let i = 0; i < 400; i += 1) {
        onlyX.credit = 1;
        yAndZ.credit = 1;
        run(ready, sessions, flow);
      }
      const served = (worker: typeof onlyX, queue: string): number => worker.channel.grants.filter((grant) => grant.task.queue === queue).length;
      expect(served(onlyX, 'x')).to.equal(400);
      expect([served(yAndZ, 'y'), served(yAndZ, 'z')]).to.deep.equal([100, 300]);
    });

    it('gives a queue that was idle its share at once but no credit for the time it was idle', () => {
      const ready = new ReadyIndex();
      for (let i = 0; i < 100; i += 1) ready.add(makeTask({ id: `a-${String(i).padStart(3, '0')}`, queue: 'a' }));
      const flow = flowWith({});
      expect(serveOneByOne(ready, ['a', 'b'], flow, 50)).to.deep.equal(Array(50).fill('a'));
      for (let i = 0; i < 10; i += 1) ready.add(makeTask({ id: `b-${i}`, queue: 'b' }));
      const next = serveOneByOne(ready, ['a', 'b'], flow, 10);
      expect(next.filter((q) => q === 'b')).to.have.length(5);
    });

    it('keeps priorities strict within a queue', () => {
      const ready = new ReadyIndex();
      ready.add(makeTask({ id: 'low', queue: 'a', priority: 0 }));
      ready.add(makeTask({ id: 'high', queue: 'a', priority: 9 }));
      const sessions = new SessionRegistry();
      const worker = session('w', ['a'], 1);
      sessions.add(worker);
      run(ready, sessions, flowWith({}));
      expect(worker.channel.grants.map((grant) => grant.task.id)).to.deep.equal(['high']);
    });

    it('starts nothing from a paused queue, and serves the worker\'s other queues', () => {
      const ready = new ReadyIndex();
      ready.add(makeTask({ id: 'p1', queue: 'paused' }));
      ready.add(makeTask({ id: 'o1', queue: 'open' }));
      const sessions = new SessionRegistry();
      const worker = session('w', ['paused', 'open'], 10);
      sessions.add(worker);
      const flow = flowWith({ paused: { paused: true } });
      expect(run(ready, sessions, flow)).to.equal(1);
      expect(worker.channel.grants.map((grant) => grant.task.id)).to.deep.equal(['o1']);
      let unblocked = 0;
      const resumed = flowWith({ paused: { paused: true } }, new FakeClock(0), () => 0, () => (unblocked += 1));
      resumed.setStored('paused', { paused: false });
      expect(unblocked).to.equal(1);
      expect(run(ready, sessions, resumed)).to.equal(1);
    });

    it('never starts more than a queue\'s concurrency across all sessions', () => {
      const ready = new ReadyIndex();
      for (let i = 0; i < 20; i += 1) ready.add(makeTask({ id: `t${i}`, queue: 'limited' }));
      const running = new Map<string, number>();
      const flow = flowWith({ limited: { concurrency: 2 } }, new FakeClock(0), (queue) => running.get(queue) ?? 0);
      const sessions = new SessionRegistry();
      const workers = ['a', 'b', 'c'].map((id) => session(id, ['limited'], 8));
      workers.forEach((worker) => sessions.add(worker));
      const granted = dispatch({
        ready,
        sessions,
        flow,
        nowMs: 0,
        lease: (s, task) => {
          running.set(task.queue, (running.get(task.queue) ?? 0) + 1);
          const lease: Lease = { leaseId: `${s.id}:${task.id}`, taskId: task.id, queue: task.queue, attempt: 1, workerId: s.workerId, proof: '', principal: 'anonymous', sessionId: s.id, startedAtMs: 0, deadlineMs: null, grantOrdinal: 1 };
          return { lease, task, payload: task.payload };
        },
      });
      expect(granted).to.equal(2);
      expect(ready.size).to.equal(18);
    });

    it('starts a rate-limited queue\'s tasks at its rate after the burst, and wakes dispatch when a token is due', () => {
      const clock = new FakeClock(0);
      let wakeUps = 0;
      const flow = flowWith({ slow: { ratePerSecond: 20, burst: 5 } }, clock, () => 0, () => (wakeUps += 1));
      const ready = new ReadyIndex();
      for (let i = 0; i < 100; i += 1) ready.add(makeTask({ id: `t${String(i).padStart(3, '0')}`, queue: 'slow' }));
      const sessions = new SessionRegistry();
      const worker = session('w', ['slow'], 1000);
      sessions.add(worker);
      expect(run(ready, sessions, flow, clock.now())).to.equal(5); // the burst
      expect(run(ready, sessions, flow, clock.now())).to.equal(0);
      clock.advance(49);
      expect(wakeUps).to.equal(0);
      clock.advance(1); // one token every 50 ms
      expect(wakeUps).to.equal(1);
      expect(run(ready, sessions, flow, clock.now())).to.equal(1);
      clock.advance(1000);
      expect(run(ready, sessions, flow, clock.now())).to.equal(5); // refilled up to the burst, no more
      let started = 11;
      for (let t = 0; t < 10_000 && ready.size > 0; t += 10) {
        clock.advance(10);
        started += run(ready, sessions, flow, clock.now());
      }
      // 89 more tasks at 20/s after an empty bucket: 4.45 s of the 10 s simulated.
      expect(started).to.equal(100);
    });
  });
});

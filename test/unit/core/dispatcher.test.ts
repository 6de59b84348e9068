import { expect } from 'chai';
import { dispatch } from '../../../coordinator/core/dispatcher';
import type { Lease } from '../../../coordinator/core/leases';
import { ReadyIndex } from '../../../coordinator/core/ready-index';
import { SessionRegistry, type WorkerSession } from '../../../coordinator/core/sessions';
import { RecordingChannel } from '../../support/engine-harness';
import { makeTask } from '../../support/tasks';

function session(id: string, queues: string[], credit: number): WorkerSession & { channel: RecordingChannel } {
  return { id, principal: 'anonymous', proof: '', workerId: id, hostname: '', connectedAtMs: 0, queues, types: new Set(), concurrency: credit, credit, leasesGranted: 0, draining: false, lastSeenMs: 0, channel: new RecordingChannel() };
}

function run(ready: ReadyIndex, sessions: SessionRegistry): number {
  return dispatch({
    ready,
    sessions,
    lease: (s, task) => {
      const lease: Lease = { leaseId: `${s.id}:${task.id}`, taskId: task.id, attempt: 1, workerId: s.workerId, proof: '', principal: 'anonymous', sessionId: s.id, startedAtMs: 0, deadlineMs: null, grantOrdinal: ++s.leasesGranted };
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
});

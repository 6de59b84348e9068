import { expect } from 'chai';
import { AttemptTable } from '../../../coordinator/core/attempt-table';
import type { Lease } from '../../../coordinator/core/leases';
import type { WorkerSession } from '../../../coordinator/core/sessions';
import { RecordingChannel } from '../../support/engine-harness';
import { makeTask } from '../../support/tasks';

/** The deadlines the table registers and forgets, in order. */
class RecordingDeadlines {
  readonly calls: string[] = [];
  leaseDeadlineAt(leaseId: string, atMs: number): void {
    this.calls.push(`deadline ${leaseId} ${atMs}`);
  }
  forgetLease(leaseId: string): void {
    this.calls.push(`forget ${leaseId}`);
  }
}

function session(id = 's1'): WorkerSession {
  return { id, principal: 'token:w', proof: 'proof-1', workerId: `worker-${id}`, hostname: '', connectedAtMs: 0, queues: ['default'], types: new Set(), concurrency: 4, credit: 4, leasesGranted: 0, draining: false, lastSeenMs: 0, channel: new RecordingChannel() };
}

describe('AttemptTable', () => {
  it('opens an attempt: the task is RUNNING under a new lease of the session, with its attempt record and its execution deadline', () => {
    const deadlines = new RecordingDeadlines();
    const table = new AttemptTable(deadlines);
    const task = makeTask({ id: 't1', attempt: 1, timeoutMs: 500 });
    const owner = session();
    const { lease, attempt } = table.open(owner, task, 1000);
    expect(task.state).to.equal('running');
    expect(task.attempt).to.equal(2);
    expect(lease).to.include({ taskId: 't1', queue: 'default', attempt: 2, workerId: 'worker-s1', proof: 'proof-1', principal: 'token:w', sessionId: 's1', startedAtMs: 1000, deadlineMs: 1500, grantOrdinal: 1 });
    expect(attempt).to.include({ number: 2, leaseId: lease.leaseId, workerProof: 'proof-1', workerPrincipal: 'token:w', startedAtMs: 1000, outcome: 'running' });
    expect(table.leases.get(lease.leaseId)).to.equal(lease);
    expect(table.leases.ofTask('t1')).to.equal(lease);
    expect(deadlines.calls).to.deep.equal([`deadline ${lease.leaseId} 1500`]);
    expect(table.open(owner, makeTask({ id: 't2' }), 1000).lease.grantOrdinal).to.equal(2);
  });

  it('sets no deadline for a task without an execution timeout', () => {
    const deadlines = new RecordingDeadlines();
    const { lease } = new AttemptTable(deadlines).open(session(), makeTask({ id: 't1', timeoutMs: 0 }), 0);
    expect(lease.deadlineMs).to.equal(null);
    expect(deadlines.calls).to.deep.equal([]);
  });

  it('closes an attempt once: the lease and its deadline go, and the record comes back for the ending', () => {
    const deadlines = new RecordingDeadlines();
    const table = new AttemptTable(deadlines);
    const { lease, attempt } = table.open(session(), makeTask({ id: 't1', timeoutMs: 10 }), 0);
    expect(table.close(lease)).to.equal(attempt);
    expect(table.leases.get(lease.leaseId)).to.equal(undefined);
    expect(table.leases.ofTask('t1')).to.equal(undefined);
    expect(deadlines.calls).to.deep.equal([`deadline ${lease.leaseId} 10`, `forget ${lease.leaseId}`]);
    expect(table.close(lease)).to.equal(undefined);
  });

  it('adopts an attempt from before a restart: orphaned, with the deadline of its original start', () => {
    const deadlines = new RecordingDeadlines();
    const table = new AttemptTable(deadlines);
    const lease: Lease = { leaseId: 'l1', taskId: 't1', queue: 'default', attempt: 1, workerId: 'w', proof: 'p', principal: 'anonymous', sessionId: null, startedAtMs: 100, deadlineMs: 600, grantOrdinal: 0 };
    const attempt = { number: 1, workerId: 'w', leaseId: 'l1', workerProof: 'p', workerPrincipal: 'anonymous', startedAtMs: 100, endedAtMs: null, outcome: 'running' as const, error: '' };
    table.adopt(lease, attempt);
    expect(table.leases.orphans()).to.deep.equal([lease]);
    expect(deadlines.calls).to.deep.equal(['deadline l1 600']);
    expect(table.close(lease)).to.equal(attempt);
  });
});

import { expect } from 'chai';
import { LeaseTable, type Lease } from '../../../coordinator/core/leases';

function lease(leaseId: string, sessionId: string | null, taskId = `task-${leaseId}`): Lease {
  return { leaseId, taskId, queue: 'default', attempt: 1, workerId: 'w', proof: '', principal: 'anonymous', sessionId, startedAtMs: 0, deadlineMs: null, grantOrdinal: 1 };
}

describe('LeaseTable', () => {
  it('finds leases by id and by the session that holds them', () => {
    const table = new LeaseTable();
    table.add(lease('a', 's1'));
    table.add(lease('b', 's1'));
    table.add(lease('c', 's2'));
    expect(table.size).to.equal(3);
    expect(table.heldBy('s1').map((l) => l.leaseId)).to.have.members(['a', 'b']);
    expect(table.heldBy('s2').map((l) => l.leaseId)).to.deep.equal(['c']);
    expect(table.heldBy('nobody')).to.deep.equal([]);
  });

  it('forgets a removed lease everywhere: a stale report finds nothing', () => {
    const table = new LeaseTable();
    table.add(lease('a', 's1'));
    expect(table.remove('a')?.leaseId).to.equal('a');
    expect(table.get('a')).to.equal(undefined);
    expect(table.heldBy('s1')).to.deep.equal([]);
    expect(table.remove('a')).to.equal(undefined);
  });

  it('orphans a lease and hands it to a new session', () => {
    const table = new LeaseTable();
    const a = lease('a', 's1');
    table.add(a);
    table.assign(a, null);
    expect(table.heldBy('s1')).to.deep.equal([]);
    expect(table.orphans().map((l) => l.leaseId)).to.deep.equal(['a']);
    table.assign(a, 's2');
    expect(table.orphans()).to.deep.equal([]);
    expect(table.heldBy('s2').map((l) => l.leaseId)).to.deep.equal(['a']);
    expect(table.get('a')?.sessionId).to.equal('s2');
  });

  it('finds the current lease of a task, and forgets it when the lease ends', () => {
    const table = new LeaseTable();
    table.add(lease('a', 's1', 'task-1'));
    expect(table.ofTask('task-1')?.leaseId).to.equal('a');
    table.remove('a');
    expect(table.ofTask('task-1')).to.equal(undefined);
  });
});

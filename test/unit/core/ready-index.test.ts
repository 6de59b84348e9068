import { expect } from 'chai';
import { ReadyIndex } from '../../../coordinator/core/ready-index';
import type { TaskRecord } from '../../../coordinator/core/task';
import { makeTask } from '../../support/tasks';

const ANY = new Set<string>();

describe('ReadyIndex', () => {
  it('takes higher priority first, then the task due longest, then the older id', () => {
    const index = new ReadyIndex();
    const tasks: TaskRecord[] = [
      makeTask({ id: 'c', priority: 0, runAtMs: 100 }),
      makeTask({ id: 'a', priority: 5, runAtMs: 300 }),
      makeTask({ id: 'b', priority: 0, runAtMs: 50 }),
      makeTask({ id: 'd', priority: 0, runAtMs: 50 }),
    ];
    tasks.forEach((task) => index.add(task));
    const order = [1, 2, 3, 4].map(() => index.take('default', ANY)?.id);
    expect(order).to.deep.equal(['a', 'b', 'd', 'c']);
    expect(index.take('default', ANY)).to.equal(undefined);
  });

  it('serves only the queue and types asked for', () => {
    const index = new ReadyIndex();
    index.add(makeTask({ id: 'email-1', queue: 'mail', type: 'email' }));
    index.add(makeTask({ id: 'sms-1', queue: 'mail', type: 'sms' }));
    index.add(makeTask({ id: 'other', queue: 'default', type: 'email' }));
    expect(index.take('mail', new Set(['sms']))?.id).to.equal('sms-1');
    expect(index.take('mail', new Set(['sms']))).to.equal(undefined);
    expect(index.take('mail', ANY)?.id).to.equal('email-1');
    expect(index.size).to.equal(1);
    expect(index.hasReady('mail')).to.equal(false);
    expect(index.hasReady('default')).to.equal(true);
  });

  it('forgets removed tasks, and never hands out a task twice when it is re-added', () => {
    const index = new ReadyIndex();
    const task = makeTask({ id: 't' });
    index.add(task);
    index.remove('t');
    expect(index.take('default', ANY)).to.equal(undefined);
    index.add(task);
    index.add(task);
    expect(index.take('default', ANY)?.id).to.equal('t');
    expect(index.take('default', ANY)).to.equal(undefined);
    expect(index.depthByQueue().get('default')).to.equal(undefined);
  });

  it('counts ready tasks by queue', () => {
    const index = new ReadyIndex();
    index.add(makeTask({ id: '1', queue: 'a' }));
    index.add(makeTask({ id: '2', queue: 'a' }));
    index.add(makeTask({ id: '3', queue: 'b' }));
    index.remove('2');
    expect([...index.depthByQueue()]).to.deep.equal([['a', 1], ['b', 1]]);
  });

  it('forgets queues and types once they are empty', () => {
    const index = new ReadyIndex();
    for (let i = 0; i < 100; i += 1) index.add(makeTask({ id: `t${i}`, queue: `q${i}`, type: `type${i}` }));
    const all = Array.from({ length: 100 }, (_, i) => `q${i}`);
    for (const queue of all) {
      while (index.take(queue, ANY)) {
        // drain
      }
      index.take(queue, ANY);
    }
    expect(index.indexedQueues).to.equal(0);
    expect([...index.nonEmptyQueues()]).to.deep.equal([]);
  });

  it('knows when the ready task of a queue that has been due longest became due, whatever the priorities', () => {
    const index = new ReadyIndex();
    expect(index.oldestDueMs('a')).to.equal(undefined);
    index.add(makeTask({ id: 'urgent', queue: 'a', priority: 9, runAtMs: 300 }));
    index.add(makeTask({ id: 'patient', queue: 'a', priority: 0, runAtMs: 100 }));
    index.add(makeTask({ id: 'later', queue: 'a', priority: 0, runAtMs: 200 }));
    index.add(makeTask({ id: 'elsewhere', queue: 'b', runAtMs: 50 }));
    expect(index.oldestDueMs('a')).to.equal(100);
    expect(index.take('a', ANY)?.id).to.equal('urgent');
    expect(index.oldestDueMs('a')).to.equal(100);
    index.remove('patient');
    expect(index.oldestDueMs('a')).to.equal(200);
    expect(index.take('a', ANY)?.id).to.equal('later');
    expect(index.oldestDueMs('a')).to.equal(undefined);
    expect(index.oldestDueMs('b')).to.equal(50);
  });

  it('keeps the entries behind the oldest-due answer bounded while tasks come and go', () => {
    const index = new ReadyIndex();
    index.add(makeTask({ id: 'anchor', queue: 'a', priority: 0, runAtMs: 1 }));
    for (let i = 0; i < 3000; i += 1) {
      index.add(makeTask({ id: `t${i}`, queue: 'a', priority: 5, runAtMs: 1000 + i }));
      expect(index.take('a', ANY)?.id).to.equal(`t${i}`); // high priority: taken while the anchor waits
    }
    expect(index.oldestDueMs('a')).to.equal(1);
    expect(index.dueTimeEntries('a')).to.be.at.most(2 * 2 + 64); // twice the ready tasks at the last add, plus the slack
  });

  describe('with fairness keys', () => {
    it('serves the keys of a queue round robin, so a tenant with a backlog cannot starve one with a few', () => {
      const index = new ReadyIndex();
      for (let i = 0; i < 1000; i += 1) index.add(makeTask({ id: `big-${String(i).padStart(4, '0')}`, fairnessKey: 'big-tenant', runAtMs: i }));
      for (let i = 0; i < 3; i += 1) index.add(makeTask({ id: `small-${i}`, fairnessKey: 'small-tenant', runAtMs: 5000 + i }));
      const first8 = Array.from({ length: 8 }, () => index.take('default', ANY)?.fairnessKey);
      expect(first8).to.deep.equal(['big-tenant', 'small-tenant', 'big-tenant', 'small-tenant', 'big-tenant', 'small-tenant', 'big-tenant', 'big-tenant']);
    });

    it('keeps priorities within a key, gives keyless tasks one turn together, and honours the types asked for', () => {
      const index = new ReadyIndex();
      index.add(makeTask({ id: 'a-low', fairnessKey: 'a', priority: 0 }));
      index.add(makeTask({ id: 'a-high', fairnessKey: 'a', priority: 5 }));
      index.add(makeTask({ id: 'none-1', runAtMs: 1 }));
      index.add(makeTask({ id: 'none-2', runAtMs: 2 }));
      index.add(makeTask({ id: 'b-other-type', fairnessKey: 'b', type: 'other' }));
      const order = Array.from({ length: 4 }, () => index.take('default', new Set(['noop']))?.id);
      expect(order).to.deep.equal(['a-high', 'none-1', 'a-low', 'none-2']);
      expect(index.take('default', new Set(['other']))?.id).to.equal('b-other-type');
      expect(index.size).to.equal(0);
      index.take('default', ANY);
      expect(index.indexedQueues).to.equal(0);
    });
  });
});

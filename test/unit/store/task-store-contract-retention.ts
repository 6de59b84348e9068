/**
 * The contract for retention (task-store-contract.ts runs it): deleting finished tasks, finding
 * the expired ones under each shape of rule, and reclaiming space.
 */
import { expect } from 'chai';
import type { TaskRecord, TaskState } from '../../../coordinator/core/task';
import type { ExpiryRule } from '../../../coordinator/core/task-store';
import { InvalidArgumentError, NotFoundError } from '../../../shared/errors';
import { makeAttempt, makeTask, rejectionOf, uuidAt, type ContractStore } from './store-fixtures';

/** The time before which the tests' expired tasks finished. */
const CUTOFF_MS = Date.UTC(2032, 0, 1);
const LONG_AGO_MS = CUTOFF_MS - 30 * 24 * 60 * 60 * 1000;
const FINISHED: readonly TaskState[] = ['succeeded', 'dead', 'canceled'];

/** A task created at `createdAtMs` (its id says so) and in `state`, finished at `finishedAtMs`. */
function taskAt(createdAtMs: number, state: TaskState, finishedAtMs: number | null, queue = 'q1', n = 0): TaskRecord {
  return makeTask({ id: uuidAt(createdAtMs, n), queue, state, createdAtMs, updatedAtMs: finishedAtMs ?? createdAtMs, finishedAtMs });
}

/** Defines the tests on the store that `current` returns (a fresh one per test). */
export function describeRetentionContract(current: () => ContractStore): void {
  describe('deleteTasks', () => {
    it('deletes finished tasks with their attempts, ignores unknown ids, and leaves the rest', async () => {
      const store = current();
      const done = makeTask({ state: 'succeeded', finishedAtMs: 1, idempotencyKey: 'k1' });
      const dead = makeTask({ state: 'dead', finishedAtMs: 2, attempt: 2 });
      const kept = makeTask({ state: 'canceled', finishedAtMs: 3 });
      const running = makeTask({ state: 'running', attempt: 1 });
      const tasks = [done, dead, kept, running];
      const runningAttempt = makeAttempt();
      await store.write([
        ...tasks.map((task) => ({ kind: 'insertTask' as const, task })),
        { kind: 'putAttempt', taskId: done.id, attempt: makeAttempt({ outcome: 'succeeded', endedAtMs: 1 }) },
        { kind: 'putAttempt', taskId: dead.id, attempt: makeAttempt({ number: 1, outcome: 'failed', endedAtMs: 1 }) },
        { kind: 'putAttempt', taskId: dead.id, attempt: makeAttempt({ number: 2, outcome: 'failed', endedAtMs: 2 }) },
        { kind: 'putAttempt', taskId: kept.id, attempt: makeAttempt({ outcome: 'canceled', endedAtMs: 3 }) },
        { kind: 'putAttempt', taskId: running.id, attempt: runningAttempt },
      ]);

      const write = store.write([{ kind: 'deleteTasks', taskIds: [done.id, dead.id, 'no-such-task', done.id] }]);
      expect(store.getTask(done.id), 'before the commit').to.not.equal(undefined);
      await write;

      for (const gone of [done, dead]) {
        expect(store.getTask(gone.id)).to.equal(undefined);
        expect(store.getTaskSummary(gone.id)).to.equal(undefined);
        expect(store.readPayload(gone.id)).to.equal(undefined);
        expect(store.getAttempts(gone.id)).to.deep.equal([]);
      }
      expect(store.getTask(kept.id)).to.deep.equal(kept);
      expect(store.getAttempts(kept.id)).to.have.length(1);
      expect(store.getTask(running.id)).to.deep.equal(running);
      expect(store.getAttempts(running.id)).to.deep.equal([runningAttempt]);
      expect(store.listTasks({}, 100).tasks.map((t) => t.id).sort()).to.deep.equal([kept.id, running.id].sort());
      expect(store.countQueue(done.queue)).to.deep.equal([
        { state: 'canceled', count: 1 },
        { state: 'running', count: 1 },
      ]);
      // The key of a deleted task is free again.
      expect(store.findByIdempotencyKey(done.queue, 'k1')).to.equal(undefined);
      const reuse = makeTask({ idempotencyKey: 'k1' });
      await store.write([{ kind: 'insertTask', task: reuse }]);
      expect(store.findByIdempotencyKey(done.queue, 'k1')?.id).to.equal(reuse.id);
    });

    it('never deletes an unfinished task, even when named', async () => {
      const store = current();
      const tasks = (['scheduled', 'queued', 'running'] as const).map((state) => makeTask({ state }));
      await store.write(tasks.map((task) => ({ kind: 'insertTask' as const, task })));
      await store.write([{ kind: 'deleteTasks', taskIds: tasks.map((task) => task.id) }]);
      for (const task of tasks) expect(store.getTask(task.id)).to.deep.equal(task);
    });

    it('forgets a queue whose tasks are all deleted, and finds the next newest task of one that keeps some', async () => {
      const store = current();
      const older = taskAt(LONG_AGO_MS, 'queued', null, 'a');
      const middle = taskAt(LONG_AGO_MS + 1, 'queued', null, 'c');
      const newest = taskAt(LONG_AGO_MS + 2, 'dead', LONG_AGO_MS + 3, 'a');
      const gone = taskAt(LONG_AGO_MS + 3, 'succeeded', LONG_AGO_MS + 4, 'b');
      await store.write([older, middle, newest, gone].map((task) => ({ kind: 'insertTask' as const, task })));
      expect(store.countRecentQueues(10).map((row) => row.queue)).to.deep.equal(['c', 'a', 'a', 'b']);
      await store.write([{ kind: 'deleteTasks', taskIds: [gone.id, newest.id] }]);
      // a's newest task is now `older`, which is older than c's.
      expect(store.countRecentQueues(10)).to.deep.equal([
        { queue: 'a', state: 'queued', count: 1 },
        { queue: 'c', state: 'queued', count: 1 },
      ]);
      expect(store.countQueue('b')).to.deep.equal([]);
    });

    it('applies nothing of a write that fails after its delete', async () => {
      const store = current();
      const task = makeTask({ state: 'succeeded', finishedAtMs: 1, idempotencyKey: 'k' });
      await store.write([
        { kind: 'insertTask', task },
        { kind: 'putAttempt', taskId: task.id, attempt: makeAttempt({ outcome: 'succeeded', endedAtMs: 1 }) },
      ]);
      const err = await rejectionOf(
        store.write([
          { kind: 'deleteTasks', taskIds: [task.id] },
          { kind: 'updateTask', task: makeTask() }, // missing: the whole write is refused
        ]),
      );
      expect(err).to.be.instanceOf(NotFoundError);
      expect(store.getTask(task.id)).to.deep.equal(task);
      expect(store.getAttempts(task.id)).to.have.length(1);
      expect(store.findByIdempotencyKey(task.queue, 'k')?.id).to.equal(task.id);
      expect(store.countQueue(task.queue)).to.deep.equal([{ state: 'succeeded', count: 1 }]);
    });
  });

  describe('findExpired', () => {
    let store: ContractStore;
    /** By name: see beforeEach. */
    let t: Record<string, TaskRecord>;

    beforeEach(async () => {
      store = current();
      t = {
        a: taskAt(LONG_AGO_MS, 'succeeded', LONG_AGO_MS + 10),
        b: taskAt(LONG_AGO_MS + 1, 'dead', LONG_AGO_MS + 20),
        c: taskAt(LONG_AGO_MS + 2, 'canceled', LONG_AGO_MS + 30, 'q2'),
        lateFinish: taskAt(LONG_AGO_MS + 3, 'succeeded', CUTOFF_MS + 5, 'q2'), // created long ago, finished recently
        e: taskAt(LONG_AGO_MS + 4, 'succeeded', LONG_AGO_MS + 40, 'q3'),
        retried: taskAt(LONG_AGO_MS + 5, 'queued', LONG_AGO_MS + 50), // finished once, then retried
        running: taskAt(LONG_AGO_MS + 6, 'running', null),
        scheduled: taskAt(LONG_AGO_MS + 7, 'scheduled', LONG_AGO_MS + 60, 'q3'),
        young: taskAt(CUTOFF_MS + 10, 'succeeded', CUTOFF_MS + 20, 'q2'),
        i: taskAt(CUTOFF_MS - 1, 'succeeded', CUTOFF_MS - 1), // the last millisecond that expires
        atCutoff: taskAt(CUTOFF_MS - 1, 'succeeded', CUTOFF_MS, 'q1', 1), // finished at the cutoff: kept
      };
      // Inserted newest first: the order of the answer must come from the ids.
      const tasks = Object.values(t).sort((x, y) => (x.id < y.id ? 1 : -1));
      await store.write(tasks.map((task) => ({ kind: 'insertTask' as const, task })));
    });

    const ids = (...names: string[]): string[] => names.map((name) => t[name]!.id);
    const expire = (rule: Partial<ExpiryRule>, limit = 100): string[] =>
      store.findExpired({ states: FINISHED, finishedBeforeMs: CUTOFF_MS, ...rule }, limit).map((task) => task.id);

    it('finds the finished tasks of every queue that finished before the cutoff, oldest first', () => {
      expect(expire({})).to.deep.equal(ids('a', 'b', 'c', 'e', 'i'));
    });

    it('says the queue and state of each task it finds', () => {
      const [first] = store.findExpired({ states: FINISHED, finishedBeforeMs: CUTOFF_MS }, 1);
      expect(first).to.deep.equal({ id: t.a!.id, queue: t.a!.queue, state: t.a!.state });
    });

    it('returns at most limit ids, the oldest', () => {
      expect(expire({}, 1)).to.deep.equal(ids('a'));
      expect(expire({}, 3)).to.deep.equal(ids('a', 'b', 'c'));
      expect(expire({ states: ['succeeded'] }, 2)).to.deep.equal(ids('a', 'e'));
    });

    it('covers only the states of the rule, and never an unfinished task', () => {
      expect(expire({ states: ['succeeded'] })).to.deep.equal(ids('a', 'e', 'i'));
      expect(expire({ states: ['dead', 'canceled'] })).to.deep.equal(ids('b', 'c'));
      expect(expire({ states: ['scheduled', 'queued', 'running'] })).to.deep.equal([]);
      expect(expire({ states: ['queued', 'succeeded', 'succeeded'] })).to.deep.equal(ids('a', 'e', 'i'));
      expect(expire({ states: [] })).to.deep.equal([]);
      expect(expire({ states: ['scheduled', 'queued', 'running', ...FINISHED], finishedBeforeMs: Number.MAX_SAFE_INTEGER })).to.deep.equal(
        ids('a', 'b', 'c', 'lateFinish', 'e', 'i', 'atCutoff', 'young'),
      );
    });

    it('covers one queue, or every queue but some', () => {
      expect(expire({ queue: 'q1' })).to.deep.equal(ids('a', 'b', 'i'));
      expect(expire({ queue: 'q1', states: ['dead'] })).to.deep.equal(ids('b'));
      expect(expire({ queue: 'nowhere' })).to.deep.equal([]);
      expect(expire({ exceptQueues: ['q1'] })).to.deep.equal(ids('c', 'e'));
      expect(expire({ exceptQueues: ['q1', 'q2'] }, 1)).to.deep.equal(ids('e'));
      expect(expire({ exceptQueues: [] })).to.deep.equal(ids('a', 'b', 'c', 'e', 'i'));
      expect(expire({ queue: 'q1', exceptQueues: ['q1'] })).to.deep.equal([]);
      expect(expire({ queue: 'q2', exceptQueues: ['q1'] })).to.deep.equal(ids('c'));
    });

    it('moves with the cutoff: a task is not expired until it finished before it', () => {
      expect(expire({ finishedBeforeMs: LONG_AGO_MS + 20 })).to.deep.equal(ids('a'));
      expect(expire({ finishedBeforeMs: LONG_AGO_MS + 21 })).to.deep.equal(ids('a', 'b'));
      expect(expire({ finishedBeforeMs: CUTOFF_MS + 1 })).to.deep.equal(ids('a', 'b', 'c', 'e', 'i', 'atCutoff'));
      expect(expire({ finishedBeforeMs: LONG_AGO_MS })).to.deep.equal([]);
    });

    it('finds nothing of what deleteTasks deleted', async () => {
      const expired = expire({}, 2);
      await store.write([{ kind: 'deleteTasks', taskIds: expired }]);
      expect(expire({})).to.deep.equal(ids('c', 'e', 'i'));
    });

    it('refuses a limit that is not a positive integer', () => {
      expect(() => expire({}, 0)).to.throw(InvalidArgumentError, /limit/);
      expect(() => expire({}, 2.5)).to.throw(InvalidArgumentError, /limit/);
    });
  });

  describe('reclaimSpace', () => {
    it('returns the pages it freed, and refuses a page count that is not a positive integer', async () => {
      const store = current();
      const task = makeTask({ state: 'succeeded', finishedAtMs: 1 });
      await store.write([{ kind: 'insertTask', task }]);
      await store.write([{ kind: 'deleteTasks', taskIds: [task.id] }]);
      expect(store.reclaimSpace(1000)).to.be.a('number').and.at.least(0);
      expect(store.reclaimSpace(1000)).to.equal(0); // nothing left to free
      for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => store.reclaimSpace(bad), String(bad)).to.throw(InvalidArgumentError, /maxPages/);
    });
  });
}

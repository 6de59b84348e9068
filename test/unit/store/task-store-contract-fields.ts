/**
 * The contract for a task's schedule origin and progress (task-store-contract.ts runs it):
 * every read path returns them as written, the origin is written once, progress is replaced.
 */
import { expect } from 'chai';
import { isTerminal, type TaskRecord } from '../../../coordinator/core/task';
import { makeTask, type ContractStore } from './store-fixtures';

/** Defines the tests on the store that `current` returns (a fresh one per test). */
export function describeTaskFieldsContract(current: () => ContractStore): void {
  describe('schedule origin and progress', () => {
    /** Expects every read path of the task to return its origin and progress. */
    function expectEveryRead(store: ContractStore, task: TaskRecord): void {
      const reads: Array<[string, TaskRecord | undefined]> = [
        ['getTask', store.getTask(task.id)],
        ['getTaskSummary', store.getTaskSummary(task.id)],
        ['listTasks', store.listTasks({}, 100).tasks.find((listed) => listed.id === task.id)],
      ];
      if (task.idempotencyKey !== null) reads.push(['findByIdempotencyKey', store.findByIdempotencyKey(task.queue, task.idempotencyKey)]);
      if (!isTerminal(task.state)) reads.push(['loadUnfinished', [...store.loadUnfinished()].find((loaded) => loaded.id === task.id)]);
      for (const [read, found] of reads) {
        expect(found, read).to.not.equal(undefined);
        const { scheduleName, scheduleFireMs, progress, fairnessKey } = found ?? task;
        expect({ scheduleName, scheduleFireMs, progress, fairnessKey }, read).to.deep.equal({
          scheduleName: task.scheduleName,
          scheduleFireMs: task.scheduleFireMs,
          progress: task.progress,
          fairnessKey: task.fairnessKey,
        });
      }
    }

    it('round-trips origin, progress and fairness key through every read, and their absence as null', async () => {
      const store = current();
      const fromSchedule = makeTask({
        state: 'running',
        idempotencyKey: 'schedule:nightly@2030-01-01T03:00:00.000Z',
        scheduleName: 'nightly',
        scheduleFireMs: 1_893_466_800_000,
        progress: { fraction: 0.5, message: 'halfway', atMs: 1_893_466_800_123 },
        fairnessKey: 'tenant-7',
      });
      const direct = makeTask({ idempotencyKey: 'plain' });
      await store.write([
        { kind: 'insertTask', task: fromSchedule },
        { kind: 'insertTask', task: direct },
      ]);
      expectEveryRead(store, fromSchedule);
      expectEveryRead(store, direct);
      expect(store.getTask(direct.id)).to.include({ scheduleName: null, scheduleFireMs: null, progress: null, fairnessKey: null });
    });

    it('keeps the edges of progress: fraction 0 and 1, an empty message', async () => {
      const store = current();
      const none = makeTask({ progress: { fraction: 0, message: '', atMs: 0 } });
      const all = makeTask({ progress: { fraction: 1, message: 'ünïcode ✓', atMs: 1 } });
      await store.write([
        { kind: 'insertTask', task: none },
        { kind: 'insertTask', task: all },
      ]);
      expectEveryRead(store, none);
      expectEveryRead(store, all);
    });

    it('updates progress (set, replaced, cleared) and never the origin', async () => {
      const store = current();
      const task = makeTask({ scheduleName: 'hourly', scheduleFireMs: 1_893_459_600_000 });
      await store.write([{ kind: 'insertTask', task }]);
      const steps: Array<TaskRecord['progress']> = [
        { fraction: 0.25, message: 'one quarter', atMs: task.createdAtMs + 1 },
        { fraction: 0.75, message: 'three quarters', atMs: task.createdAtMs + 2 },
        null, // a new attempt starts without progress
      ];
      for (const progress of steps) {
        const updated: TaskRecord = { ...task, state: 'running', progress, scheduleName: 'other', scheduleFireMs: 1 };
        await store.write([{ kind: 'updateTask', task: updated }]);
        expectEveryRead(store, { ...updated, scheduleName: task.scheduleName, scheduleFireMs: task.scheduleFireMs });
      }
    });

    it('captures progress when write is called', async () => {
      const store = current();
      const task = makeTask();
      await store.write([{ kind: 'insertTask', task }]);
      const progress = { fraction: 0.1, message: 'started', atMs: 5 };
      const write = store.write([{ kind: 'updateTask', task: { ...task, progress } }]);
      (progress as { fraction: number }).fraction = 0.9; // the core replaces progress whole, but a store must not rely on it
      await write;
      expect(store.getTask(task.id)?.progress).to.deep.equal({ fraction: 0.1, message: 'started', atMs: 5 });
      const read = store.getTask(task.id);
      if (read?.progress) (read.progress as { message: string }).message = 'changed';
      expect(store.getTask(task.id)?.progress?.message).to.equal('started');
    });
  });
}

import path from 'node:path';
import type Database from 'better-sqlite3';
import { expect } from 'chai';
import type { SqliteTaskStore } from '../../../coordinator/store/sqlite-store';
import { expirySql, listSql, type ExpiryParams, type ExpiryShape, type ListParams } from '../../../coordinator/store/sqlite-statements';
import { DuplicateTaskError } from '../../../coordinator/store/store-errors';
import { BatonError, FailedPreconditionError } from '../../../shared/errors';
import { TempDirs, makeSchedule, makeTask, openStore, rejectionOf } from './store-fixtures';
import { readOnly } from './sqlite-file-fixtures';
import { describeTaskStoreContract } from './task-store-contract';

/** What SQLite plans for `sql`, one step per line. */
function planOf(db: Database.Database, sql: string, params: object): string {
  const steps = db.prepare<[object], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).all(params);
  return steps.map((step) => step.detail).join('\n');
}

describe('SqliteTaskStore', () => {
  const temp = new TempDirs();
  after(() => temp.removeAll());

  describeTaskStoreContract((options) => openStore(temp.make(), options));

  /** What only a store on disk shows: the file outlives the store object. */
  describe('its file', () => {
    let dataDir: string;
    let store: SqliteTaskStore;

    beforeEach(() => {
      dataDir = temp.make();
      store = openStore(dataDir);
    });
    afterEach(async () => {
      await store.close();
    });

    function committedIds(): string[] {
      return store.listTasks({}, 100_000).tasks.map((task) => task.id).sort();
    }

    it("keeps SQLite's constraint error as the cause of a DuplicateTaskError", async () => {
      const original = makeTask({ idempotencyKey: 'k1' });
      await store.write([{ kind: 'insertTask', task: original }]);
      const err = await rejectionOf(store.write([{ kind: 'insertTask', task: makeTask({ idempotencyKey: 'k1' }) }]));
      expect(err).to.be.instanceOf(DuplicateTaskError);
      expect((err as Error).cause).to.be.instanceOf(Error);
      expect((err as Error).cause).to.have.property('code', 'SQLITE_CONSTRAINT_UNIQUE');
    });

    it('a store reopened after close sees what close committed', async () => {
      await store.close();
      store = openStore(dataDir, { commitIntervalMs: 60_000 });
      const task = makeTask();
      const write = store.write([{ kind: 'insertTask', task }]);
      await store.close();
      await write;
      store = openStore(dataDir);
      expect(committedIds()).to.deep.equal([task.id]);
    });

    it('rejects alone a schedule the schema refuses, as an internal error naming it', async () => {
      const bad = makeSchedule({ name: 'bad' });
      const wrongOverlap = { ...bad, spec: { ...bad.spec, overlap: 'sometimes' as 'skip' } };
      const good = makeSchedule({ name: 'good' });
      const [err] = await Promise.all([
        rejectionOf(store.write([{ kind: 'putSchedule', schedule: wrongOverlap }])),
        store.write([{ kind: 'putSchedule', schedule: good }]),
      ]);
      expect(err).to.be.instanceOf(BatonError).with.property('code', 'INTERNAL');
      expect((err as Error).message).to.contain('putSchedule of schedule bad violates a store constraint');
      expect(store.loadSchedules()).to.deep.equal([good]);
    });

    it('refuses to reclaim space while loadUnfinished is being iterated', async () => {
      await store.write([{ kind: 'insertTask', task: makeTask() }]);
      const iterator = store.loadUnfinished()[Symbol.iterator]();
      iterator.next();
      try {
        expect(() => store.reclaimSpace(10)).to.throw(FailedPreconditionError, /loadUnfinished/);
      } finally {
        iterator.return?.(undefined);
      }
      expect(store.reclaimSpace(10)).to.equal(0);
    });

    it('walks an index in id order for each new listing filter and each expiry rule, never sorting', async () => {
      await store.close();
      const plans = readOnly(path.join(dataDir, 'baton.db'), (db) => {
        const expiry = (shape: ExpiryShape): string => {
          const params: ExpiryParams = { state: 'succeeded', belowId: 'b', finishedBeforeMs: 1, limit: 10 };
          if (shape === 'one queue') params.queue = 'q';
          if (shape === 'except queues') params.exceptQueues = '["q"]';
          return planOf(db, expirySql(shape), params);
        };
        const listing = (params: Omit<ListParams, 'limit'>): string => planOf(db, listSql({ ...params, limit: 10 }), { ...params, limit: 10 });
        return {
          everyQueue: expiry('every queue'),
          oneQueue: expiry('one queue'),
          exceptQueues: expiry('except queues'),
          schedule: listing({ schedule: 's' }),
          scheduleAndTime: listing({ schedule: 's', fromId: 'a', beforeId: 'b' }),
          scheduleAndQueue: listing({ schedule: 's', queue: 'q' }),
          time: listing({ fromId: 'a', beforeId: 'b' }),
          stateAndTime: listing({ state: 'dead', fromId: 'a', beforeId: 'b' }),
          queueStateAndTime: listing({ queue: 'q', state: 'dead', fromId: 'a' }),
        };
      });
      store = openStore(dataDir); // for afterEach
      expect(plans.everyQueue).to.match(/^SEARCH tasks USING INDEX tasks_state_id \(state=\? AND id<\?\)/);
      expect(plans.oneQueue).to.match(/^SEARCH tasks USING INDEX tasks_queue_state_id \(queue=\? AND state=\? AND id<\?\)/);
      expect(plans.exceptQueues).to.match(/^SEARCH tasks USING INDEX tasks_state_id \(state=\? AND id<\?\)/);
      expect(plans.schedule).to.match(/^SEARCH tasks USING INDEX tasks_schedule_id \(schedule_name=\?\)/);
      expect(plans.scheduleAndTime).to.match(/^SEARCH tasks USING INDEX tasks_schedule_id \(schedule_name=\? AND id>\? AND id<\?\)/);
      expect(plans.scheduleAndQueue).to.match(/^SEARCH tasks USING INDEX tasks_schedule_id /);
      expect(plans.time).to.match(/^SEARCH tasks USING INDEX sqlite_autoindex_tasks_1 \(id>\? AND id<\?\)/);
      expect(plans.stateAndTime).to.match(/^SEARCH tasks USING INDEX tasks_state_id \(state=\? AND id>\? AND id<\?\)/);
      expect(plans.queueStateAndTime).to.match(/^SEARCH tasks USING INDEX tasks_queue_state_id \(queue=\? AND state=\? AND id>\?\)/);
      for (const [name, plan] of Object.entries(plans)) expect(plan, name).to.not.match(/TEMP B-TREE|SCAN tasks/);
    });

    it('a reopened store sees everything written before close', async () => {
      const tasks = Array.from({ length: 50 }, (_, i) => makeTask({ state: i % 2 === 0 ? 'queued' : 'succeeded' }));
      const writes = tasks.map((task) => store.write([{ kind: 'insertTask', task }]));
      await store.close();
      await Promise.all(writes);
      store = openStore(dataDir);
      for (const task of tasks) expect(store.getTask(task.id)).to.deep.equal(task);
    });
  });
});

import { expect } from 'chai';
import type { SqliteTaskStore } from '../../../coordinator/store/sqlite-store';
import { DuplicateTaskError } from '../../../coordinator/store/store-errors';
import { TempDirs, makeTask, openStore, rejectionOf } from './store-fixtures';
import { describeTaskStoreContract } from './task-store-contract';

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

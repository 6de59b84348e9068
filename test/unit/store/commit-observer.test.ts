import { expect } from 'chai';
import type { CommitObservation } from '../../../coordinator/store/sqlite-store';
import { makeAttempt, makeTask, openStore, TempDirs } from './store-fixtures';

describe('SqliteTaskStore: the commit observer', () => {
  const dirs = new TempDirs();
  after(() => dirs.removeAll());

  it('hears of each transaction: its rows and writes that committed (a refused write is not among them), and how long it took', async () => {
    const seen: CommitObservation[] = [];
    const store = openStore(dirs.make(), { commitIntervalMs: 5, onCommit: (commit) => seen.push(commit) });
    try {
      const task = makeTask();
      const other = makeTask();
      await Promise.all([
        store.write([{ kind: 'insertTask', task }]),
        store.write([
          { kind: 'insertTask', task: other },
          { kind: 'putAttempt', taskId: other.id, attempt: makeAttempt() },
        ]),
        store.write([{ kind: 'insertTask', task }]).catch(() => undefined), // a duplicate id: refused alone
      ]);
      expect(seen.map(({ rows, writes }) => ({ rows, writes }))).to.deep.equal([{ rows: 3, writes: 2 }]);
      expect(seen[0]!.durationMs).to.be.a('number').and.at.least(0);
    } finally {
      await store.close();
    }
  });

  it('keeps a committed write committed when the observer throws', async () => {
    const store = openStore(dirs.make(), {
      onCommit: () => {
        throw new Error('observer bug');
      },
    });
    try {
      const task = makeTask();
      await store.write([{ kind: 'insertTask', task }]);
      expect(store.getTask(task.id)?.id).to.equal(task.id);
    } finally {
      await store.close();
    }
  });
});

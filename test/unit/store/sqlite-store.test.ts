import { expect } from 'chai';
import type { TaskRecord } from '../../../coordinator/core/task';
import type { SqliteTaskStore } from '../../../coordinator/store/sqlite-store';
import { DuplicateTaskError } from '../../../coordinator/store/store-errors';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../../../shared/errors';
import { TempDirs, makeAttempt, makeTask, openStore, rejectionOf } from './store-fixtures';

describe('SqliteTaskStore', () => {
  const temp = new TempDirs();
  let dataDir: string;
  let store: SqliteTaskStore;

  beforeEach(() => {
    dataDir = temp.make();
    store = openStore(dataDir);
  });
  afterEach(async () => {
    await store.close();
  });
  after(() => temp.removeAll());

  /**
   * What is committed. The store holds the file exclusively, so this reads through its own
   * connection; better-sqlite3 applies and commits a batch in one synchronous call, so no
   * applied-but-uncommitted state is ever visible from here.
   */
  function committedIds(): string[] {
    return store.listTasks({}, 100_000).tasks.map((task) => task.id).sort();
  }

  describe('write and read', () => {
    it('round-trips every field of a task and its attempts', async () => {
      const task = makeTask({
        queue: 'emails',
        type: 'send',
        state: 'running',
        payload: Buffer.from([0, 1, 2, 255]),
        contentType: 'application/octet-stream',
        priority: -7,
        attempt: 2,
        maxAttempts: 5,
        retry: { initialMs: 250, multiplier: 1.5, maxMs: 30_000, jitter: 0.1 },
        timeoutMs: 45_000,
        idempotencyKey: 'order-42',
        labels: { tenant: 'acme', 'ünïcode': '✓' },
        traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'k=v' },
        result: Buffer.from('partial'),
        resultContentType: 'text/plain',
        lastError: 'boom',
        createdAtMs: 1_700_000_000_001,
        updatedAtMs: 1_700_000_000_002,
        runAtMs: 1_700_000_000_003,
        finishedAtMs: 1_700_000_000_004,
      });
      const first = makeAttempt({ number: 1, endedAtMs: 1_700_000_000_010, outcome: 'failed', error: 'boom' });
      const second = makeAttempt({ number: 2, workerId: 'w2', leaseId: 'l2', startedAtMs: 1_700_000_000_020 });
      await store.write([
        { kind: 'insertTask', task },
        { kind: 'putAttempt', taskId: task.id, attempt: second },
        { kind: 'putAttempt', taskId: task.id, attempt: first },
      ]);
      expect(store.getTask(task.id)).to.deep.equal(task);
      expect(store.findByIdempotencyKey(task.queue, 'order-42')).to.deep.equal(task);
      expect(store.getAttempts(task.id)).to.deep.equal([first, second]);
    });

    it('round-trips the null and empty values', async () => {
      const task = makeTask({ payload: Buffer.alloc(0), result: null, idempotencyKey: null, finishedAtMs: null });
      await store.write([{ kind: 'insertTask', task }]);
      expect(store.getTask(task.id)).to.deep.equal(task);
      expect(store.getTask('no-such-id')).to.equal(undefined);
      expect(store.findByIdempotencyKey(task.queue, 'nope')).to.equal(undefined);
      expect(store.getAttempts(task.id)).to.deep.equal([]);
    });

    it('updates the mutable fields and never the payload', async () => {
      const task = makeTask();
      await store.write([{ kind: 'insertTask', task }]);
      const updated: TaskRecord = {
        ...task,
        payload: Buffer.from('tampered'),
        state: 'succeeded',
        attempt: 1,
        maxAttempts: 9,
        result: Buffer.from('{"ok":true}'),
        resultContentType: 'application/json',
        lastError: 'earlier failure',
        updatedAtMs: task.updatedAtMs + 10,
        runAtMs: task.runAtMs + 5,
        finishedAtMs: task.updatedAtMs + 10,
      };
      await store.write([{ kind: 'updateTask', task: updated }]);
      expect(store.getTask(task.id)).to.deep.equal({ ...updated, payload: task.payload });
    });

    it('replaces an attempt with the same number', async () => {
      const task = makeTask({ state: 'running', attempt: 1 });
      const attempt = makeAttempt();
      await store.write([
        { kind: 'insertTask', task },
        { kind: 'putAttempt', taskId: task.id, attempt },
      ]);
      const ended = { ...attempt, endedAtMs: attempt.startedAtMs + 100, outcome: 'succeeded' as const };
      await store.write([{ kind: 'putAttempt', taskId: task.id, attempt: ended }]);
      expect(store.getAttempts(task.id)).to.deep.equal([ended]);
    });

    it('writes records as they were when write was called', async () => {
      const task = makeTask();
      const write = store.write([{ kind: 'insertTask', task }]);
      task.state = 'running'; // the core keeps mutating its records while the write waits
      await write;
      expect(store.getTask(task.id)?.state).to.equal('queued');
    });

    it('rejects an update or attempt for a missing task, applying nothing of that write', async () => {
      const ghost = makeTask();
      const bystander = makeTask();
      const update = rejectionOf(store.write([{ kind: 'insertTask', task: bystander }, { kind: 'updateTask', task: ghost }]));
      const attempt = rejectionOf(store.write([{ kind: 'putAttempt', taskId: ghost.id, attempt: makeAttempt() }]));
      expect(await update).to.be.instanceOf(NotFoundError);
      expect(await attempt).to.be.instanceOf(NotFoundError);
      expect(store.getTask(bystander.id)).to.equal(undefined);
    });
  });

  describe('group commit', () => {
    it('commits many concurrent writes in few transactions', async () => {
      const tasks = Array.from({ length: 500 }, () => makeTask());
      await Promise.all(tasks.map((task) => store.write([{ kind: 'insertTask', task }])));
      expect(store.stats).to.include({ transactions: 1, writes: 500, mutations: 500 });
      expect(committedIds()).to.have.length(500);
    });

    it('starts a transaction every commitMaxBatch mutations', async () => {
      await store.close();
      store = openStore(dataDir, { commitMaxBatch: 100, commitIntervalMs: 60_000 });
      const tasks = Array.from({ length: 450 }, () => makeTask());
      const writes = tasks.map((task) => store.write([{ kind: 'insertTask', task }]));
      expect(store.stats.transactions).to.equal(4); // the rest waits for the interval or a flush
      await store.flush();
      await Promise.all(writes);
      expect(store.stats.transactions).to.equal(5);
    });

    it('resolves a write only once its transaction has committed', async () => {
      const task = makeTask();
      const write = store.write([{ kind: 'insertTask', task }]).then(() => committedIds());
      expect(store.getTask(task.id)).to.equal(undefined);
      expect(committedIds()).to.deep.equal([]);
      expect(await write).to.deep.equal([task.id]);
    });

    it('rejects a write with a duplicate idempotency key and keeps the rest of the batch', async () => {
      const original = makeTask({ idempotencyKey: 'k1' });
      await store.write([{ kind: 'insertTask', task: original }]);
      const before = store.stats.transactions;

      const sibling = makeTask();
      const duplicate = makeTask({ idempotencyKey: 'k1' });
      const other = makeTask({ idempotencyKey: 'k2' });
      const failing = rejectionOf(
        store.write([
          { kind: 'insertTask', task: sibling },
          { kind: 'putAttempt', taskId: sibling.id, attempt: makeAttempt() },
          { kind: 'insertTask', task: duplicate },
        ]),
      );
      const succeeding = store.write([{ kind: 'insertTask', task: other }]);

      const err = await failing;
      await succeeding;
      expect(err).to.be.instanceOf(DuplicateTaskError);
      expect(err).to.include({ code: 'ALREADY_EXISTS', field: 'idempotencyKey', taskId: duplicate.id, idempotencyKey: 'k1' });
      expect((err as Error).cause).to.be.instanceOf(Error);
      expect(store.getTask(sibling.id)).to.equal(undefined);
      expect(store.getAttempts(sibling.id)).to.deep.equal([]);
      expect(store.getTask(other.id)).to.deep.equal(other);
      expect(store.findByIdempotencyKey(original.queue, 'k1')?.id).to.equal(original.id);
      // Both writes shared one transaction: the failure was isolated, not a separate commit.
      expect(store.stats.transactions - before).to.equal(1);
      expect(store.stats.rejectedWrites).to.equal(1);
    });

    it('rejects a duplicate key within one write, and a duplicate id', async () => {
      const a = makeTask({ idempotencyKey: 'same' });
      const b = makeTask({ idempotencyKey: 'same' });
      const sameKey = await rejectionOf(store.write([{ kind: 'insertTask', task: a }, { kind: 'insertTask', task: b }]));
      expect(sameKey).to.include({ field: 'idempotencyKey', taskId: b.id });
      expect(store.getTask(a.id)).to.equal(undefined);

      await store.write([{ kind: 'insertTask', task: a }]);
      const sameId = await rejectionOf(store.write([{ kind: 'insertTask', task: { ...a, idempotencyKey: null } }]));
      expect(sameId).to.be.instanceOf(DuplicateTaskError);
      expect(sameId).to.include({ field: 'id', taskId: a.id });
    });
  });

  describe('flush and close', () => {
    it('flush commits pending writes without waiting for the interval', async () => {
      await store.close();
      store = openStore(dataDir, { commitIntervalMs: 60_000 });
      const task = makeTask();
      const write = store.write([{ kind: 'insertTask', task }]);
      expect(committedIds()).to.deep.equal([]);
      await store.flush();
      expect(committedIds()).to.deep.equal([task.id]);
      await write;
    });

    it('close commits what is pending, is idempotent, and refuses later writes and reads', async () => {
      await store.close();
      store = openStore(dataDir, { commitIntervalMs: 60_000 });
      const task = makeTask();
      const write = store.write([{ kind: 'insertTask', task }]);
      const closing = store.close();
      expect(store.close()).to.equal(closing);
      await closing;
      await write;
      expect(await rejectionOf(store.write([{ kind: 'insertTask', task: makeTask() }]))).to.be.instanceOf(UnavailableError);
      expect(() => store.getTask(task.id)).to.throw(UnavailableError);
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

  describe('start-up queries', () => {
    it('loadUnfinished returns scheduled, queued and running tasks only', async () => {
      const states = ['scheduled', 'queued', 'running', 'succeeded', 'dead', 'canceled'] as const;
      const tasks = states.map((state) => makeTask({ state }));
      await store.write(tasks.map((task) => ({ kind: 'insertTask' as const, task })));
      const unfinished = store.loadUnfinished().sort((a, b) => a.id.localeCompare(b.id));
      expect(unfinished).to.deep.equal(tasks.slice(0, 3));
    });

    it("loadRunningAttempts returns each running task's current attempt", async () => {
      const running = makeTask({ state: 'running', attempt: 2 });
      const retried = makeTask({ state: 'scheduled', attempt: 1 });
      const old = makeAttempt({ number: 1, outcome: 'worker_lost', endedAtMs: 5 });
      const current = makeAttempt({ number: 2, leaseId: 'lease-2' });
      await store.write([
        { kind: 'insertTask', task: running },
        { kind: 'putAttempt', taskId: running.id, attempt: old },
        { kind: 'putAttempt', taskId: running.id, attempt: current },
        { kind: 'insertTask', task: retried },
        { kind: 'putAttempt', taskId: retried.id, attempt: makeAttempt({ outcome: 'failed', endedAtMs: 7 }) },
      ]);
      expect(store.loadRunningAttempts()).to.deep.equal(new Map([[running.id, current]]));
    });
  });

  describe('listing', () => {
    let all: TaskRecord[];

    beforeEach(async () => {
      all = [];
      for (let i = 0; i < 30; i += 1) {
        all.push(
          makeTask({
            queue: i % 3 === 0 ? 'emails' : 'reports',
            type: i % 2 === 0 ? 'even' : 'odd',
            state: i % 5 === 0 ? 'dead' : 'queued',
            result: i % 4 === 0 ? Buffer.from('r') : null,
          }),
        );
      }
      await store.write(all.map((task) => ({ kind: 'insertTask' as const, task })));
    });

    const newestFirst = (tasks: TaskRecord[]): string[] => tasks.map((t) => t.id).sort().reverse();

    it('lists newest first with empty payloads and results', () => {
      const page = store.listTasks({}, 100);
      expect(page.tasks.map((t) => t.id)).to.deep.equal(newestFirst(all));
      expect(page.nextBeforeId).to.equal(undefined);
      for (const task of page.tasks) {
        const stored = all.find((t) => t.id === task.id) as TaskRecord;
        expect(task.payload).to.have.length(0);
        expect(task.result === null).to.equal(stored.result === null); // presence kept, bytes dropped
        expect({ ...task, payload: stored.payload, result: stored.result }).to.deep.equal(stored);
      }
    });

    it('applies each filter and their combinations', () => {
      const cases: Array<Parameters<SqliteTaskStore['listTasks']>[0]> = [
        { queue: 'emails' },
        { state: 'dead' },
        { type: 'odd' },
        { queue: 'reports', state: 'queued' },
        { queue: 'emails', type: 'even' },
        { queue: 'reports', state: 'dead', type: 'odd' },
        { queue: 'nowhere' },
      ];
      for (const filter of cases) {
        const expected = all.filter(
          (t) =>
            (filter.queue === undefined || t.queue === filter.queue) &&
            (filter.state === undefined || t.state === filter.state) &&
            (filter.type === undefined || t.type === filter.type),
        );
        expect(store.listTasks(filter, 100).tasks.map((t) => t.id), JSON.stringify(filter)).to.deep.equal(newestFirst(expected));
      }
    });

    it('pages with beforeId until the last page', () => {
      const seen: string[] = [];
      let beforeId: string | undefined;
      let pages = 0;
      do {
        const page = store.listTasks({ queue: 'reports' }, 7, beforeId);
        expect(page.tasks.length).to.be.at.most(7);
        seen.push(...page.tasks.map((t) => t.id));
        beforeId = page.nextBeforeId;
        pages += 1;
      } while (beforeId !== undefined);
      expect(seen).to.deep.equal(newestFirst(all.filter((t) => t.queue === 'reports')));
      expect(pages).to.equal(3); // 20 tasks: 7 + 7 + 6
    });

    it('refuses a limit that is not a positive integer', () => {
      expect(() => store.listTasks({}, 0)).to.throw(InvalidArgumentError, /limit/);
      expect(() => store.listTasks({}, 1.5)).to.throw(InvalidArgumentError, /limit/);
    });

    it('counts one queue\'s tasks by state', () => {
      const expected = new Map<string, number>();
      for (const t of all.filter((task) => task.queue === 'reports')) expected.set(t.state, (expected.get(t.state) ?? 0) + 1);
      expect(new Map(store.countQueue('reports').map((c) => [c.state, c.count]))).to.deep.equal(expected);
      expect(store.countQueue('nobody')).to.deep.equal([]);
    });

    it('counts by state the queues whose newest task is newest, at most as many as asked, oldest first', async () => {
      // Newer tasks in three more queues, 'emails' getting the newest of all.
      const newer = ['a', 'b', 'emails', 'c'].map((queue) => makeTask({ queue, state: 'succeeded' }));
      await store.write(newer.map((task) => ({ kind: 'insertTask' as const, task })));
      const emails = all.filter((task) => task.queue === 'emails');
      const rows = store.countRecentQueues(3);
      expect(rows.map((row) => `${row.queue}/${row.state}/${row.count}`)).to.deep.equal([
        'b/succeeded/1',
        `emails/dead/${emails.filter((task) => task.state === 'dead').length}`,
        `emails/queued/${emails.filter((task) => task.state === 'queued').length}`,
        'emails/succeeded/1',
        'c/succeeded/1',
      ]);
      expect(new Set(store.countRecentQueues(100).map((row) => row.queue))).to.deep.equal(new Set(['reports', 'a', 'b', 'emails', 'c']));
      expect(() => store.countRecentQueues(0)).to.throw(InvalidArgumentError, /maxQueues/);
    });
  });
});

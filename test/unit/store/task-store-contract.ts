/**
 * What every TaskStore must do, whatever keeps the data: run by each store's own test file
 * (sqlite-store.test.ts, memory-store.test.ts) with a function that opens a fresh store.
 * Tests of one implementation alone (files, WAL, reopening) stay in that store's file.
 */
import { expect } from 'chai';
import type { TaskRecord } from '../../../coordinator/core/task';
import type { TaskFilter } from '../../../coordinator/core/task-store';
import type { CommitObservation } from '../../../coordinator/store/sqlite-store';
import { DuplicateTaskError } from '../../../coordinator/store/store-errors';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../../../shared/errors';
import { makeAttempt, makeTask, rejectionOf, type ContractStore, type OpenContractStore } from './store-fixtures';
import { describeTaskFieldsContract } from './task-store-contract-fields';
import { describeListingFiltersContract } from './task-store-contract-filters';
import { describeRetentionContract } from './task-store-contract-retention';
import { describeSettingsContract } from './task-store-contract-settings';

/** Defines a `the TaskStore contract` suite of tests, each on a fresh store from `open`. */
export function describeTaskStoreContract(open: OpenContractStore): void {
  describe('the TaskStore contract', () => {
    let store: ContractStore;

    beforeEach(() => {
      store = open();
    });
    afterEach(async () => {
      await store.close();
    });

    // The newer parts of the contract, in files of their own; they read the store each test opened.
    describeTaskFieldsContract(() => store);
    describeListingFiltersContract(() => store);
    describeRetentionContract(() => store);
    describeSettingsContract(() => store);

    /** Replaces the suite's store with one opened with `options`. */
    async function reopenWith(options: Parameters<OpenContractStore>[0]): Promise<void> {
      await store.close();
      store = open(options);
    }

    /** What is committed (reads see committed data only). */
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
          attemptBudget: 4,
          maxInfraFailures: 6,
          infraFailures: 1,
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
          scheduleName: 'nightly',
          scheduleFireMs: 1_700_000_000_005,
          progress: { fraction: 0.375, message: 'page 3 of 8', atMs: 1_700_000_000_006 },
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
        expect(store.findByIdempotencyKey('other-queue', 'order-42')).to.equal(undefined); // keys are per queue
        expect(store.getAttempts(task.id)).to.deep.equal([first, second]);
        // Every other read path, each field distinct from the others: a column bound or read in
        // the wrong position shows here.
        const summary = { ...task, payload: Buffer.alloc(0), result: Buffer.alloc(0) };
        expect(store.getTaskSummary(task.id)).to.deep.equal(summary);
        expect(store.listTasks({}, 10).tasks).to.deep.equal([summary]);
        expect([...store.loadUnfinished()]).to.deep.equal([summary]);
        expect(store.readPayload(task.id)).to.deep.equal(task.payload);
      });

      it('round-trips the null and empty values', async () => {
        const task = makeTask({ payload: Buffer.alloc(0), result: null, idempotencyKey: null, finishedAtMs: null });
        await store.write([{ kind: 'insertTask', task }]);
        expect(store.getTask(task.id)).to.deep.equal(task);
        expect(store.getTask('no-such-id')).to.equal(undefined);
        expect(store.getTaskSummary('no-such-id')).to.equal(undefined);
        expect(store.findByIdempotencyKey(task.queue, 'nope')).to.equal(undefined);
        expect(store.getAttempts(task.id)).to.deep.equal([]);
      });

      it('reads a summary without payload and result bytes', async () => {
        const withResult = makeTask({ state: 'succeeded', result: Buffer.from('big result') });
        const without = makeTask();
        await store.write([{ kind: 'insertTask', task: withResult }, { kind: 'insertTask', task: without }]);
        expect(store.getTaskSummary(withResult.id)).to.deep.equal({ ...withResult, payload: Buffer.alloc(0), result: Buffer.alloc(0) });
        expect(store.getTaskSummary(without.id)).to.deep.equal({ ...without, payload: Buffer.alloc(0), result: null });
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
          infraFailures: 2,
          lastError: 'earlier failure',
          updatedAtMs: task.updatedAtMs + 10,
          runAtMs: task.runAtMs + 5,
          finishedAtMs: task.updatedAtMs + 20,
          progress: { fraction: 1, message: 'done', atMs: task.updatedAtMs + 15 },
          scheduleName: 'tampered', // the origin is written at insert only
          scheduleFireMs: 99,
        };
        await store.write([{ kind: 'updateTask', task: updated }]);
        expect(store.getTask(task.id)).to.deep.equal({ ...updated, payload: task.payload, scheduleName: null, scheduleFireMs: null });
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
        const task = makeTask({ labels: { tenant: 'acme' } });
        const attempt = makeAttempt();
        const write = store.write([
          { kind: 'insertTask', task },
          { kind: 'putAttempt', taskId: task.id, attempt },
        ]);
        task.state = 'running'; // the core keeps mutating its records while the write waits
        (task.labels as Record<string, string>).tenant = 'changed';
        attempt.outcome = 'failed';
        await write;
        const stored = store.getTask(task.id);
        expect(stored?.state).to.equal('queued');
        expect(stored?.labels).to.deep.equal({ tenant: 'acme' });
        expect(store.getAttempts(task.id)[0]?.outcome).to.equal('running');
      });

      it('hands out copies: changing a record read back changes nothing stored', async () => {
        const task = makeTask({ state: 'running', attempt: 1, labels: { tenant: 'acme' } });
        await store.write([
          { kind: 'insertTask', task },
          { kind: 'putAttempt', taskId: task.id, attempt: makeAttempt() },
        ]);
        for (const read of [store.getTask(task.id), store.getTaskSummary(task.id), [...store.loadUnfinished()][0], store.listTasks({}, 10).tasks[0]]) {
          if (read === undefined) throw new Error('expected the task');
          read.state = 'dead';
          (read.labels as Record<string, string>).tenant = 'changed';
        }
        const attempt = store.loadRunningAttempts().get(task.id);
        if (attempt) attempt.outcome = 'failed';
        const [listed] = store.getAttempts(task.id);
        if (listed) listed.outcome = 'failed';
        expect(store.getTask(task.id)).to.deep.equal(task);
        expect(store.getAttempts(task.id)[0]?.outcome).to.equal('running');
      });

      it('rejects an update or attempt for a missing task, applying nothing of that write', async () => {
        const ghost = makeTask();
        const bystander = makeTask();
        const update = rejectionOf(store.write([{ kind: 'insertTask', task: bystander }, { kind: 'updateTask', task: ghost }]));
        const attempt = rejectionOf(store.write([{ kind: 'putAttempt', taskId: ghost.id, attempt: makeAttempt() }]));
        expect(await update).to.be.instanceOf(NotFoundError);
        expect(await attempt).to.be.instanceOf(NotFoundError);
        expect(store.getTask(bystander.id)).to.equal(undefined);
        expect(committedIds()).to.deep.equal([]);
      });

      it('rejects an unknown mutation kind at once', async () => {
        const bad = { kind: 'dropTable' } as unknown as Parameters<ContractStore['write']>[0][number];
        expect(await rejectionOf(store.write([bad]))).to.be.instanceOf(InvalidArgumentError);
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
        await reopenWith({ commitMaxBatch: 100, commitIntervalMs: 60_000 });
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
        const otherQueue = makeTask({ queue: 'elsewhere', idempotencyKey: 'k1' }); // keys are per queue
        const failing = rejectionOf(
          store.write([
            { kind: 'insertTask', task: sibling },
            { kind: 'putAttempt', taskId: sibling.id, attempt: makeAttempt() },
            { kind: 'insertTask', task: duplicate },
          ]),
        );
        const succeeding = store.write([{ kind: 'insertTask', task: other }, { kind: 'insertTask', task: otherQueue }]);

        const err = await failing;
        await succeeding;
        expect(err).to.be.instanceOf(DuplicateTaskError);
        expect(err).to.include({ code: 'ALREADY_EXISTS', field: 'idempotencyKey', taskId: duplicate.id, idempotencyKey: 'k1' });
        expect(store.getTask(sibling.id)).to.equal(undefined);
        expect(store.getAttempts(sibling.id)).to.deep.equal([]);
        expect(store.getTask(other.id)).to.deep.equal(other);
        expect(store.findByIdempotencyKey(original.queue, 'k1')?.id).to.equal(original.id);
        expect(store.findByIdempotencyKey('elsewhere', 'k1')?.id).to.equal(otherQueue.id);
        // Both writes shared one transaction: the failure was isolated, not a separate commit.
        expect(store.stats.transactions - before).to.equal(1);
        expect(store.stats.rejectedWrites).to.equal(1);
        // Nothing of the refused write is counted either.
        expect(store.countQueue(original.queue)).to.deep.equal([{ state: 'queued', count: 2 }]);
      });

      it('rejects a duplicate key within one write, and a duplicate id', async () => {
        const a = makeTask({ idempotencyKey: 'same' });
        const b = makeTask({ idempotencyKey: 'same' });
        const sameKey = await rejectionOf(store.write([{ kind: 'insertTask', task: a }, { kind: 'insertTask', task: b }]));
        expect(sameKey).to.include({ field: 'idempotencyKey', taskId: b.id });
        expect(store.getTask(a.id)).to.equal(undefined);
        expect(store.findByIdempotencyKey(a.queue, 'same')).to.equal(undefined);

        await store.write([{ kind: 'insertTask', task: a }]);
        const sameId = await rejectionOf(store.write([{ kind: 'insertTask', task: { ...a, idempotencyKey: null } }]));
        expect(sameId).to.be.instanceOf(DuplicateTaskError);
        expect(sameId).to.include({ field: 'id', taskId: a.id });
        expect(store.getTask(a.id)).to.deep.equal(a);
      });

      it('undoes an update of a write that fails later in the same write', async () => {
        const task = makeTask();
        await store.write([{ kind: 'insertTask', task }]);
        const failing = rejectionOf(
          store.write([
            { kind: 'updateTask', task: { ...task, state: 'running', attempt: 1 } },
            { kind: 'putAttempt', taskId: task.id, attempt: makeAttempt() },
            { kind: 'updateTask', task: makeTask() }, // missing: the whole write is refused
          ]),
        );
        expect(await failing).to.be.instanceOf(NotFoundError);
        expect(store.getTask(task.id)).to.deep.equal(task);
        expect(store.getAttempts(task.id)).to.deep.equal([]);
        expect(store.countQueue(task.queue)).to.deep.equal([{ state: 'queued', count: 1 }]);
      });
    });

    describe('the commit observer', () => {
      it('hears of each transaction: its rows and writes that committed (a refused write is not among them), and how long it took', async () => {
        const seen: CommitObservation[] = [];
        await reopenWith({ commitIntervalMs: 5, onCommit: (commit) => seen.push(commit) });
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
      });

      it('keeps a committed write committed when the observer throws', async () => {
        await reopenWith({
          onCommit: () => {
            throw new Error('observer bug');
          },
        });
        const task = makeTask();
        await store.write([{ kind: 'insertTask', task }]);
        expect(store.getTask(task.id)?.id).to.equal(task.id);
      });
    });

    describe('flush and close', () => {
      it('flush commits pending writes without waiting for the interval', async () => {
        await reopenWith({ commitIntervalMs: 60_000 });
        const task = makeTask();
        const write = store.write([{ kind: 'insertTask', task }]);
        expect(committedIds()).to.deep.equal([]);
        await store.flush();
        expect(committedIds()).to.deep.equal([task.id]);
        await write;
      });

      it('close commits what is pending, is idempotent, and refuses later writes and reads', async () => {
        await reopenWith({ commitIntervalMs: 60_000 });
        const task = makeTask();
        const write = store.write([{ kind: 'insertTask', task }]);
        const closing = store.close();
        expect(store.close()).to.equal(closing);
        await closing;
        await write;
        expect(store.stats).to.include({ writes: 1, mutations: 1 });
        expect(await rejectionOf(store.write([{ kind: 'insertTask', task: makeTask() }]))).to.be.instanceOf(UnavailableError);
        expect(() => store.getTask(task.id)).to.throw(UnavailableError);
        expect(() => store.listTasks({}, 10)).to.throw(UnavailableError);
      });
    });

    describe('start-up queries', () => {
      it('loadUnfinished returns scheduled, queued and running tasks only', async () => {
        const states = ['scheduled', 'queued', 'running', 'succeeded', 'dead', 'canceled'] as const;
        const tasks = states.map((state) => makeTask({ state }));
        await store.write(tasks.map((task) => ({ kind: 'insertTask' as const, task })));
        const unfinished = [...store.loadUnfinished()].sort((a, b) => a.id.localeCompare(b.id));
        // Without payloads: dispatch reads a task's payload when it grants the lease.
        expect(unfinished).to.deep.equal(tasks.slice(0, 3).map((task) => ({ ...task, payload: Buffer.alloc(0) })));
        for (const task of tasks.slice(0, 3)) expect(store.readPayload(task.id)).to.deep.equal(task.payload);
        expect(store.readPayload('no-such-task')).to.equal(undefined);
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
        const cases: TaskFilter[] = [
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

      it('ends on a full last page without a next page', () => {
        const page = store.listTasks({ queue: 'emails' }, 10); // exactly the 10 tasks of emails
        expect(page.tasks).to.have.length(10);
        expect(page.nextBeforeId).to.equal(undefined);
        const oldest = newestFirst(all)[29] as string;
        expect(store.listTasks({}, 5, oldest)).to.deep.equal({ tasks: [], nextBeforeId: undefined });
      });

      it('refuses a limit that is not a positive integer', () => {
        expect(() => store.listTasks({}, 0)).to.throw(InvalidArgumentError, /limit/);
        expect(() => store.listTasks({}, 1.5)).to.throw(InvalidArgumentError, /limit/);
      });

      it("counts one queue's tasks by state, following updates", async () => {
        const count = (queue: string): Map<string, number> => new Map(store.countQueue(queue).map((c) => [c.state, c.count]));
        const expected = new Map<string, number>();
        const reports = all.filter((task) => task.queue === 'reports');
        for (const t of reports) expected.set(t.state, (expected.get(t.state) ?? 0) + 1);
        expect(count('reports')).to.deep.equal(expected);
        expect(store.countQueue('reports').map((c) => c.state)).to.deep.equal([...expected.keys()].sort()); // states in order
        expect(store.countQueue('nobody')).to.deep.equal([]);

        const dead = reports.filter((task) => task.state === 'dead');
        await store.write(dead.map((task) => ({ kind: 'updateTask' as const, task: { ...task, state: 'succeeded' as const } })));
        expect(count('reports')).to.deep.equal(new Map([['queued', expected.get('queued')], ['succeeded', dead.length]]));
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
}

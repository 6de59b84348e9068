import { expect } from 'chai';
import { CommitFailedError, GroupCommitter, type CommitBatch } from '../../../coordinator/store/group-commit';
import { BatonError, UnavailableError } from '../../../shared/errors';

/** A synchronous commit function that records its batches. */
function recorder<T>(): { batches: T[][][]; commit: CommitBatch<T> } {
  const batches: T[][][] = [];
  const commit: CommitBatch<T> = (groups) => {
    batches.push(groups.map((group) => [...group]));
  };
  return { batches, commit };
}

/** A promise and its resolver, for holding a commit open. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Settles once pending immediates (and the microtasks they queue) have run. */
const nextImmediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommitter', () => {
  it('commits the writes of one tick in one batch, then resolves them', async () => {
    const { batches, commit } = recorder<string>();
    const committer = new GroupCommitter<string>({ commit, commitIntervalMs: 1 });
    const writes = [committer.enqueue(['a']), committer.enqueue(['b', 'c']), committer.enqueue(['d'])];
    expect(batches).to.have.length(0);
    await Promise.all(writes);
    expect(batches).to.deep.equal([[['a'], ['b', 'c'], ['d']]]);
    await committer.close();
  });

  it('resolves a write only after its commit has finished', async () => {
    const gate = deferred();
    let committed = false;
    const committer = new GroupCommitter<number>({
      commit: async () => {
        await gate.promise;
        committed = true;
      },
      commitIntervalMs: 0,
    });
    let resolvedWhileCommitting = false;
    const write = committer.enqueue([1]).then(() => {
      resolvedWhileCommitting = !committed;
    });
    await nextImmediate(); // the commit has started and waits on the gate
    gate.resolve();
    await write;
    expect(resolvedWhileCommitting).to.equal(false);
    await committer.close();
  });

  it('commits at once when maxBatch items are pending, never splitting a group', async () => {
    const { batches, commit } = recorder<string>();
    const committer = new GroupCommitter<string>({ commit, commitIntervalMs: 60_000, maxBatch: 3 });
    const first = committer.enqueue(['a', 'b']);
    expect(batches).to.have.length(0);
    const second = committer.enqueue(['c', 'd', 'e']); // reaches 5 >= 3: commits both groups whole
    expect(batches).to.deep.equal([[['a', 'b'], ['c', 'd', 'e']]]);
    const big = committer.enqueue(['1', '2', '3', '4', '5', '6', '7']); // larger than maxBatch: still one group
    expect(batches[1]).to.deep.equal([['1', '2', '3', '4', '5', '6', '7']]);
    await Promise.all([first, second, big]);
    await committer.close();
  });

  it('with commitIntervalMs 0 commits on the next setImmediate', async () => {
    const { batches, commit } = recorder<string>();
    const committer = new GroupCommitter<string>({ commit, commitIntervalMs: 0 });
    const write = committer.enqueue(['a']);
    await nextImmediate(); // queued after the committer's own immediate, so it runs after it
    expect(batches).to.have.length(1);
    await write;
    await committer.close();
  });

  it('with commitIntervalMs 0 commits a lone write without help from other events', async function () {
    // An unref'd immediate would only run when something else woke the event loop.
    this.timeout(1000);
    const { batches, commit } = recorder<string>();
    const committer = new GroupCommitter<string>({ commit, commitIntervalMs: 0 });
    await committer.enqueue(['a']);
    expect(batches).to.have.length(1);
    await committer.close();
  });

  it('commits a backlog left by a slow commit in batches of about maxBatch items', async () => {
    const gate = deferred();
    const batches: string[][][] = [];
    const committer = new GroupCommitter<string>({
      commit: async (groups) => {
        batches.push(groups.map((group) => [...group]));
        if (batches.length === 1) await gate.promise;
      },
      commitIntervalMs: 60_000,
      maxBatch: 2,
    });
    const writes = [['a', 'b'], ['c'], ['d'], ['e'], ['f', 'g', 'h'], ['i']].map((items) => committer.enqueue(items));
    gate.resolve();
    await Promise.all(writes);
    expect(batches).to.deep.equal([[['a', 'b']], [['c'], ['d']], [['e'], ['f', 'g', 'h']], [['i']]]);
    await committer.close();
  });

  it('waits for the interval unless flushed', async () => {
    const { batches, commit } = recorder<string>();
    const committer = new GroupCommitter<string>({ commit, commitIntervalMs: 60_000 });
    const write = committer.enqueue(['a']);
    await nextImmediate();
    expect(batches).to.have.length(0);
    expect(committer.pendingItems).to.equal(1);
    await committer.flush();
    expect(batches).to.have.length(1);
    await write;
    await committer.close();
  });

  it('rejects every write of a failed batch with the error as cause; later batches commit', async () => {
    const boom = new Error('disk on fire');
    let calls = 0;
    const committed: string[][][] = [];
    const committer = new GroupCommitter<string>({
      commit: (groups) => {
        calls += 1;
        if (calls === 1) throw boom;
        committed.push(groups.map((group) => [...group]));
      },
      commitIntervalMs: 60_000,
    });
    const failed = [committer.enqueue(['a']), committer.enqueue(['b'])];
    await committer.flush();
    for (const write of failed) {
      const err: unknown = await write.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(CommitFailedError);
      expect((err as CommitFailedError).cause).to.equal(boom);
      expect((err as CommitFailedError).code).to.equal('INTERNAL');
      expect((err as Error).message).to.contain('disk on fire');
    }
    const later = committer.enqueue(['c']);
    await committer.flush();
    await later;
    expect(committed).to.deep.equal([[['c']]]);
    await committer.close();
  });

  it('keeps the code of a BatonError cause', async () => {
    const committer = new GroupCommitter<string>({
      commit: () => {
        throw new UnavailableError('gone');
      },
      commitIntervalMs: 0,
    });
    const err: unknown = await committer.enqueue(['a']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(CommitFailedError);
    expect((err as BatonError).code).to.equal('UNAVAILABLE');
    await committer.close();
  });

  it('rejects only the groups the commit function reports as failed', async () => {
    const duplicate = new BatonError('ALREADY_EXISTS', 'dup');
    const committer = new GroupCommitter<string>({
      commit: (groups) => groups.map((group) => (group.includes('bad') ? duplicate : undefined)),
      commitIntervalMs: 0,
    });
    const results = await Promise.allSettled([
      committer.enqueue(['ok1']),
      committer.enqueue(['x', 'bad']),
      committer.enqueue(['ok2']),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).to.equal(duplicate);
    await committer.close();
  });

  it('runs one batch at a time, in enqueue order', async () => {
    const gate = deferred();
    const order: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const committer = new GroupCommitter<string>({
      commit: async (groups) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        order.push(...groups.flat());
        if (order.length === 1) await gate.promise;
        running -= 1;
      },
      commitIntervalMs: 60_000,
      maxBatch: 1,
    });
    const first = committer.enqueue(['a']); // starts a batch that holds the gate
    const second = committer.enqueue(['b']); // full, but must wait for the first batch
    const third = committer.enqueue(['c']);
    expect(order).to.deep.equal(['a']);
    gate.resolve();
    await Promise.all([first, second, third]);
    expect(order).to.deep.equal(['a', 'b', 'c']);
    expect(maxRunning).to.equal(1);
    await committer.close();
  });

  it('flush waits for a batch in flight and for everything queued before it', async () => {
    const gate = deferred();
    const committed: string[] = [];
    const committer = new GroupCommitter<string>({
      commit: async (groups) => {
        if (committed.length === 0) await gate.promise;
        committed.push(...groups.flat());
      },
      commitIntervalMs: 60_000,
      maxBatch: 1,
    });
    const first = committer.enqueue(['a']); // in flight, held by the gate
    const second = committer.enqueue(['b']); // pending behind it
    const flushed = committer.flush().then(() => [...committed]);
    gate.resolve();
    expect(await flushed).to.deep.equal(['a', 'b']);
    await Promise.all([first, second]);
    await committer.close();
  });

  it('flush with nothing pending resolves', async () => {
    const { batches, commit } = recorder<string>();
    const committer = new GroupCommitter<string>({ commit });
    await committer.flush();
    expect(batches).to.have.length(0);
    await committer.close();
  });

  it('close commits what is pending, is idempotent, and refuses new work', async () => {
    const { batches, commit } = recorder<string>();
    const committer = new GroupCommitter<string>({ commit, commitIntervalMs: 60_000 });
    const write = committer.enqueue(['a']);
    const closing = committer.close();
    expect(committer.close()).to.equal(closing);
    const refused: unknown = await committer.enqueue(['late']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).to.be.instanceOf(UnavailableError);
    expect((refused as Error).message).to.match(/closing or closed/);
    await closing;
    await write;
    expect(batches).to.deep.equal([[['a']]]);
    const afterClose: unknown = await committer.enqueue(['later']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(afterClose).to.be.instanceOf(UnavailableError);
  });

  it('refuses out-of-range options', () => {
    const commit: CommitBatch<string> = () => undefined;
    expect(() => new GroupCommitter<string>({ commit, commitIntervalMs: -1 })).to.throw(RangeError, /commitIntervalMs/);
    expect(() => new GroupCommitter<string>({ commit, maxBatch: 0 })).to.throw(RangeError, /maxBatch/);
  });
});

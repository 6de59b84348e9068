import { expect } from 'chai';
import { EngineHarness, LEASE_TIMEOUT_MS, settle } from '../../support/engine-harness';

describe('worker identity and held-lease limits', () => {
  let h: EngineHarness;
  beforeEach(() => (h = new EngineHarness()));
  afterEach(() => h.close());

  it('lets only the process with the resume secret take over a live session', () => {
    const first = h.connect('w1', 1);
    expect(() => h.connect('w1', 1)).to.throw(/worker id w1 is connected on another stream/);
    expect(() => h.connect('w1', 1, { resumeSecret: 'guessed-secret-xxxxxxxx' })).to.throw(/worker id w1 is connected/);
    const again = h.connect('w1', 1, { resumeSecret: first.resumeSecret });
    expect(first.channel.closedWith?.code).to.equal('UNAVAILABLE');
    expect(again.resumeSecret).to.equal(first.resumeSecret);
  });

  it('keeps one credential away from the same worker id under another credential', async () => {
    const mine = h.connect('w1', 1, { principal: 'token:team-a' });
    const [id] = await h.submit(1);
    const lease = mine.channel.grants[0]!.lease;
    h.engine.workers.disconnect(mine.sessionId);
    // Even with the secret, another credential's worker w1 is another worker.
    const theirs = h.connect('w1', 1, { principal: 'token:team-b', resumeSecret: mine.resumeSecret, heldLeaseIds: [lease.leaseId] });
    expect(theirs.reclaimed).to.deep.equal([]);
    expect(theirs.unknown).to.deep.equal([lease.leaseId]);
    expect(await h.state(id!)).to.equal('running');
    const back = h.connect('w1', 1, { principal: 'token:team-a', resumeSecret: mine.resumeSecret, heldLeaseIds: [lease.leaseId] });
    expect(back.reclaimed).to.deep.equal([lease.leaseId]);
  });

  it("keeps an absent worker's id for it while its leases wait: a Hello without the secret can neither take it nor touch them", async () => {
    const first = h.connect('w1', 1);
    const [id] = await h.submit(1);
    const leaseId = first.channel.grants[0]!.lease.leaseId;
    h.engine.workers.disconnect(first.sessionId);
    expect(() => h.connect('w1', 1, { heldLeaseIds: [leaseId] })).to.throw(/worker id w1 disconnected holding leases that still wait for it/);
    expect(() => h.connect('w1', 1, { resumeSecret: 'made-up-secret-0123456789' })).to.throw(/worker id w1 disconnected/);
    expect(await h.state(id!)).to.equal('running');
    h.clock.advance(LEASE_TIMEOUT_MS); // only the lease window ends the attempt, and frees the id
    await settle();
    expect((await h.engine.get(id!)).attempts[0]!.outcome).to.equal('worker_lost');
    h.connect('w1', 1);
  });

  it('keeps the id after a coordinator restart too, per credential, for the process whose proof the store kept', async () => {
    const a = h.connect('w1', 1, { principal: 'token:team-a' });
    const b = h.connect('w1', 1, { principal: 'token:team-b' });
    const [first, second] = await h.submit(2);
    const leaseA = a.channel.grants[0]!.lease.leaseId;
    const leaseB = b.channel.grants[0]!.lease.leaseId;
    await h.restart();
    expect(() => h.connect('w1', 1, { principal: 'token:team-a', heldLeaseIds: [leaseA] })).to.throw(/worker id w1 disconnected/);
    // team-b's w1 coming back frees team-b's id only.
    expect(h.connect('w1', 1, { principal: 'token:team-b', heldLeaseIds: [leaseB], resumeSecret: b.resumeSecret }).reclaimed).to.deep.equal([leaseB]);
    expect(() => h.connect('w1', 1, { principal: 'token:team-a', resumeSecret: 'made-up-secret-0123456789' })).to.throw(/worker id w1 disconnected/);
    const back = h.connect('w1', 1, { principal: 'token:team-a', heldLeaseIds: [leaseA], resumeSecret: a.resumeSecret });
    expect(back.reclaimed).to.deep.equal([leaseA]);
    expect([await h.state(first!), await h.state(second!)]).to.deep.equal(['running', 'running']);
  });

  it('holds nothing for a process that took over its own session and then left holding no lease', async () => {
    const first = h.connect('w1', 1);
    await h.submit(1);
    const lease = first.channel.grants[0]!.lease;
    const again = h.connect('w1', 1, { resumeSecret: first.resumeSecret, heldLeaseIds: [lease.leaseId] });
    await h.engine.workers.report(again.sessionId, [{ leaseId: lease.leaseId, kind: 'success', result: Buffer.from('1'), contentType: 'application/json' }]);
    h.engine.workers.disconnect(again.sessionId);
    h.connect('w1', 1); // a new process with the same id: nothing waits for the old one
  });

  it('answers a heartbeat of unknown leases with one Cancel, and refuses one past 2 × concurrency + 64', () => {
    const worker = h.connect('w1', 2);
    const unknown = Array.from({ length: 10 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    h.engine.workers.heartbeat(worker.sessionId, unknown, 0);
    expect(worker.channel.cancelMessages).to.deep.equal([unknown]);
    const tooMany = Array.from({ length: 69 }, (_, i) => `lease-${i}`);
    expect(() => h.engine.workers.heartbeat(worker.sessionId, tooMany, 0)).to.throw('heartbeat.lease_ids: 69 entries is over the limit of 68 (2 × concurrency + 64)');
  });

  it('bounds anonymous workers by maxWorkers alone: without credentials there is only one', async () => {
    h.limits = { maxQueuedTasks: 100, maxQueuedTasksPerQueue: 100, maxQueues: 10, maxWorkerSessions: 3, maxWorkerSessionsPerCredential: 1 };
    await h.restart();
    for (const id of ['a1', 'a2', 'a3']) h.connect(id, 1);
    expect(() => h.connect('a4', 1)).to.throw(/\(maxWorkers\) is 3/);
  });

  it('keeps one credential from taking every worker slot', async () => {
    h.limits = { maxQueuedTasks: 100, maxQueuedTasksPerQueue: 100, maxQueues: 10, maxWorkerSessions: 3, maxWorkerSessionsPerCredential: 2 };
    await h.restart();
    h.connect('a1', 1, { principal: 'token:a' });
    h.connect('a2', 1, { principal: 'token:a' });
    expect(() => h.connect('a3', 1, { principal: 'token:a' })).to.throw(
      '2 worker sessions are connected with this credential, the limit (maxWorkersPerCredential) is 2',
    );
    h.connect('b1', 1, { principal: 'token:b' });
    expect(() => h.connect('b2', 1, { principal: 'token:b' })).to.throw('3 worker sessions are connected, the limit (maxWorkers) is 3');
  });

  it('refuses a Results message with more entries than the session could hold', () => {
    const worker = h.connect('w1', 1);
    const reports = Array.from({ length: 67 }, (_, i) => ({ leaseId: `l${i}`, kind: 'failure' as const, message: 'x', nonRetryable: false }));
    expect(() => h.engine.workers.report(worker.sessionId, reports)).to.throw('results: 67 entries is over the limit of 66 (2 × concurrency + 64)');
  });

  it('refuses a Hello with more held leases than the limit', () => {
    expect(() => h.connect('w1', 1, { heldLeaseIds: Array.from({ length: 67 }, (_, i) => `l${i}`) })).to.throw(/hello.held_lease_ids: 67 entries is over the limit of 66/);
  });
});

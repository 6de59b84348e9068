import { expect } from 'chai';
import { EngineHarness, LEASE_TIMEOUT_MS, settle } from '../../support/engine-harness';
import { taskSpec } from '../../support/tasks';

const ok = (leaseId: string) => ({ leaseId, kind: 'success' as const, result: Buffer.from('{"ok":true}'), contentType: 'application/json' });
const failed = (leaseId: string, nonRetryable = false) => ({ leaseId, kind: 'failure' as const, message: 'nope', nonRetryable });

describe('Engine with a fake clock and a real store', () => {
  let h: EngineHarness;
  beforeEach(() => {
    h = new EngineHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('never sends a worker more leases than its credit', async () => {
    const worker = h.connect('w1', 2);
    await h.submit(5);
    expect(worker.channel.grants).to.have.length(2);
    h.engine.workers.credit(worker.sessionId, 1);
    await settle();
    expect(worker.channel.grants).to.have.length(2, 'credit is capped by concurrency minus held leases');
    await h.engine.workers.report(worker.sessionId, [ok(worker.channel.grants[0]!.lease.leaseId)]);
    h.engine.workers.credit(worker.sessionId, 1);
    await settle();
    expect(worker.channel.grants).to.have.length(3);
  });

  it('records a success once it is committed, and acknowledges it', async () => {
    const worker = h.connect('w1', 1);
    const [id] = await h.submit(1);
    const lease = worker.channel.grants[0]!.lease;
    const acks = await h.engine.workers.report(worker.sessionId, [ok(lease.leaseId)]);
    expect(acks).to.deep.equal([{ leaseId: lease.leaseId }]);
    const view = await h.engine.get(id!);
    expect(view.task.state).to.equal('succeeded');
    expect(view.task.result?.toString()).to.equal('{"ok":true}');
    expect(view.attempts.map((a) => a.outcome)).to.deep.equal(['succeeded']);
  });

  it('retries a failure after its backoff, then goes DEAD when attempts run out', async () => {
    const worker = h.connect('w1', 1);
    const [id] = await h.submit(1, { maxAttempts: 2 });
    await h.engine.workers.report(worker.sessionId, [failed(worker.channel.grants[0]!.lease.leaseId)]);
    expect(await h.state(id!)).to.equal('scheduled');
    h.engine.workers.credit(worker.sessionId, 1);
    h.clock.advance(99);
    await settle();
    expect(worker.channel.grants).to.have.length(1, 'not before the 100ms backoff');
    h.clock.advance(1);
    await settle();
    expect(worker.channel.grants).to.have.length(2);
    expect(worker.channel.grants[1]!.lease.attempt).to.equal(2);
    await h.engine.workers.report(worker.sessionId, [failed(worker.channel.grants[1]!.lease.leaseId)]);
    const view = await h.engine.get(id!);
    expect(view.task.state).to.equal('dead');
    expect(view.task.lastError).to.equal('nope');
    expect(view.attempts.map((a) => a.outcome)).to.deep.equal(['failed', 'failed']);
  });

  it('sends a non-retryable failure straight to DEAD', async () => {
    const worker = h.connect('w1', 1);
    const [id] = await h.submit(1, { maxAttempts: 5 });
    await h.engine.workers.report(worker.sessionId, [failed(worker.channel.grants[0]!.lease.leaseId, true)]);
    expect(await h.state(id!)).to.equal('dead');
  });

  it('times out an attempt: cancels it on the worker and retries the task', async () => {
    const worker = h.connect('w1', 1);
    const [id] = await h.submit(1, { timeoutMs: 500 });
    const lease = worker.channel.grants[0]!.lease;
    h.engine.workers.heartbeat(worker.sessionId, [lease.leaseId], 1);
    h.clock.advance(500);
    await settle();
    expect(worker.channel.cancels).to.deep.equal([{ leaseId: lease.leaseId, reason: 'timeout', message: 'execution timeout of 500ms exceeded' }]);
    const view = await h.engine.get(id!);
    expect(view.task.state).to.equal('scheduled');
    expect(view.attempts[0]!.outcome).to.equal('timed_out');
    const late = await h.engine.workers.report(worker.sessionId, [ok(lease.leaseId)]);
    expect(late[0]!.error?.code).to.equal('FAILED_PRECONDITION');
    expect(await h.state(id!)).to.equal('scheduled');
  });

  it('declares a silent worker dead, ends its stream and redelivers its tasks', async () => {
    const silent = h.connect('silent', 1);
    const [id] = await h.submit(1);
    const lease = silent.channel.grants[0]!.lease;
    h.clock.advance(LEASE_TIMEOUT_MS);
    await settle();
    expect(silent.channel.closedWith?.code).to.equal('UNAVAILABLE');
    const view = await h.engine.get(id!);
    expect(view.attempts[0]!.outcome).to.equal('worker_lost');
    expect(view.task.state).to.equal('scheduled');
    const other = h.connect('other', 1);
    h.clock.advance(100);
    await settle();
    expect(other.channel.grants.map((g) => g.task.id)).to.deep.equal([id]);
    const stale = await h.engine.workers.report(silent.sessionId, [ok(lease.leaseId)]);
    expect(stale[0]!.error?.code).to.equal('FAILED_PRECONDITION');
  });

  it('keeps a heartbeating worker alive past the lease timeout', async () => {
    const worker = h.connect('w1', 1);
    await h.submit(1);
    for (let i = 0; i < 10; i += 1) {
      h.clock.advance(LEASE_TIMEOUT_MS / 2);
      h.engine.workers.heartbeat(worker.sessionId, [worker.channel.grants[0]!.lease.leaseId], 1);
    }
    await settle();
    expect(worker.channel.closedWith).to.equal(undefined);
    expect(worker.channel.cancels).to.deep.equal([]);
  });

  it('lets a reconnecting worker reclaim its lease without a second run', async () => {
    const first = h.connect('w1', 2);
    const [id] = await h.submit(1);
    const lease = first.channel.grants[0]!.lease;
    h.engine.workers.disconnect(first.sessionId);
    h.clock.advance(LEASE_TIMEOUT_MS - 1);
    const second = h.connect('w1', 2, { heldLeaseIds: [lease.leaseId, 'stale-lease'], resumeSecret: first.resumeSecret });
    expect(second.reclaimed).to.deep.equal([lease.leaseId]);
    expect(second.unknown).to.deep.equal(['stale-lease']);
    // Past the original orphan deadline, while the new session heartbeats.
    h.clock.advance(LEASE_TIMEOUT_MS / 2);
    h.engine.workers.heartbeat(second.sessionId, [lease.leaseId], 0);
    h.clock.advance(LEASE_TIMEOUT_MS / 2);
    await settle();
    const acks = await h.engine.workers.report(second.sessionId, [ok(lease.leaseId)]);
    expect(acks[0]!.error).to.equal(undefined);
    const view = await h.engine.get(id!);
    expect(view.task.state).to.equal('succeeded');
    expect(view.attempts).to.have.length(1);
    expect(second.channel.grants).to.have.length(0);
  });

  it('expires the leases of a closed stream when nobody reclaims them in time', async () => {
    const first = h.connect('w1', 1);
    const [id] = await h.submit(1);
    h.engine.workers.disconnect(first.sessionId);
    h.clock.advance(LEASE_TIMEOUT_MS);
    await settle();
    const view = await h.engine.get(id!);
    expect(view.attempts[0]!.outcome).to.equal('worker_lost');
    expect(view.task.state).to.equal('scheduled');
  });

  it('after a restart, lets the worker reclaim a running task; else retries it after the lease window', async () => {
    const worker = h.connect('w1', 2);
    const [kept, lost] = await h.submit(2);
    const leases = new Map(worker.channel.grants.map((g) => [g.task.id, g.lease.leaseId]));
    await h.restart();
    expect(await h.state(kept!)).to.equal('running');
    const back = h.connect('w1', 2, { heldLeaseIds: [leases.get(kept!)!], resumeSecret: worker.resumeSecret });
    expect(back.reclaimed).to.deep.equal([leases.get(kept!)]);
    await h.engine.workers.report(back.sessionId, [ok(leases.get(kept!)!)]);
    h.clock.advance(LEASE_TIMEOUT_MS);
    await settle();
    expect(await h.state(kept!)).to.equal('succeeded');
    const view = await h.engine.get(lost!);
    expect(view.attempts[0]!.outcome).to.equal('worker_lost');
  });

  it('cancels a running task and tells its worker', async () => {
    const worker = h.connect('w1', 1);
    const [id] = await h.submit(1);
    const view = await h.engine.cancel(id!);
    expect(view.task.state).to.equal('canceled');
    expect(worker.channel.cancels[0]?.reason).to.equal('canceled');
    const late = await h.engine.workers.report(worker.sessionId, [ok(worker.channel.grants[0]!.lease.leaseId)]);
    expect(late[0]!.error?.code).to.equal('FAILED_PRECONDITION');
    expect(await h.state(id!)).to.equal('canceled');
  });

  it('counts the running attempt a cancel ends as a canceled attempt, and a queued task as no attempt', async () => {
    h.connect('w1', 1);
    const [running] = await h.submit(1, { queue: 'default' });
    const [waiting] = await h.submit(1, { queue: 'default' }); // the only slot is taken
    await h.engine.cancel(running!);
    await h.engine.cancel(waiting!);
    expect(h.metrics.attemptsEnded).to.deep.equal([{ queue: 'default', outcome: 'canceled' }]);
    expect(h.metrics.tasksFinished).to.deep.equal([
      { queue: 'default', state: 'canceled' },
      { queue: 'default', state: 'canceled' },
    ]);
    expect((await h.engine.get(running!)).attempts.map((attempt) => attempt.outcome)).to.deep.equal(['canceled']);
  });

  it('releases at once a lease the worker has received but no longer lists in its heartbeat', async () => {
    const worker = h.connect('w1', 2);
    const [first, second] = await h.submit(2);
    const [a, b] = worker.channel.grants.map((g) => g.lease);
    // The worker has received only the first lease: the second may still be in flight.
    h.engine.workers.heartbeat(worker.sessionId, [], 1);
    await settle();
    const view = await h.engine.get(first!);
    expect(view.attempts[0]!.outcome).to.equal('worker_lost');
    expect(view.attempts[0]!.error).to.match(/no longer holds the lease/);
    expect(await h.state(second!)).to.equal('running');
    expect(a!.taskId).to.equal(first);
    expect(b!.taskId).to.equal(second);
  });

  it('keeps a session alive through its side channel while the stream is silent', async () => {
    const worker = h.connect('w1', 1);
    const [id] = await h.submit(1);
    for (let i = 0; i < 6; i += 1) {
      h.clock.advance(LEASE_TIMEOUT_MS / 2);
      expect(h.engine.workers.keepAlive('anonymous', 'w1', worker.sessionId)).to.equal(true);
    }
    await settle();
    expect(worker.channel.closedWith).to.equal(undefined);
    expect(await h.state(id!)).to.equal('running');
    expect(h.engine.workers.keepAlive('anonymous', 'someone-else', worker.sessionId)).to.equal(false);
    h.clock.advance(LEASE_TIMEOUT_MS);
    await settle();
    expect(worker.channel.closedWith?.code).to.equal('UNAVAILABLE');
    expect(h.engine.workers.keepAlive('anonymous', 'w1', worker.sessionId)).to.equal(false);
  });

  it('gives infrastructure failures their own budget when the task asks for one', async () => {
    const [id] = await h.submit(1, { maxAttempts: 1, maxInfraFailures: 2 });
    for (let lost = 1; lost <= 3; lost += 1) {
      const worker = h.connect(`w${lost}`, 1);
      await settle();
      expect(worker.channel.grants, `lease ${lost}`).to.have.length(1);
      h.engine.workers.disconnect(worker.sessionId);
      h.clock.advance(LEASE_TIMEOUT_MS);
      await settle();
      h.clock.advance(10_000); // past any backoff
      await settle();
    }
    const view = await h.engine.get(id!);
    expect(view.task.state).to.equal('dead');
    expect(view.task.infraFailures).to.equal(3);
    expect(view.attempts.map((a) => a.outcome)).to.deep.equal(['worker_lost', 'worker_lost', 'worker_lost']);
  });

  it('counts infrastructure failures as attempts by default', async () => {
    const [id] = await h.submit(1, { maxAttempts: 2 });
    for (let lost = 1; lost <= 2; lost += 1) {
      const worker = h.connect(`w${lost}`, 1);
      await settle();
      h.engine.workers.disconnect(worker.sessionId);
      h.clock.advance(LEASE_TIMEOUT_MS);
      await settle();
      h.clock.advance(10_000);
      await settle();
    }
    expect(await h.state(id!)).to.equal('dead');
  });

  it('expires at once the leases a reconnecting worker no longer holds', async () => {
    const first = h.connect('w1', 2);
    const [kept, dropped] = await h.submit(2);
    const leaseOf = new Map(first.channel.grants.map((g) => [g.task.id, g.lease.leaseId]));
    h.engine.workers.disconnect(first.sessionId);
    h.connect('w1', 2, { heldLeaseIds: [leaseOf.get(kept!)!], resumeSecret: first.resumeSecret });
    await settle();
    const view = await h.engine.get(dropped!);
    expect(view.attempts[0]!.outcome).to.equal('worker_lost');
    expect(view.attempts[0]!.error).to.equal('worker w1 reconnected without the lease');
    expect(await h.state(kept!)).to.equal('running');
  });

  it('counts a retried task against the queue limits, like a new one', async () => {
    h.limits = { maxQueuedTasks: 1, maxQueuedTasksPerQueue: 1, maxQueues: 1, maxWorkerSessions: 10, maxWorkerSessionsPerCredential: 10 };
    await h.restart();
    const [first] = await h.submit(1);
    await h.engine.cancel(first!);
    await h.submit(1); // the queue's one slot, taken again
    const err = await h.engine.retry(first!).catch((e: unknown) => e);
    expect(err).to.have.property('code', 'RESOURCE_EXHAUSTED');
    expect(await h.state(first!)).to.equal('canceled');
  });

  it('refuses a second RetryTask while one is in progress', async () => {
    const worker = h.connect('w1', 1);
    const [id] = await h.submit(1, { maxAttempts: 1 });
    await h.engine.workers.report(worker.sessionId, [failed(worker.channel.grants[0]!.lease.leaseId)]);
    const [first, second] = await Promise.allSettled([h.engine.retry(id!), h.engine.retry(id!)]);
    expect(first.status).to.equal('fulfilled');
    expect(second.status === 'rejected' && (second.reason as Error).message).to.equal(`task ${id} is already being retried`);
  });

  it('deduplicates by idempotency key, within a batch and across calls', async () => {
    const outcomes = await h.engine.submit([
      { ...taskSpec(), idempotencyKey: 'k' },
      { ...taskSpec(), idempotencyKey: 'k' },
    ]);
    expect(outcomes[1]!.deduplicated).to.equal(true);
    expect(outcomes[1]!.task.id).to.equal(outcomes[0]!.task.id);
    const again = await h.engine.submit([{ ...taskSpec(), idempotencyKey: 'k' }]);
    expect(again[0]!.task.id).to.equal(outcomes[0]!.task.id);
  });

  it('scopes idempotency keys to their queue: a key never returns, or blocks, another queue\'s task', async () => {
    const [billing] = await h.engine.submit([{ ...taskSpec({ queue: 'billing' }), idempotencyKey: 'k' }]);
    const [mail, mailAgain] = await h.engine.submit([
      { ...taskSpec({ queue: 'mail' }), idempotencyKey: 'k' },
      { ...taskSpec({ queue: 'mail' }), idempotencyKey: 'k' },
    ]);
    expect(mail!.deduplicated).to.equal(false);
    expect(mail!.task.id).not.to.equal(billing!.task.id);
    expect(mail!.task.queue).to.equal('mail');
    expect(mailAgain!.task.id).to.equal(mail!.task.id);
    const [billingAgain] = await h.engine.submit([{ ...taskSpec({ queue: 'billing' }), idempotencyKey: 'k' }]);
    expect(billingAgain!.task.id).to.equal(billing!.task.id);
  });
});

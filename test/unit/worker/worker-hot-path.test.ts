import { expect } from 'chai';
import type { TaskContext } from '../../../worker/handler';
import { TIMEOUT, CANCELED, aLease, deferred, settle } from './fake-links';
import { HEARTBEAT_MS, useWorkers } from './worker-harness';

/** The result bytes of the `index`-th result in `results`, decoded as JSON. */
function resultJson(results: { results: { outcome?: { $case: string; value: unknown } }[] }, index = 0): unknown {
  const outcome = results.results[index]?.outcome;
  if (outcome?.$case !== 'success') throw new Error(`result ${index} is not a success`);
  return JSON.parse(Buffer.from((outcome.value as { result: Uint8Array }).result).toString('utf8'));
}

describe('Worker hot path, with a fake clock and a fake coordinator link', () => {
  const workers = useWorkers();

  it('says Hello with its concurrency, queues and types, and nothing held', async () => {
    const h = workers({ work: () => 'ok' }, { queues: ['q1', 'q2'], concurrency: 3 });
    await h.connect();
    expect(h.link.helloSent).to.include({ workerId: h.worker.workerId, concurrency: 3, resumeSecret: '' });
    expect(h.link.helloSent.queues).to.deep.equal(['q1', 'q2']);
    expect(h.link.helloSent.taskTypes).to.deep.equal(['work']);
    expect(h.link.helloSent.heldLeaseIds).to.deep.equal([]);
  });

  it('runs a lease\'s handler on its payload, then sends the result and, after it, the slot as credit, in the turn the handler returns', async () => {
    const gate = deferred();
    const seen: unknown[] = [];
    const h = await workers({
      work: (payload, ctx: TaskContext) => {
        seen.push(payload, ctx.taskId, ctx.attempt, ctx.queue);
        return gate.promise;
      },
    }).connect();
    const lease = aLease({ payload: Buffer.from('{"x":1}') });
    h.link.lease(lease);
    await settle();
    expect(seen).to.deep.equal([{ x: 1 }, lease.taskId, 1, 'default']);
    expect(h.worker.activeCount).to.equal(1);
    expect(h.link.transcript, 'no result and no credit while the handler runs').to.deep.equal(['hello ']);
    gate.resolve({ done: true });
    await settle();
    expect(h.link.transcript.slice(1)).to.deep.equal([`results ${lease.leaseId}:success`, 'credit 1']);
    expect(resultJson(h.link.of('results')[0]!)).to.deep.equal({ done: true });
    expect(h.worker.activeCount).to.equal(0);
  });

  it('sends a handler\'s error as a failure, non-retryable when it says so', async () => {
    const h = await workers({
      fails: () => {
        throw new Error('boom');
      },
      refuses: () => {
        throw Object.assign(new Error('bad input'), { name: 'NonRetryableError' });
      },
    }).connect();
    const [fails, refuses] = [aLease({ type: 'fails' }), aLease({ type: 'refuses' })];
    h.link.lease(fails, refuses);
    await settle();
    const results = h.link.of('results').flatMap((m) => m.results);
    expect(results.map((r) => [r.leaseId, r.outcome?.$case === 'failure' && r.outcome.value])).to.deep.equal([
      [fails.leaseId, { message: 'boom', nonRetryable: false, errorType: 'Error' }],
      [refuses.leaseId, { message: 'bad input', nonRetryable: true, errorType: 'NonRetryableError' }],
    ]);
    expect(h.link.of('credit')).to.deep.equal([{ slots: 2 }]);
    expect(h.outcomes).to.deep.equal(['failed', 'non_retryable']);
  });

  it('gives the slot back when the handler returns (protocol rule 2), and keeps the result until it is acknowledged', async () => {
    const h = await workers({ work: () => 'ok' }).connect();
    const lease = aLease();
    h.link.lease(lease);
    await settle();
    expect(h.link.of('credit'), 'credit before any ack').to.deep.equal([{ slots: 1 }]);
    await h.advance(HEARTBEAT_MS);
    expect(h.link.of('heartbeat').at(-1), 'an unacknowledged result is still held').to.deep.equal({ leaseIds: [lease.leaseId], leasesReceived: 1 });
    h.link.ack(lease.leaseId);
    await settle();
    expect(h.link.of('credit'), 'an ack returns no slot: it was returned already').to.deep.equal([{ slots: 1 }]);
    await h.advance(HEARTBEAT_MS);
    expect(h.link.of('heartbeat').at(-1)).to.deep.equal({ leaseIds: [], leasesReceived: 1 });
  });

  it('heartbeats every heartbeat_interval of its Welcome, on the fake clock, listing the leases it runs', async () => {
    const gate = deferred();
    const h = await workers({ work: () => gate.promise }).connect(1500);
    const lease = aLease();
    h.link.lease(lease);
    await settle();
    await h.advance(1499);
    expect(h.link.of('heartbeat')).to.deep.equal([]);
    await h.advance(1);
    expect(h.link.of('heartbeat')).to.deep.equal([{ leaseIds: [lease.leaseId], leasesReceived: 1 }]);
    await h.advance(1499);
    expect(h.link.of('heartbeat')).to.have.length(1);
    await h.advance(1);
    expect(h.link.of('heartbeat')).to.have.length(2);
    gate.resolve('ok');
  });

  it('stops heartbeating on a stream that closed', async () => {
    const h = await workers({ work: () => 'ok' }).connect();
    const first = h.link;
    await h.advance(HEARTBEAT_MS);
    first.close({ code: 14, details: 'gone' });
    await settle();
    await h.advance(HEARTBEAT_MS * 3);
    expect(first.of('heartbeat')).to.have.length(1);
    expect(h.links.opened.length, 'reconnected, not welcomed').to.equal(2);
    expect(h.link.of('heartbeat'), 'no heartbeat before a Welcome').to.deep.equal([]);
  });

  it('an execution timeout (Cancel, reason TIMEOUT) aborts the handler, drops its result, and gives the slot back only once the handler stops', async () => {
    const gate = deferred();
    let signal: AbortSignal | undefined;
    const h = await workers({
      work: (_payload, ctx: TaskContext) => {
        signal = ctx.signal;
        return gate.promise; // ignores its signal, like a handler stuck in a library call
      },
    }).connect();
    const lease = aLease();
    h.link.lease(lease);
    await settle();
    h.link.cancelLeases([lease.leaseId], TIMEOUT, 'execution timeout of 300ms exceeded');
    expect(signal?.aborted).to.equal(true);
    expect((signal?.reason as Error).message).to.equal('execution timeout of 300ms exceeded');
    await h.advance(HEARTBEAT_MS);
    expect(h.link.of('heartbeat').at(-1), 'the lease is no longer held').to.deep.equal({ leaseIds: [], leasesReceived: 1 });
    expect(h.worker.activeCount, 'but its handler still holds the slot').to.equal(1);
    expect(h.link.of('credit')).to.deep.equal([]);
    gate.resolve('too late');
    await settle();
    expect(h.link.of('results')).to.deep.equal([]);
    expect(h.link.of('credit')).to.deep.equal([{ slots: 1 }]);
    expect(h.outcomes).to.deep.equal(['timed_out']);
  });

  it('a client\'s cancel aborts the handler with the coordinator\'s message and counts as canceled', async () => {
    let signal: AbortSignal | undefined;
    const h = await workers({
      work: (_payload, ctx: TaskContext) => {
        signal = ctx.signal;
        return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
      },
    }).connect();
    const lease = aLease();
    h.link.lease(lease);
    await settle();
    h.link.cancelLeases([lease.leaseId], CANCELED);
    await settle();
    expect((signal?.reason as Error).message).to.equal('canceled by the coordinator');
    expect(h.link.of('results')).to.deep.equal([]);
    expect(h.link.of('credit')).to.deep.equal([{ slots: 1 }]);
    expect(h.outcomes).to.deep.equal(['canceled']);
  });

  it('does not send again a result whose lease was canceled while it awaited its ack', async () => {
    const h = await workers({ work: () => 'ok' }).connect();
    const lease = aLease();
    h.link.lease(lease);
    await settle();
    h.link.cancelLeases([lease.leaseId], CANCELED);
    h.link.close({ code: 14, details: 'gone' });
    await settle();
    await h.advance(100);
    expect(h.link.helloSent.heldLeaseIds).to.deep.equal([]);
    h.link.welcome();
    expect(h.link.of('results')).to.deep.equal([]);
  });

  it('while draining, a handler that returns sends its result but gives no credit back', async () => {
    const gate = deferred();
    const h = await workers({ work: () => gate.promise }).connect();
    const lease = aLease();
    h.link.lease(lease);
    await settle();
    void h.worker.close();
    gate.resolve('ok');
    await settle();
    expect(h.link.transcript.slice(1)).to.deep.equal(['drain', `results ${lease.leaseId}:success`]);
  });

  it('ignores a second lease with the id of one it already has', async () => {
    const gate = deferred();
    let runs = 0;
    const h = await workers({
      work: () => {
        runs += 1;
        return gate.promise;
      },
    }).connect();
    const lease = aLease();
    h.link.lease(lease, { ...lease });
    await settle();
    expect(runs).to.equal(1);
    gate.resolve('ok');
    await settle();
    expect(h.link.of('results').flatMap((m) => m.results)).to.have.length(1);
  });
});

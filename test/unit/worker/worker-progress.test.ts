import { expect } from 'chai';
import { ConfigError } from '../../../shared/errors';
import type { TaskContext } from '../../../worker/handler';
import { compileWorkerOptions } from '../../../worker/options';
import { CANCELED, aLease, deferred, settle } from './fake-links';
import { SHUTDOWN_GRACE_MS, useWorkers } from './worker-harness';

const INTERVAL_MS = 250;

describe('Worker progress (ctx.progress), with a fake clock and a fake coordinator link', () => {
  const workers = useWorkers();

  /** A handler that hands the test its context and runs until told. */
  function heldHandler() {
    const gate = deferred();
    const contexts: TaskContext[] = [];
    const handler = (_payload: unknown, ctx: TaskContext): Promise<unknown> => {
      contexts.push(ctx);
      return gate.promise;
    };
    return { gate, contexts, handler, ctx: (index = 0): TaskContext => contexts[index] ?? expect.fail(`no handler ${index} ran`) };
  }

  it('coalesces 10,000 calls in a tight loop into one message with the latest report, one interval after the first call', async () => {
    const gate = deferred();
    const h = await workers({
      work: (_payload, ctx: TaskContext) => {
        for (let i = 1; i <= 10_000; i += 1) ctx.progress(i / 10_000, `item ${i}`);
        return gate.promise;
      },
    }).connect();
    const lease = aLease();
    h.link.lease(lease);
    await settle();
    expect(h.link.of('progress'), 'not at once').to.deep.equal([]);
    await h.advance(INTERVAL_MS - 1);
    expect(h.link.of('progress')).to.deep.equal([]);
    await h.advance(1);
    expect(h.link.of('progress')).to.deep.equal([{ reports: [{ leaseId: lease.leaseId, fraction: 1, message: 'item 10000' }] }]);
    await h.advance(INTERVAL_MS * 4);
    expect(h.link.of('progress'), 'nothing new, nothing sent').to.have.length(1);
    gate.resolve('ok');
  });

  it('sends every running lease\'s latest report in one message, at most once per progressIntervalMs', async () => {
    const held = heldHandler();
    const h = await workers({ work: held.handler }, { progressIntervalMs: 1000 }).connect();
    const [a, b] = [aLease(), aLease()];
    h.link.lease(a, b);
    await settle();
    held.ctx(0).progress(0.1);
    await h.advance(400);
    held.ctx(1).progress(0.2, 'b');
    held.ctx(0).progress(0.3);
    await h.advance(599);
    expect(h.link.of('progress')).to.deep.equal([]);
    await h.advance(1);
    expect(h.link.transcript.at(-1)).to.equal(`progress ${a.leaseId}=0.3,${b.leaseId}=0.2`);
    held.ctx(1).progress(0.5);
    await h.advance(999);
    expect(h.link.of('progress')).to.have.length(1);
    await h.advance(1);
    expect(h.link.transcript.at(-1)).to.equal(`progress ${b.leaseId}=0.5`);
    held.gate.resolve('ok');
  });

  it('drops a pending report when the result is sent, and ignores calls after the attempt ended', async () => {
    let ctx: TaskContext | undefined;
    const h = await workers({
      work: (_payload, context: TaskContext) => {
        ctx = context;
        context.progress(0.9, 'almost');
        return 'done';
      },
    }).connect();
    const lease = aLease();
    h.link.lease(lease);
    await settle();
    ctx?.progress(1, 'after the end');
    await h.advance(INTERVAL_MS * 4);
    expect(h.link.transcript.slice(1)).to.deep.equal([`results ${lease.leaseId}:success`, 'credit 1']);
    expect(h.clock.pendingTimers, 'only the heartbeat').to.equal(1);
  });

  it('never sends progress after the result, when both wait on a stream under back-pressure', async () => {
    const held = heldHandler();
    const h = await workers({ work: held.handler }).connect();
    const lease = aLease();
    h.link.lease(lease);
    await settle();
    h.link.writable = false;
    held.ctx().progress(0.5);
    await h.advance(INTERVAL_MS * 2);
    held.ctx().progress(0.7);
    expect(h.link.of('progress'), 'held back: not writable').to.deep.equal([]);
    held.gate.resolve('ok');
    await settle();
    h.link.writable = true;
    await h.advance(INTERVAL_MS * 2);
    expect(h.link.transcript.slice(1)).to.deep.equal([`results ${lease.leaseId}:success`, 'credit 1']);
  });

  it('under back-pressure keeps only the latest report and sends it once the stream takes writes again', async () => {
    const held = heldHandler();
    const h = await workers({ work: held.handler }).connect();
    const lease = aLease();
    h.link.lease(lease);
    await settle();
    h.link.writable = false;
    for (const fraction of [0.1, 0.2, 0.3]) {
      held.ctx().progress(fraction);
      await h.advance(INTERVAL_MS);
    }
    expect(h.link.of('progress')).to.deep.equal([]);
    h.link.writable = true;
    await h.advance(INTERVAL_MS);
    expect(h.link.of('progress')).to.deep.equal([{ reports: [{ leaseId: lease.leaseId, fraction: 0.3, message: '' }] }]);
    held.gate.resolve('ok');
  });

  it('drops a pending report when the coordinator takes the lease back, and ignores calls after the abort', async () => {
    const held = heldHandler();
    const h = await workers({ work: held.handler }).connect();
    const lease = aLease();
    h.link.lease(lease);
    await settle();
    held.ctx().progress(0.4);
    h.link.cancelLeases([lease.leaseId], CANCELED);
    expect(held.ctx().signal.aborted).to.equal(true);
    held.ctx().progress(0.5);
    await h.advance(INTERVAL_MS * 4);
    expect(h.link.of('progress')).to.deep.equal([]);
    held.gate.resolve('ignored');
  });

  it('throws a RangeError naming a bad fraction, which fails the attempt like any error, and sends no progress', async () => {
    const h = await workers({ work: (_payload, ctx: TaskContext) => ctx.progress(Number.NaN) }).connect();
    const lease = aLease();
    h.link.lease(lease);
    await settle();
    await h.advance(INTERVAL_MS);
    const [result] = h.link.of('results').flatMap((m) => m.results);
    expect(result?.outcome).to.deep.equal({
      $case: 'failure',
      value: { message: 'ctx.progress: fraction must be a finite number in [0, 1], got NaN', nonRetryable: false, errorType: 'RangeError' },
    });
    expect(h.link.of('progress')).to.deep.equal([]);
  });

  it('cuts a message over 512 UTF-8 bytes at a character boundary', async () => {
    const held = heldHandler();
    const h = await workers({ work: held.handler }).connect();
    h.link.lease(aLease());
    await settle();
    held.ctx().progress(0.5, `${'x'.repeat(510)}€€`); // 510 + 3 + 3 bytes: the first € does not fit
    await h.advance(INTERVAL_MS);
    expect(h.link.of('progress')[0]?.reports[0]?.message).to.equal('x'.repeat(510));
    held.gate.resolve('ok');
  });

  it('splits a round over messages of at most 2 × concurrency + 64 reports', async () => {
    const held = heldHandler();
    const h = await workers({ work: held.handler }, { concurrency: 1 }).connect();
    // More leases than the cap of 66 for one slot: only a coordinator at fault sends these, but the cap holds anyway.
    const leases = Array.from({ length: 70 }, () => aLease());
    h.link.lease(...leases);
    await settle();
    held.contexts.forEach((ctx, index) => ctx.progress(index / 100));
    await h.advance(INTERVAL_MS);
    const messages = h.link.of('progress');
    expect(messages.map((m) => m.reports.length)).to.deep.equal([66, 4]);
    expect(messages.flatMap((m) => m.reports.map((r) => r.leaseId))).to.deep.equal(leases.map((l) => l.leaseId));
    held.gate.resolve('ok');
  });

  it('reports while draining, but sends nothing once the worker stopped, and leaves no progress timer behind', async () => {
    const held = heldHandler();
    const h = await workers({ work: held.handler }).connect();
    const link = h.link;
    const lease = aLease();
    link.lease(lease);
    await settle();
    const closing = h.worker.close(); // the handler ignores its signal: the grace runs out and the lease is given back
    held.ctx().progress(0.5);
    await h.advance(INTERVAL_MS);
    expect(link.transcript.at(-1), 'a draining worker still reports').to.equal(`progress ${lease.leaseId}=0.5`);
    await h.advance(SHUTDOWN_GRACE_MS - INTERVAL_MS - 100);
    held.ctx().progress(0.6); // still pending when the grace runs out, 100 ms later: it goes with the lease
    await h.advance(100);
    await closing;
    expect(h.worker.currentState).to.equal('stopped');
    expect(h.clock.pendingTimers, 'the progress timer armed at 0.6 is cancelled').to.equal(0);
    held.ctx().progress(0.7);
    await h.advance(INTERVAL_MS * 4);
    expect(link.of('progress')).to.have.length(1);
    expect(h.clock.pendingTimers).to.equal(0);
    held.gate.resolve('too late');
  });

  it('checks progressIntervalMs like the other options', () => {
    const base = { coordinator: '127.0.0.1:1', handlers: { work: () => 'ok' } };
    expect(compileWorkerOptions(base).progressIntervalMs).to.equal(250);
    expect(compileWorkerOptions({ ...base, progressIntervalMs: 1000 }).progressIntervalMs).to.equal(1000);
    for (const bad of [0, 9, 60_001, 12.5, Number.NaN]) {
      expect(() => compileWorkerOptions({ ...base, progressIntervalMs: bad }), String(bad)).to.throw(ConfigError, /^progressIntervalMs: must be an integer number of ms between 10 and 60000/);
    }
  });
});

import { expect } from 'chai';
import type { TaskContext } from '../../../worker/handler';
import { aLease, deferred, settle } from './fake-links';
import { SHUTDOWN_GRACE_MS, useWorkers } from './worker-harness';

/** How long close() waits for the last acknowledgements (worker.ts ACK_WAIT_MS). */
const ACK_WAIT_MS = 5000;

describe('Worker lifecycle, with a fake clock and a fake coordinator link', () => {
  const workers = useWorkers();

  it('goes created → running → draining → stopped, and refuses to start twice or after close()', async () => {
    const h = workers({ work: () => 'ok' });
    expect(h.worker.currentState).to.equal('created');
    const started = h.worker.start();
    expect(h.worker.currentState).to.equal('running');
    expect(() => h.worker.start()).to.throw(/cannot go from running to running/);
    h.link.welcome();
    await started;
    const closing = h.worker.close();
    expect(h.worker.currentState).to.equal('draining');
    expect(h.worker.close(), 'close() is idempotent').to.equal(closing);
    await closing;
    expect(h.worker.currentState).to.equal('stopped');
    expect(h.link.halfClosed).to.equal(true);
    expect(h.links.closed).to.equal(true);
    expect(() => h.worker.start()).to.throw(/cannot go from stopped to running/);
  });

  it('stops at once when closed before it starts, without connecting', async () => {
    const h = workers({ work: () => 'ok' });
    await h.worker.close();
    expect(h.worker.currentState).to.equal('stopped');
    expect(h.links.opened).to.deep.equal([]);
  });

  it('on close, sends Drain and waits for a running handler, then for its ack, then half-closes', async () => {
    const gate = deferred();
    const h = await workers({ work: () => gate.promise }).connect();
    const lease = aLease();
    h.link.lease(lease);
    await settle();
    let stopped = false;
    const closing = h.worker.close().then(() => (stopped = true));
    await settle();
    expect(h.link.transcript.at(-1)).to.equal('drain');
    gate.resolve('ok');
    await settle();
    expect(h.link.halfClosed, 'the result is not acknowledged yet').to.equal(false);
    h.link.ack(lease.leaseId);
    await settle();
    expect(h.link.halfClosed).to.equal(true);
    await closing;
    expect(stopped).to.equal(true);
  });

  it('on close, lets a handler run for the shutdown grace, then aborts it at exactly that fake time and releases its lease with a heartbeat', async () => {
    const gate = deferred();
    let signal: AbortSignal | undefined;
    const h = await workers({
      work: (_payload, ctx: TaskContext) => {
        signal = ctx.signal;
        return gate.promise;
      },
    }).connect();
    const lease = aLease();
    h.link.lease(lease);
    await settle();
    const closing = h.worker.close();
    await settle();
    await h.advance(SHUTDOWN_GRACE_MS - 1);
    expect(signal?.aborted).to.equal(false);
    expect(h.link.of('heartbeat')).to.deep.equal([]);
    await h.advance(1);
    expect(signal?.aborted).to.equal(true);
    expect((signal?.reason as Error).message).to.equal('the worker is shutting down');
    expect(h.link.transcript.at(-1), 'a heartbeat without the lease releases it').to.equal('heartbeat |1');
    gate.resolve('too late');
    await closing;
    await settle();
    expect(h.link.of('results')).to.deep.equal([]);
    expect(h.outcomes).to.deep.equal(['shutdown']);
  });

  it('on close, waits for the last acknowledgements for 5 s of fake time, then half-closes anyway', async () => {
    const h = await workers({ work: () => 'ok' }).connect();
    h.link.lease(aLease());
    await settle();
    expect(h.link.of('results')).to.have.length(1);
    const closing = h.worker.close();
    await settle();
    await h.advance(ACK_WAIT_MS - 1);
    expect(h.link.halfClosed).to.equal(false);
    await h.advance(1);
    expect(h.link.halfClosed).to.equal(true);
    await closing;
    expect(h.worker.currentState).to.equal('stopped');
  });

  it('on close, drops a stream the coordinator does not end within a second of our half-close', async () => {
    const h = await workers({ work: () => 'ok' }).connect();
    const link = h.link;
    link.end = () => {
      link.halfClosed = true; // and the coordinator never ends the stream
    };
    const closing = h.worker.close();
    await settle();
    expect(link.halfClosed).to.equal(true);
    await h.advance(999);
    expect(link.canceled).to.equal(false);
    await h.advance(1);
    expect(link.canceled).to.equal(true);
    await closing;
  });
});

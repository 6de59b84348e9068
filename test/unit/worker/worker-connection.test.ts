import { status as GrpcStatus } from '@grpc/grpc-js';
import { expect } from 'chai';
import { BatonError } from '../../../shared/errors';
import { aLease, deferred, settle } from './fake-links';
import { useWorkers } from './worker-harness';

const UNAVAILABLE = { code: GrpcStatus.UNAVAILABLE, details: 'the coordinator is shutting down' };

describe('Worker connection, with a fake clock and a fake coordinator link', () => {
  const workers = useWorkers();

  it('reconnects after the backoff on the fake clock: 100 ms, 200 ms while it keeps failing, 100 ms again after a Welcome', async () => {
    const h = await workers({ work: () => 'ok' }).connect();
    h.link.close(UNAVAILABLE);
    await settle();
    await h.advance(99);
    expect(h.links.opened).to.have.length(1);
    await h.advance(1);
    expect(h.links.opened).to.have.length(2);
    h.link.close({ code: GrpcStatus.UNAVAILABLE, details: 'connection refused' });
    await settle();
    await h.advance(199);
    expect(h.links.opened).to.have.length(2);
    await h.advance(1);
    expect(h.links.opened).to.have.length(3);
    h.link.welcome();
    h.link.close(UNAVAILABLE);
    await settle();
    await h.advance(99);
    expect(h.links.opened).to.have.length(3);
    await h.advance(1);
    expect(h.links.opened).to.have.length(4);
  });

  it('reconnects with the resume secret of its first Welcome', async () => {
    const h = await workers({ work: () => 'ok' }).connect();
    h.link.close(UNAVAILABLE);
    await settle();
    await h.advance(100);
    expect(h.link.helloSent.resumeSecret).to.equal('resume-secret-0123456789');
  });

  it('sends a result that was not acknowledged again after reconnecting, listing its lease in Hello, and credits its slot back', async () => {
    const h = await workers({ work: () => ({ answer: 42 }) }).connect();
    const first = h.link;
    const lease = aLease();
    first.lease(lease);
    await settle();
    expect(first.transcript.slice(1)).to.deep.equal([`results ${lease.leaseId}:success`, 'credit 1']);
    first.close(UNAVAILABLE);
    await settle();
    await h.advance(100);
    const second = h.link;
    expect(second).to.not.equal(first);
    expect(second.helloSent.heldLeaseIds).to.deep.equal([lease.leaseId]);
    second.welcome();
    // Hello counted the result as a held lease; it holds no slot here, so the credit gives it back.
    expect(second.transcript.slice(1)).to.deep.equal([`results ${lease.leaseId}:success`, 'credit 1']);
    expect(second.of('results')[0]).to.deep.equal(first.of('results')[0]);
    second.ack(lease.leaseId);
    second.close(UNAVAILABLE);
    await settle();
    await h.advance(100);
    expect(h.link.helloSent.heldLeaseIds, 'acknowledged: no longer held').to.deep.equal([]);
    h.link.welcome();
    expect(h.link.of('results')).to.deep.equal([]);
  });

  it('keeps a result the coordinator could not store (an UNAVAILABLE ack) and sends it again after reconnecting', async () => {
    const h = await workers({ work: () => 'ok' }).connect();
    const lease = aLease();
    h.link.lease(lease);
    await settle();
    h.link.ack(lease.leaseId, GrpcStatus.UNAVAILABLE, 'store failed');
    h.link.close(UNAVAILABLE);
    await settle();
    await h.advance(100);
    h.link.welcome();
    expect(h.link.of('results').flatMap((m) => m.results.map((r) => r.leaseId))).to.deep.equal([lease.leaseId]);
  });

  it('holds a result finished while disconnected and sends it after the next Welcome', async () => {
    const gate = deferred();
    const h = await workers({ work: () => gate.promise }).connect();
    const first = h.link;
    const lease = aLease();
    first.lease(lease);
    await settle();
    first.close(UNAVAILABLE);
    await settle();
    gate.resolve('ok');
    await settle();
    expect(first.of('results')).to.deep.equal([]);
    await h.advance(100);
    expect(h.link.helloSent.heldLeaseIds).to.deep.equal([lease.leaseId]);
    expect(h.link.of('results'), 'not before the Welcome').to.deep.equal([]);
    h.link.welcome();
    expect(h.link.transcript.slice(1)).to.deep.equal([`results ${lease.leaseId}:success`, 'credit 1']);
  });

  it('rejects start() when its credentials are refused before any Welcome, and stops reconnecting', async () => {
    const h = workers({ work: () => 'ok' });
    const started = h.worker.start();
    h.link.close({ code: GrpcStatus.UNAUTHENTICATED, details: 'unknown token' });
    const err = await started.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(BatonError);
    expect((err as BatonError).code).to.equal('UNAUTHENTICATED');
    await h.advance(10_000);
    expect(h.links.opened).to.have.length(1);
  });
});

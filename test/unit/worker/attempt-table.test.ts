import { expect } from 'chai';
import { Lease, type TaskResult } from '../../../shared/gen/baton/v1/worker_service';
import type { AttemptSpan } from '../../../worker/attempt-span';
import { ATTEMPT_STATE_PREDECESSORS, AttemptTable, type HandlerRun } from '../../../worker/attempt-table';

const run = (leaseId: string): HandlerRun => ({
  lease: Lease.fromPartial({ leaseId }),
  controller: new AbortController(),
  span: {} as AttemptSpan,
  metricType: 'work',
  startedMs: 0,
});
const result = (leaseId: string): TaskResult => ({ leaseId, outcome: { $case: 'success', value: { result: Buffer.alloc(0), contentType: '' } } });

describe('AttemptTable', () => {
  it('moves an attempt running → awaiting-ack → settled, counting slots and results on the way', () => {
    const table = new AttemptTable();
    const attempt = table.start(run('a'));
    expect([attempt.state, table.handlersRunning, table.awaitingAck]).to.deep.equal(['running', 1, 0]);
    table.finish(attempt, result('a'));
    expect([attempt.state, attempt.run, table.handlersRunning, table.awaitingAck]).to.deep.equal(['awaiting-ack', undefined, 0, 1]);
    expect(table.unackedResults()).to.deep.equal([result('a')]);
    expect(table.settle('a')).to.equal(true);
    expect([table.has('a'), table.handlersRunning, table.awaitingAck]).to.deep.equal([false, 0, 0]);
  });

  it('moves a revoked attempt to dropped when its handler returns; a second revocation replaces the reason', () => {
    const table = new AttemptTable();
    const attempt = table.start(run('a'));
    table.revoke(attempt, 'timeout');
    table.revoke(attempt, 'canceled');
    expect([attempt.state, attempt.revokedBy, table.handlersRunning]).to.deep.equal(['revoked', 'canceled', 1]);
    table.drop(attempt);
    expect([table.has('a'), table.handlersRunning]).to.deep.equal([false, 0]);
  });

  it('refuses every move from a state that is not a legal predecessor', () => {
    const table = new AttemptTable();
    const running = table.start(run('a'));
    expect(() => table.drop(running)).to.throw(/cannot go from running to dropped/);
    expect(table.settle('a'), 'an ack for a running handler changes nothing').to.equal(false);
    expect(() => table.start(run('a'))).to.throw(/already on this worker/);
    table.revoke(running, 'shutdown');
    expect(() => table.finish(running, result('a'))).to.throw(/cannot go from revoked to awaiting-ack/);
    table.drop(running);
    expect(() => table.revoke(running, 'canceled')).to.throw(/cannot go from gone to revoked/);
    const finished = table.start(run('b'));
    table.finish(finished, result('b'));
    expect(() => table.revoke(finished, 'canceled')).to.throw(/cannot go from awaiting-ack to revoked/);
    expect(table.settle('unknown')).to.equal(false);
    expect(ATTEMPT_STATE_PREDECESSORS).to.deep.equal({
      leased: [],
      running: ['leased'],
      revoked: ['running', 'revoked'],
      'awaiting-ack': ['running'],
      settled: ['awaiting-ack'],
      dropped: ['revoked'],
    });
  });

  it('lists every lease for Hello, and only running and unacknowledged ones for heartbeats', () => {
    const table = new AttemptTable();
    table.start(run('running'));
    table.revoke(table.start(run('revoked')), 'canceled');
    table.finish(table.start(run('finished')), result('finished'));
    expect(table.leaseIds()).to.deep.equal(['running', 'revoked', 'finished']);
    expect(table.heldLeaseIds()).to.deep.equal(['running', 'finished']);
    expect(table.withHandlers().map((a) => a.leaseId)).to.deep.equal(['running', 'revoked']);
  });
});

import { expect } from 'chai';
import { rejectionReason, tasksInBatch } from '../../../coordinator/api/submission-rejections';
import { toWireStats } from '../../../coordinator/api/stats';
import { QueueLimitError } from '../../../coordinator/core/queue-occupancy';
import type { QueueStatsView, StatsSnapshot, WorkerStatsView } from '../../../coordinator/core/stats-snapshot';
import { ANONYMOUS, type Principal } from '../../../coordinator/security/principal';
import type { SubmitTaskRequest } from '../../../shared/gen/baton/v1/task_queue';
import { BatonError, InvalidArgumentError, PermissionDeniedError, ResourceExhaustedError, UnauthenticatedError, UnavailableError } from '../../../shared/errors';

function queue(name: string, unfinished = 0, succeeded = 0): QueueStatsView {
  return {
    queue: name,
    counts: { scheduled: 0, queued: unfinished, running: 0, succeeded, dead: 0, canceled: 0 },
    submittedPerSecond: 0.5,
    completedPerSecond: 0.25,
    oldestReadyAgeMs: unfinished > 0 ? 2500 : 0,
  };
}

function worker(workerId: string, queues: string[]): WorkerStatsView {
  return { workerId, hostname: `${workerId}.example`, principal: 'token:w', queues, slotsInUse: 1, slotsTotal: 4, connectedAtMs: 1000, lastSeenMs: 2000, draining: false };
}

const SNAPSHOT: StatsSnapshot = {
  takenAtMs: 5000,
  queues: [queue('a', 2, 3), queue('b', 0, 7), queue('secret', 1)],
  workers: [worker('both', ['a', 'secret']), worker('secret-only', ['secret']), worker('b-only', ['b'])],
};

describe('toWireStats', () => {
  it('gives an unrestricted caller every queue and worker, on the wire', () => {
    const wire = toWireStats(SNAPSHOT, ANONYMOUS, 100);
    expect(wire.queues.map((q) => q.queue)).to.deep.equal(['a', 'b', 'secret']);
    expect(wire.queues[0]).to.deep.equal({
      queue: 'a',
      scheduled: 0,
      queued: 2,
      running: 0,
      succeeded: 3,
      dead: 0,
      canceled: 0,
      submittedPerSecond: 0.5,
      completedPerSecond: 0.25,
      oldestReadyAge: { seconds: 2, nanos: 500_000_000 },
    });
    expect(wire.workers.map((w) => w.workerId)).to.deep.equal(['both', 'secret-only', 'b-only']);
    expect(wire.workers[0]).to.deep.equal({
      workerId: 'both',
      hostname: 'both.example',
      queues: ['a', 'secret'],
      slotsInUse: 1,
      slotsTotal: 4,
      connectedSince: new Date(1000),
      lastHeartbeat: new Date(2000),
      principal: 'token:w',
      draining: false,
    });
    expect(wire.takenAt).to.deep.equal(new Date(5000));
    expect(wire.omittedQueues).to.equal(0);
  });

  it('shows a credential limited to queues only those, and only the workers serving one, without naming the others', () => {
    const limited: Principal = { id: 'token:tenant', role: 'client', queues: new Set(['a', 'b']) };
    const wire = toWireStats(SNAPSHOT, limited, 100);
    expect(wire.queues.map((q) => q.queue)).to.deep.equal(['a', 'b']);
    expect(wire.workers.map((w) => [w.workerId, w.queues])).to.deep.equal([
      ['both', ['a']],
      ['b-only', ['b']],
    ]);
  });

  it('bounds the queues, keeping those with unfinished tasks first, and says how many it left out', () => {
    const wire = toWireStats(SNAPSHOT, ANONYMOUS, 2);
    expect(wire.queues.map((q) => q.queue)).to.deep.equal(['a', 'secret']);
    expect(wire.omittedQueues).to.equal(1);
  });
});

describe('submission rejections', () => {
  it('names the reason of each refusal from a small closed set', () => {
    expect(rejectionReason(new InvalidArgumentError('type: must not be empty'))).to.equal('invalid_argument');
    expect(rejectionReason(new UnauthenticatedError('invalid token'))).to.equal('unauthenticated');
    expect(rejectionReason(new PermissionDeniedError('not your queue'))).to.equal('permission_denied');
    expect(rejectionReason(new QueueLimitError('maxQueuedTasksPerQueue', 'full'))).to.equal('queue_full');
    expect(rejectionReason(new QueueLimitError('maxQueuedTasks', 'full'))).to.equal('too_many_tasks');
    expect(rejectionReason(new QueueLimitError('maxQueues', 'full'))).to.equal('too_many_queues');
    expect(rejectionReason(new UnavailableError('shutting down'))).to.equal('unavailable');
    expect(rejectionReason(new ResourceExhaustedError('some other limit'))).to.equal('other');
    expect(rejectionReason(new BatonError('ALREADY_EXISTS', 'duplicate'))).to.equal('other');
    expect(rejectionReason(new Error('bug'))).to.equal('other');
  });

  it('counts the tasks of a refused batch, and at least one for a call', () => {
    const request = { type: 'noop' } as SubmitTaskRequest;
    expect(tasksInBatch({ requests: Array.from({ length: 100 }, () => request) })).to.equal(100);
    expect(tasksInBatch({ requests: [] })).to.equal(1);
    expect(tasksInBatch(undefined)).to.equal(1);
  });
});

import { expect } from 'chai';
import { rejectionReason, tasksInBatch } from '../../../coordinator/api/submission-rejections';
import { MAX_NAME_LENGTH } from '../../../coordinator/api/names';
import { MAX_QUEUES_PER_WORKER, toWireStats } from '../../../coordinator/api/stats';
import { MAX_HELLO_QUEUES, MAX_HOSTNAME_LENGTH } from '../../../coordinator/api/worker-messages';
import { QueueLimitError } from '../../../coordinator/core/queue-occupancy';
import type { QueueStatsView, StatsSnapshot, WorkerStatsView } from '../../../coordinator/core/stats-snapshot';
import { ANONYMOUS, type Principal } from '../../../coordinator/security/principal';
import { GetStatsResponse } from '../../../shared/gen/baton/v1/stats';
import type { SubmitTaskRequest } from '../../../shared/gen/baton/v1/task_queue';
import { BatonError, InvalidArgumentError, PermissionDeniedError, ResourceExhaustedError, UnauthenticatedError, UnavailableError } from '../../../shared/errors';

function queue(name: string, unfinished = 0, succeeded = 0): QueueStatsView {
  return {
    queue: name,
    counts: { scheduled: 0, queued: unfinished, running: 0, succeeded, dead: 0, canceled: 0 },
    submittedPerSecond: 0.5,
    completedPerSecond: 0.25,
    deadPerSecond: 0.125,
    oldestReadyAgeMs: unfinished > 0 ? 2500 : 0,
    paused: name === 'b',
    history: () => ({ completed: [1, 2, 3], dead: [0, 1, 0] }),
  };
}

function worker(workerId: string, queues: string[]): WorkerStatsView {
  return { workerId, hostname: `${workerId}.example`, principal: 'token:w', queues, slotsInUse: 1, slotsTotal: 4, connectedAtMs: 1000, lastSeenMs: 2000, draining: false };
}

/** A snapshot of these queues and workers; `asked` records what each read of the queues asked for. */
function snapshotOf(queues: QueueStatsView[], workers: WorkerStatsView[]): StatsSnapshot & { asked: Array<[ReadonlySet<string> | null, number]> } {
  const asked: Array<[ReadonlySet<string> | null, number]> = [];
  return {
    takenAtMs: 5000,
    workers,
    asked,
    queues(allowed, max) {
      asked.push([allowed, max]);
      const visible = queues.filter((q) => allowed === null || allowed.has(q.queue));
      return { queues: visible.slice(0, max), omitted: Math.max(0, visible.length - max) };
    },
  };
}

const SNAPSHOT = snapshotOf([queue('a', 2, 3), queue('b', 0, 7), queue('secret', 1)], [worker('both', ['a', 'secret']), worker('secret-only', ['secret']), worker('b-only', ['b'])]);

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
      deadPerSecond: 0.125,
      oldestReadyAge: { seconds: 2, nanos: 500_000_000 },
      completedHistory: [],
      deadHistory: [],
      historyBucketSeconds: 0,
      paused: false,
    });
    expect(wire.queues[1]?.paused).to.equal(true);
    const withHistory = toWireStats(SNAPSHOT, ANONYMOUS, 100, true);
    expect(withHistory.queues[0]).to.deep.include({ completedHistory: [1, 2, 3], deadHistory: [0, 1, 0], historyBucketSeconds: 10 });
    expect(wire.workers.map((w) => w.workerId)).to.deep.equal(['both', 'secret-only', 'b-only']);
    expect(wire.workers[0]).to.deep.equal({
      workerId: 'both',
      hostname: 'both.example',
      queues: ['a', 'secret'],
      omittedQueues: 0,
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

  it('asks the snapshot for the caller\'s queues only, at most the limit, and says how many were left out', () => {
    const limited: Principal = { id: 'token:tenant', role: 'client', queues: new Set(['a', 'b', 'secret']) };
    const snapshot = snapshotOf(SNAPSHOT.queues(null, 100).queues.slice(), []);
    const wire = toWireStats(snapshot, limited, 2);
    expect(snapshot.asked).to.deep.equal([[limited.queues, 2]]);
    expect(wire.queues.map((q) => q.queue)).to.deep.equal(['a', 'b']);
    expect(wire.omittedQueues).to.equal(1);
  });

  it('lists at most 20 queues per worker and counts the rest, so that many workers naming 100 long queues each keep the reply bounded', () => {
    const names = Array.from({ length: MAX_HELLO_QUEUES }, (_, n) => `${String(n).padStart(3, '0')}-${'q'.repeat(MAX_NAME_LENGTH - 4)}`);
    const workers = Array.from({ length: 1000 }, (_, n) => ({ ...worker(`w-${n}`.padEnd(MAX_NAME_LENGTH, 'x'), names), hostname: 'h'.repeat(MAX_HOSTNAME_LENGTH) }));
    const wire = toWireStats(snapshotOf([], workers), ANONYMOUS, 100);
    expect(wire.workers[0]?.queues).to.deep.equal(names.slice(0, MAX_QUEUES_PER_WORKER));
    expect(wire.workers[0]?.omittedQueues).to.equal(MAX_HELLO_QUEUES - MAX_QUEUES_PER_WORKER);
    // Per worker: 20 names of 128 characters, an id of 128, a host of 255, a few numbers and times.
    expect(GetStatsResponse.encode(wire).finish().length).to.be.at.most(1000 * 3 * 1024);

    const limited: Principal = { id: 'token:tenant', role: 'client', queues: new Set(names.slice(50, 75)) };
    const [first] = toWireStats(snapshotOf([], workers.slice(0, 1)), limited, 100).workers;
    expect(first?.queues).to.deep.equal(names.slice(50, 70));
    expect(first?.omittedQueues).to.equal(5);
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
    expect(tasksInBatch({ tasks: Array.from({ length: 100 }, () => request) })).to.equal(100);
    expect(tasksInBatch({ tasks: [] })).to.equal(1);
    expect(tasksInBatch(undefined)).to.equal(1);
  });
});

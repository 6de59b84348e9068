import type { GetStatsResponse, QueueStats, WorkerStats } from '../../shared/gen/baton/v1/stats';
import { msToDuration } from '../../shared/proto-time';
import type { QueueStatsView, StatsSnapshot, WorkerStatsView } from '../core/stats-snapshot';
import type { Principal } from '../security/principal';

/**
 * The wire form of a stats snapshot as `caller` may see it: a credential limited to queues
 * gets only those queues, and only the workers serving at least one of them, each listing
 * only those of its queues (another tenant's queue names are not its business).
 * @param maxQueues queues beyond this are left out, those with unfinished tasks kept first.
 */
export function toWireStats(snapshot: StatsSnapshot, caller: Principal, maxQueues: number): GetStatsResponse {
  const allowed = caller.queues;
  const visible = allowed === null ? snapshot.queues : snapshot.queues.filter((queue) => allowed.has(queue.queue));
  const queues = visible.length <= maxQueues ? visible : keepBusiest(visible, maxQueues);
  const workers: WorkerStats[] = [];
  for (const worker of snapshot.workers) {
    const served = allowed === null ? worker.queues : worker.queues.filter((queue) => allowed.has(queue));
    if (served.length > 0) workers.push(toWireWorker(worker, served));
  }
  return {
    queues: queues.map(toWireQueue),
    workers,
    takenAt: new Date(snapshot.takenAtMs),
    omittedQueues: visible.length - queues.length,
  };
}

/** The queues with unfinished tasks first, then the others, `max` in all, still sorted by name. */
function keepBusiest(queues: readonly QueueStatsView[], max: number): QueueStatsView[] {
  const unfinished = (queue: QueueStatsView): number => queue.counts.scheduled + queue.counts.queued + queue.counts.running;
  const busy = queues.filter((queue) => unfinished(queue) > 0);
  const idle = queues.filter((queue) => unfinished(queue) === 0);
  const kept = new Set([...busy, ...idle].slice(0, max));
  return queues.filter((queue) => kept.has(queue));
}

function toWireQueue(queue: QueueStatsView): QueueStats {
  const { counts } = queue;
  return {
    queue: queue.queue,
    scheduled: counts.scheduled,
    queued: counts.queued,
    running: counts.running,
    succeeded: counts.succeeded,
    dead: counts.dead,
    canceled: counts.canceled,
    submittedPerSecond: queue.submittedPerSecond,
    completedPerSecond: queue.completedPerSecond,
    oldestReadyAge: msToDuration(queue.oldestReadyAgeMs),
  };
}

function toWireWorker(worker: WorkerStatsView, queues: readonly string[]): WorkerStats {
  return {
    workerId: worker.workerId,
    hostname: worker.hostname,
    queues: [...queues],
    slotsInUse: worker.slotsInUse,
    slotsTotal: worker.slotsTotal,
    connectedSince: new Date(worker.connectedAtMs),
    lastHeartbeat: new Date(worker.lastSeenMs),
    principal: worker.principal,
    draining: worker.draining,
  };
}

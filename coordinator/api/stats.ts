import type { GetStatsResponse, QueueStats, WorkerStats } from '../../shared/gen/baton/v1/stats';
import { HISTORY_BUCKET_MS } from '../core/queue-activity';
import { msToDuration } from '../../shared/proto-time';
import type { QueueStatsView, StatsSnapshot, WorkerStatsView } from '../core/stats-snapshot';
import type { Principal } from '../security/principal';

/**
 * Queue names listed per worker at most; `omitted_queues` counts the rest. A Hello may name
 * 100 queues (16 KiB of names): without this, each of a credential's sessions could put that
 * much into every reply.
 */
export const MAX_QUEUES_PER_WORKER = 20;

/**
 * The wire form of a stats snapshot as `caller` may see it: a credential limited to queues
 * gets only those queues, and only the workers serving at least one of them, each listing
 * only those of its queues (another tenant's queue names are not its business).
 * @param maxQueues queues beyond this are left out, those with unfinished tasks kept first.
 */
export function toWireStats(snapshot: StatsSnapshot, caller: Principal, maxQueues: number, history = false): GetStatsResponse {
  const { queues, omitted } = snapshot.queues(caller.queues, maxQueues);
  return {
    queues: queues.map((queue) => toWireQueue(queue, history)),
    workers: toWireWorkers(snapshot, caller),
    takenAt: new Date(snapshot.takenAtMs),
    omittedQueues: omitted,
  };
}

/** A credential's view of the connected workers (as in {@link toWireStats}). */
export function toWireWorkers(snapshot: StatsSnapshot, caller: Principal): WorkerStats[] {
  const allowed = caller.queues;
  const workers: WorkerStats[] = [];
  for (const worker of snapshot.workers) {
    const served = allowed === null ? worker.queues : worker.queues.filter((queue) => allowed.has(queue));
    if (served.length > 0) workers.push(toWireWorker(worker, served));
  }
  return workers;
}

function toWireQueue(queue: QueueStatsView, withHistory: boolean): QueueStats {
  const { counts } = queue;
  const history = withHistory ? queue.history() : undefined;
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
    deadPerSecond: queue.deadPerSecond,
    oldestReadyAge: msToDuration(queue.oldestReadyAgeMs),
    completedHistory: history ? [...history.completed] : [],
    deadHistory: history ? [...history.dead] : [],
    historyBucketSeconds: history ? HISTORY_BUCKET_MS / 1000 : 0,
    paused: queue.paused,
  };
}

/** The worker with the first {@link MAX_QUEUES_PER_WORKER} of `queues` (in its Hello's order). */
function toWireWorker(worker: WorkerStatsView, queues: readonly string[]): WorkerStats {
  return {
    workerId: worker.workerId,
    hostname: worker.hostname,
    queues: queues.slice(0, MAX_QUEUES_PER_WORKER),
    omittedQueues: Math.max(0, queues.length - MAX_QUEUES_PER_WORKER),
    slotsInUse: worker.slotsInUse,
    slotsTotal: worker.slotsTotal,
    connectedSince: new Date(worker.connectedAtMs),
    lastHeartbeat: new Date(worker.lastSeenMs),
    principal: worker.principal,
    draining: worker.draining,
  };
}

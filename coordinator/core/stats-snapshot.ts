/**
 * The coordinator's figures as the core sees them, for GetStats and the metrics gauges:
 * unfinished tasks by queue and state, rates, backlog age, worker slots. Read from memory
 * only; nothing here touches the store.
 */
import type { LeaseTable } from './leases';
import type { QueueActivity } from './queue-activity';
import type { SessionRegistry } from './sessions';
import type { TaskState } from './task';
import type { TaskLedger } from './task-ledger';

/** A queue's unfinished tasks by state, and how long its oldest ready task has waited. */
export interface QueueDepth {
  readonly scheduled: number;
  readonly queued: number;
  readonly running: number;
  /** Since the ready task that has been due longest became due; 0 when none is ready. */
  readonly oldestReadyAgeMs: number;
}

export interface QueueStatsView {
  readonly queue: string;
  readonly counts: Readonly<Record<TaskState, number>>;
  readonly submittedPerSecond: number;
  readonly completedPerSecond: number;
  readonly oldestReadyAgeMs: number;
}

export interface WorkerStatsView {
  readonly workerId: string;
  readonly hostname: string;
  readonly principal: string;
  readonly queues: readonly string[];
  readonly slotsInUse: number;
  readonly slotsTotal: number;
  readonly connectedAtMs: number;
  /** The last message of any kind from the worker. */
  readonly lastSeenMs: number;
  readonly draining: boolean;
}

export interface StatsSnapshot {
  readonly takenAtMs: number;
  /** Every queue with unfinished tasks, finished tasks or activity in the last minute, by name. */
  readonly queues: readonly QueueStatsView[];
  /** Connected sessions, by worker id. */
  readonly workers: readonly WorkerStatsView[];
}

/** Worker slots: connected sessions' concurrency, and the leases they hold. */
export interface WorkerSlots {
  readonly total: number;
  readonly inUse: number;
}

/** What the figures are read from. */
export interface StatsSources {
  readonly ledger: TaskLedger;
  readonly leases: LeaseTable;
  readonly sessions: SessionRegistry;
  readonly activity: QueueActivity;
}

const NO_DEPTH: QueueDepth = { scheduled: 0, queued: 0, running: 0, oldestReadyAgeMs: 0 };

/**
 * Unfinished tasks by queue and state: scheduled from the delay queue, queued from the ready
 * index, running from the lease table (orphaned leases included: their tasks are RUNNING
 * until they are reclaimed or expire). Queues without unfinished tasks are absent.
 * Costs O(queues + leases).
 */
export function queueDepths(sources: StatsSources, nowMs: number): Map<string, QueueDepth> {
  const { ledger, leases } = sources;
  const running = new Map<string, number>();
  for (const lease of leases.all()) {
    const queue = ledger.get(lease.taskId)?.queue;
    if (queue !== undefined) running.set(queue, (running.get(queue) ?? 0) + 1);
  }
  const depths = new Map<string, QueueDepth>();
  for (const queue of ledger.occupancy.queues()) {
    const oldestDueMs = ledger.ready.oldestDueMs(queue);
    depths.set(queue, {
      scheduled: ledger.scheduled.count(queue),
      queued: ledger.ready.depthByQueue().get(queue) ?? 0,
      running: running.get(queue) ?? 0,
      oldestReadyAgeMs: oldestDueMs === undefined ? 0 : Math.max(0, nowMs - oldestDueMs),
    });
  }
  return depths;
}

export function workerSlots(sources: StatsSources): WorkerSlots {
  return { total: sources.sessions.totalConcurrency, inUse: sources.leases.heldCount };
}

/** Every queue's counts and rates and every connected worker, sorted by name. */
export function statsSnapshot(sources: StatsSources, nowMs: number): StatsSnapshot {
  const depths = queueDepths(sources, nowMs);
  const names = sources.activity.queues();
  for (const queue of depths.keys()) names.add(queue);
  const queues = [...names].sort().map((queue): QueueStatsView => {
    const depth = depths.get(queue) ?? NO_DEPTH;
    const finished = sources.activity.finishedCounts(queue);
    const rates = sources.activity.rates(queue);
    return {
      queue,
      counts: { scheduled: depth.scheduled, queued: depth.queued, running: depth.running, ...finished },
      submittedPerSecond: rates.submittedPerSecond,
      completedPerSecond: rates.completedPerSecond,
      oldestReadyAgeMs: depth.oldestReadyAgeMs,
    };
  });
  const workers = [...sources.sessions.all()]
    .map((session): WorkerStatsView => ({
      workerId: session.workerId,
      hostname: session.hostname,
      principal: session.principal,
      queues: session.queues,
      slotsInUse: sources.leases.countHeldBy(session.id),
      slotsTotal: session.concurrency,
      connectedAtMs: session.connectedAtMs,
      lastSeenMs: session.lastSeenMs,
      draining: session.draining,
    }))
    .sort((a, b) => (a.workerId === b.workerId ? compare(a.principal, b.principal) : compare(a.workerId, b.workerId)));
  return { takenAtMs: nowMs, queues, workers };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

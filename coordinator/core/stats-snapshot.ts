/**
 * The coordinator's figures as the core sees them, for GetStats and the metrics gauges:
 * unfinished tasks by queue and state, rates, backlog age, worker slots. Read from memory;
 * the store is only asked for the finished counts of a queue that came back (QueueActivity).
 */
import type { LeaseTable } from './leases';
import type { QueueActivity, QueueHistory } from './queue-activity';
import type { SessionRegistry } from './sessions';
import { smallest } from './smallest';
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
  readonly deadPerSecond: number;
  readonly oldestReadyAgeMs: number;
  readonly paused: boolean;
  /** The last few minutes of finished and dead tasks; read only when asked for. */
  readonly history: () => QueueHistory;
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

/** The queues a stats reader gets. */
export interface QueueSelection {
  /** By name. */
  readonly queues: readonly QueueStatsView[];
  /** Queues the reader may see that were left out for `max`. */
  readonly omitted: number;
}

export interface StatsSnapshot {
  readonly takenAtMs: number;
  /** Connected sessions, by worker id. */
  readonly workers: readonly WorkerStatsView[];
  /**
   * The queues listed (every queue with unfinished tasks, and the recently active others
   * that QueueActivity keeps) that `allowed` holds (null: all of them); at most `max`, those
   * with unfinished tasks first, then by name. Views are built for the queues returned only,
   * from memory as it is when called, at the snapshot's time: call it at once.
   *
   * Costs O(c log max + leases), c being the queues looked at: the smaller of `allowed` and
   * the queues listed. A caller limited to a few queues pays for those, however many others
   * there are.
   */
  queues(allowed: ReadonlySet<string> | null, max: number): QueueSelection;
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
  /** True while `queue` is paused (queue flow's settings). */
  readonly paused: (queue: string) => boolean;
}

const NO_DEPTH: QueueDepth = { scheduled: 0, queued: 0, running: 0, oldestReadyAgeMs: 0 };

/**
 * Unfinished tasks by queue and state: scheduled from the delay queue, queued from the ready
 * index, running from the lease table (orphaned leases included: their tasks are RUNNING
 * until they are reclaimed or expire). Queues without unfinished tasks are absent.
 * Costs O(queues with unfinished tasks + leases).
 */
export function queueDepths(sources: StatsSources, nowMs: number): Map<string, QueueDepth> {
  return depthsOf(sources, nowMs, sources.ledger.occupancy.queues());
}

/** As {@link queueDepths}, for `queues` only: O(queues + leases). */
function depthsOf(sources: StatsSources, nowMs: number, queues: Iterable<string>): Map<string, QueueDepth> {
  const { ledger, leases } = sources;
  const depths = new Map<string, { scheduled: number; queued: number; running: number; oldestReadyAgeMs: number }>();
  for (const queue of queues) {
    if (ledger.occupancy.count(queue) === 0) continue;
    const oldestDueMs = ledger.ready.oldestDueMs(queue);
    depths.set(queue, {
      scheduled: ledger.scheduled.count(queue),
      queued: ledger.ready.depthByQueue().get(queue) ?? 0,
      running: 0,
      oldestReadyAgeMs: oldestDueMs === undefined ? 0 : Math.max(0, nowMs - oldestDueMs),
    });
  }
  if (depths.size === 0) return depths;
  for (const lease of leases.all()) {
    const queue = ledger.get(lease.taskId)?.queue;
    const depth = queue === undefined ? undefined : depths.get(queue);
    if (depth) depth.running += 1;
  }
  return depths;
}

export function workerSlots(sources: StatsSources): WorkerSlots {
  return { total: sources.sessions.totalConcurrency, inUse: sources.leases.heldCount };
}

/** Every connected worker, and a way to read the queues a caller may see. */
export function statsSnapshot(sources: StatsSources, nowMs: number): StatsSnapshot {
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
  return { takenAtMs: nowMs, workers, queues: (allowed, max) => selectQueues(sources, nowMs, allowed, max) };
}

function selectQueues(sources: StatsSources, nowMs: number, allowed: ReadonlySet<string> | null, max: number): QueueSelection {
  const { activity, ledger } = sources;
  const candidates = listedQueues(sources, allowed);
  const busy = (queue: string): boolean => ledger.occupancy.count(queue) > 0;
  const chosen = candidates.length <= max ? candidates : smallest(candidates, max, (a, b) => (busy(a) === busy(b) ? a < b : busy(a)));
  chosen.sort(compare);
  const depths = depthsOf(sources, nowMs, chosen);
  const queues = chosen.map((queue): QueueStatsView => {
    const depth = depths.get(queue) ?? NO_DEPTH;
    const rates = activity.rates(queue);
    return {
      queue,
      counts: { scheduled: depth.scheduled, queued: depth.queued, running: depth.running, ...activity.finishedCounts(queue) },
      submittedPerSecond: rates.submittedPerSecond,
      completedPerSecond: rates.completedPerSecond,
      deadPerSecond: rates.deadPerSecond,
      oldestReadyAgeMs: depth.oldestReadyAgeMs,
      paused: sources.paused(queue),
      history: () => activity.history(queue),
    };
  });
  return { queues, omitted: candidates.length - chosen.length };
}

/** The queues listed that `allowed` holds, looking at the smaller of the two sets. */
function listedQueues(sources: StatsSources, allowed: ReadonlySet<string> | null): string[] {
  const { activity, ledger } = sources;
  const listed = (queue: string): boolean => activity.has(queue) || ledger.occupancy.count(queue) > 0;
  if (allowed !== null && allowed.size <= activity.size + ledger.occupancy.queueCount) return [...allowed].filter(listed);
  const names = [...activity.queues()];
  for (const queue of ledger.occupancy.queues()) if (!activity.has(queue)) names.push(queue);
  return allowed === null ? names : names.filter((queue) => allowed.has(queue));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

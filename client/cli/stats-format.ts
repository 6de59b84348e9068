import type { GetStatsResponse, QueueStats, WorkerStats } from '../../shared/gen/baton/v1/stats';
import { durationToMs } from '../../shared/proto-time';
import { formatColumns } from './format';

/** One queue in `baton stats --json`. */
export interface QueueStatsJson {
  readonly queue: string;
  readonly scheduled: number;
  readonly queued: number;
  readonly running: number;
  readonly succeeded: number;
  readonly dead: number;
  readonly canceled: number;
  readonly submittedPerSecond: number;
  readonly completedPerSecond: number;
  /** Tasks that went DEAD per second (counted in completedPerSecond too). */
  readonly deadPerSecond: number;
  /** 0 when no task is ready. */
  readonly oldestReadyAgeMs: number;
  /** The queue is paused: its tasks wait. */
  readonly paused: boolean;
}

/** One worker in `baton stats --json`. Times are ISO 8601 or null. */
export interface WorkerStatsJson {
  readonly workerId: string;
  readonly hostname: string;
  readonly principal: string;
  /** At most 20: the coordinator bounds its answer. */
  readonly queues: string[];
  /** Queues of the worker left out of `queues`. */
  readonly omittedQueues: number;
  readonly slotsInUse: number;
  readonly slotsTotal: number;
  readonly connectedSince: string | null;
  readonly lastHeartbeat: string | null;
  readonly draining: boolean;
}

/** `baton stats --json`: one object per snapshot, on one line. */
export interface StatsJson {
  readonly takenAt: string | null;
  readonly queues: QueueStatsJson[];
  readonly workers: WorkerStatsJson[];
  /** Queues the coordinator left out to bound its answer. */
  readonly omittedQueues: number;
}

export function statsToJson(stats: GetStatsResponse): StatsJson {
  return {
    takenAt: stats.takenAt?.toISOString() ?? null,
    queues: stats.queues.map(queueToJson),
    workers: stats.workers.map(workerToJson),
    omittedQueues: stats.omittedQueues,
  };
}

function queueToJson(queue: QueueStats): QueueStatsJson {
  return {
    queue: queue.queue,
    scheduled: queue.scheduled,
    queued: queue.queued,
    running: queue.running,
    succeeded: queue.succeeded,
    dead: queue.dead,
    canceled: queue.canceled,
    submittedPerSecond: queue.submittedPerSecond,
    completedPerSecond: queue.completedPerSecond,
    deadPerSecond: queue.deadPerSecond,
    oldestReadyAgeMs: durationToMs(queue.oldestReadyAge) ?? 0,
    paused: queue.paused,
  };
}

function workerToJson(worker: WorkerStats): WorkerStatsJson {
  return {
    workerId: worker.workerId,
    hostname: worker.hostname,
    principal: worker.principal,
    queues: [...worker.queues],
    omittedQueues: worker.omittedQueues,
    slotsInUse: worker.slotsInUse,
    slotsTotal: worker.slotsTotal,
    connectedSince: worker.connectedSince?.toISOString() ?? null,
    lastHeartbeat: worker.lastHeartbeat?.toISOString() ?? null,
    draining: worker.draining,
  };
}

/**
 * Stats for people: a table of queues, a blank line, a table of workers. Ages and times are
 * relative to when the coordinator took the snapshot, so that clock skew does not show.
 */
export function formatStatsTables(stats: GetStatsResponse): string {
  const takenAtMs = stats.takenAt?.getTime() ?? Date.now();
  let out = stats.queues.length === 0 ? 'no queues\n' : formatColumns([QUEUE_HEADER, ...stats.queues.map(queueRow)]);
  if (stats.omittedQueues > 0) out += `(${stats.omittedQueues} more queues not shown)\n`;
  out += '\n';
  out += stats.workers.length === 0 ? 'no workers connected\n' : formatColumns([WORKER_HEADER, ...stats.workers.map((worker) => workerRow(worker, takenAtMs))]);
  return out;
}

const QUEUE_HEADER = ['QUEUE', 'SCHEDULED', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'DEAD', 'CANCELED', 'SUBMIT/S', 'DONE/S', 'OLDEST READY'];
const WORKER_HEADER = ['WORKER', 'HOST', 'QUEUES', 'SLOTS', 'CONNECTED', 'LAST SEEN', 'PRINCIPAL'];

function queueRow(queue: QueueStats): string[] {
  const oldestMs = durationToMs(queue.oldestReadyAge) ?? 0;
  return [
    queue.paused ? `${queue.queue} (paused)` : queue.queue,
    String(queue.scheduled),
    String(queue.queued),
    String(queue.running),
    String(queue.succeeded),
    String(queue.dead),
    String(queue.canceled),
    queue.submittedPerSecond.toFixed(2),
    queue.completedPerSecond.toFixed(2),
    oldestMs > 0 ? roughAge(oldestMs) : '-',
  ];
}

function workerRow(worker: WorkerStats, takenAtMs: number): string[] {
  return [
    worker.draining ? `${worker.workerId} (draining)` : worker.workerId,
    worker.hostname || '-',
    workerQueues(worker),
    `${worker.slotsInUse}/${worker.slotsTotal}`,
    ago(worker.connectedSince, takenAtMs),
    ago(worker.lastHeartbeat, takenAtMs),
    worker.principal,
  ];
}

/** `a,b`, and ` +N more` when the coordinator left some of them out. */
function workerQueues(worker: WorkerStats): string {
  const listed = worker.queues.join(',');
  return worker.omittedQueues > 0 ? `${listed} +${worker.omittedQueues} more` : listed;
}

function ago(date: Date | undefined, nowMs: number): string {
  return date ? `${roughAge(Math.max(0, nowMs - date.getTime()))} ago` : '-';
}

/** An age a person reads at a glance: `<1s`, `42s`, `3m 05s`, `2h 10m`. */
export function roughAge(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return '<1s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

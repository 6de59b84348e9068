/**
 * What a compared system is to the scenarios: something that starts fresh (its own store,
 * its own processes), takes tasks, runs them on worker processes, and says how many have
 * finished. Baton (any coordinator), the transport stand-in and BullMQ all look like this.
 */
import type { SystemPids } from './peak-rss';

/** One task's latency figures in milliseconds, all on the monotonic clock of the machine. */
export interface LatencySample {
  /** Submit called → the system acknowledged it (committed, for Baton; added, for BullMQ). */
  readonly ackMs: number;
  /** Submit called → the handler began, on the worker. */
  readonly startMs: number;
  /** Submit called → the producer learnt that the task completed. */
  readonly completeMs: number;
}

/** One started instance of a system: fresh data, no workers yet. */
export interface SystemRun {
  /**
   * Starts `count` worker processes at once and resolves when all of them take tasks.
   * @returns the wall-clock time (epoch ms) at which the first of them began to take tasks.
   */
  startWorkers(count: number): Promise<number>;
  /** Submits tasks `first` .. `first + count - 1` in one bulk call and waits for its acknowledgement. */
  submitBatch(first: number, count: number): Promise<void>;
  /** Submits task `index` alone and waits for its acknowledgement. */
  submitOne(index: number): Promise<void>;
  /** Tasks finished so far (succeeded or failed for good), as the system records them. */
  finished(): Promise<number>;
  /** Submits one `stamp` task, waits until the producer sees it complete, and times it. */
  measureOne(index: number): Promise<LatencySample>;
  /** The processes whose peak memory is reported; read while they run. */
  pids(): SystemPids;
  /** Stops every process it started and removes its data. Idempotent. */
  close(): Promise<void>;
}

export interface System {
  /** As printed: `bullmq`, `baton normal`, ... */
  readonly name: string;
  /** Starts a fresh instance. */
  start(): Promise<SystemRun>;
}

/** A system that cannot run here, and why. */
export interface SkippedSystem {
  readonly name: string;
  readonly reason: string;
}

/** Nanoseconds between two hrtime readings, in milliseconds. */
export const elapsedMs = (fromNs: bigint, toNs: bigint): number => Number(toNs - fromNs) / 1e6;

/** The `startNs` a stamp handler returns (a decimal string of process.hrtime.bigint()). */
export function stampOf(result: unknown): bigint {
  const startNs = (result as { startNs?: unknown } | null)?.startNs;
  if (typeof startNs !== 'string') throw new Error(`the stamp handler returned ${JSON.stringify(result)}`);
  return BigInt(startNs);
}

/**
 * The low-load latency scenario: one task at a time (the next is submitted once the producer
 * has seen the previous complete), with a few unrecorded tasks first so that connections are
 * open and code is warm in every process.
 *
 * Three figures per task, all from one monotonic clock (process.hrtime, CLOCK_MONOTONIC on
 * Linux, the same in every process of the machine), taken in the producer just before it
 * calls submit: acknowledged, handler started (read by the handler itself, first thing, and
 * returned as its result), and completion seen by the producer (Baton: the WatchTask update
 * with the terminal state; BullMQ: job.waitUntilFinished(queueEvents)).
 */
import { percentile } from '../support';
import type { LatencySample, SystemRun } from './system';

/** Milliseconds. */
export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface LatencyFigures {
  readonly samples: number;
  readonly ack: Percentiles;
  readonly start: Percentiles;
  readonly complete: Percentiles;
}

/** Unrecorded tasks before the measured ones. */
export const WARM_UP_TASKS = 50;

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
}

/** Runs `tasks` tasks one at a time on `run`, whose workers are connected. */
export async function measureLatency(run: SystemRun, tasks: number, signal: AbortSignal): Promise<LatencyFigures> {
  const samples: LatencySample[] = [];
  for (let i = 0; i < WARM_UP_TASKS + tasks; i += 1) {
    signal.throwIfAborted();
    const sample = await run.measureOne(i);
    if (i >= WARM_UP_TASKS) samples.push(sample);
  }
  return {
    samples: samples.length,
    ack: percentiles(samples.map((s) => s.ackMs)),
    start: percentiles(samples.map((s) => s.startMs)),
    complete: percentiles(samples.map((s) => s.completeMs)),
  };
}

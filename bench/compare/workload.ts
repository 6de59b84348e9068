/**
 * The workload of the side-by-side comparison, the same for every system, from BENCH_*
 * variables (the shared ones through WORKLOAD in bench/support.ts).
 */
import { join } from 'node:path';
import { WORKLOAD } from '../support';

const envNumber = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}: expected a positive integer, got "${raw}"`);
  return value;
};

export const COMPARE = {
  /** Tasks of each throughput scenario but the one-at-a-time stream. BENCH_TASKS. */
  tasks: WORKLOAD.tasks,
  /** Repetitions, the systems alternating within each. BENCH_REPS. */
  reps: envNumber('BENCH_REPS', 3),
  /** Worker processes when the scenario does not say; BENCH_WORKERS. */
  workers: WORKLOAD.workers,
  /** Handlers at once per worker process; BENCH_CONCURRENCY. */
  concurrency: WORKLOAD.concurrency,
  /** Tasks per bulk submit (Baton SubmitTasks, BullMQ addBulk), each awaited before the next. BENCH_BULK_BATCH. */
  bulkBatch: envNumber('BENCH_BULK_BATCH', 1000),
  /** Submits in flight in the concurrent streaming scenario. */
  streamInFlight: 64,
  /** Tasks of the one-submit-at-a-time stream; BENCH_STREAM_TASKS (default: BENCH_TASKS, at most 5,000). */
  streamTasks: envNumber('BENCH_STREAM_TASKS', Math.min(WORKLOAD.tasks, 5000)),
  /**
   * Tasks run, untimed, before an end-to-end scenario is timed, so that it measures processes
   * past their JIT warm-up (both systems alike; pre-filled runs stay cold: they measure workers
   * starting on a backlog). BENCH_WARMUP_TASKS; 0 for none.
   */
  warmupTasks: process.env.BENCH_WARMUP_TASKS === '0' ? 0 : envNumber('BENCH_WARMUP_TASKS', 2000),
  /** Sequential tasks of the latency scenario; BENCH_LATENCY_TASKS. */
  latencyTasks: envNumber('BENCH_LATENCY_TASKS', 2000),
  /** Shortest and longest gap between two questions of how many tasks have finished (scenarios.ts). */
  pollMinMs: 5,
  pollMaxMs: 50,
  /** Baton's handlers for this comparison (`noop`, `stamp`); BullMQ's worker has the same two. */
  batonHandlers: join(__dirname, 'handlers.cjs'),
} as const;

/** Task (job) type of the throughput scenarios: returns null. */
export const NOOP_TYPE = 'noop';
/** Task type of the latency scenario: returns the monotonic time at which the handler began. */
export const STAMP_TYPE = 'stamp';

/** A JSON object of 101 bytes serialised, different per task as real payloads are. */
export function payloadFor(index: number): Record<string, unknown> {
  return {
    orderId: `ord-${String(index).padStart(8, '0')}`,
    customer: 'c-4f1e9a27',
    amountCents: 1999 + (index % 1000),
    currency: 'EUR',
    note: 'bench',
  };
}

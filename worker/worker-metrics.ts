import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ConfigError } from '../shared/errors';
import type { AttemptOutcome } from './task-runner';
import type { Revocation } from './attempt-span';

/**
 * How an attempt ended, as this worker reported it. `canceled`: the coordinator took the
 * lease back (cancel, timeout, reassignment) or the shutdown grace ran out, so no result was
 * sent; `non_retryable` includes a success whose result was over the coordinator's limit,
 * which the worker reports as a non-retryable failure.
 */
export type AttemptMetricOutcome = 'succeeded' | 'failed' | 'non_retryable' | 'timed_out' | 'canceled' | 'shutdown';

/** The label value for a task type this worker has no handler for. */
export const UNKNOWN_TASK_TYPE = '(unknown)';

/** The Worker's live counts, read when the metrics are collected. */
export interface WorkerGaugeSource {
  /** Handlers that may run at once (the concurrency). */
  slots(): number;
  /** Handlers running now, including canceled ones that have not returned yet. */
  slotsInUse(): number;
  /** Results sent or waiting to be sent that the coordinator has not acknowledged. */
  resultsAwaitingAck(): number;
  /** True while the coordinator has welcomed the current stream. */
  connected(): boolean;
}

/**
 * What a Worker reports about itself. Label values are bounded by the Worker before they get
 * here: `queue` is one the coordinator leased from, `type` a handler's type or
 * {@link UNKNOWN_TASK_TYPE}. An implementation serves one Worker.
 */
export interface WorkerMetrics {
  /** Called once, by the Worker's constructor, with the counts to read at collection time. */
  watch(source: WorkerGaugeSource): void;
  /** A leased attempt's handler is about to run. */
  attemptStarted(queue: string, type: string): void;
  /** An attempt's handler returned or threw; `runTimeMs` is how long it ran. */
  attemptEnded(queue: string, type: string, outcome: AttemptMetricOutcome, runTimeMs: number): void;
  /** The worker was welcomed again after losing its stream (not counted for the first Welcome). */
  reconnected(): void;
}

/** The default: records nothing. */
export const NO_WORKER_METRICS: WorkerMetrics = {
  watch: () => undefined,
  attemptStarted: () => undefined,
  attemptEnded: () => undefined,
  reconnected: () => undefined,
};

/**
 * The outcome label of an attempt that ended with `outcome`.
 * @param revokedBy why the lease was taken back before the handler returned, if it was (its
 *   result is dropped): the same outcome the attempt's span records.
 * @param maxResultBytes the coordinator's result limit; a bigger success is sent as a non-retryable failure.
 */
export function attemptMetricOutcome(outcome: AttemptOutcome, revokedBy: Revocation | undefined, maxResultBytes: number): AttemptMetricOutcome {
  if (revokedBy === 'timeout') return 'timed_out';
  if (revokedBy) return revokedBy;
  if (outcome.kind === 'success') return outcome.result.length > maxResultBytes ? 'non_retryable' : 'succeeded';
  return outcome.nonRetryable ? 'non_retryable' : 'failed';
}

const OUTCOMES: readonly AttemptMetricOutcome[] = ['succeeded', 'failed', 'non_retryable', 'timed_out', 'canceled', 'shutdown'];

/** The same buckets as the coordinator's baton_run_time_seconds, so the two histograms line up. */
const HANDLER_DURATION_BUCKETS_S = [0.005, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600];

/**
 * WorkerMetrics in a prom-client Registry of its own (`baton_worker_*`), for the worker's
 * /metrics endpoint. No default process metrics, like the coordinator's registry.
 */
export class PrometheusWorkerMetrics implements WorkerMetrics {
  readonly registry = new Registry();
  private source: WorkerGaugeSource | undefined;
  private readonly attempts = new Counter({
    name: 'baton_worker_attempts_total',
    help: 'Attempts this worker ran, by how they ended (succeeded, failed, non_retryable, canceled)',
    labelNames: ['queue', 'type', 'outcome'],
    registers: [this.registry],
  });
  private readonly handlerDuration = new Histogram({
    name: 'baton_worker_handler_duration_seconds',
    help: 'How long handlers ran, from start to return or throw',
    labelNames: ['queue', 'type'],
    buckets: HANDLER_DURATION_BUCKETS_S,
    registers: [this.registry],
  });
  private readonly reconnects = new Counter({
    name: 'baton_worker_reconnects_total',
    help: 'Times the worker was welcomed again after losing its stream to the coordinator',
    registers: [this.registry],
  });

  constructor() {
    const current = (): WorkerGaugeSource | undefined => this.source;
    const gauge = (name: string, help: string, read: (source: WorkerGaugeSource) => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const source = current();
          this.set(source ? read(source) : 0);
        },
      });
    };
    gauge('baton_worker_slots', 'Handlers that may run at once (the concurrency)', (source) => source.slots());
    gauge('baton_worker_slots_in_use', 'Handlers running now', (source) => source.slotsInUse());
    gauge('baton_worker_results_awaiting_ack', 'Results the coordinator has not acknowledged yet', (source) => source.resultsAwaitingAck());
    gauge('baton_worker_connected', '1 while the coordinator has welcomed the worker\'s stream, else 0', (source) => (source.connected() ? 1 : 0));
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /** @throws ConfigError (`metrics`) when it already serves another Worker: its gauges could show only one. */
  watch(source: WorkerGaugeSource): void {
    if (this.source) throw new ConfigError('metrics', 'this PrometheusWorkerMetrics already serves another Worker; give each Worker its own');
    this.source = source;
  }

  attemptStarted(queue: string, type: string): void {
    // Every outcome's series exists from the first attempt of a (queue, type), so that
    // rate() and increase() see the first failure as a change from 0 rather than a new series.
    for (const outcome of OUTCOMES) this.attempts.inc({ queue, type, outcome }, 0);
  }

  attemptEnded(queue: string, type: string, outcome: AttemptMetricOutcome, runTimeMs: number): void {
    this.attempts.inc({ queue, type, outcome });
    this.handlerDuration.observe({ queue, type }, runTimeMs / 1000);
  }

  reconnected(): void {
    this.reconnects.inc();
  }
}

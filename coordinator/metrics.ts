import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../shared/clock';
import type { CoreMetrics } from './core/core-metrics';
import type { AttemptOutcome, TaskState } from './core/task';

export interface GaugeSource {
  snapshotCounts(): {
    leases: number;
    workers: number;
    delayed: number;
    readyByQueue: ReadonlyMap<string, number>;
    /** Unfinished tasks by queue: a queue with none may lose its series once idle. */
    unfinishedByQueue: (queue: string) => number;
  };
}

/** Counts the API layer owns (streams and watches), read at scrape time. */
export interface StreamGaugeSource {
  watchesOpen(): number;
  workerStreamsAwaitingHello(): number;
}

const STATES: readonly TaskState[] = ['scheduled', 'queued', 'running', 'succeeded', 'dead', 'canceled'];
const OUTCOMES: readonly AttemptOutcome[] = ['running', 'succeeded', 'failed', 'timed_out', 'worker_lost', 'canceled'];

/**
 * The coordinator's Prometheus metrics (served at /metrics), fed by the core through
 * CoreMetrics. Queue names are chosen by clients, so a queue's series are dropped once it
 * has no unfinished tasks and has been idle for `queueIdleMs`: the number of series follows
 * the queues in use, not every name ever submitted to.
 */
export class CoordinatorMetrics implements CoreMetrics {
  readonly registry = new Registry();
  private readonly submitted = new Counter({ name: 'baton_tasks_submitted_total', help: 'Tasks accepted', labelNames: ['queue'], registers: [this.registry] });
  private readonly finished = new Counter({ name: 'baton_tasks_finished_total', help: 'Tasks that reached a terminal state', labelNames: ['queue', 'state'], registers: [this.registry] });
  private readonly attempts = new Counter({ name: 'baton_attempts_total', help: 'Attempts ended, by outcome', labelNames: ['queue', 'outcome'], registers: [this.registry] });
  private readonly retries = new Counter({ name: 'baton_retries_total', help: 'Retries scheduled', labelNames: ['queue'], registers: [this.registry] });
  private readonly stale = new Counter({ name: 'baton_stale_results_total', help: 'Results rejected because their lease was not current', registers: [this.registry] });
  private readonly refused = new Counter({
    name: 'baton_calls_refused_total',
    help: 'Calls refused for their credentials, by status (UNAUTHENTICATED, PERMISSION_DENIED)',
    labelNames: ['code'],
    registers: [this.registry],
  });
  private readonly missed = new Counter({ name: 'baton_heartbeat_misses_total', help: 'Worker sessions declared dead for silence', registers: [this.registry] });
  private readonly latency = new Histogram({
    name: 'baton_dispatch_latency_seconds',
    help: 'From a task being due to its lease being sent',
    labelNames: ['queue'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  private readonly run = new Histogram({
    name: 'baton_run_time_seconds',
    help: 'From lease to result',
    labelNames: ['queue'],
    buckets: [0.005, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600],
    registers: [this.registry],
  });
  /** When each queue with series last saw an event, least recently active first. */
  private readonly lastActiveMs = new Map<string, number>();
  private unfinishedByQueue: (queue: string) => number = () => 0;

  /**
   * @param queueIdleMs how long an empty queue keeps its series.
   * @param maxQueuesWithSeries past this many queues with series, the least recently active
   *   empty ones lose theirs at once, idle or not: cycling through fresh queue names cannot
   *   grow the exposition without bound, whether or not anybody scrapes it.
   */
  constructor(
    private readonly clock: Clock,
    private readonly queueIdleMs: number,
    private readonly maxQueuesWithSeries: number,
  ) {}

  /** Gauges read the core's and the API's live counts at scrape time. */
  watch(source: GaugeSource, streams: StreamGaugeSource): void {
    this.unfinishedByQueue = (queue) => source.snapshotCounts().unfinishedByQueue(queue);
    new Gauge({ name: 'baton_workers_connected', help: 'Connected worker sessions', registers: [this.registry], collect() { this.set(source.snapshotCounts().workers); } });
    new Gauge({ name: 'baton_leases_active', help: 'Leases held by workers', registers: [this.registry], collect() { this.set(source.snapshotCounts().leases); } });
    new Gauge({ name: 'baton_tasks_delayed', help: 'Tasks waiting for their run_at', registers: [this.registry], collect() { this.set(source.snapshotCounts().delayed); } });
    new Gauge({ name: 'baton_watches_open', help: 'Open WatchTask streams', registers: [this.registry], collect() { this.set(streams.watchesOpen()); } });
    new Gauge({
      name: 'baton_worker_streams_awaiting_hello',
      help: 'Worker streams open that have not sent hello yet',
      registers: [this.registry],
      collect() {
        this.set(streams.workerStreamsAwaitingHello());
      },
    });
    new Gauge({
      name: 'baton_queue_ready',
      help: 'Tasks ready to run, by queue',
      labelNames: ['queue'],
      registers: [this.registry],
      collect() {
        const counts = source.snapshotCounts();
        this.reset(); // queues that emptied must not keep their last value
        for (const [queue, depth] of counts.readyByQueue) this.set({ queue }, depth);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition, after dropping the series of queues that went idle. */
  scrape(): Promise<string> {
    this.pruneIdleQueues(this.unfinishedByQueue);
    return this.registry.metrics();
  }

  tasksSubmitted(queue: string, count: number): void {
    this.active(queue);
    this.submitted.inc({ queue }, count);
  }
  attemptEnded(queue: string, outcome: AttemptOutcome): void {
    this.active(queue);
    this.attempts.inc({ queue, outcome });
  }
  taskFinished(queue: string, state: TaskState): void {
    this.active(queue);
    this.finished.inc({ queue, state });
  }
  retryScheduled(queue: string): void {
    this.active(queue);
    this.retries.inc({ queue });
  }
  callRefused(code: 'UNAUTHENTICATED' | 'PERMISSION_DENIED'): void {
    this.refused.inc({ code });
  }
  staleReportRejected(): void {
    this.stale.inc();
  }
  heartbeatMissed(): void {
    this.missed.inc();
  }
  dispatchLatency(queue: string, ms: number): void {
    this.active(queue);
    this.latency.observe({ queue }, ms / 1000);
  }
  runTime(queue: string, ms: number): void {
    this.active(queue);
    this.run.observe({ queue }, ms / 1000);
  }

  private active(queue: string): void {
    const known = this.lastActiveMs.delete(queue); // re-inserted last: the map stays in recency order
    this.lastActiveMs.set(queue, this.clock.now());
    if (!known && this.lastActiveMs.size > this.maxQueuesWithSeries) this.pruneIdleQueues(this.unfinishedByQueue);
  }

  private pruneIdleQueues(unfinished: (queue: string) => number): void {
    const nowMs = this.clock.now();
    for (const [queue, lastMs] of this.lastActiveMs) {
      const crowded = this.lastActiveMs.size > this.maxQueuesWithSeries;
      if (!crowded && nowMs - lastMs < this.queueIdleMs) return; // the rest are more recent still
      if (unfinished(queue) > 0) continue;
      this.forget(queue);
    }
  }

  private forget(queue: string): void {
    this.lastActiveMs.delete(queue);
    for (const metric of [this.submitted, this.retries, this.latency, this.run]) metric.remove({ queue });
    for (const state of STATES) this.finished.remove({ queue, state });
    for (const outcome of OUTCOMES) this.attempts.remove({ queue, outcome });
  }
}

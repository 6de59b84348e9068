import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CoreMetrics } from './core/core-metrics';
import type { AttemptOutcome, TaskState } from './core/task';

export interface GaugeSource {
  snapshotCounts(): { leases: number; workers: number; delayed: number; readyByQueue: ReadonlyMap<string, number> };
}

/** The coordinator's Prometheus metrics (served at /metrics), fed by the core through CoreMetrics. */
export class CoordinatorMetrics implements CoreMetrics {
  readonly registry = new Registry();
  private readonly submitted = new Counter({ name: 'baton_tasks_submitted_total', help: 'Tasks accepted', labelNames: ['queue'], registers: [this.registry] });
  private readonly finished = new Counter({ name: 'baton_tasks_finished_total', help: 'Tasks that reached a terminal state', labelNames: ['queue', 'state'], registers: [this.registry] });
  private readonly attempts = new Counter({ name: 'baton_attempts_total', help: 'Attempts ended, by outcome', labelNames: ['queue', 'outcome'], registers: [this.registry] });
  private readonly retries = new Counter({ name: 'baton_retries_total', help: 'Retries scheduled', labelNames: ['queue'], registers: [this.registry] });
  private readonly stale = new Counter({ name: 'baton_stale_results_total', help: 'Results rejected because their lease was not current', registers: [this.registry] });
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

  /** Gauges read the core's live counts at scrape time. */
  watch(source: GaugeSource): void {
    new Gauge({ name: 'baton_workers_connected', help: 'Connected worker sessions', registers: [this.registry], collect() { this.set(source.snapshotCounts().workers); } });
    new Gauge({ name: 'baton_leases_active', help: 'Leases held by workers', registers: [this.registry], collect() { this.set(source.snapshotCounts().leases); } });
    new Gauge({ name: 'baton_tasks_delayed', help: 'Tasks waiting for their run_at', registers: [this.registry], collect() { this.set(source.snapshotCounts().delayed); } });
    new Gauge({
      name: 'baton_queue_ready',
      help: 'Tasks ready to run, by queue',
      labelNames: ['queue'],
      registers: [this.registry],
      collect() {
        for (const [queue, depth] of source.snapshotCounts().readyByQueue) this.set({ queue }, depth);
      },
    });
  }

  tasksSubmitted(queue: string, count: number): void {
    this.submitted.inc({ queue }, count);
  }
  attemptEnded(queue: string, outcome: AttemptOutcome): void {
    this.attempts.inc({ queue, outcome });
  }
  taskFinished(queue: string, state: TaskState): void {
    this.finished.inc({ queue, state });
  }
  retryScheduled(queue: string): void {
    this.retries.inc({ queue });
  }
  staleReportRejected(): void {
    this.stale.inc();
  }
  heartbeatMissed(): void {
    this.missed.inc();
  }
  dispatchLatency(queue: string, ms: number): void {
    this.latency.observe({ queue }, ms / 1000);
  }
  runTime(queue: string, ms: number): void {
    this.run.observe({ queue }, ms / 1000);
  }
}

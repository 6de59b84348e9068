import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../shared/clock';
import { SUBMISSION_REJECT_REASONS, type SubmissionRejectReason, type SubmissionRejections } from './api/submission-rejections';
import type { CoreMetrics, ScheduleFireOutcome } from './core/core-metrics';
import type { QueueDepth, WorkerSlots } from './core/stats-snapshot';
import type { AttemptOutcome, TaskState } from './core/task';
import type { CommitObservation } from './store/sqlite-store';

export interface GaugeSource {
  snapshotCounts(): {
    leases: number;
    workers: number;
    delayed: number;
    /** Unfinished tasks by queue: a queue with none may lose its series once idle. */
    unfinishedByQueue: (queue: string) => number;
  };
  /** Unfinished tasks by queue and state; queues without any are absent. */
  queueDepths(): ReadonlyMap<string, QueueDepth>;
  workerSlots(): WorkerSlots;
}

/** Counts the API layer owns (streams and watches), read at scrape time. */
export interface StreamGaugeSource {
  watchesOpen(): number;
  workerStreamsAwaitingHello(): number;
}

const STATES: readonly TaskState[] = ['scheduled', 'queued', 'running', 'succeeded', 'dead', 'canceled'];
const OUTCOMES: readonly AttemptOutcome[] = ['running', 'succeeded', 'failed', 'timed_out', 'worker_lost', 'canceled'];
/** The states of baton_queue_depth: every unfinished one. */
const DEPTH_STATES = ['scheduled', 'queued', 'running'] as const;

/**
 * The coordinator's Prometheus metrics (served at /metrics), fed by the core through
 * CoreMetrics. Queue names are chosen by clients, so a queue's series are dropped once it
 * has no unfinished tasks and has been idle for `queueIdleMs`: the number of series follows
 * the queues in use, not every name ever submitted to. Until then a queue that emptied
 * reports an explicit 0 depth for every state.
 */
export class CoordinatorMetrics implements CoreMetrics, SubmissionRejections {
  readonly registry = new Registry();
  private readonly submitted = new Counter({ name: 'baton_tasks_submitted_total', help: 'Tasks accepted', labelNames: ['queue'], registers: [this.registry] });
  private readonly finished = new Counter({ name: 'baton_tasks_finished_total', help: 'Tasks whose terminal state has committed', labelNames: ['queue', 'state'], registers: [this.registry] });
  private readonly attempts = new Counter({ name: 'baton_attempts_total', help: 'Attempts ended, by outcome', labelNames: ['queue', 'outcome'], registers: [this.registry] });
  private readonly retries = new Counter({ name: 'baton_retries_total', help: 'Retries scheduled', labelNames: ['queue'], registers: [this.registry] });
  private readonly fires = new Counter({
    name: 'baton_schedule_fires_total',
    help: 'Schedule fire times dealt with: fired (a task submitted), skipped (overlap policy or a full queue), dropped (catch-up policy)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly deleted = new Counter({ name: 'baton_tasks_deleted_total', help: 'Finished tasks deleted by retention', registers: [this.registry] });
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
  private readonly commitDuration = new Histogram({
    name: 'baton_store_commit_duration_seconds',
    help: 'Wall time of one store transaction (a group commit), fsync included',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly commitBatch = new Histogram({
    name: 'baton_store_commit_batch_size',
    help: 'Rows written by one store transaction: task inserts and updates plus attempt records',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
    registers: [this.registry],
  });
  private readonly rejectedSubmissions = new Counter({
    name: 'baton_submissions_rejected_total',
    help: 'Tasks refused by SubmitTask and SubmitTasks, by reason; a refused batch counts its tasks (at least 1)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  /** When each queue with series last saw an event, least recently active first. */
  private readonly lastActiveMs = new Map<string, number>();
  /** The queue last in `lastActiveMs`. */
  private mostRecentQueue: string | undefined;
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
  ) {
    // Every reason from the start: a rate() over a series that appears late misses its first step.
    for (const reason of SUBMISSION_REJECT_REASONS) this.rejectedSubmissions.inc({ reason }, 0);
    for (const code of ['UNAUTHENTICATED', 'PERMISSION_DENIED']) this.refused.inc({ code }, 0);
    for (const outcome of ['fired', 'skipped', 'dropped']) this.fires.inc({ outcome }, 0);
  }

  /** Gauges read the core's and the API's live counts at scrape time. */
  watch(source: GaugeSource, streams: StreamGaugeSource): void {
    this.unfinishedByQueue = (queue) => source.snapshotCounts().unfinishedByQueue(queue);
    new Gauge({ name: 'baton_workers_connected', help: 'Connected worker sessions', registers: [this.registry], collect() { this.set(source.snapshotCounts().workers); } });
    new Gauge({ name: 'baton_leases_active', help: 'Leases held by workers', registers: [this.registry], collect() { this.set(source.snapshotCounts().leases); } });
    new Gauge({ name: 'baton_tasks_delayed', help: 'Tasks waiting for their run_at or for the backoff before a retry', registers: [this.registry], collect() { this.set(source.snapshotCounts().delayed); } });
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
      name: 'baton_workers_slots',
      help: 'Concurrency of the connected workers, added up',
      registers: [this.registry],
      collect() {
        this.set(source.workerSlots().total);
      },
    });
    new Gauge({
      name: 'baton_workers_slots_in_use',
      help: 'Leases held by connected workers',
      registers: [this.registry],
      collect() {
        this.set(source.workerSlots().inUse);
      },
    });
    const depth: Gauge = new Gauge({
      name: 'baton_queue_depth',
      help: 'Unfinished tasks by queue and state: scheduled (waiting for run_at or a retry backoff), queued (ready now), running',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      collect: () => {
        const depths = source.queueDepths();
        depth.reset();
        for (const queue of this.queuesToReport(depths)) {
          for (const state of DEPTH_STATES) depth.set({ queue, state }, depths.get(queue)?.[state] ?? 0);
        }
      },
    });
    const age: Gauge = new Gauge({
      name: 'baton_queue_oldest_ready_age_seconds',
      help: 'How long the ready task that has been due longest has waited, by queue; 0 when none is ready',
      labelNames: ['queue'],
      registers: [this.registry],
      collect: () => {
        const depths = source.queueDepths();
        age.reset();
        for (const queue of this.queuesToReport(depths)) age.set({ queue }, (depths.get(queue)?.oldestReadyAgeMs ?? 0) / 1000);
      },
    });
  }

  /** Queues with series, and queues with unfinished tasks (after a restart, before any event). */
  private queuesToReport(depths: ReadonlyMap<string, QueueDepth>): Set<string> {
    return new Set([...this.lastActiveMs.keys(), ...depths.keys()]);
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
  scheduleFires(outcome: ScheduleFireOutcome, count: number): void {
    this.fires.inc({ outcome }, count);
  }
  tasksDeleted(count: number): void {
    this.deleted.inc(count);
  }
  storeCommitted(commit: CommitObservation): void {
    this.commitDuration.observe(commit.durationMs / 1000);
    this.commitBatch.observe(commit.rows);
  }
  rejected(reason: SubmissionRejectReason, tasks: number): void {
    this.rejectedSubmissions.inc({ reason }, tasks);
  }

  private active(queue: string): void {
    const nowMs = this.clock.now();
    // The most recent queue is last already; setting an existing key keeps its place, so a busy
    // queue's every event costs one map write instead of a delete and an insert.
    if (queue === this.mostRecentQueue) {
      this.lastActiveMs.set(queue, nowMs);
      return;
    }
    this.mostRecentQueue = queue;
    const known = this.lastActiveMs.delete(queue); // re-inserted last: the map stays in recency order
    this.lastActiveMs.set(queue, nowMs);
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
    if (this.mostRecentQueue === queue) this.mostRecentQueue = undefined;
    for (const metric of [this.submitted, this.retries, this.latency, this.run]) metric.remove({ queue });
    for (const state of STATES) this.finished.remove({ queue, state });
    for (const outcome of OUTCOMES) this.attempts.remove({ queue, outcome });
  }
}

import type { Clock } from '../../shared/clock';
import { BatonError, FailedPreconditionError, NotFoundError, UnavailableError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { ListPage, TaskFilter, TaskStore } from './task-store';
import { NO_TRACING, type AttemptTracer } from './attempt-tracer';
import { NO_METRICS, type CoreMetrics } from './core-metrics';
import { DEFAULT_MAX_SCHEDULE_BYTES, DEFAULT_MAX_SCHEDULES, DEFAULT_RETENTION, limitsOf, type EngineOptions } from './engine-options';
import { ScheduleRunner } from '../schedules/schedule-runner';
import { QueueAdmin } from './queue-admin';
import { RetentionSweeper } from './retention-sweeper';
import { QueueActivity } from './queue-activity';
import { queueDepths, statsSnapshot, workerSlots, type QueueDepth, type StatsSnapshot, type StatsSources, type WorkerSlots } from './stats-snapshot';
import { recoverUnfinished } from './start-up-recovery';
import { isTerminal, type TaskSpec, type TaskView } from './task';
import { TaskLedger } from './task-ledger';
import { TaskSubmission, type SubmitOutcome } from './task-submission';
import type { TaskListener } from './task-watchers';
import { recordCancel, requeue } from './transitions';
import { WorkerGateway } from './worker-gateway';

export type { SubmitOutcome } from './task-submission';

export interface EngineDeps {
  readonly store: TaskStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly options: EngineOptions;
  readonly metrics?: CoreMetrics;
  /** Spans of each attempt. Default: none. */
  readonly tracer?: AttemptTracer;
  /** Source of retry jitter, in [0, 1). */
  readonly random?: () => number;
  /**
   * Told when the store failed a write: the engine has stopped taking requests, and its
   * owner should shut down (a restart rebuilds memory from the store). Default: nothing.
   */
  readonly onStoreFailure?: (err: unknown) => void;
}

type EngineState = 'created' | 'running' | 'failed' | 'closed';

/**
 * The coordinator's core: the client-facing task operations, over the ledger (unfinished
 * tasks) and the worker gateway (sessions and leases). It imports neither gRPC nor SQL.
 * How tasks are submitted is task-submission.ts; how memory is rebuilt at start-up,
 * start-up-recovery.ts.
 */
export class Engine {
  private readonly closeListeners = new Set<() => void>();
  readonly workers: WorkerGateway;
  /** Cron and interval schedules, firing through this engine. */
  readonly schedules: ScheduleRunner;
  /** Queue settings at run time (UpdateQueue). */
  readonly queues: QueueAdmin;
  private readonly retention: RetentionSweeper;
  private readonly ledger: TaskLedger;
  private readonly submission: TaskSubmission;
  /** Tasks a RetryTask is requeueing right now: a second one at the same time is refused. */
  private readonly retrying = new Set<string>();
  /** Finished counts and recent rates by queue, for stats. */
  private readonly activity: QueueActivity;
  private readonly metrics: CoreMetrics;
  private readonly tracer: AttemptTracer;
  private readonly log: Logger;
  private state: EngineState = 'created';

  constructor(private readonly deps: EngineDeps) {
    this.metrics = deps.metrics ?? NO_METRICS;
    this.tracer = deps.tracer ?? NO_TRACING;
    this.log = deps.logger.child({ component: 'engine' });
    this.activity = new QueueActivity({
      clock: deps.clock,
      maxQueues: statsQueuesOf(deps.options),
      hasUnfinished: (queue) => this.ledger.occupancy.count(queue) > 0,
      countQueue: (queue) => deps.store.countQueue(queue),
    });
    this.ledger = new TaskLedger({
      store: deps.store,
      clock: deps.clock,
      logger: this.log,
      onReady: () => this.workers.requestDispatch(),
      onStoreFailure: (err) => this.storeFailed(err),
      // Counted once committed: a finished count never runs ahead of what the store holds.
      onFinished: (task) => {
        this.metrics.taskFinished(task.queue, task.state);
        this.activity.taskFinished(task.queue, task.state);
        this.schedules.taskFinished(task);
      },
      traceFields: (task) => this.tracer.logFields(task),
    });
    this.workers = new WorkerGateway({
      ledger: this.ledger,
      clock: deps.clock,
      logger: deps.logger,
      metrics: this.metrics,
      tracer: this.tracer,
      options: deps.options,
      random: deps.random ?? Math.random,
    });
    this.submission = new TaskSubmission({
      store: deps.store,
      ledger: this.ledger,
      clock: deps.clock,
      options: deps.options,
      metrics: this.metrics,
      activity: this.activity,
      onStoreFailure: (err) => this.storeFailed(err),
    });
    this.schedules = new ScheduleRunner({
      store: deps.store,
      clock: deps.clock,
      logger: deps.logger,
      submit: (specs, alongside) => this.submission.submit(specs, alongside),
      isUnfinished: (taskId) => this.ledger.get(taskId) !== undefined,
      maxSchedules: deps.options.maxSchedules ?? DEFAULT_MAX_SCHEDULES,
      maxTemplateBytes: deps.options.maxScheduleBytes ?? DEFAULT_MAX_SCHEDULE_BYTES,
      metrics: this.metrics,
      random: deps.random ?? Math.random,
    });
    this.queues = new QueueAdmin({
      store: deps.store,
      flow: this.workers.flow,
      counts: (queue) => ({
        running: this.workers.runningIn(queue),
        queued: this.ledger.ready.depthByQueue().get(queue) ?? 0,
        scheduled: this.ledger.scheduled.count(queue),
      }),
      busyQueues: () => this.ledger.occupancy.queues(),
      maxQueues: limitsOf(deps.options).maxQueues,
    });
    this.retention = new RetentionSweeper({
      store: deps.store,
      clock: deps.clock,
      logger: this.log,
      flow: this.workers.flow,
      options: deps.options.retention ?? DEFAULT_RETENTION,
      // A RetryTask reads the finished task, then writes it back: deleting it in between would
      // fail that write, which the ledger takes for a failing store.
      inUse: (taskId) => this.retrying.has(taskId),
      onDeleted: (deleted) => {
        this.metrics.tasksDeleted(deleted.length);
        for (const task of deleted) this.activity.finishedTaskDeleted(task.queue, task.state);
      },
    });
  }

  /** Rebuilds the in-memory indexes from the store. Running tasks wait one lease window to be reclaimed. */
  start(): void {
    this.transition('created', 'running');
    this.activity.seed(this.deps.store.countRecentQueues(statsQueuesOf(this.deps.options)));
    this.queues.start();
    const orphans = recoverUnfinished({
      store: this.deps.store,
      ledger: this.ledger,
      clock: this.deps.clock,
      random: this.deps.random ?? Math.random,
      adoptOrphan: (task, lease, attempt) => this.workers.adoptOrphan(task, lease, attempt),
    });
    for (const queue of this.ledger.occupancy.queues()) this.activity.track(queue);
    this.schedules.start();
    this.retention.start();
    this.log.info({ unfinished: this.ledger.size, orphaned_leases: orphans, ready: this.ledger.ready.size }, 'engine started');
  }

  /**
   * Creates tasks; resolves once they are committed. All of `specs` commit together.
   * A spec whose idempotency key is taken returns the existing task instead.
   * @throws ResourceExhaustedError when the new tasks would pass a queue limit (none is created).
   */
  async submit(specs: readonly TaskSpec[]): Promise<SubmitOutcome[]> {
    this.assertRunning(); // async, so that a refusal is a rejection, as for every operation
    return await this.submission.submit(specs);
  }

  /** The task with its attempts, as committed. */
  async get(taskId: string): Promise<TaskView> {
    await this.deps.store.flush();
    const task = this.deps.store.getTask(taskId);
    if (!task) throw new NotFoundError(`task ${taskId} not found`);
    return { task, attempts: this.deps.store.getAttempts(taskId) };
  }

  /** The task and its attempts as committed, without payload and result (see TaskStore.getTaskSummary). */
  async summary(taskId: string): Promise<TaskView> {
    await this.deps.store.flush();
    const task = this.deps.store.getTaskSummary(taskId);
    if (!task) throw new NotFoundError(`task ${taskId} not found`);
    return { task, attempts: this.deps.store.getAttempts(taskId) };
  }

  async list(filter: TaskFilter, limit: number, beforeId?: string): Promise<ListPage> {
    await this.deps.store.flush();
    return this.deps.store.listTasks(filter, limit, beforeId);
  }

  /**
   * Calls `listener` with each committed change of the task, and `onClose` if the engine
   * shuts down first; returns the unsubscribe function.
   */
  watch(taskId: string, listener: TaskListener, onClose: () => void): () => void {
    this.assertRunning();
    return this.ledger.watchers.subscribe(taskId, listener, onClose);
  }

  /** Cancels an unfinished task; a running attempt is aborted on its worker. */
  async cancel(taskId: string): Promise<TaskView> {
    this.assertRunning();
    const task = this.ledger.get(taskId);
    if (!task || isTerminal(task.state)) {
      const { task: stored } = await this.get(taskId);
      throw new FailedPreconditionError(`task ${taskId} is already ${stored.state}; only unfinished tasks can be canceled`);
    }
    const attempt = task.state === 'running' ? this.workers.revoke(taskId, 'canceled', 'the task was canceled by a client') : undefined;
    if (attempt) this.metrics.attemptEnded(task.queue, 'canceled');
    this.ledger.unplace(taskId);
    recordCancel(task, attempt, this.deps.clock.now());
    await this.ledger.persist(task, attempt);
    this.log.info({ task_id: taskId, ...this.tracer.logFields(task) }, 'task canceled');
    return this.get(taskId);
  }

  /**
   * Requeues a DEAD or CANCELED task with a fresh attempt budget.
   * @throws ResourceExhaustedError when its queue is at a limit, as for a new task.
   */
  async retry(taskId: string): Promise<TaskView> {
    this.assertRunning();
    if (this.retrying.has(taskId)) throw new FailedPreconditionError(`task ${taskId} is already being retried`);
    this.retrying.add(taskId);
    try {
      return await this.requeueFinished(taskId);
    } finally {
      this.retrying.delete(taskId);
    }
  }

  private async requeueFinished(taskId: string): Promise<TaskView> {
    const live = this.ledger.get(taskId);
    if (live && !isTerminal(live.state)) {
      throw new FailedPreconditionError(`task ${taskId} is ${live.state}; only dead or canceled tasks can be retried`);
    }
    const { task } = await this.get(taskId);
    const finishedAs = task.state;
    if (task.state !== 'dead' && task.state !== 'canceled') {
      throw new FailedPreconditionError(`task ${taskId} is ${task.state}; only dead or canceled tasks can be retried`);
    }
    // A requeued task is unfinished again: it counts against the queue limits like a new one.
    await this.submission.admitting(new Map([[task.queue, 1]]), async () => {
      requeue(task, this.deps.clock.now());
      await this.ledger.persist(task);
      this.activity.reopened(task.queue, finishedAs);
      this.ledger.track(task);
    });
    this.log.info({ task_id: taskId, ...this.tracer.logFields(task) }, 'task requeued');
    return this.get(taskId);
  }

  /** Deletes the finished tasks whose retention has passed, now; resolves to how many. */
  sweepRetention(): Promise<number> {
    return this.retention.sweep();
  }

  /** Per queue: tasks by state, rates, backlog age; per connected worker: slots and liveness. */
  stats(): StatsSnapshot {
    return statsSnapshot(this.statsSources(), this.deps.clock.now());
  }

  /** Unfinished tasks by queue and state, for the metrics. */
  queueDepths(): ReadonlyMap<string, QueueDepth> {
    return queueDepths(this.statsSources(), this.deps.clock.now());
  }

  workerSlots(): WorkerSlots {
    return workerSlots(this.statsSources());
  }

  /** Counts for stats and metrics. */
  snapshotCounts(): {
    unfinished: number;
    ready: number;
    delayed: number;
    leases: number;
    workers: number;
    readyByQueue: ReadonlyMap<string, number>;
    unfinishedByQueue: (queue: string) => number;
  } {
    return {
      unfinishedByQueue: (queue) => this.ledger.occupancy.count(queue),
      unfinished: this.ledger.size,
      ready: this.ledger.ready.size,
      delayed: this.ledger.delayedCount,
      leases: this.workers.leases.size,
      workers: this.workers.sessions.size,
      readyByQueue: this.ledger.ready.depthByQueue(),
    };
  }

  private statsSources(): StatsSources {
    const flow = this.workers.flow;
    return { ledger: this.ledger, leases: this.workers.leases, sessions: this.workers.sessions, activity: this.activity, paused: (queue) => flow.settingsOf(queue).paused };
  }

  /**
   * Calls `listener` once when the engine closes, so that a stream that is not a task's watch
   * (WatchStats) can end telling its client to come back; returns the function that cancels it.
   */
  onClose(listener: () => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Ends worker streams and timers, then flushes the store. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const listener of [...this.closeListeners]) listener();
    this.closeListeners.clear();
    this.schedules.close();
    this.retention.close();
    this.workers.close('the coordinator is shutting down');
    this.ledger.close();
    await this.deps.store.flush();
  }

  private assertRunning(): void {
    if (this.state === 'failed') throw new UnavailableError('the coordinator lost its store and is restarting');
    if (this.state !== 'running') throw new UnavailableError('the coordinator is not accepting requests (shutting down)');
  }

  private storeFailed(err: unknown): void {
    if (this.state !== 'running') return;
    this.state = 'failed';
    this.log.fatal({ err }, 'the store failed a write; stopping so that a restart rebuilds from the store');
    this.deps.onStoreFailure?.(err);
  }

  private transition(from: EngineState, to: EngineState): void {
    if (this.state !== from) throw new BatonError('INTERNAL', `engine cannot go from ${this.state} to ${to}`);
    this.state = to;
  }
}

/** Queues whose stats are kept: twice `maxQueues`, as the metrics keep series (coordinator.ts). */
function statsQueuesOf(options: EngineOptions): number {
  return 2 * limitsOf(options).maxQueues;
}

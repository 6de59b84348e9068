import type { Clock } from '../../shared/clock';
import { BatonError, FailedPreconditionError, NotFoundError, UnavailableError } from '../../shared/errors';
import { uuidv7 } from '../../shared/ids';
import type { Logger } from '../../shared/logger';
import type { ListPage, TaskFilter, TaskStore } from './task-store';
import { NO_TRACING, type AttemptTracer } from './attempt-tracer';
import { NO_METRICS, type CoreMetrics } from './core-metrics';
import { limitsOf, type EngineOptions } from './engine-options';
import { admitSubmission, QueueOccupancy } from './queue-occupancy';
import { QueueActivity } from './queue-activity';
import { queueDepths, statsSnapshot, workerSlots, type QueueDepth, type StatsSnapshot, type StatsSources, type WorkerSlots } from './stats-snapshot';
import type { Lease } from './leases';
import { isTerminal, type AttemptRecord, type TaskRecord, type TaskSpec, type TaskView } from './task';
import { TaskLedger } from './task-ledger';
import type { TaskListener } from './task-watchers';
import { recordCancel, recordFailure, requeue } from './transitions';
import { WorkerGateway } from './worker-gateway';

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

export interface SubmitOutcome {
  readonly task: TaskRecord;
  /** True when an earlier task with the same idempotency key was returned instead. */
  readonly deduplicated: boolean;
}

type EngineState = 'created' | 'running' | 'failed' | 'closed';

/**
 * The coordinator's core: the client-facing task operations, over the ledger (unfinished
 * tasks) and the worker gateway (sessions and leases). It imports neither gRPC nor SQL.
 */
export class Engine {
  readonly workers: WorkerGateway;
  private readonly ledger: TaskLedger;
  private readonly pendingKeys = new Map<string, Promise<SubmitOutcome>>();
  /** Tasks of submissions being committed now, counted against the queue limits with the tracked ones. */
  private readonly inFlight = new QueueOccupancy();
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
      onFinished: (task) => this.activity.taskFinished(task.queue, task.state),
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
  }

  /** Rebuilds the in-memory indexes from the store. Running tasks wait one lease window to be reclaimed. */
  start(): void {
    this.transition('created', 'running');
    this.activity.seed(this.deps.store.countRecentQueues(statsQueuesOf(this.deps.options)));
    const running = this.deps.store.loadRunningAttempts();
    let orphans = 0;
    for (const task of this.deps.store.loadUnfinished()) {
      const attempt = running.get(task.id);
      if (task.state !== 'running') {
        this.ledger.track(task);
      } else if (attempt) {
        this.ledger.track(task);
        this.workers.adoptOrphan(task, orphanLease(task, attempt), attempt);
        orphans += 1;
      } else {
        this.ledger.track(task);
        recordFailure(task, undefined, { outcome: 'worker_lost', error: 'running with no attempt record at start-up', retryable: true }, this.deps.clock.now(), this.deps.random ?? Math.random);
        this.ledger.place(task);
        this.ledger.persist(task).catch(() => undefined);
      }
    }
    for (const queue of this.ledger.occupancy.queues()) this.activity.track(queue);
    this.log.info({ unfinished: this.ledger.size, orphaned_leases: orphans, ready: this.ledger.ready.size }, 'engine started');
  }

  /**
   * Creates tasks; resolves once they are committed. All of `specs` commit together.
   * A spec whose idempotency key is taken returns the existing task instead.
   * @throws ResourceExhaustedError when the new tasks would pass a queue limit (none is created).
   */
  async submit(specs: readonly TaskSpec[]): Promise<SubmitOutcome[]> {
    this.assertRunning();
    const nowMs = this.deps.clock.now();
    const outcomes: Array<SubmitOutcome | Promise<SubmitOutcome>> = [];
    const fresh: TaskRecord[] = [];
    const batchKeys = new Map<string, TaskRecord>();
    for (const spec of specs) {
      const existing = spec.idempotencyKey === null ? undefined : this.findByKey(spec.queue, spec.idempotencyKey, batchKeys);
      if (existing) {
        outcomes.push(existing);
        continue;
      }
      const task = newTaskRecord(spec, nowMs);
      fresh.push(task);
      if (task.idempotencyKey !== null) batchKeys.set(scopedKey(task.queue, task.idempotencyKey), task);
      // The caller sees the task as committed, not as dispatch may change it a moment later.
      outcomes.push({ task: { ...task }, deduplicated: false });
    }
    if (fresh.length > 0) await this.admitAndInsert(fresh, batchKeys);
    return Promise.all(outcomes.map((outcome) => Promise.resolve(outcome)));
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
    this.metrics.taskFinished(task.queue, 'canceled');
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
    const requested = new Map([[task.queue, 1]]);
    admitSubmission(requested, this.ledger.occupancy, this.inFlight, limitsOf(this.deps.options));
    this.inFlight.add(task.queue);
    try {
      requeue(task, this.deps.clock.now());
      await this.ledger.persist(task);
      this.activity.reopened(task.queue, finishedAs);
      this.ledger.track(task);
    } finally {
      this.inFlight.remove(task.queue);
    }
    this.log.info({ task_id: taskId, ...this.tracer.logFields(task) }, 'task requeued');
    return this.get(taskId);
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
    return { ledger: this.ledger, leases: this.workers.leases, sessions: this.workers.sessions, activity: this.activity };
  }

  /** Ends worker streams and timers, then flushes the store. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.workers.close('the coordinator is shutting down');
    this.ledger.close();
    await this.deps.store.flush();
  }

  private async admitAndInsert(fresh: TaskRecord[], batchKeys: Map<string, TaskRecord>): Promise<void> {
    const requested = new Map<string, number>();
    for (const task of fresh) requested.set(task.queue, (requested.get(task.queue) ?? 0) + 1);
    admitSubmission(requested, this.ledger.occupancy, this.inFlight, limitsOf(this.deps.options));
    for (const [queue, n] of requested) this.inFlight.add(queue, n);
    try {
      await this.insert(fresh, batchKeys);
    } finally {
      for (const [queue, n] of requested) this.inFlight.remove(queue, n);
    }
  }

  private async insert(fresh: TaskRecord[], batchKeys: Map<string, TaskRecord>): Promise<void> {
    const commit = this.deps.store.write(fresh.map((task) => ({ kind: 'insertTask', task: { ...task } }) as const));
    for (const [key, task] of batchKeys) {
      const outcome = commit.then(() => ({ task: { ...task }, deduplicated: true }));
      outcome.catch(() => undefined); // its awaiters see the failure; nobody else must
      this.pendingKeys.set(key, outcome);
    }
    try {
      await commit;
    } catch (err: unknown) {
      // A duplicate is the caller's to hear about; anything else means the store is failing.
      if (!(err instanceof BatonError && err.code === 'ALREADY_EXISTS')) this.storeFailed(err);
      throw err;
    } finally {
      for (const key of batchKeys.keys()) this.pendingKeys.delete(key);
    }
    for (const task of fresh) {
      this.ledger.track(task);
      this.ledger.announce(task);
      this.metrics.tasksSubmitted(task.queue, 1);
      this.activity.submitted(task.queue, 1);
    }
  }

  /** Idempotency keys are per queue: a key can never hand back (or block) another queue's task. */
  private findByKey(queue: string, key: string, batchKeys: Map<string, TaskRecord>): SubmitOutcome | Promise<SubmitOutcome> | undefined {
    const inBatch = batchKeys.get(scopedKey(queue, key));
    if (inBatch) return { task: { ...inBatch }, deduplicated: true };
    const pending = this.pendingKeys.get(scopedKey(queue, key));
    if (pending) return pending;
    const stored = this.deps.store.findByIdempotencyKey(queue, key);
    if (!stored) return undefined;
    return { task: { ...(this.ledger.get(stored.id) ?? stored) }, deduplicated: true };
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

function scopedKey(queue: string, key: string): string {
  return `${queue}\n${key}`;
}

function newTaskRecord(spec: TaskSpec, nowMs: number): TaskRecord {
  const runAtMs = spec.runAtMs ?? nowMs;
  return {
    id: uuidv7(nowMs),
    queue: spec.queue,
    type: spec.type,
    state: runAtMs > nowMs ? 'scheduled' : 'queued',
    payload: spec.payload,
    contentType: spec.contentType,
    priority: spec.priority,
    attempt: 0,
    maxAttempts: spec.maxAttempts,
    attemptBudget: spec.maxAttempts,
    retry: spec.retry,
    maxInfraFailures: spec.maxInfraFailures,
    infraFailures: 0,
    timeoutMs: spec.timeoutMs,
    idempotencyKey: spec.idempotencyKey,
    labels: spec.labels,
    traceContext: spec.traceContext,
    result: null,
    resultContentType: '',
    lastError: '',
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    runAtMs: Math.max(runAtMs, nowMs),
    finishedAtMs: null,
  };
}

function orphanLease(task: TaskRecord, attempt: AttemptRecord): Lease {
  const { leaseId, workerId, workerProof: proof, workerPrincipal: principal, number, startedAtMs } = attempt;
  return {
    leaseId,
    taskId: task.id,
    attempt: number,
    workerId,
    proof,
    principal,
    sessionId: null,
    startedAtMs,
    deadlineMs: task.timeoutMs > 0 ? startedAtMs + task.timeoutMs : null,
    grantOrdinal: 0,
  };
}

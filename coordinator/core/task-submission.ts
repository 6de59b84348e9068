import type { Clock } from '../../shared/clock';
import { BatonError } from '../../shared/errors';
import { uuidv7 } from '../../shared/ids';
import type { CoreMetrics } from './core-metrics';
import { limitsOf, type EngineOptions } from './engine-options';
import type { QueueActivity } from './queue-activity';
import { admitSubmission, QueueOccupancy } from './queue-occupancy';
import type { TaskRecord, TaskSpec } from './task';
import type { TaskLedger } from './task-ledger';
import type { Mutation, TaskStore } from './task-store';

export interface SubmitOutcome {
  readonly task: TaskRecord;
  /** True when an earlier task with the same idempotency key was returned instead. */
  readonly deduplicated: boolean;
}

/** What submitting needs from the engine around it. */
export interface TaskSubmissionDeps {
  readonly store: TaskStore;
  readonly ledger: TaskLedger;
  readonly clock: Clock;
  readonly options: EngineOptions;
  readonly metrics: CoreMetrics;
  readonly activity: QueueActivity;
  /** A write failed for another reason than a duplicate key: the store is failing. */
  readonly onStoreFailure: (err: unknown) => void;
}

/**
 * How tasks become unfinished: new ones by submission (deduplicated by idempotency key, all
 * of a call committed together), requeued ones by a retry; either is admitted against the
 * queue limits first, counting the tasks still being committed.
 */
export class TaskSubmission {
  private readonly pendingKeys = new Map<string, Promise<SubmitOutcome>>();
  /** Tasks of submissions being committed now, counted against the queue limits with the tracked ones. */
  private readonly inFlight = new QueueOccupancy();

  constructor(private readonly deps: TaskSubmissionDeps) {}

  /**
   * Creates tasks; resolves once they are committed. All of `specs` commit together.
   * A spec whose idempotency key is taken returns the existing task instead.
   * @param alongside written in the same transaction as the new tasks (a schedule's fire
   *   records how far it got with them), and only if there are new tasks.
   * @throws ResourceExhaustedError when the new tasks would pass a queue limit (none is created).
   */
  async submit(specs: readonly TaskSpec[], alongside: readonly Mutation[] = []): Promise<SubmitOutcome[]> {
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
    if (fresh.length > 0) {
      const requested = new Map<string, number>();
      for (const task of fresh) requested.set(task.queue, (requested.get(task.queue) ?? 0) + 1);
      await this.admitting(requested, () => this.insert(fresh, batchKeys, alongside));
    }
    return Promise.all(outcomes.map((outcome) => Promise.resolve(outcome)));
  }

  /**
   * Runs `commit`, which makes tasks unfinished (new or requeued), once they fit the queue
   * limits; while it runs they count against the limits.
   * @param requested the number of tasks by queue.
   * @throws ResourceExhaustedError when they would pass a queue limit (`commit` is not run).
   */
  async admitting<T>(requested: ReadonlyMap<string, number>, commit: () => Promise<T>): Promise<T> {
    admitSubmission(requested, this.deps.ledger.occupancy, this.inFlight, limitsOf(this.deps.options));
    for (const [queue, n] of requested) this.inFlight.add(queue, n);
    try {
      return await commit();
    } finally {
      for (const [queue, n] of requested) this.inFlight.remove(queue, n);
    }
  }

  private async insert(fresh: TaskRecord[], batchKeys: Map<string, TaskRecord>, alongside: readonly Mutation[]): Promise<void> {
    // No copy: a store captures what it writes during the call (TaskStore.write).
    const inserts: Mutation[] = fresh.map((task) => ({ kind: 'insertTask', task }) as const);
    const commit = this.deps.store.write(alongside.length > 0 ? [...inserts, ...alongside] : inserts);
    for (const [key, task] of batchKeys) {
      const { payload } = task; // the ledger lets go of it once the task is tracked
      const outcome = commit.then(() => ({ task: { ...task, payload }, deduplicated: true }));
      outcome.catch(() => undefined); // its awaiters see the failure; nobody else must
      this.pendingKeys.set(key, outcome);
    }
    try {
      await commit;
    } catch (err: unknown) {
      // A duplicate is the caller's to hear about; anything else means the store is failing.
      if (!(err instanceof BatonError && err.code === 'ALREADY_EXISTS')) this.deps.onStoreFailure(err);
      throw err;
    } finally {
      for (const key of batchKeys.keys()) this.pendingKeys.delete(key);
    }
    for (const task of fresh) {
      this.deps.ledger.track(task);
      this.deps.ledger.announce(task);
      this.deps.metrics.tasksSubmitted(task.queue, 1);
      this.deps.activity.submitted(task.queue, 1);
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
    // The live record has the current state; only the store has the payload.
    const live = this.deps.ledger.get(stored.id);
    return { task: live ? { ...live, payload: stored.payload } : stored, deduplicated: true };
  }
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
    fairnessKey: spec.fairnessKey ?? null,
    scheduleName: spec.origin?.scheduleName ?? null,
    scheduleFireMs: spec.origin?.fireMs ?? null,
    progress: null,
  };
}

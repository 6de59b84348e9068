/**
 * The durable store behind the coordinator. The core talks to this interface only, so that a
 * PostgreSQL store can replace the embedded SQLite one.
 *
 * Writes are group-committed: `write` queues mutations and resolves once the transaction
 * that holds them has committed, in the order they were queued. A store captures the
 * mutations' values during the `write` call: the core goes on changing its records.
 * Reads see committed data only.
 */
import type { ScheduleRecord } from '../schedules/schedule';
import type { QueueSettingsOverride } from './queue-settings';
import type { AttemptRecord, TaskRecord, TaskState } from './task';

export type Mutation =
  /** A new task. Fails the whole batch if the id or idempotency key already exists. */
  | { readonly kind: 'insertTask'; readonly task: TaskRecord }
  /** Overwrites the mutable fields of an existing task (state, attempt, result, times...). */
  | { readonly kind: 'updateTask'; readonly task: TaskRecord }
  /** Inserts or replaces the attempt (taskId, attempt.number). */
  | { readonly kind: 'putAttempt'; readonly taskId: string; readonly attempt: AttemptRecord }
  /** Deletes finished tasks with their attempts; ids not in the store are ignored. */
  | { readonly kind: 'deleteTasks'; readonly taskIds: readonly string[] }
  /** Inserts or replaces the schedule (by spec.name). */
  | { readonly kind: 'putSchedule'; readonly schedule: ScheduleRecord }
  /**
   * Writes only the state of an existing schedule (paused, lastFireMs, skippedFires,
   * bufferedFireMs, updatedAtMs): what every fire changes, without rewriting its spec and payload.
   * Fails the write (NOT_FOUND) when the schedule does not exist.
   */
  | { readonly kind: 'updateScheduleState'; readonly schedule: ScheduleRecord }
  /** Deletes the schedule if it exists; its tasks stay. */
  | { readonly kind: 'deleteSchedule'; readonly name: string }
  /** Inserts or replaces a queue's stored settings; an empty override deletes the row. */
  | { readonly kind: 'putQueueSettings'; readonly queue: string; readonly settings: QueueSettingsOverride };

export interface TaskFilter {
  readonly queue?: string;
  readonly state?: TaskState;
  readonly type?: string;
  /** Tasks a schedule's fires submitted. */
  readonly schedule?: string;
  /** Tasks created at or after this time (by their UUIDv7 id, which starts with it). */
  readonly createdFromMs?: number;
  /** Tasks created before this time. */
  readonly createdBeforeMs?: number;
}

/** A finished task whose retention has passed, with what stats need to forget it. */
export interface ExpiredTask {
  readonly id: string;
  readonly queue: string;
  readonly state: TaskState;
}

/** Which finished tasks retention deletes in one pass (see TaskStore.findExpired). */
export interface ExpiryRule {
  /** Finished states this rule covers. */
  readonly states: readonly TaskState[];
  /** Tasks that finished before this time have expired. */
  readonly finishedBeforeMs: number;
  /** Only this queue; every queue when absent. */
  readonly queue?: string;
  /** Not these queues (those with rules of their own); only without `queue`. */
  readonly exceptQueues?: readonly string[];
}

export interface ListPage {
  readonly tasks: TaskRecord[];
  /** Id to pass as `beforeId` for the next page; undefined on the last page. */
  readonly nextBeforeId: string | undefined;
}

export interface StateCount {
  readonly state: TaskState;
  readonly count: number;
}

export interface QueueStateCount extends StateCount {
  readonly queue: string;
}

export interface TaskStore {
  /**
   * Queues mutations for the next group commit; resolves once they are durable.
   * All mutations of one call commit in the same transaction.
   * @throws (rejects) when the transaction fails; none of the batch's mutations is applied.
   */
  write(mutations: readonly Mutation[]): Promise<void>;
  /** Resolves once everything queued so far has committed. */
  flush(): Promise<void>;

  getTask(id: string): TaskRecord | undefined;
  /** A task's payload alone (dispatch reads it for the lease); undefined for an unknown task. */
  readPayload(id: string): Buffer | undefined;
  /** The task without its payload and result (as listings have it): cheap to read however large they are. */
  getTaskSummary(id: string): TaskRecord | undefined;
  getAttempts(taskId: string): AttemptRecord[];
  /** The task of `queue` submitted with idempotency key `key`, if any: keys are scoped to their queue. */
  findByIdempotencyKey(queue: string, key: string): TaskRecord | undefined;
  /**
   * Every task in state scheduled, queued or running, for rebuilding the in-memory indexes,
   * without payloads (see TaskRecord.payload) and in no particular order. A store may stream
   * the rows: no write may be made until the iteration is over (SQLite refuses one meanwhile).
   */
  loadUnfinished(): Iterable<TaskRecord>;
  /** The open (running) attempt of each running task, keyed by task id. */
  loadRunningAttempts(): Map<string, AttemptRecord>;
  /** Newest first (by id), at most `limit`, with ids below `beforeId` when given. Payload and result are empty. */
  listTasks(filter: TaskFilter, limit: number, beforeId?: string): ListPage;
  /**
   * Tasks by queue and state for the `maxQueues` queues whose newest task (by id) is newest,
   * for stats at start-up: those queues oldest first (so the most recent comes last), each
   * with every state it has tasks in. Memory is O(`maxQueues`) however many queues the store has.
   */
  countRecentQueues(maxQueues: number): QueueStateCount[];
  /** One queue's tasks by state (states without tasks are absent): one indexed count, O(tasks of the queue). */
  countQueue(queue: string): StateCount[];

  /**
   * At most `limit` tasks that `rule` says have expired, oldest (by id) first. Cheap however
   * many tasks are kept: it reads only tasks created before rule.finishedBeforeMs (a task
   * cannot finish before it was created), through an index.
   */
  findExpired(rule: ExpiryRule, limit: number): ExpiredTask[];
  /**
   * Gives back to the file system up to `maxPages` pages that deleted rows freed (SQLite's
   * incremental vacuum), so that the file stops growing under a steady load. Returns the
   * pages freed. Runs outside the group commit; call it between commits, not during one.
   */
  reclaimSpace(maxPages: number): number;

  /** Every schedule, for the scheduler at start-up. */
  loadSchedules(): ScheduleRecord[];
  /** Every queue's stored settings (those UpdateQueue set), by queue. */
  loadQueueSettings(): Map<string, QueueSettingsOverride>;

  /** Commits what is queued, then closes. Idempotent. */
  close(): Promise<void>;
}

/**
 * A TaskStore that keeps everything in Maps: nothing survives the process. It exists so that
 * benchmarks can tell what the store costs from what the engine costs (and for trying Baton
 * out without a data directory); it is not durable and never will be.
 *
 * Writes go through the same GroupCommitter as the SQLite store, with a synchronous commit
 * function, so batching, ordering and when a write resolves are exactly what they are there:
 * the difference between the two stores is the SQL and the disk, nothing else.
 */
import type { Logger } from '../../shared/logger';
import { BatonError, ConfigError, InvalidArgumentError, NotFoundError, UnavailableError } from '../../shared/errors';
import { isTerminal, type AttemptRecord, type TaskRecord, type TaskState } from '../core/task';
import type { ListPage, Mutation, QueueStateCount, StateCount, TaskFilter, TaskStore } from '../core/task-store';
import { DEFAULT_COMMIT_INTERVAL_MS, DEFAULT_COMMIT_MAX_BATCH, GroupCommitter } from './group-commit';
import type { CommitObservation, StoreCommitStats } from './sqlite-store';
import { DuplicateTaskError } from './store-errors';
import { capture, copyTask, summaryOf, type CapturedMutation, type MutableFields } from './memory-records';

/** The longest commit interval accepted, as for the SQLite store. */
const MAX_COMMIT_INTERVAL_MS = 60_000;

export interface MemoryStoreOptions {
  /** Wait this long after the first queued write before committing; 0 (the default) commits on setImmediate. At most 60000. */
  readonly commitIntervalMs?: number;
  /** Commit at once when this many mutations are queued. Default 1000. */
  readonly commitMaxBatch?: number;
  readonly logger: Logger;
  /** Told of every committed batch (for metrics); it must not throw. Default: nothing. */
  readonly onCommit?: (observation: CommitObservation) => void;
}

interface QueueEntry {
  /** The largest task id of the queue: ids are UUIDv7, so its newest task. */
  newestId: string;
  readonly byState: Map<TaskState, number>;
}

/**
 * The in-memory TaskStore. Create with {@link MemoryTaskStore.open}. Every task ever written
 * stays in memory until the process ends. Records are copied on the way in and out; payload
 * and result bytes are copied on the way in and shared on the way out (nothing in Baton writes
 * into a Buffer it read).
 */
export class MemoryTaskStore implements TaskStore {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly attempts = new Map<string, Map<number, AttemptRecord>>();
  /** `queue \n key` → task id. */
  private readonly idempotencyKeys = new Map<string, string>();
  private readonly queues = new Map<string, QueueEntry>();
  private readonly committer: GroupCommitter<CapturedMutation>;
  private readonly counters = { transactions: 0, writes: 0, mutations: 0, rejectedWrites: 0, failedTransactions: 0 };
  private closing: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly log: Logger,
    commitIntervalMs: number,
    commitMaxBatch: number,
    private readonly onCommit: (observation: CommitObservation) => void,
  ) {
    this.committer = new GroupCommitter<CapturedMutation>({ commit: (groups) => this.commit(groups), commitIntervalMs, maxBatch: commitMaxBatch });
  }

  /** @throws ConfigError for an out-of-range option. */
  static open(options: MemoryStoreOptions): MemoryTaskStore {
    const commitIntervalMs = options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
    const commitMaxBatch = options.commitMaxBatch ?? DEFAULT_COMMIT_MAX_BATCH;
    if (!Number.isInteger(commitIntervalMs) || commitIntervalMs < 0 || commitIntervalMs > MAX_COMMIT_INTERVAL_MS) {
      throw new ConfigError('commitIntervalMs', `must be an integer from 0 to ${MAX_COMMIT_INTERVAL_MS}, got ${commitIntervalMs}`);
    }
    if (!Number.isInteger(commitMaxBatch) || commitMaxBatch < 1) {
      throw new ConfigError('commitMaxBatch', `must be a positive integer, got ${commitMaxBatch}`);
    }
    const log = options.logger.child({ component: 'store' });
    log.info({ store: 'memory', commitIntervalMs, commitMaxBatch }, 'task store opened');
    return new MemoryTaskStore(log, commitIntervalMs, commitMaxBatch, options.onCommit ?? (() => undefined));
  }

  /** Queues the mutations for the next group commit, captured as they are now. */
  write(mutations: readonly Mutation[]): Promise<void> {
    let captured: CapturedMutation[];
    try {
      captured = mutations.map(capture);
    } catch (err: unknown) {
      return Promise.reject(err);
    }
    return this.committer.enqueue(captured);
  }

  flush(): Promise<void> {
    return this.committer.flush();
  }

  /** Counters since open; a snapshot. A batch counts as one transaction. */
  get stats(): StoreCommitStats {
    return { ...this.counters };
  }

  getTask(id: string): TaskRecord | undefined {
    const task = this.open().tasks.get(id);
    return task === undefined ? undefined : copyTask(task);
  }

  getTaskSummary(id: string): TaskRecord | undefined {
    const task = this.open().tasks.get(id);
    return task === undefined ? undefined : summaryOf(task);
  }

  getAttempts(taskId: string): AttemptRecord[] {
    const attempts = this.open().attempts.get(taskId);
    if (attempts === undefined) return [];
    return [...attempts.values()].sort((a, b) => a.number - b.number).map((attempt) => ({ ...attempt }));
  }

  findByIdempotencyKey(queue: string, key: string): TaskRecord | undefined {
    const id = this.open().idempotencyKeys.get(keyOf(queue, key));
    return id === undefined ? undefined : this.getTask(id);
  }

  readPayload(id: string): Buffer | undefined {
    return this.open().tasks.get(id)?.payload;
  }

  /** Without payloads, as the TaskStore interface has it. */
  loadUnfinished(): TaskRecord[] {
    return [...this.open().tasks.values()].filter((task) => !isTerminal(task.state)).map((task) => summaryOf(task));
  }

  loadRunningAttempts(): Map<string, AttemptRecord> {
    const running = new Map<string, AttemptRecord>();
    for (const task of this.open().tasks.values()) {
      const attempt = task.state === 'running' ? this.attempts.get(task.id)?.get(task.attempt) : undefined;
      if (attempt !== undefined) running.set(task.id, { ...attempt });
    }
    return running;
  }

  /**
   * Scans every task: O(tasks) per page, which listings (an operator's, not the hot path) can afford here.
   * @throws InvalidArgumentError when `limit` is not a positive integer.
   */
  listTasks(filter: TaskFilter, limit: number, beforeId?: string): ListPage {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new InvalidArgumentError(`limit must be a positive integer, got ${limit}`);
    }
    const matching = [...this.open().tasks.values()].filter(
      (task) =>
        (filter.queue === undefined || task.queue === filter.queue) &&
        (filter.state === undefined || task.state === filter.state) &&
        (filter.type === undefined || task.type === filter.type) &&
        (beforeId === undefined || task.id < beforeId),
    );
    matching.sort((a, b) => compareIds(b.id, a.id));
    const tasks = matching.slice(0, limit).map(summaryOf);
    const last = tasks[tasks.length - 1];
    return { tasks, nextBeforeId: matching.length > limit && last !== undefined ? last.id : undefined };
  }

  /** @throws InvalidArgumentError when `maxQueues` is not a positive integer. */
  countRecentQueues(maxQueues: number): QueueStateCount[] {
    if (!Number.isSafeInteger(maxQueues) || maxQueues < 1) {
      throw new InvalidArgumentError(`maxQueues must be a positive integer, got ${maxQueues}`);
    }
    const recent = [...this.open().queues.entries()]
      .sort(([, a], [, b]) => compareIds(b.newestId, a.newestId))
      .slice(0, maxQueues)
      .reverse();
    return recent.flatMap(([queue, entry]) => stateCounts(entry).map((count) => ({ queue, ...count })));
  }

  countQueue(queue: string): StateCount[] {
    const entry = this.open().queues.get(queue);
    return entry === undefined ? [] : stateCounts(entry);
  }

  /** Commits what is queued, then refuses reads and writes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.committer.close().finally(() => {
      this.closed = true;
      this.log.info(this.stats, 'task store closed');
    });
    return this.closing;
  }

  private open(): this {
    if (this.closed) throw new UnavailableError('the task store is closed');
    return this;
  }

  /**
   * The GroupCommitter's commit function: applies each write (group) whole or not at all. A
   * write that fails on its own (a duplicate, a missing task) is undone and rejected alone;
   * anything else undoes the whole batch and fails it.
   */
  private commit(groups: ReadonlyArray<readonly CapturedMutation[]>): Array<Error | undefined> {
    const startedAt = performance.now();
    const undo: Array<() => void> = [];
    let outcomes: Array<Error | undefined>;
    try {
      outcomes = groups.map((group) => this.applyGroup(group, undo));
    } catch (err: unknown) {
      for (let i = undo.length - 1; i >= 0; i -= 1) undo[i]?.();
      this.counters.failedTransactions += 1;
      this.log.error({ err, writes: groups.length }, 'group commit failed');
      throw err;
    }
    let writes = 0;
    let rows = 0;
    outcomes.forEach((outcome, index) => {
      if (outcome === undefined) {
        writes += 1;
        rows += groups[index]?.length ?? 0;
      } else {
        this.counters.rejectedWrites += 1;
        this.log.debug({ err: outcome }, 'write rejected');
      }
    });
    this.counters.transactions += 1;
    this.counters.writes += writes;
    this.counters.mutations += rows;
    try {
      this.onCommit({ durationMs: performance.now() - startedAt, rows, writes });
    } catch (err: unknown) {
      this.log.error({ err }, 'commit observer failed');
    }
    return outcomes;
  }

  /** Applies one write; on its own BatonError undoes what it applied and returns the error. */
  private applyGroup(group: readonly CapturedMutation[], undo: Array<() => void>): Error | undefined {
    const mark = undo.length;
    try {
      for (const mutation of group) this.apply(mutation, undo);
      return undefined;
    } catch (err: unknown) {
      if (!(err instanceof BatonError)) throw err;
      while (undo.length > mark) undo.pop()?.();
      return err;
    }
  }

  private apply(mutation: CapturedMutation, undo: Array<() => void>): void {
    switch (mutation.kind) {
      case 'insertTask':
        return this.insert(mutation.task, undo);
      case 'updateTask':
        return this.update(mutation.id, mutation.fields, undo);
      case 'putAttempt':
        return this.putAttempt(mutation.taskId, mutation.attempt, undo);
    }
  }

  private insert(task: TaskRecord, undo: Array<() => void>): void {
    if (this.tasks.has(task.id)) throw new DuplicateTaskError('id', task.id, task.idempotencyKey);
    const key = task.idempotencyKey === null ? undefined : keyOf(task.queue, task.idempotencyKey);
    if (key !== undefined && this.idempotencyKeys.has(key)) throw new DuplicateTaskError('idempotencyKey', task.id, task.idempotencyKey);
    this.tasks.set(task.id, task);
    undo.push(() => this.tasks.delete(task.id));
    if (key !== undefined) {
      this.idempotencyKeys.set(key, task.id);
      undo.push(() => this.idempotencyKeys.delete(key));
    }
    let entry = this.queues.get(task.queue);
    if (entry === undefined) {
      entry = { newestId: task.id, byState: new Map() };
      this.queues.set(task.queue, entry);
      undo.push(() => this.queues.delete(task.queue));
    } else if (compareIds(task.id, entry.newestId) > 0) {
      const queueEntry = entry;
      const previous = entry.newestId;
      entry.newestId = task.id;
      undo.push(() => (queueEntry.newestId = previous));
    }
    this.countState(entry, task.state, 1, undo);
  }

  private update(id: string, fields: MutableFields, undo: Array<() => void>): void {
    const previous = this.tasks.get(id);
    if (previous === undefined) throw new NotFoundError(`task ${id} does not exist`);
    this.tasks.set(id, { ...previous, ...fields });
    undo.push(() => this.tasks.set(id, previous));
    if (previous.state !== fields.state) {
      const entry = this.queues.get(previous.queue);
      if (entry === undefined) throw new BatonError('INTERNAL', `task ${id}: its queue ${previous.queue} is not indexed`);
      this.countState(entry, previous.state, -1, undo);
      this.countState(entry, fields.state, 1, undo);
    }
  }

  private putAttempt(taskId: string, attempt: AttemptRecord, undo: Array<() => void>): void {
    if (!this.tasks.has(taskId)) throw new NotFoundError(`task ${taskId} does not exist (attempt ${attempt.number})`);
    let byNumber = this.attempts.get(taskId);
    if (byNumber === undefined) {
      byNumber = new Map();
      this.attempts.set(taskId, byNumber);
      undo.push(() => this.attempts.delete(taskId));
    }
    const attempts = byNumber;
    const previous = attempts.get(attempt.number);
    attempts.set(attempt.number, attempt);
    undo.push(() => (previous === undefined ? attempts.delete(attempt.number) : attempts.set(attempt.number, previous)));
  }

  private countState(entry: QueueEntry, state: TaskState, delta: number, undo: Array<() => void>): void {
    const add = (by: number): void => {
      const count = (entry.byState.get(state) ?? 0) + by;
      if (count > 0) entry.byState.set(state, count);
      else entry.byState.delete(state);
    };
    add(delta);
    undo.push(() => add(-delta));
  }
}

function keyOf(queue: string, key: string): string {
  return `${queue}\n${key}`;
}

/** Ids compare as SQLite compares TEXT (byte-wise); Baton's ids are ASCII, where that is `<`. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A queue's counts by state, states in order (as the SQLite store's ORDER BY state). */
function stateCounts(entry: QueueEntry): StateCount[] {
  return [...entry.byState.entries()]
    .sort(([a], [b]) => compareIds(a, b))
    .map(([state, count]) => ({ state, count }));
}

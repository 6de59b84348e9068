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
import { BatonError, ConfigError, InvalidArgumentError, UnavailableError } from '../../shared/errors';
import { uuidv7LowerBound } from '../../shared/ids';
import type { QueueSettingsOverride } from '../core/queue-settings';
import { isTerminal, type AttemptRecord, type TaskRecord } from '../core/task';
import type { ExpiredTask, ExpiryRule, ListPage, Mutation, QueueStateCount, StateCount, TaskFilter, TaskStore } from '../core/task-store';
import type { ScheduleRecord } from '../schedules/schedule';
import { DEFAULT_COMMIT_INTERVAL_MS, DEFAULT_COMMIT_MAX_BATCH, GroupCommitter } from './group-commit';
import type { CommitObservation, StoreCommitStats } from './sqlite-store';
import { capture, copySchedule, copyTask, summaryOf, type CapturedMutation } from './memory-records';
import { MemoryTables, keyOf, type QueueEntry, type Undo } from './memory-tables';
import { checkLimit, checkMaxPages, expiringStates, isExpired, listIdRange, matchesListing } from './store-queries';

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

/**
 * The in-memory TaskStore. Create with {@link MemoryTaskStore.open}. Every task ever written
 * stays in memory until the process ends. Records are copied on the way in and out; payload
 * and result bytes are copied on the way in and shared on the way out (nothing in Baton writes
 * into a Buffer it read).
 */
export class MemoryTaskStore implements TaskStore {
  private readonly tables = new MemoryTables();
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
    const { tasks, attempts } = this.open();
    const running = new Map<string, AttemptRecord>();
    for (const task of tasks.values()) {
      const attempt = task.state === 'running' ? attempts.get(task.id)?.get(task.attempt) : undefined;
      if (attempt !== undefined) running.set(task.id, { ...attempt });
    }
    return running;
  }

  /**
   * Scans every task: O(tasks) per page, which listings (an operator's, not the hot path) can afford here.
   * @throws InvalidArgumentError when `limit` is not a positive integer.
   */
  listTasks(filter: TaskFilter, limit: number, beforeId?: string): ListPage {
    checkLimit(limit);
    const range = listIdRange(filter, beforeId);
    const matching = [...this.open().tasks.values()].filter((task) => matchesListing(task, filter, range));
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

  /**
   * Scans every task, as listings do here (store-queries.ts isExpired).
   * @throws InvalidArgumentError when `limit` is not a positive integer.
   */
  findExpired(rule: ExpiryRule, limit: number): ExpiredTask[] {
    checkLimit(limit);
    const { tasks } = this.open();
    const states = expiringStates(rule);
    if (states === undefined) return [];
    const belowId = uuidv7LowerBound(rule.finishedBeforeMs);
    const found: ExpiredTask[] = [];
    for (const task of tasks.values()) if (isExpired(task, rule, states, belowId)) found.push({ id: task.id, queue: task.queue, state: task.state });
    return found.sort((a, b) => compareIds(a.id, b.id)).slice(0, limit);
  }

  /**
   * Nothing to give back: deleted records are garbage for the JavaScript heap.
   * @throws InvalidArgumentError when `maxPages` is not a positive integer, as the SQLite store.
   */
  reclaimSpace(maxPages: number): number {
    checkMaxPages(maxPages);
    this.open();
    return 0;
  }

  /** In name order, as the SQLite store. */
  loadSchedules(): ScheduleRecord[] {
    return [...this.open().schedules.values()].sort((a, b) => compareIds(a.spec.name, b.spec.name)).map((schedule) => copySchedule(schedule));
  }

  loadQueueSettings(): Map<string, QueueSettingsOverride> {
    const entries = [...this.open().queueSettings.entries()].sort(([a], [b]) => compareIds(a, b));
    return new Map(entries.map(([queue, settings]) => [queue, { ...settings }]));
  }

  /** Commits what is queued, then refuses reads and writes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.committer.close().finally(() => {
      this.closed = true;
      this.log.info(this.stats, 'task store closed');
    });
    return this.closing;
  }

  /** The tables, unless the store is closed. */
  private open(): MemoryTables {
    if (this.closed) throw new UnavailableError('the task store is closed');
    return this.tables;
  }

  /**
   * The GroupCommitter's commit function: applies each write (group) whole or not at all. A
   * write that fails on its own (a duplicate, a missing task) is undone and rejected alone;
   * anything else undoes the whole batch and fails it.
   */
  private commit(groups: ReadonlyArray<readonly CapturedMutation[]>): Array<Error | undefined> {
    const startedAt = performance.now();
    const undo: Undo[] = [];
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
  private applyGroup(group: readonly CapturedMutation[], undo: Undo[]): Error | undefined {
    const mark = undo.length;
    try {
      for (const mutation of group) this.tables.apply(mutation, undo);
      return undefined;
    } catch (err: unknown) {
      if (!(err instanceof BatonError)) throw err;
      while (undo.length > mark) undo.pop()?.();
      return err;
    }
  }
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

/**
 * The embedded TaskStore: one SQLite file in WAL mode, written through a group committer so
 * that synchronous=FULL (an fsync per transaction) stays affordable under load.
 */
import type Database from 'better-sqlite3';
import type { Logger } from '../../shared/logger';
import { ConfigError, FailedPreconditionError, InvalidArgumentError, UnavailableError } from '../../shared/errors';
import { uuidv7LowerBound } from '../../shared/ids';
import type { QueueSettingsOverride } from '../core/queue-settings';
import type { AttemptRecord, TaskRecord, TaskState } from '../core/task';
import type { ExpiredTask, ExpiryRule, ListPage, Mutation, QueueStateCount, StateCount, TaskFilter, TaskStore } from '../core/task-store';
import type { ScheduleRecord } from '../schedules/schedule';
import { DEFAULT_COMMIT_INTERVAL_MS, DEFAULT_COMMIT_MAX_BATCH, GroupCommitter } from './group-commit';
import { SqliteBatchWriter, bindMutation, type BoundMutation, type CommitObservation, type StoreCommitStats } from './sqlite-batch-writer';
import { openBatonDatabase } from './sqlite-open';
import { listRowToTask, listValuesToTask, rowToAttempt, rowToTask } from './sqlite-rows';
import { parseQueueSettings, rowToSchedule } from './sqlite-schedule-rows';
import { prepareStatements, toListParams, type ExpiryParams, type ExpiryShape, type Statements } from './sqlite-statements';
import { reclaimFreePages } from './sqlite-vacuum';
import { checkLimit, checkMaxPages, expiringStates, mergeOldest } from './store-queries';

export type { CommitObservation, StoreCommitStats } from './sqlite-batch-writer';

/** The longest commit interval accepted: longer would only stall writers. */
const MAX_COMMIT_INTERVAL_MS = 60_000;

export interface SqliteStoreOptions {
  /** Directory holding `baton.db`; created when missing, refused when it holds other files. */
  readonly dataDir: string;
  /** SQLite `synchronous` level. FULL (default) survives power loss; NORMAL only a process crash. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** Wait this long after the first queued write before committing; 0 (the default) commits on setImmediate. At most 60000. */
  readonly commitIntervalMs?: number;
  /** Commit at once when this many mutations are queued. Default 1000. */
  readonly commitMaxBatch?: number;
  readonly logger: Logger;
  /** Told of every committed transaction (for metrics); it must not throw. Default: nothing. */
  readonly onCommit?: (observation: CommitObservation) => void;
}

/** The SQLite TaskStore. Create with {@link SqliteTaskStore.open}. */
export class SqliteTaskStore implements TaskStore {
  private readonly db: Database.Database;
  private readonly statements: Statements;
  private readonly log: Logger;
  private readonly committer: GroupCommitter<BoundMutation>;
  private readonly writer: SqliteBatchWriter;
  private closing: Promise<void> | undefined;

  private constructor(db: Database.Database, log: Logger, commitIntervalMs: number, commitMaxBatch: number, onCommit?: (observation: CommitObservation) => void) {
    this.db = db;
    this.log = log;
    this.statements = prepareStatements(db);
    this.writer = new SqliteBatchWriter(db, this.statements, log, onCommit);
    this.committer = new GroupCommitter<BoundMutation>({
      commit: (groups) => this.writer.commit(groups),
      commitIntervalMs,
      maxBatch: commitMaxBatch,
    });
  }

  /**
   * Opens or creates the store in `options.dataDir`.
   * @throws ConfigError for an out-of-range option; FailedPreconditionError when the directory
   * or `baton.db` is not Baton's, is corrupt, or has a newer schema version.
   */
  static open(options: SqliteStoreOptions): SqliteTaskStore {
    const synchronous = options.synchronous ?? 'FULL';
    const commitIntervalMs = options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
    const commitMaxBatch = options.commitMaxBatch ?? DEFAULT_COMMIT_MAX_BATCH;
    if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
      throw new ConfigError('synchronous', `must be FULL or NORMAL, got ${JSON.stringify(synchronous)}`);
    }
    if (!Number.isInteger(commitIntervalMs) || commitIntervalMs < 0 || commitIntervalMs > MAX_COMMIT_INTERVAL_MS) {
      throw new ConfigError('commitIntervalMs', `must be an integer from 0 to ${MAX_COMMIT_INTERVAL_MS}, got ${commitIntervalMs}`);
    }
    if (!Number.isInteger(commitMaxBatch) || commitMaxBatch < 1) {
      throw new ConfigError('commitMaxBatch', `must be a positive integer, got ${commitMaxBatch}`);
    }
    const log = options.logger.child({ component: 'store' });
    const { db, filePath, created } = openBatonDatabase({ dataDir: options.dataDir, synchronous, logger: log });
    try {
      const store = new SqliteTaskStore(db, log, commitIntervalMs, commitMaxBatch, options.onCommit);
      log.info({ path: filePath, created, synchronous, commitIntervalMs, commitMaxBatch }, 'task store opened');
      return store;
    } catch (err: unknown) {
      db.close();
      throw err;
    }
  }

  /**
   * Queues the mutations for the next group commit. They are captured now: later changes to
   * the records passed in do not affect what is written.
   */
  write(mutations: readonly Mutation[]): Promise<void> {
    let bound: BoundMutation[];
    try {
      bound = mutations.map(bindMutation);
    } catch (err: unknown) {
      return Promise.reject(err);
    }
    return this.committer.enqueue(bound);
  }

  flush(): Promise<void> {
    return this.committer.flush();
  }

  /** Counters since open; a snapshot. */
  get stats(): StoreCommitStats {
    return this.writer.stats;
  }

  getTask(id: string): TaskRecord | undefined {
    const row = this.openStatements().getTask.get(id);
    return row === undefined ? undefined : rowToTask(row);
  }

  getTaskSummary(id: string): TaskRecord | undefined {
    const row = this.openStatements().getTaskSummary.get(id);
    return row === undefined ? undefined : listRowToTask(row);
  }

  getAttempts(taskId: string): AttemptRecord[] {
    return this.openStatements().getAttempts.all(taskId).map(rowToAttempt);
  }

  findByIdempotencyKey(queue: string, key: string): TaskRecord | undefined {
    const row = this.openStatements().findByIdempotencyKey.get(queue, key);
    return row === undefined ? undefined : rowToTask(row);
  }

  readPayload(id: string): Buffer | undefined {
    return this.openStatements().readPayload.get(id);
  }

  /** Tasks in state scheduled, queued or running, in no particular order, without payloads, one row at a time. */
  *loadUnfinished(): Generator<TaskRecord> {
    for (const values of this.openStatements().loadUnfinished.iterate()) yield listValuesToTask(values);
  }

  /** The attempt whose number is the task's current `attempt`, for each running task. */
  loadRunningAttempts(): Map<string, AttemptRecord> {
    const rows = this.openStatements().loadRunningAttempts.all();
    return new Map(rows.map((row) => [row.task_id, rowToAttempt(row)]));
  }

  /** @throws InvalidArgumentError when `limit` is not a positive integer. */
  listTasks(filter: TaskFilter, limit: number, beforeId?: string): ListPage {
    checkLimit(limit);
    const statements = this.openStatements();
    // One row more than asked says whether another page exists.
    const params = toListParams(filter, limit + 1, beforeId);
    const rows = statements.list(params).all(params);
    const tasks = rows.slice(0, limit).map(listRowToTask);
    const last = tasks[tasks.length - 1];
    return { tasks, nextBeforeId: rows.length > limit && last !== undefined ? last.id : undefined };
  }

  /** @throws InvalidArgumentError when `maxQueues` is not a positive integer. */
  countRecentQueues(maxQueues: number): QueueStateCount[] {
    if (!Number.isSafeInteger(maxQueues) || maxQueues < 1) {
      throw new InvalidArgumentError(`maxQueues must be a positive integer, got ${maxQueues}`);
    }
    return this.openStatements()
      .countRecentQueues.all(maxQueues)
      .map((row) => ({ queue: row.queue, state: row.state as TaskState, count: row.count }));
  }

  countQueue(queue: string): StateCount[] {
    return this.openStatements()
      .countQueue.all(queue)
      .map((row) => ({ state: row.state as TaskState, count: row.count }));
  }

  /**
   * One indexed query per finished state of the rule (sqlite-statements.ts expirySql), each
   * stopped at `limit`, merged oldest first.
   * @throws InvalidArgumentError when `limit` is not a positive integer.
   */
  findExpired(rule: ExpiryRule, limit: number): ExpiredTask[] {
    checkLimit(limit);
    const statements = this.openStatements();
    const states = expiringStates(rule);
    if (states === undefined) return [];
    const params: ExpiryParams = { state: '', belowId: uuidv7LowerBound(rule.finishedBeforeMs), finishedBeforeMs: rule.finishedBeforeMs, limit };
    let shape: ExpiryShape = 'every queue';
    if (rule.queue !== undefined) {
      shape = 'one queue';
      params.queue = rule.queue;
    } else if (rule.exceptQueues !== undefined && rule.exceptQueues.length > 0) {
      shape = 'except queues';
      params.exceptQueues = JSON.stringify(rule.exceptQueues);
    }
    const statement = statements.expired(shape);
    const found = mergeOldest(states.map((state) => statement.all({ ...params, state })), limit);
    return found.map((row) => ({ id: row.id, queue: row.queue, state: row.state as TaskState }));
  }

  /**
   * Incremental vacuum of up to `maxPages` free pages (sqlite-vacuum.ts).
   * @throws InvalidArgumentError when `maxPages` is not a positive integer; FailedPreconditionError
   * when called during a commit or while loadUnfinished is being iterated.
   */
  reclaimSpace(maxPages: number): number {
    checkMaxPages(maxPages);
    this.openStatements();
    if (this.db.inTransaction) throw new FailedPreconditionError('reclaimSpace cannot run inside a transaction (during a commit)');
    try {
      return reclaimFreePages(this.db, maxPages);
    } catch (err: unknown) {
      if (err instanceof TypeError && /busy executing a query/.test(err.message)) {
        throw new FailedPreconditionError('reclaimSpace cannot run while a read (loadUnfinished) is being iterated', { cause: err });
      }
      throw err;
    }
  }

  /** In name order. */
  loadSchedules(): ScheduleRecord[] {
    return this.openStatements().loadSchedules.all().map(rowToSchedule);
  }

  loadQueueSettings(): Map<string, QueueSettingsOverride> {
    const rows = this.openStatements().loadQueueSettings.all();
    return new Map(rows.map((row) => [row.queue, parseQueueSettings(row.queue, row.settings)]));
  }

  /** Commits what is queued, then closes the file. Idempotent; later writes reject. */
  close(): Promise<void> {
    if (this.closing === undefined) this.closing = this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    try {
      await this.committer.close();
    } finally {
      this.db.close();
      this.log.info(this.stats, 'task store closed');
    }
  }

  private openStatements(): Statements {
    if (!this.db.open) throw new UnavailableError('the task store is closed');
    return this.statements;
  }
}

/**
 * The embedded TaskStore: one SQLite file in WAL mode, written through a group committer so
 * that synchronous=FULL (an fsync per transaction) stays affordable under load.
 */
import type Database from 'better-sqlite3';
import type { Logger } from '../../shared/logger';
import { ConfigError, InvalidArgumentError, UnavailableError } from '../../shared/errors';
import type { AttemptRecord, TaskRecord, TaskState } from '../core/task';
import type { ListPage, Mutation, QueueStateCount, StateCount, TaskFilter, TaskStore } from '../core/task-store';
import { DEFAULT_COMMIT_INTERVAL_MS, DEFAULT_COMMIT_MAX_BATCH, GroupCommitter } from './group-commit';
import { SqliteBatchWriter, bindMutation, type BoundMutation, type CommitObservation, type StoreCommitStats } from './sqlite-batch-writer';
import { openBatonDatabase } from './sqlite-open';
import { listRowToTask, listValuesToTask, rowToAttempt, rowToTask } from './sqlite-rows';
import { prepareStatements, toListParams, type Statements } from './sqlite-statements';

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
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new InvalidArgumentError(`limit must be a positive integer, got ${limit}`);
    }
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

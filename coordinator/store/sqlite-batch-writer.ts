/**
 * Applies a group-commit batch to SQLite: one IMMEDIATE transaction per batch, in which a
 * write that fails on its own (a duplicate key, a missing task) is undone alone while the
 * other writes of the batch commit.
 */
import type Database from 'better-sqlite3';
import type { Logger } from '../../shared/logger';
import { BatonError, InvalidArgumentError, NotFoundError } from '../../shared/errors';
import type { Mutation } from '../core/task-store';
import type { Statements } from './sqlite-statements';
import { DuplicateTaskError } from './store-errors';
import { attemptValues, taskInsertValues, taskUpdateValues, type SqliteValue } from './sqlite-rows';
import { queueSettingsJson, scheduleStateValues, scheduleToRow, type ScheduleRow } from './sqlite-schedule-rows';

/**
 * A mutation converted to bound parameters when `write` is called: the core keeps mutating
 * its in-memory records, and the commit must persist them as they were at the call.
 */
export type BoundMutation =
  | { readonly kind: 'insertTask'; readonly taskId: string; readonly idempotencyKey: string | null; readonly values: SqliteValue[] }
  | { readonly kind: 'updateTask'; readonly taskId: string; readonly values: SqliteValue[] }
  | { readonly kind: 'putAttempt'; readonly taskId: string; readonly attempt: number; readonly values: SqliteValue[] }
  | { readonly kind: 'deleteTasks'; readonly taskIds: readonly string[] }
  | { readonly kind: 'putSchedule'; readonly row: ScheduleRow }
  | { readonly kind: 'deleteSchedule'; readonly name: string }
  | { readonly kind: 'updateScheduleState'; readonly name: string; readonly values: SqliteValue[] }
  /** `settings` null: the override sets nothing, and the row goes. */
  | { readonly kind: 'putQueueSettings'; readonly queue: string; readonly settings: string | null; readonly updatedAtMs: number };

/** What the store has committed since it opened; for metrics and tests. */
export interface StoreCommitStats {
  /** Transactions committed (each holds one or more writes). */
  readonly transactions: number;
  /** `write` calls committed. */
  readonly writes: number;
  /** Mutations committed. */
  readonly mutations: number;
  /** `write` calls rejected on their own (e.g. a duplicate key) inside a committed transaction. */
  readonly rejectedWrites: number;
  /** Transactions that failed as a whole. */
  readonly failedTransactions: number;
}

/** One committed transaction, as the store's `onCommit` observer hears of it. */
export interface CommitObservation {
  /** How long the transaction took, fsync included, in milliseconds (wall clock). */
  readonly durationMs: number;
  /**
   * Mutations of the writes that committed: task inserts and updates, attempt records, and the
   * rest (a deleteTasks counts once, however many tasks it deletes).
   */
  readonly rows: number;
  /** `write` calls committed in it. */
  readonly writes: number;
}

type Batch = ReadonlyArray<readonly BoundMutation[]>;

/** SQLite's extended result codes for constraint failures all start with this. */
const SQLITE_CONSTRAINT = 'SQLITE_CONSTRAINT';

/**
 * Converts a mutation to bound parameters.
 * @throws InvalidArgumentError for an unknown mutation kind or a queue setting of the wrong kind.
 */
export function bindMutation(mutation: Mutation): BoundMutation {
  switch (mutation.kind) {
    case 'insertTask':
      return { kind: 'insertTask', taskId: mutation.task.id, idempotencyKey: mutation.task.idempotencyKey, values: taskInsertValues(mutation.task) };
    case 'updateTask':
      return { kind: 'updateTask', taskId: mutation.task.id, values: taskUpdateValues(mutation.task) };
    case 'putAttempt':
      return { kind: 'putAttempt', taskId: mutation.taskId, attempt: mutation.attempt.number, values: attemptValues(mutation.taskId, mutation.attempt) };
    case 'deleteTasks':
      return { kind: 'deleteTasks', taskIds: [...mutation.taskIds] };
    case 'putSchedule':
      return { kind: 'putSchedule', row: scheduleToRow(mutation.schedule) };
    case 'deleteSchedule':
      return { kind: 'deleteSchedule', name: mutation.name };
    case 'updateScheduleState':
      return { kind: 'updateScheduleState', name: mutation.schedule.spec.name, values: scheduleStateValues(mutation.schedule) };
    case 'putQueueSettings':
      // The mutation carries no time and the column is only for someone reading the file:
      // the wall clock is enough.
      return { kind: 'putQueueSettings', queue: mutation.queue, settings: queueSettingsJson(mutation.queue, mutation.settings), updatedAtMs: Date.now() };
    default: {
      const unknownKind: never = mutation;
      throw new InvalidArgumentError(`unknown mutation kind ${JSON.stringify(unknownKind)}`);
    }
  }
}

/** The commit function of the SQLite store's GroupCommitter. */
export class SqliteBatchWriter {
  private readonly db: Database.Database;
  private readonly statements: Statements;
  private readonly log: Logger;
  private readonly applyFast: (batch: Batch) => void;
  private readonly applyIsolated: (batch: Batch) => Array<Error | undefined>;
  private readonly applyGroup: (group: readonly BoundMutation[]) => void;
  private readonly counters = { transactions: 0, writes: 0, mutations: 0, rejectedWrites: 0, failedTransactions: 0 };

  constructor(
    db: Database.Database,
    statements: Statements,
    log: Logger,
    private readonly onCommit: (observation: CommitObservation) => void = () => undefined,
  ) {
    this.db = db;
    this.statements = statements;
    this.log = log;
    const fast = db.transaction((batch: Batch) => {
      for (const group of batch) for (const mutation of group) this.applyMutation(mutation);
    });
    this.applyFast = (batch) => fast.immediate(batch);
    // Nested better-sqlite3 transactions become savepoints: one write's failure undoes only
    // that write, and the other writes of the batch still commit.
    this.applyGroup = db.transaction((group: readonly BoundMutation[]) => {
      for (const mutation of group) this.applyMutation(mutation);
    });
    const isolated = db.transaction((batch: Batch) => batch.map((group) => this.tryGroup(group)));
    this.applyIsolated = (batch) => isolated.immediate(batch);
  }

  /** Counters since open; a snapshot. */
  get stats(): StoreCommitStats {
    return { ...this.counters };
  }

  /**
   * Commits the batch in one transaction and returns, per write, undefined or the BatonError
   * that rejected it alone.
   * @throws whatever failed the transaction as a whole (I/O, a full disk...); nothing committed.
   */
  commit(batch: Batch): Array<Error | undefined> {
    let outcomes: Array<Error | undefined>;
    const startedAt = performance.now();
    try {
      outcomes = this.applyOptimistically(batch);
    } catch (err: unknown) {
      this.counters.failedTransactions += 1;
      this.log.error({ err, writes: batch.length }, 'group commit failed');
      throw err;
    }
    const durationMs = performance.now() - startedAt;
    this.counters.transactions += 1;
    let writes = 0;
    let rows = 0;
    batch.forEach((group, index) => {
      if (outcomes[index] === undefined) {
        writes += 1;
        rows += group.length;
      } else {
        this.counters.rejectedWrites += 1;
        this.log.debug({ err: outcomes[index] }, 'write rejected');
      }
    });
    this.counters.writes += writes;
    this.counters.mutations += rows;
    try {
      this.onCommit({ durationMs, rows, writes });
    } catch (err: unknown) {
      // The transaction has committed: an observer's fault must not make its writers think otherwise.
      this.log.error({ err }, 'commit observer failed');
    }
    return outcomes;
  }

  /**
   * Savepoints cost about a third of the insert rate and a write rarely fails, so the batch
   * first runs without them; only when a write fails on its own is the batch rolled back and
   * replayed with a savepoint per write.
   */
  private applyOptimistically(batch: Batch): Array<Error | undefined> {
    try {
      this.applyFast(batch);
      return batch.map(() => undefined);
    } catch (err: unknown) {
      // A BatonError is one write's own fault; anything else would fail the replay too.
      if (!(err instanceof BatonError)) throw err;
      return this.applyIsolated(batch);
    }
  }

  /** Applies one write under a savepoint; a BatonError rejects that write alone. */
  private tryGroup(group: readonly BoundMutation[]): Error | undefined {
    try {
      this.applyGroup(group);
      return undefined;
    } catch (err: unknown) {
      // Some errors (I/O, disk full) make SQLite roll back the whole transaction; then no
      // write of the batch can commit, and the batch must fail as a whole.
      if (err instanceof BatonError && this.db.inTransaction) return err;
      throw err;
    }
  }

  private applyMutation(mutation: BoundMutation): void {
    try {
      switch (mutation.kind) {
        case 'insertTask':
          this.statements.insertTask.run(...mutation.values);
          return;
        case 'updateTask':
          if (this.statements.updateTask.run(...mutation.values).changes === 0) {
            throw new NotFoundError(`task ${mutation.taskId} does not exist`);
          }
          return;
        case 'putAttempt':
          this.statements.putAttempt.run(...mutation.values);
          return;
        case 'deleteTasks':
          for (const id of mutation.taskIds) this.statements.deleteFinishedTask.run(id);
          return;
        case 'putSchedule':
          this.statements.putSchedule.run(mutation.row);
          return;
        case 'deleteSchedule':
          this.statements.deleteSchedule.run(mutation.name);
          return;
        case 'updateScheduleState':
          if (this.statements.updateScheduleState.run(...mutation.values).changes === 0) {
            throw new NotFoundError(`schedule ${mutation.name} does not exist`);
          }
          return;
        case 'putQueueSettings':
          if (mutation.settings === null) this.statements.deleteQueueSettings.run(mutation.queue);
          else this.statements.putQueueSettings.run(mutation.queue, mutation.settings, mutation.updatedAtMs);
          return;
      }
    } catch (err: unknown) {
      throw describeConstraintError(err, mutation);
    }
  }
}

/**
 * Turns a constraint failure into the BatonError that rejects its write; anything else (I/O,
 * a full disk, our own NotFoundError) is returned unchanged.
 */
function describeConstraintError(err: unknown, mutation: BoundMutation): unknown {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  if (!code.startsWith(SQLITE_CONSTRAINT)) return err;
  if (mutation.kind === 'insertTask') {
    const { taskId: id, idempotencyKey: key } = mutation;
    if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return new DuplicateTaskError('id', id, key, { cause: err });
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' && err instanceof Error && err.message.includes('idempotency_key')) {
      return new DuplicateTaskError('idempotencyKey', id, key, { cause: err });
    }
  }
  if (mutation.kind === 'putAttempt' && code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new NotFoundError(`task ${mutation.taskId} does not exist (attempt ${mutation.attempt})`);
  }
  // A CHECK or NOT NULL failure means the core built a bad record: a bug, but only this write's.
  return new BatonError('INTERNAL', `${mutation.kind} of ${subjectOf(mutation)} violates a store constraint: ${errorText(err)}`, {
    cause: err,
  });
}

/** What a mutation writes, for an error message. */
function subjectOf(mutation: BoundMutation): string {
  switch (mutation.kind) {
    case 'insertTask':
    case 'updateTask':
    case 'putAttempt':
      return `task ${mutation.taskId}`;
    case 'deleteTasks':
      return `${mutation.taskIds.length} task(s)`;
    case 'putSchedule':
      return `schedule ${mutation.row.name}`;
    case 'deleteSchedule':
    case 'updateScheduleState':
      return `schedule ${mutation.name}`;
    case 'putQueueSettings':
      return `queue ${mutation.queue}`;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

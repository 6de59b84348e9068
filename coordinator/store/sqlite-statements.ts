/**
 * Every SQL statement the SQLite store runs, prepared once per connection.
 */
import type Database from 'better-sqlite3';
import type { TaskFilter } from '../core/task-store';
import { UNFINISHED_STATES_SQL } from './sqlite-schema';
import {
  ATTEMPT_COLUMNS,
  LIST_COLUMNS_SQL,
  MUTABLE_TASK_COLUMNS,
  TASK_COLUMNS,
  type AttemptRow,
  type SqliteValue,
  type TaskListRow,
  type TaskListValues,
  type TaskRow,
} from './sqlite-rows';

const TASK_SELECT = `SELECT ${TASK_COLUMNS.join(', ')} FROM tasks`;

export interface ListParams {
  queue?: string;
  state?: string;
  type?: string;
  beforeId?: string;
  limit: number;
}

export interface StateCountRow {
  state: string;
  count: number;
}

export interface QueueStateCountRow extends StateCountRow {
  queue: string;
}

/** The prepared statements of one connection. */
export interface Statements {
  /** Positional: sqlite-rows.ts taskInsertValues. */
  readonly insertTask: Database.Statement<SqliteValue[]>;
  /** Positional: sqlite-rows.ts taskUpdateValues. */
  readonly updateTask: Database.Statement<SqliteValue[]>;
  /** Positional: sqlite-rows.ts attemptValues. */
  readonly putAttempt: Database.Statement<SqliteValue[]>;
  readonly getTask: Database.Statement<[string], TaskRow>;
  readonly getTaskSummary: Database.Statement<[string], TaskListRow>;
  readonly findByIdempotencyKey: Database.Statement<[string, string], TaskRow>;
  readonly getAttempts: Database.Statement<[string], AttemptRow>;
  /** Raw mode: arrays in LIST_COLUMNS_SQL order (sqlite-rows.ts listValuesToTask). */
  readonly loadUnfinished: Database.Statement<[], TaskListValues>;
  readonly readPayload: Database.Statement<[string], Buffer>;
  readonly loadRunningAttempts: Database.Statement<[], AttemptRow>;
  readonly countRecentQueues: Database.Statement<[number], QueueStateCountRow>;
  readonly countQueue: Database.Statement<[string], StateCountRow>;
  /** The listing statement for the filters present in `params`, prepared on first use. */
  list(params: ListParams): Database.Statement<[ListParams], TaskListRow>;
}

export function prepareStatements(db: Database.Database): Statements {
  const listCache = new Map<string, Database.Statement<[ListParams], TaskListRow>>();
  return {
    insertTask: db.prepare<SqliteValue[]>(`INSERT INTO tasks (${TASK_COLUMNS.join(', ')}) VALUES (${placeholders(TASK_COLUMNS.length)})`),
    // Only the mutable columns: the payload in particular is never rewritten.
    updateTask: db.prepare<SqliteValue[]>(`UPDATE tasks SET ${MUTABLE_TASK_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`),
    putAttempt: db.prepare<SqliteValue[]>(
      `INSERT INTO attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES (${placeholders(ATTEMPT_COLUMNS.length)})
       ON CONFLICT (task_id, number) DO UPDATE SET ${ATTEMPT_COLUMNS.slice(2).map((c) => `${c} = excluded.${c}`).join(', ')}`,
    ),
    getTask: db.prepare(`${TASK_SELECT} WHERE id = ?`),
    getTaskSummary: db.prepare<[string], TaskListRow>(`SELECT ${LIST_COLUMNS_SQL} FROM tasks WHERE id = ?`),
    findByIdempotencyKey: db.prepare(`${TASK_SELECT} WHERE queue = ? AND idempotency_key = ?`),
    getAttempts: db.prepare(`SELECT ${ATTEMPT_COLUMNS.join(', ')} FROM attempts WHERE task_id = ? ORDER BY number`),
    // The literal IN list lets SQLite walk tasks_state_id once per state.
    loadUnfinished: db.prepare<[], TaskListValues>(`SELECT ${LIST_COLUMNS_SQL} FROM tasks WHERE state IN ${UNFINISHED_STATES_SQL}`).raw(),
    readPayload: db.prepare<[string], Buffer>('SELECT payload FROM tasks WHERE id = ?').pluck(),
    loadRunningAttempts: db.prepare(
      `SELECT ${ATTEMPT_COLUMNS.map((c) => `a.${c}`).join(', ')}
       FROM tasks t JOIN attempts a ON a.task_id = t.id AND a.number = t.attempt
       WHERE t.state = 'running'`,
    ),
    // One pass over the covering index tasks_queue_id finds each queue's newest task (a sort
    // with a LIMIT, which keeps that many rows); tasks_queue_state_id then counts those queues alone.
    countRecentQueues: db.prepare(
      `WITH recent AS (SELECT queue, max(id) AS newest FROM tasks GROUP BY queue ORDER BY newest DESC LIMIT ?)
       SELECT r.queue AS queue, t.state AS state, count(*) AS count
       FROM recent r JOIN tasks t ON t.queue = r.queue
       GROUP BY r.newest, r.queue, t.state
       ORDER BY r.newest, r.queue, t.state`,
    ),
    countQueue: db.prepare('SELECT state, count(*) AS count FROM tasks WHERE queue = ? GROUP BY state ORDER BY state'),
    list(params) {
      // One statement per combination of filters, so each can use its own index; a catch-all
      // `(@queue IS NULL OR queue = @queue)` would defeat them all.
      const conditions: string[] = [];
      if (params.queue !== undefined) conditions.push('queue = @queue');
      if (params.state !== undefined) conditions.push('state = @state');
      if (params.type !== undefined) conditions.push('type = @type');
      if (params.beforeId !== undefined) conditions.push('id < @beforeId');
      const key = conditions.join(' AND ');
      let statement = listCache.get(key);
      if (statement === undefined) {
        const where = conditions.length > 0 ? `WHERE ${key}` : '';
        statement = db.prepare<[ListParams], TaskListRow>(
          `SELECT ${LIST_COLUMNS_SQL} FROM tasks ${where} ORDER BY id DESC LIMIT @limit`,
        );
        listCache.set(key, statement);
      }
      return statement;
    },
  };
}

function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/** The parameters of a listing: only the filters that are set, matching the statement `list` picks. */
export function toListParams(filter: TaskFilter, limit: number, beforeId: string | undefined): ListParams {
  const params: ListParams = { limit };
  if (filter.queue !== undefined) params.queue = filter.queue;
  if (filter.state !== undefined) params.state = filter.state;
  if (filter.type !== undefined) params.type = filter.type;
  if (beforeId !== undefined) params.beforeId = beforeId;
  return params;
}

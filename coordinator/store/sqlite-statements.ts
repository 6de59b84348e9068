/**
 * Every SQL statement the SQLite store runs, prepared once per connection.
 */
import type Database from 'better-sqlite3';
import type { TaskFilter } from '../core/task-store';
import { FINISHED_STATES_SQL, UNFINISHED_STATES_SQL } from './sqlite-schema';
import { SCHEDULE_COLUMNS, SCHEDULE_STATE_COLUMNS, type ScheduleRow } from './sqlite-schedule-rows';
import { listIdRange } from './store-queries';
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
  schedule?: string;
  /** Ids at or above this: createdFromMs as an id bound. */
  fromId?: string;
  /** Ids below this: the lower of beforeId and createdBeforeMs as an id bound. */
  beforeId?: string;
  limit: number;
}

/** Which queues an expiry query covers (ExpiryRule): its statement differs with each. */
export type ExpiryShape = 'every queue' | 'one queue' | 'except queues';

/** The parameters of an expiry query, which covers one state: see {@link expirySql}. */
/** A row of an expiry query (the row finished_at_ms is read from anyway). */
export interface ExpiredTaskRow {
  id: string;
  queue: string;
  state: string;
}

export interface ExpiryParams {
  state: string;
  /** uuidv7LowerBound(finishedBeforeMs): only tasks created before then can have finished before then. */
  belowId: string;
  finishedBeforeMs: number;
  /** With 'one queue'. */
  queue?: string;
  /** With 'except queues': a JSON array of the queue names. */
  exceptQueues?: string;
  limit: number;
}

export interface QueueSettingsRow {
  queue: string;
  settings: string;
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
  /** Deletes a finished task (its attempts go by ON DELETE CASCADE); an unfinished one stays. */
  readonly deleteFinishedTask: Database.Statement<[string]>;
  readonly putSchedule: Database.Statement<[ScheduleRow]>;
  readonly deleteSchedule: Database.Statement<[string]>;
  /** Positional: sqlite-schedule-rows.ts scheduleStateValues. */
  readonly updateScheduleState: Database.Statement<SqliteValue[]>;
  readonly loadSchedules: Database.Statement<[], ScheduleRow>;
  /** (queue, settings JSON, updated_at_ms). */
  readonly putQueueSettings: Database.Statement<[string, string, number]>;
  readonly deleteQueueSettings: Database.Statement<[string]>;
  readonly loadQueueSettings: Database.Statement<[], QueueSettingsRow>;
  /** The listing statement for the filters present in `params`, prepared on first use. */
  list(params: ListParams): Database.Statement<[ListParams], TaskListRow>;
  /** The expiry query of `shape`, returning ids, prepared on first use. */
  expired(shape: ExpiryShape): Database.Statement<[ExpiryParams], ExpiredTaskRow>;
}

export function prepareStatements(db: Database.Database): Statements {
  const listCache = new Map<string, Database.Statement<[ListParams], TaskListRow>>();
  const expiryCache = new Map<ExpiryShape, Database.Statement<[ExpiryParams], ExpiredTaskRow>>();
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
    deleteFinishedTask: db.prepare(`DELETE FROM tasks WHERE id = ? AND state IN ${FINISHED_STATES_SQL}`),
    putSchedule: db.prepare<[ScheduleRow]>(
      `INSERT INTO schedules (${SCHEDULE_COLUMNS.join(', ')}) VALUES (${SCHEDULE_COLUMNS.map((c) => `@${c}`).join(', ')})
       ON CONFLICT (name) DO UPDATE SET ${SCHEDULE_COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}`,
    ),
    deleteSchedule: db.prepare('DELETE FROM schedules WHERE name = ?'),
    updateScheduleState: db.prepare<SqliteValue[]>(
      `UPDATE schedules SET ${SCHEDULE_STATE_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE name = ?`,
    ),
    loadSchedules: db.prepare(`SELECT ${SCHEDULE_COLUMNS.join(', ')} FROM schedules ORDER BY name`),
    putQueueSettings: db.prepare(
      `INSERT INTO queue_settings (queue, settings, updated_at_ms) VALUES (?, ?, ?)
       ON CONFLICT (queue) DO UPDATE SET settings = excluded.settings, updated_at_ms = excluded.updated_at_ms`,
    ),
    deleteQueueSettings: db.prepare('DELETE FROM queue_settings WHERE queue = ?'),
    loadQueueSettings: db.prepare('SELECT queue, settings FROM queue_settings ORDER BY queue'),
    list(params) {
      const sql = listSql(params);
      let statement = listCache.get(sql);
      if (statement === undefined) {
        statement = db.prepare<[ListParams], TaskListRow>(sql);
        listCache.set(sql, statement);
      }
      return statement;
    },
    expired(shape) {
      let statement = expiryCache.get(shape);
      if (statement === undefined) {
        statement = db.prepare<[ExpiryParams], ExpiredTaskRow>(expirySql(shape));
        expiryCache.set(shape, statement);
      }
      return statement;
    },
  };
}

/**
 * The listing statement for the filters present in `params`. One statement per combination
 * of filters, so that each can use its own index (tasks_queue_state_id, tasks_state_id,
 * tasks_schedule_id...) walked newest first; a catch-all `(@queue IS NULL OR queue = @queue)`
 * would defeat them all. The time filters are bounds on the id, which every index ends with.
 */
export function listSql(params: ListParams): string {
  const conditions: string[] = [];
  if (params.queue !== undefined) conditions.push('queue = @queue');
  if (params.state !== undefined) conditions.push('state = @state');
  if (params.type !== undefined) conditions.push('type = @type');
  if (params.schedule !== undefined) conditions.push('schedule_name = @schedule');
  if (params.fromId !== undefined) conditions.push('id >= @fromId');
  if (params.beforeId !== undefined) conditions.push('id < @beforeId');
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  return `SELECT ${LIST_COLUMNS_SQL} FROM tasks ${where} ORDER BY id DESC LIMIT @limit`;
}

/**
 * The ids of one finished state's expired tasks, oldest first. The id bound makes it a range
 * of tasks_state_id (state, id), or of tasks_queue_state_id (queue, state, id) for one queue,
 * walked in order and stopped at the limit: what it reads is the tasks of the state created
 * before the cutoff, not every task kept. A state per query, since an index walks one state's
 * ids in order: `state IN (...)` would read every match of each state to sort them.
 *
 * Rows read but not returned: tasks created before the cutoff that finished after it, and,
 * with 'except queues', the excepted queues' tasks created before the cutoff.
 */
export function expirySql(shape: ExpiryShape): string {
  const queue =
    shape === 'one queue'
      ? 'AND queue = @queue'
      : shape === 'except queues'
        ? 'AND queue NOT IN (SELECT value FROM json_each(@exceptQueues))'
        : '';
  return `SELECT id, queue, state FROM tasks
    WHERE state = @state AND id < @belowId ${queue} AND finished_at_ms < @finishedBeforeMs
    ORDER BY id LIMIT @limit`;
}

function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/**
 * The parameters of a listing: only the filters that are set, matching the statement `list`
 * picks. Creation times become id bounds (ids are UUIDv7, which start with it); the upper
 * bound is the lower of `beforeId` and createdBeforeMs's, so the statement has one.
 */
export function toListParams(filter: TaskFilter, limit: number, beforeId: string | undefined): ListParams {
  const params: ListParams = { limit };
  if (filter.queue !== undefined) params.queue = filter.queue;
  if (filter.state !== undefined) params.state = filter.state;
  if (filter.type !== undefined) params.type = filter.type;
  if (filter.schedule !== undefined) params.schedule = filter.schedule;
  const range = listIdRange(filter, beforeId);
  if (range.fromId !== undefined) params.fromId = range.fromId;
  if (range.belowId !== undefined) params.beforeId = range.belowId;
  return params;
}

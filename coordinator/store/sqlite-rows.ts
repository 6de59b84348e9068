/**
 * Conversions between the core's records and SQLite rows: JSON for the small structured
 * fields, BLOB for bytes, INTEGER milliseconds for times.
 */
import type { BackoffPolicy } from '../../shared/backoff';
import { BatonError } from '../../shared/errors';
import { NO_ENTRIES, type AttemptOutcome, type AttemptRecord, type TaskProgress, type TaskRecord, type TaskState } from '../core/task';

/** A `tasks` row as better-sqlite3 binds and returns it (named parameters match the columns). */
export interface TaskRow {
  id: string;
  queue: string;
  type: string;
  state: string;
  payload: Buffer;
  content_type: string;
  priority: number;
  attempt: number;
  max_attempts: number;
  attempt_budget: number;
  retry: string;
  max_infra_failures: number | null;
  infra_failures: number;
  timeout_ms: number;
  idempotency_key: string | null;
  labels: string;
  trace_context: string;
  result: Buffer | null;
  result_content_type: string;
  last_error: string;
  created_at_ms: number;
  updated_at_ms: number;
  run_at_ms: number;
  finished_at_ms: number | null;
  schedule_name: string | null;
  schedule_fire_ms: number | null;
  progress_fraction: number | null;
  progress_message: string | null;
  progress_at_ms: number | null;
  fairness_key: string | null;
}

/** A listing row: no payload, and only whether a result exists, to keep pages light. */
export type TaskListRow = Omit<TaskRow, 'payload' | 'result'> & { has_result: number };

export interface AttemptRow {
  task_id: string;
  number: number;
  worker_id: string;
  lease_id: string;
  worker_principal: string;
  worker_proof: string;
  started_at_ms: number;
  ended_at_ms: number | null;
  outcome: string;
  error: string;
}

/** Every `tasks` column, in schema order. */
export const TASK_COLUMNS = [
  'id', 'queue', 'type', 'state', 'payload', 'content_type', 'priority', 'attempt', 'max_attempts', 'attempt_budget',
  'retry', 'max_infra_failures', 'infra_failures', 'timeout_ms', 'idempotency_key', 'labels', 'trace_context', 'result', 'result_content_type', 'last_error',
  'created_at_ms', 'updated_at_ms', 'run_at_ms', 'finished_at_ms', 'schedule_name', 'schedule_fire_ms', 'progress_fraction', 'progress_message',
  'progress_at_ms', 'fairness_key',
] as const;

/**
 * The columns `updateTask` may change; payload and the other immutable fields are absent,
 * the schedule origin among them (written at insert only).
 */
export const MUTABLE_TASK_COLUMNS = [
  'state', 'attempt', 'max_attempts', 'infra_failures', 'result', 'result_content_type', 'last_error', 'updated_at_ms', 'run_at_ms',
  'finished_at_ms', 'progress_fraction', 'progress_message', 'progress_at_ms',
] as const;

/** The select list of a listing: everything but the blobs. */
export const LIST_COLUMNS_SQL =
  TASK_COLUMNS.filter((column) => column !== 'payload' && column !== 'result').join(', ') +
  ', result IS NOT NULL AS has_result';

/** A listing row as better-sqlite3's raw mode returns it: the values of LIST_COLUMNS_SQL in order. */
export type TaskListValues = readonly unknown[];

const EMPTY = Buffer.alloc(0);

/** A value better-sqlite3 binds. */
export type SqliteValue = string | number | Buffer | null;

/**
 * The `insertTask` parameters, positional in {@link TASK_COLUMNS} order: binding by position
 * costs a fifth less than by name, and every task passes through here.
 */
export function taskInsertValues(task: TaskRecord): SqliteValue[] {
  const progress = task.progress;
  return [
    task.id,
    task.queue,
    task.type,
    task.state,
    task.payload,
    task.contentType,
    task.priority,
    task.attempt,
    task.maxAttempts,
    task.attemptBudget,
    JSON.stringify(task.retry),
    task.maxInfraFailures,
    task.infraFailures,
    task.timeoutMs,
    task.idempotencyKey,
    JSON.stringify(task.labels),
    JSON.stringify(task.traceContext),
    task.result,
    task.resultContentType,
    task.lastError,
    task.createdAtMs,
    task.updatedAtMs,
    task.runAtMs,
    task.finishedAtMs,
    task.scheduleName,
    task.scheduleFireMs,
    progress === null ? null : progress.fraction,
    progress === null ? null : progress.message,
    progress === null ? null : progress.atMs,
    task.fairnessKey,
  ];
}

/** The `updateTask` parameters: the {@link MUTABLE_TASK_COLUMNS} in order, then the id. */
export function taskUpdateValues(task: TaskRecord): SqliteValue[] {
  const progress = task.progress;
  return [
    task.state,
    task.attempt,
    task.maxAttempts,
    task.infraFailures,
    task.result,
    task.resultContentType,
    task.lastError,
    task.updatedAtMs,
    task.runAtMs,
    task.finishedAtMs,
    progress === null ? null : progress.fraction,
    progress === null ? null : progress.message,
    progress === null ? null : progress.atMs,
    task.id,
  ];
}

export function rowToTask(row: TaskRow): TaskRecord {
  return fromRow(row, row.payload, row.result);
}

/** A listed task: payload empty; result empty when there is one, null when there is none. */
export function listRowToTask(row: TaskListRow): TaskRecord {
  return fromRow(row, EMPTY, row.has_result ? EMPTY : null);
}

/**
 * A listed task from a raw-mode row. Start-up reads every unfinished task this way: a plain
 * array per row costs half what better-sqlite3's row object does.
 */
export function listValuesToTask(values: TaskListValues): TaskRecord {
  const [id, queue, type, state, contentType, priority, attempt, maxAttempts, attemptBudget, retry, maxInfraFailures, infraFailures,
    timeoutMs, idempotencyKey, labels, traceContext, resultContentType, lastError, createdAtMs, updatedAtMs, runAtMs, finishedAtMs,
    scheduleName, scheduleFireMs, progressFraction, progressMessage, progressAtMs, fairnessKey, hasResult] = values;
  const row = {
    id, queue, type, state, content_type: contentType, priority, attempt, max_attempts: maxAttempts, attempt_budget: attemptBudget, retry,
    max_infra_failures: maxInfraFailures, infra_failures: infraFailures, timeout_ms: timeoutMs, idempotency_key: idempotencyKey, labels,
    trace_context: traceContext, result_content_type: resultContentType, last_error: lastError, created_at_ms: createdAtMs,
    updated_at_ms: updatedAtMs, run_at_ms: runAtMs, finished_at_ms: finishedAtMs, schedule_name: scheduleName,
    schedule_fire_ms: scheduleFireMs, progress_fraction: progressFraction, progress_message: progressMessage,
    progress_at_ms: progressAtMs, fairness_key: fairnessKey, has_result: hasResult,
  } as TaskListRow;
  return listRowToTask(row);
}

/**
 * Values that most tasks share (queue, type, content type, retry policy), one copy each: a
 * start-up that loads a million tasks would otherwise hold a million copies of "default".
 * Bounded: past its size it starts afresh, which costs only sharing.
 */
class Interner<T> {
  private readonly values = new Map<string, T>();
  constructor(private readonly maxSize: number) {}

  /** The value made from `text` before, or `make(text)` now. */
  get(text: string, make: (text: string) => T): T {
    let value = this.values.get(text);
    if (value === undefined) {
      if (this.values.size >= this.maxSize) this.values.clear();
      value = make(text);
      this.values.set(text, value);
    }
    return value;
  }
}

const sharedStrings = new Interner<string>(10_000);
const same = (text: string): string => text;
/** Parsed policies, read-only once made, so that tasks may share them. */
const retryPolicies = new Interner<BackoffPolicy>(1000);

function fromRow(row: Omit<TaskRow, 'payload' | 'result'>, payload: Buffer, result: Buffer | null): TaskRecord {
  return {
    id: row.id,
    queue: sharedStrings.get(row.queue, same),
    type: sharedStrings.get(row.type, same),
    state: row.state as TaskState, // the CHECK constraint admits only TaskState values
    payload,
    contentType: sharedStrings.get(row.content_type, same),
    priority: row.priority,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    attemptBudget: row.attempt_budget,
    retry: retryPolicyOf(row),
    maxInfraFailures: row.max_infra_failures,
    infraFailures: row.infra_failures,
    timeoutMs: row.timeout_ms,
    idempotencyKey: row.idempotency_key,
    labels: parseStringRecord(row, 'labels'),
    traceContext: parseStringRecord(row, 'trace_context'),
    result,
    resultContentType: row.result_content_type,
    lastError: row.last_error,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
    runAtMs: row.run_at_ms,
    finishedAtMs: row.finished_at_ms,
    // Interned: a schedule's tasks share its name, and start-up loads them all.
    fairnessKey: row.fairness_key === null ? null : sharedStrings.get(row.fairness_key, same),
    scheduleName: row.schedule_name === null ? null : sharedStrings.get(row.schedule_name, same),
    scheduleFireMs: row.schedule_fire_ms,
    progress: progressOf(row),
  };
}

/** The three progress columns are written together: all NULL or none. */
function progressOf(row: Omit<TaskRow, 'payload' | 'result'>): TaskProgress | null {
  if (row.progress_fraction === null) return null;
  return { fraction: row.progress_fraction, message: row.progress_message ?? '', atMs: row.progress_at_ms ?? 0 };
}

/** Every `attempts` column, in schema order. */
export const ATTEMPT_COLUMNS = [
  'task_id', 'number', 'worker_id', 'lease_id', 'worker_principal', 'worker_proof', 'started_at_ms', 'ended_at_ms', 'outcome', 'error',
] as const;

/** The `putAttempt` parameters, positional in {@link ATTEMPT_COLUMNS} order. */
export function attemptValues(taskId: string, attempt: AttemptRecord): SqliteValue[] {
  return [
    taskId,
    attempt.number,
    attempt.workerId,
    attempt.leaseId,
    attempt.workerPrincipal,
    attempt.workerProof,
    attempt.startedAtMs,
    attempt.endedAtMs,
    attempt.outcome,
    attempt.error,
  ];
}

export function rowToAttempt(row: AttemptRow): AttemptRecord {
  return {
    number: row.number,
    workerId: row.worker_id,
    leaseId: row.lease_id,
    workerPrincipal: row.worker_principal,
    workerProof: row.worker_proof,
    startedAtMs: row.started_at_ms,
    endedAtMs: row.ended_at_ms,
    outcome: row.outcome as AttemptOutcome, // the CHECK constraint admits only AttemptOutcome values
    error: row.error,
  };
}

type JsonColumn = 'retry' | 'labels' | 'trace_context';

function retryPolicyOf(row: Pick<TaskRow, 'id' | JsonColumn>): BackoffPolicy {
  return retryPolicies.get(row.retry, () => Object.freeze(parseJsonObject(row, 'retry')) as unknown as BackoffPolicy);
}

function parseJsonObject(row: Pick<TaskRow, 'id' | JsonColumn>, column: JsonColumn): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(row[column]);
  } catch (err: unknown) {
    throw new BatonError('INTERNAL', `task ${row.id}: column ${column} holds invalid JSON`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BatonError('INTERNAL', `task ${row.id}: column ${column} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function parseStringRecord(row: Pick<TaskRow, 'id' | JsonColumn>, column: 'labels' | 'trace_context'): Readonly<Record<string, string>> {
  if (row[column] === '{}') return NO_ENTRIES;
  const value = parseJsonObject(row, column);
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new BatonError('INTERNAL', `task ${row.id}: ${column}.${key} is not a string`);
    }
  }
  return value as Record<string, string>;
}

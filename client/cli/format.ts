import { formatDurationMs } from '../../shared/duration';
import { TaskState, type Attempt, type Progress, type Task } from '../../shared/gen/baton/v1/task';
import { JSON_CONTENT_TYPE, decodePayload } from '../../shared/payload';
import { durationToMs } from '../../shared/proto-time';
import { attemptOutcomeName } from '../attempt-outcome-names';
import { taskStateName } from '../task-state-names';

/** One attempt in `--json` output. Times are ISO 8601 or null. */
export interface AttemptJson {
  readonly number: number;
  readonly outcome: string;
  readonly workerId: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly error: string | null;
}

/** A task's progress in `--json` output: what its handler last reported. */
export interface ProgressJson {
  /** In [0, 1]. */
  readonly fraction: number;
  readonly message: string | null;
  readonly updatedAt: string | null;
}

/**
 * One task in `--json` output. Payload and result are the decoded JSON (null when empty), or
 * base64 for other content types, or the raw text when JSON content does not parse.
 */
export interface TaskJson {
  readonly id: string;
  readonly queue: string;
  readonly type: string;
  readonly state: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Attempts lost to a dead worker or a timeout since submission or the last retry. */
  readonly infrastructureFailures: number;
  readonly priority: number;
  readonly contentType: string;
  readonly payload: unknown;
  readonly result: unknown;
  readonly lastError: string | null;
  readonly labels: Record<string, string>;
  readonly idempotencyKey: string | null;
  readonly timeoutMs: number | null;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  readonly runAt: string | null;
  readonly finishedAt: string | null;
  /** The schedule that submitted the task, and the fire time the task stands for; else null. */
  readonly schedule: string | null;
  readonly scheduleFireTime: string | null;
  readonly fairnessKey: string | null;
  /** Null until the handler reports progress. */
  readonly progress: ProgressJson | null;
  readonly attempts: AttemptJson[];
}

/** The task as a plain JSON-ready object (see {@link TaskJson}). */
export function taskToJson(task: Task): TaskJson {
  return {
    id: task.id,
    queue: task.queue,
    type: task.type,
    state: taskStateName(task.state),
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    infrastructureFailures: task.infrastructureFailures,
    priority: task.priority,
    contentType: task.contentType || JSON_CONTENT_TYPE,
    payload: bytesToJson(task.payload, task.contentType),
    result: bytesToJson(task.result, task.resultContentType),
    lastError: task.lastError || null,
    labels: { ...task.labels },
    idempotencyKey: task.idempotencyKey || null,
    timeoutMs: durationToMs(task.timeout) || null,
    createdAt: isoOrNull(task.createdAt),
    updatedAt: isoOrNull(task.updatedAt),
    runAt: isoOrNull(task.runAt),
    finishedAt: isoOrNull(task.finishedAt),
    schedule: task.schedule || null,
    scheduleFireTime: isoOrNull(task.scheduleFireTime),
    fairnessKey: task.fairnessKey || null,
    progress: task.progress ? progressToJson(task.progress) : null,
    attempts: task.attempts.map(attemptToJson),
  };
}

/** A listed task: ListTasks carries no payload, result or attempts, so neither does this. */
export type TaskSummaryJson = Omit<TaskJson, 'payload' | 'result' | 'attempts'>;

export function taskSummaryToJson(task: Task): TaskSummaryJson {
  const { payload: _payload, result: _result, attempts: _attempts, ...summary } = taskToJson(task);
  return summary;
}

function progressToJson(progress: Progress): ProgressJson {
  return { fraction: progress.fraction, message: progress.message || null, updatedAt: isoOrNull(progress.updatedAt) };
}

function attemptToJson(attempt: Attempt): AttemptJson {
  return {
    number: attempt.number,
    outcome: attemptOutcomeName(attempt.outcome),
    workerId: attempt.workerId,
    startedAt: isoOrNull(attempt.startedAt),
    endedAt: isoOrNull(attempt.endedAt),
    error: attempt.error || null,
  };
}

/** One line of `--json` output: the task, plus `extra` fields (e.g. `deduplicated`). */
export function formatTaskJsonLine(task: Task, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ ...taskToJson(task), ...extra })}\n`;
}

/** A task for people: an aligned `key: value` block, then its attempts. */
export function formatTaskBlock(task: Task): string {
  const rows: Array<[string, string | undefined]> = [
    ['id', task.id],
    ['type', task.type],
    ['queue', task.queue],
    ['state', taskStateName(task.state)],
    ['attempt', `${task.attempt} of ${task.maxAttempts}`],
    // Kept after the attempt ends, and said so: a succeeded task's "80%" is history, not news.
    [task.state === TaskState.TASK_STATE_RUNNING ? 'progress' : 'last progress', task.progress ? formatProgressWithTime(task.progress) : undefined],
    ['priority', task.priority === 0 ? undefined : String(task.priority)],
    ['payload', bytesForPeople(task.payload, task.contentType)],
    ['result', bytesForPeople(task.result, task.resultContentType)],
    ['last error', task.lastError || undefined],
    ['lost attempts', task.infrastructureFailures === 0 ? undefined : `${task.infrastructureFailures} (dead worker or timeout)`],
    ['labels', formatLabels(task.labels)],
    ['idempotency key', task.idempotencyKey || undefined],
    ['timeout', optionalDuration(durationToMs(task.timeout))],
    ['created', task.createdAt?.toISOString()],
    ['run at', task.runAt?.toISOString()],
    ['finished', task.finishedAt?.toISOString()],
    ['fairness key', task.fairnessKey || undefined],
    ['schedule', task.schedule || undefined],
    ['fire time', task.scheduleFireTime?.toISOString()],
  ];
  let out = formatKeyValues(rows);
  if (task.attempts.length > 0) out += `attempts:\n${indent(formatAttempts(task.attempts), '  ')}`;
  return out;
}

/** An aligned `key: value` block, one row a line; rows whose value is undefined are left out. */
export function formatKeyValues(rows: ReadonlyArray<readonly [string, string | undefined]>): string {
  const shown = rows.filter((row): row is readonly [string, string] => row[1] !== undefined);
  const width = Math.max(0, ...shown.map(([key]) => key.length)) + 2;
  return shown.map(([key, value]) => `${`${key}:`.padEnd(width)}${value}\n`).join('');
}

/** Tasks for people: one aligned row each under a header. */
export function formatTaskTable(tasks: readonly Task[]): string {
  const header = ['ID', 'STATE', 'TYPE', 'QUEUE', 'ATTEMPT', 'CREATED'];
  const rows = tasks.map((task) => [
    task.id,
    taskStateName(task.state),
    task.type,
    task.queue,
    `${task.attempt}/${task.maxAttempts}`,
    task.createdAt?.toISOString() ?? '',
  ]);
  return formatColumns([header, ...rows]);
}

/**
 * Progress for people: `42% resizing 3 of 7`. The percentage is rounded down, so that 100%
 * means the handler said it was done.
 */
export function formatProgress(progress: Progress): string {
  const percent = Math.floor(Math.min(Math.max(progress.fraction, 0), 1) * 100);
  return progress.message ? `${percent}% ${progress.message}` : `${percent}%`;
}

function formatProgressWithTime(progress: Progress): string {
  const at = progress.updatedAt ? ` (reported ${progress.updatedAt.toISOString()})` : '';
  return `${formatProgress(progress)}${at}`;
}

function formatAttempts(attempts: readonly Attempt[]): string {
  const rows = attempts.map((attempt) => {
    const { startedAt, endedAt } = attempt;
    const took = startedAt && endedAt ? formatDurationMs(endedAt.getTime() - startedAt.getTime()) : '';
    return [
      `#${attempt.number}`,
      attemptOutcomeName(attempt.outcome),
      attempt.workerId,
      startedAt?.toISOString() ?? '',
      took,
      attempt.error,
    ];
  });
  return formatColumns(rows);
}

/** Left-aligned columns two spaces apart; trailing blanks trimmed. */
export function formatColumns(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, cell.length);
    });
  }
  const formatRow = (row: readonly string[]): string =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return rows.map((row) => `${formatRow(row)}\n`).join('');
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : prefix + line))
    .join('\n');
}

/** `k=v, k2=v2`; undefined for none. */
export function formatLabels(labels: Readonly<Record<string, string>>): string | undefined {
  const entries = Object.entries(labels);
  if (entries.length === 0) return undefined;
  return entries.map(([key, value]) => `${key}=${value}`).join(', ');
}

function optionalDuration(ms: number | undefined): string | undefined {
  return ms ? formatDurationMs(ms) : undefined;
}

/** ISO 8601, or null when unset. */
export function isoOrNull(date: Date | undefined): string | null {
  return date ? date.toISOString() : null;
}

function isJson(contentType: string): boolean {
  return contentType === '' || contentType === JSON_CONTENT_TYPE;
}

/** Payload or result bytes in `--json` output (see {@link TaskJson}). */
export function bytesToJson(bytes: Buffer, contentType: string): unknown {
  if (bytes.length === 0) return null;
  if (!isJson(contentType)) return bytes.toString('base64');
  try {
    return decodePayload(bytes, contentType);
  } catch {
    // Not JSON after all: show what is there rather than fail the whole listing.
    return bytes.toString('utf8');
  }
}

/** Payload or result bytes for people: text as is, other content by size and type. */
export function bytesForPeople(bytes: Buffer, contentType: string): string | undefined {
  if (bytes.length === 0) return undefined;
  if (isJson(contentType) || contentType.startsWith('text/')) return bytes.toString('utf8');
  return `<${bytes.length} bytes of ${contentType}>`;
}

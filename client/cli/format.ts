import { formatDurationMs } from '../../shared/duration';
import type { Attempt, Task } from '../../shared/gen/baton/v1/task';
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
    attempts: task.attempts.map(attemptToJson),
  };
}

/** A listed task: ListTasks carries no payload, result or attempts, so neither does this. */
export type TaskSummaryJson = Omit<TaskJson, 'payload' | 'result' | 'attempts'>;

export function taskSummaryToJson(task: Task): TaskSummaryJson {
  const { payload: _payload, result: _result, attempts: _attempts, ...summary } = taskToJson(task);
  return summary;
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
  const rows: Array<[string, string]> = [
    ['id', task.id],
    ['type', task.type],
    ['queue', task.queue],
    ['state', taskStateName(task.state)],
    ['attempt', `${task.attempt} of ${task.maxAttempts}`],
  ];
  const optional: Array<[string, string | undefined]> = [
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
  ];
  for (const [key, value] of optional) if (value !== undefined) rows.push([key, value]);
  const width = Math.max(...rows.map(([key]) => key.length)) + 2;
  let out = rows.map(([key, value]) => `${`${key}:`.padEnd(width)}${value}\n`).join('');
  if (task.attempts.length > 0) out += `attempts:\n${indent(formatAttempts(task.attempts), '  ')}`;
  return out;
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

function formatLabels(labels: Readonly<Record<string, string>>): string | undefined {
  const entries = Object.entries(labels);
  if (entries.length === 0) return undefined;
  return entries.map(([key, value]) => `${key}=${value}`).join(', ');
}

function optionalDuration(ms: number | undefined): string | undefined {
  return ms ? formatDurationMs(ms) : undefined;
}

function isoOrNull(date: Date | undefined): string | null {
  return date ? date.toISOString() : null;
}

function isJson(contentType: string): boolean {
  return contentType === '' || contentType === JSON_CONTENT_TYPE;
}

function bytesToJson(bytes: Buffer, contentType: string): unknown {
  if (bytes.length === 0) return null;
  if (!isJson(contentType)) return bytes.toString('base64');
  try {
    return decodePayload(bytes, contentType);
  } catch {
    // Not JSON after all: show what is there rather than fail the whole listing.
    return bytes.toString('utf8');
  }
}

function bytesForPeople(bytes: Buffer, contentType: string): string | undefined {
  if (bytes.length === 0) return undefined;
  if (isJson(contentType) || contentType.startsWith('text/')) return bytes.toString('utf8');
  return `<${bytes.length} bytes of ${contentType}>`;
}

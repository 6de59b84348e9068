/**
 * The memory store's copies of records: what `write` captures from the core's records (which
 * the core keeps mutating), and what reads hand out (which callers may mutate).
 */
import { InvalidArgumentError } from '../../shared/errors';
import type { QueueSettingsOverride } from '../core/queue-settings';
import type { AttemptRecord, TaskRecord } from '../core/task';
import type { Mutation } from '../core/task-store';
import type { ScheduleRecord } from '../schedules/schedule';
import { definedSettings } from './store-queries';

/** The mutable fields an `updateTask` overwrites (the SQLite store's MUTABLE_TASK_COLUMNS). */
export type MutableFields = Pick<
  TaskRecord,
  | 'state'
  | 'attempt'
  | 'maxAttempts'
  | 'infraFailures'
  | 'result'
  | 'resultContentType'
  | 'lastError'
  | 'updatedAtMs'
  | 'runAtMs'
  | 'finishedAtMs'
  | 'progress'
>;

/** A mutation as captured when `write` was called: the core keeps mutating the records it passed. */
export type CapturedMutation =
  | { readonly kind: 'insertTask'; readonly task: TaskRecord }
  | { readonly kind: 'updateTask'; readonly id: string; readonly fields: MutableFields }
  | { readonly kind: 'putAttempt'; readonly taskId: string; readonly attempt: AttemptRecord }
  | { readonly kind: 'deleteTasks'; readonly taskIds: readonly string[] }
  | { readonly kind: 'putSchedule'; readonly schedule: ScheduleRecord }
  | { readonly kind: 'deleteSchedule'; readonly name: string }
  | { readonly kind: 'updateScheduleState'; readonly name: string; readonly state: ScheduleState }
  /** `settings` undefined: the override sets nothing, and the queue's entry goes. */
  | { readonly kind: 'putQueueSettings'; readonly queue: string; readonly settings: QueueSettingsOverride | undefined };

const EMPTY = Buffer.alloc(0);

/**
 * Copies what a mutation carries, as it is now.
 * @throws InvalidArgumentError for an unknown mutation kind or a queue setting of the wrong kind.
 */
export function capture(mutation: Mutation): CapturedMutation {
  switch (mutation.kind) {
    case 'insertTask':
      return { kind: 'insertTask', task: copyTask(mutation.task, copyBytes) };
    case 'updateTask': {
      const task = mutation.task;
      const fields: MutableFields = {
        state: task.state,
        attempt: task.attempt,
        maxAttempts: task.maxAttempts,
        infraFailures: task.infraFailures,
        result: task.result === null ? null : copyBytes(task.result),
        resultContentType: task.resultContentType,
        lastError: task.lastError,
        updatedAtMs: task.updatedAtMs,
        runAtMs: task.runAtMs,
        finishedAtMs: task.finishedAtMs,
        progress: task.progress === null ? null : { ...task.progress },
      };
      return { kind: 'updateTask', id: task.id, fields };
    }
    case 'putAttempt':
      return { kind: 'putAttempt', taskId: mutation.taskId, attempt: { ...mutation.attempt } };
    case 'deleteTasks':
      return { kind: 'deleteTasks', taskIds: [...mutation.taskIds] };
    case 'putSchedule':
      return { kind: 'putSchedule', schedule: copySchedule(mutation.schedule, copyBytes) };
    case 'deleteSchedule':
      return { kind: 'deleteSchedule', name: mutation.name };
    case 'updateScheduleState': {
      const { paused, lastFireMs, skippedFires, bufferedFireMs, updatedAtMs } = mutation.schedule;
      return { kind: 'updateScheduleState', name: mutation.schedule.spec.name, state: { paused, lastFireMs, skippedFires, bufferedFireMs, updatedAtMs } };
    }
    case 'putQueueSettings':
      return { kind: 'putQueueSettings', queue: mutation.queue, settings: definedSettings(mutation.queue, mutation.settings) };
    default: {
      const unknownKind: never = mutation;
      throw new InvalidArgumentError(`unknown mutation kind ${JSON.stringify(unknownKind)}`);
    }
  }
}

const shareBytes = (bytes: Buffer): Buffer => bytes;
const copyBytes = (bytes: Buffer): Buffer => Buffer.from(bytes);

/** A copy of the record and of its nested objects; `bytes` decides whether payload and result are copied. */
export function copyTask(task: TaskRecord, bytes: (value: Buffer) => Buffer = shareBytes): TaskRecord {
  return {
    ...task,
    payload: bytes(task.payload),
    result: task.result === null ? null : bytes(task.result),
    retry: { ...task.retry },
    labels: { ...task.labels },
    traceContext: { ...task.traceContext },
    progress: task.progress === null ? null : { ...task.progress },
  };
}

/** A copy of the schedule and of its nested objects; `bytes` decides whether the template's payload is copied. */
export function copySchedule(schedule: ScheduleRecord, bytes: (value: Buffer) => Buffer = shareBytes): ScheduleRecord {
  const { spec } = schedule;
  return {
    ...schedule,
    spec: {
      ...spec,
      cadence: { ...spec.cadence },
      template: {
        ...spec.template,
        payload: bytes(spec.template.payload),
        retry: { ...spec.template.retry },
        labels: { ...spec.template.labels },
      },
    },
  };
}

/** The task as a listing has it: payload empty; result empty when there is one, null when there is none. */
export function summaryOf(task: TaskRecord): TaskRecord {
  return { ...copyTask(task), payload: EMPTY, result: task.result === null ? null : EMPTY };
}

/** What an `updateScheduleState` writes. */
export type ScheduleState = Pick<ScheduleRecord, 'paused' | 'lastFireMs' | 'skippedFires' | 'bufferedFireMs' | 'updatedAtMs'>;

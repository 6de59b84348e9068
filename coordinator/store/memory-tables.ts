/**
 * The memory store's data and how each mutation changes it. Every change pushes its own undo,
 * so that the store can take back a write that fails part-way (a duplicate key, a missing
 * task) or a whole batch.
 */
import { BatonError, NotFoundError } from '../../shared/errors';
import type { QueueSettingsOverride } from '../core/queue-settings';
import { isTerminal, type AttemptRecord, type TaskRecord, type TaskState } from '../core/task';
import type { ScheduleRecord } from '../schedules/schedule';
import { DuplicateTaskError } from './store-errors';
import type { CapturedMutation, MutableFields } from './memory-records';

/** Takes back one change. */
export type Undo = () => void;

export interface QueueEntry {
  /** The largest task id of the queue: ids are UUIDv7, so its newest task. */
  newestId: string;
  readonly byState: Map<TaskState, number>;
}

/** Every record the memory store holds; records are its own copies (memory-records.ts). */
export class MemoryTables {
  readonly tasks = new Map<string, TaskRecord>();
  readonly attempts = new Map<string, Map<number, AttemptRecord>>();
  /** `queue \n key` → task id. */
  readonly idempotencyKeys = new Map<string, string>();
  /** Queues with at least one task. */
  readonly queues = new Map<string, QueueEntry>();
  readonly schedules = new Map<string, ScheduleRecord>();
  readonly queueSettings = new Map<string, QueueSettingsOverride>();

  /**
   * Applies one mutation, pushing what undoes it onto `undo`.
   * @throws BatonError for a fault of this write alone (a duplicate, a missing task).
   */
  apply(mutation: CapturedMutation, undo: Undo[]): void {
    switch (mutation.kind) {
      case 'insertTask':
        return this.insert(mutation.task, undo);
      case 'updateTask':
        return this.update(mutation.id, mutation.fields, undo);
      case 'putAttempt':
        return this.putAttempt(mutation.taskId, mutation.attempt, undo);
      case 'deleteTasks':
        for (const id of mutation.taskIds) this.deleteFinished(id, undo);
        return;
      case 'putSchedule':
        return putOrDelete(this.schedules, mutation.schedule.spec.name, mutation.schedule, undo);
      case 'deleteSchedule':
        return putOrDelete(this.schedules, mutation.name, undefined, undo);
      case 'updateScheduleState': {
        const existing = this.schedules.get(mutation.name);
        if (!existing) throw new NotFoundError(`schedule ${mutation.name} does not exist`);
        return putOrDelete(this.schedules, mutation.name, { ...existing, ...mutation.state }, undo);
      }
      case 'putQueueSettings':
        return putOrDelete(this.queueSettings, mutation.queue, mutation.settings, undo);
    }
  }

  private insert(task: TaskRecord, undo: Undo[]): void {
    if (this.tasks.has(task.id)) throw new DuplicateTaskError('id', task.id, task.idempotencyKey);
    const key = task.idempotencyKey === null ? undefined : keyOf(task.queue, task.idempotencyKey);
    if (key !== undefined && this.idempotencyKeys.has(key)) throw new DuplicateTaskError('idempotencyKey', task.id, task.idempotencyKey);
    putOrDelete(this.tasks, task.id, task, undo);
    if (key !== undefined) putOrDelete(this.idempotencyKeys, key, task.id, undo);
    let entry = this.queues.get(task.queue);
    if (entry === undefined) {
      entry = { newestId: task.id, byState: new Map() };
      putOrDelete(this.queues, task.queue, entry, undo);
    } else if (task.id > entry.newestId) {
      setNewest(entry, task.id, undo);
    }
    countState(entry, task.state, 1, undo);
  }

  private update(id: string, fields: MutableFields, undo: Undo[]): void {
    const previous = this.tasks.get(id);
    if (previous === undefined) throw new NotFoundError(`task ${id} does not exist`);
    putOrDelete(this.tasks, id, { ...previous, ...fields }, undo);
    if (previous.state !== fields.state) {
      const entry = this.queueOf(previous);
      countState(entry, previous.state, -1, undo);
      countState(entry, fields.state, 1, undo);
    }
  }

  private putAttempt(taskId: string, attempt: AttemptRecord, undo: Undo[]): void {
    if (!this.tasks.has(taskId)) throw new NotFoundError(`task ${taskId} does not exist (attempt ${attempt.number})`);
    let byNumber = this.attempts.get(taskId);
    if (byNumber === undefined) {
      byNumber = new Map();
      putOrDelete(this.attempts, taskId, byNumber, undo);
    }
    putOrDelete(byNumber, attempt.number, attempt, undo);
  }

  /** Deletes a finished task with its attempts and key; an unknown or unfinished one stays. */
  private deleteFinished(id: string, undo: Undo[]): void {
    const task = this.tasks.get(id);
    if (task === undefined || !isTerminal(task.state)) return;
    putOrDelete(this.tasks, id, undefined, undo);
    putOrDelete(this.attempts, id, undefined, undo);
    if (task.idempotencyKey !== null) putOrDelete(this.idempotencyKeys, keyOf(task.queue, task.idempotencyKey), undefined, undo);
    const entry = this.queueOf(task);
    countState(entry, task.state, -1, undo);
    if (entry.byState.size === 0) {
      putOrDelete(this.queues, task.queue, undefined, undo); // as SQLite's GROUP BY queue forgets it
    } else if (entry.newestId === id) {
      // Rare (retention deletes the oldest first): the queue's newest task expired while older ones remain.
      setNewest(entry, this.newestIdOf(task.queue), undo);
    }
  }

  private queueOf(task: TaskRecord): QueueEntry {
    const entry = this.queues.get(task.queue);
    if (entry === undefined) throw new BatonError('INTERNAL', `task ${task.id}: its queue ${task.queue} is not indexed`);
    return entry;
  }

  /** O(tasks): a scan for the largest id of the queue's tasks. */
  private newestIdOf(queue: string): string {
    let newest = '';
    for (const task of this.tasks.values()) if (task.queue === queue && task.id > newest) newest = task.id;
    return newest;
  }
}

export function keyOf(queue: string, key: string): string {
  return `${queue}\n${key}`;
}

/** Sets (or, with `value` undefined, deletes) the entry, and pushes what restores it. */
function putOrDelete<K, V>(map: Map<K, V>, key: K, value: V | undefined, undo: Undo[]): void {
  const had = map.has(key);
  const previous = map.get(key);
  if (value === undefined) {
    if (!had) return;
    map.delete(key);
  } else {
    map.set(key, value);
  }
  undo.push(() => (had ? map.set(key, previous as V) : map.delete(key)));
}

function setNewest(entry: QueueEntry, id: string, undo: Undo[]): void {
  const previous = entry.newestId;
  entry.newestId = id;
  undo.push(() => (entry.newestId = previous));
}

function countState(entry: QueueEntry, state: TaskState, delta: number, undo: Undo[]): void {
  const add = (by: number): void => {
    const count = (entry.byState.get(state) ?? 0) + by;
    if (count > 0) entry.byState.set(state, count);
    else entry.byState.delete(state);
  };
  add(delta);
  undo.push(() => add(-delta));
}

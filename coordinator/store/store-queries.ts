/**
 * What the two stores' queries mean, in one place: the checks of their arguments, and the
 * selection of listTasks and findExpired as a predicate (which the memory store applies to
 * every task, and the SQLite store's SQL expresses through its indexes).
 */
import { InvalidArgumentError } from '../../shared/errors';
import { uuidv7LowerBound } from '../../shared/ids';
import type { QueueSettings, QueueSettingsOverride } from '../core/queue-settings';
import { TERMINAL_STATES, type TaskRecord, type TaskState } from '../core/task';
import type { ExpiryRule, TaskFilter } from '../core/task-store';

/** @throws InvalidArgumentError when `limit` is not a positive integer. */
export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidArgumentError(`limit must be a positive integer, got ${limit}`);
  }
}

/** @throws InvalidArgumentError when `maxPages` is not a positive integer (SQLite reads 0 or less as "all"). */
export function checkMaxPages(maxPages: number): void {
  if (!Number.isSafeInteger(maxPages) || maxPages < 1) {
    throw new InvalidArgumentError(`maxPages must be a positive integer, got ${maxPages}`);
  }
}

/**
 * The finished states `rule` covers, each once, in a fixed order; undefined when it covers no
 * task (no finished state, or its queue among those it excepts). Unfinished states in
 * rule.states are ignored: retention never deletes a task that has not finished.
 */
export function expiringStates(rule: ExpiryRule): TaskState[] | undefined {
  const states = [...TERMINAL_STATES].filter((state) => rule.states.includes(state));
  if (states.length === 0) return undefined;
  if (rule.queue !== undefined && rule.exceptQueues?.includes(rule.queue) === true) return undefined;
  return states;
}

/** The `limit` oldest (by id) of several lists, each oldest first: one per state queried. */
export function mergeOldest<T extends { readonly id: string }>(lists: readonly T[][], limit: number): T[] {
  const [only, ...others] = lists;
  if (only === undefined) return [];
  if (others.length === 0) return only.slice(0, limit);
  return lists
    .flat()
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit);
}

/**
 * Whether `rule` says `task` has expired: a finished state the rule covers (see
 * {@link expiringStates}), finished before rule.finishedBeforeMs, in the rule's queues, and
 * with an id below uuidv7LowerBound(finishedBeforeMs) (`belowId`). A task cannot finish before
 * it was created, so the id bound only narrows the search; both stores apply it, so that they
 * agree on the rare id made in a later millisecond than its task's creation time.
 */
export function isExpired(task: TaskRecord, rule: ExpiryRule, states: readonly TaskState[], belowId: string): boolean {
  return (
    states.includes(task.state) &&
    task.finishedAtMs !== null &&
    task.finishedAtMs < rule.finishedBeforeMs &&
    task.id < belowId &&
    (rule.queue === undefined ? rule.exceptQueues?.includes(task.queue) !== true : task.queue === rule.queue)
  );
}

/** The id bounds of a listing: createdFromMs and createdBeforeMs as UUIDv7 bounds, and beforeId. */
export interface IdRange {
  /** Ids at or above this. */
  readonly fromId: string | undefined;
  /** Ids below this. */
  readonly belowId: string | undefined;
}

/** The id range a listing covers: the higher lower bound and the lower upper bound. */
export function listIdRange(filter: TaskFilter, beforeId: string | undefined): IdRange {
  const fromId = filter.createdFromMs === undefined ? undefined : uuidv7LowerBound(filter.createdFromMs);
  const createdBefore = filter.createdBeforeMs === undefined ? undefined : uuidv7LowerBound(filter.createdBeforeMs);
  const belowId = beforeId === undefined || (createdBefore !== undefined && createdBefore < beforeId) ? createdBefore : beforeId;
  return { fromId, belowId };
}

/** Whether a listing with `filter` and the id range `range` shows `task`. */
export function matchesListing(task: TaskRecord, filter: TaskFilter, range: IdRange): boolean {
  return (
    (filter.queue === undefined || task.queue === filter.queue) &&
    (filter.state === undefined || task.state === filter.state) &&
    (filter.type === undefined || task.type === filter.type) &&
    (filter.schedule === undefined || task.scheduleName === filter.schedule) &&
    (range.fromId === undefined || task.id >= range.fromId) &&
    (range.belowId === undefined || task.id < range.belowId)
  );
}

/** The kind of value each queue setting has. */
export const QUEUE_SETTING_TYPES: Readonly<Record<keyof QueueSettings, 'number' | 'boolean'>> = {
  concurrency: 'number',
  ratePerSecond: 'number',
  burst: 'number',
  weight: 'number',
  paused: 'boolean',
  retentionMs: 'number',
  deadRetentionMs: 'number',
};

/**
 * The fields an override sets (those not undefined), checked and copied; undefined when it
 * sets none. A stored setting that could not be read back (a non-finite number becomes JSON
 * null) would stop the next start-up, so it is refused at the write instead.
 * @throws InvalidArgumentError naming the queue and the field, for an unknown field or a value of the wrong kind.
 */
export function definedSettings(queue: string, settings: QueueSettingsOverride): QueueSettingsOverride | undefined {
  const defined: Record<string, number | boolean> = {};
  for (const [key, value] of Object.entries(settings) as Array<[string, unknown]>) {
    if (value === undefined) continue;
    const expected = QUEUE_SETTING_TYPES[key as keyof QueueSettings] as string | undefined;
    if (expected === undefined) throw new InvalidArgumentError(`queue ${queue}: unknown setting ${key}`);
    if (typeof value !== expected || (typeof value === 'number' && !Number.isFinite(value))) {
      const got = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? typeof value);
      throw new InvalidArgumentError(`queue ${queue}: setting ${key} must be a ${expected === 'number' ? 'finite number' : expected}, got ${got}`);
    }
    defined[key] = value as number | boolean;
  }
  return Object.keys(defined).length === 0 ? undefined : defined;
}

import type { Clock } from '../../shared/clock';
import { RateWindow } from './rate-window';
import { isTerminal, type TaskState } from './task';
import type { StateCount } from './task-store';

export type FinishedState = 'succeeded' | 'dead' | 'canceled';

/** A queue's finished tasks by terminal state. */
export type FinishedCounts = Readonly<Record<FinishedState, number>>;

/** Tasks per second over the last minute. */
export interface QueueRates {
  readonly submittedPerSecond: number;
  /** Tasks that reached a terminal state (succeeded, dead or canceled). */
  readonly completedPerSecond: number;
  /** Tasks that went DEAD (counted in completedPerSecond too). */
  readonly deadPerSecond: number;
}

/** Buckets of the recent history: 5 minutes, for a dashboard's chart. */
export const HISTORY_BUCKETS = 30;
export const HISTORY_BUCKET_MS = 10_000;

/** A queue's recent past in buckets of {@link HISTORY_BUCKET_MS}, oldest first, the current one last. */
export interface QueueHistory {
  readonly completed: readonly number[];
  readonly dead: readonly number[];
}

export interface QueueActivityDeps {
  readonly clock: Clock;
  /**
   * Queues kept at most, counting those with unfinished tasks (which are kept whatever their
   * number). The engine uses twice `maxQueues`, as the metrics do for their series.
   */
  readonly maxQueues: number;
  /** True while `queue` has unfinished tasks: such a queue is never forgotten. */
  readonly hasUnfinished: (queue: string) => boolean;
  /** The store's count of `queue`'s tasks by state (unfinished states are ignored). */
  readonly countQueue: (queue: string) => Iterable<StateCount>;
}

const NO_RATES: QueueRates = { submittedPerSecond: 0, completedPerSecond: 0, deadPerSecond: 0 };

interface Windows {
  readonly submitted: RateWindow;
  readonly completed: RateWindow;
  readonly dead: RateWindow;
  readonly completedHistory: RateWindow;
  readonly deadHistory: RateWindow;
}

interface QueueEntry {
  /** Null until read from the store: the queue (re)appeared since its counts were last known. */
  finished: Record<FinishedState, number> | null;
  /** Null while nothing happened within the history's reach. */
  windows: Windows | null;
}

/**
 * What each recently active queue has done, for stats: its finished tasks by state, and its
 * submissions and completions over the last minute.
 *
 * Queue names are chosen by clients, and a client can use a fresh one for every task, so
 * this keeps at most `maxQueues` queues: every queue with unfinished tasks, and beyond them
 * the most recently active (a submission, a task finishing, a RetryTask), forgetting the
 * least recently active idle ones first. A forgotten queue that becomes active again has
 * its finished counts read again from the store, so they stay right; only its rates restart.
 *
 * Finished counts are read from the store once per queue, lazily (on the first
 * {@link finishedCounts} after the queue appeared; at start-up for the most recent queues,
 * see {@link seed}), and kept in step from then on: +1 when a terminal state commits, -1
 * when RetryTask reopens a finished task or retention deletes one. Until read, events change nothing but the rates:
 * the read will see them in the store. So a stats call costs at most one indexed count per
 * queue it shows, once, and never scans the store.
 *
 * Read counts between store commits (a stats call is its own turn of the event loop), not
 * from inside a commit's callbacks: a read there could count one of that commit's tasks
 * twice, once in the store and once when its callback follows.
 */
export class QueueActivity {
  /** Least recently active first: an active queue is moved to the end. */
  private readonly entries = new Map<string, QueueEntry>();

  constructor(private readonly deps: QueueActivityDeps) {
    if (!Number.isSafeInteger(deps.maxQueues) || deps.maxQueues < 1) throw new RangeError(`maxQueues must be a positive integer, got ${deps.maxQueues}`);
  }

  /** Queues kept now. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * At start-up, before any event: the store's counts of the most recent queues, oldest
   * first (TaskStore.countRecentQueues), every state of each queue. A queue listed here has
   * its finished counts known at once; unfinished states are ignored.
   */
  seed(counts: Iterable<{ readonly queue: string; readonly state: TaskState; readonly count: number }>): void {
    for (const { queue, state, count } of counts) {
      const entry = this.touch(queue);
      entry.finished ??= noneFinished();
      if (isTerminal(state)) entry.finished[state as FinishedState] += count;
    }
  }

  /** `queue` is in use (it has unfinished tasks): keeps it, its counts to be read when asked for. */
  track(queue: string): void {
    this.touch(queue);
  }

  /** `count` tasks of `queue` were accepted (committed). */
  submitted(queue: string, count: number): void {
    this.windowsOf(this.touch(queue)).submitted.record(this.deps.clock.now(), count);
  }

  /** A task of `queue` reached `state` and it committed. */
  taskFinished(queue: string, state: TaskState): void {
    if (!isTerminal(state)) return;
    const entry = this.touch(queue);
    if (entry.finished) entry.finished[state as FinishedState] += 1;
    const windows = this.windowsOf(entry);
    const nowMs = this.deps.clock.now();
    windows.completed.record(nowMs);
    windows.completedHistory.record(nowMs);
    if (state === 'dead') {
      windows.dead.record(nowMs);
      windows.deadHistory.record(nowMs);
    }
  }

  /** RetryTask moved a task of `queue` out of `state` (dead or canceled) back to the unfinished, and it committed. */
  reopened(queue: string, state: TaskState): void {
    const entry = this.touch(queue);
    if (entry.finished && isTerminal(state)) entry.finished[state as FinishedState] = Math.max(0, entry.finished[state as FinishedState] - 1);
  }

  /**
   * Retention deleted a finished task of `queue`, and it committed: one fewer in its state.
   * Not an activity: the queue is neither kept nor moved for it.
   */
  finishedTaskDeleted(queue: string, state: TaskState): void {
    const finished = this.entries.get(queue)?.finished;
    if (finished && isTerminal(state)) finished[state as FinishedState] = Math.max(0, finished[state as FinishedState] - 1);
  }

  /** True when `queue` is kept (active recently, or with unfinished tasks). */
  has(queue: string): boolean {
    return this.entries.has(queue);
  }

  /** The queues kept, least recently active first. */
  queues(): IterableIterator<string> {
    return this.entries.keys();
  }

  /**
   * The queue's finished tasks by state; read from the store if not known yet (and kept if
   * the queue is). Not an event: the queue does not become more recent.
   */
  finishedCounts(queue: string): FinishedCounts {
    const entry = this.entries.get(queue);
    if (entry?.finished) return entry.finished;
    const counts = noneFinished();
    for (const { state, count } of this.deps.countQueue(queue)) if (isTerminal(state)) counts[state as FinishedState] += count;
    if (entry) entry.finished = counts;
    return counts;
  }

  /** Rates over the last minute; a queue idle for longer than its history reaches loses its windows here. */
  rates(queue: string): QueueRates {
    const entry = this.entries.get(queue);
    const windows = entry?.windows;
    if (!entry || !windows) return NO_RATES;
    const nowMs = this.deps.clock.now();
    const rates = {
      submittedPerSecond: windows.submitted.perSecond(nowMs),
      completedPerSecond: windows.completed.perSecond(nowMs),
      deadPerSecond: windows.dead.perSecond(nowMs),
    };
    if (rates.submittedPerSecond === 0 && windows.completedHistory.isIdle(nowMs)) entry.windows = null;
    return rates;
  }

  /** The last {@link HISTORY_BUCKETS} buckets of finished and dead tasks; zeros for a queue idle that long. */
  history(queue: string): QueueHistory {
    const windows = this.entries.get(queue)?.windows;
    const nowMs = this.deps.clock.now();
    if (!windows) {
      const none = new Array<number>(HISTORY_BUCKETS).fill(0);
      return { completed: none, dead: none };
    }
    return { completed: windows.completedHistory.series(nowMs), dead: windows.deadHistory.series(nowMs) };
  }

  /** Makes `queue` the most recently active, adding it (counts unknown) if it was not kept. */
  private touch(queue: string): QueueEntry {
    let entry = this.entries.get(queue);
    if (entry) {
      this.entries.delete(queue); // re-inserted last: the map stays in recency order
    } else {
      entry = { finished: null, windows: null };
    }
    this.entries.set(queue, entry);
    if (this.entries.size > this.deps.maxQueues) this.makeRoom(queue);
    return entry;
  }

  /**
   * Forgets the least recently active idle queue (one, as one was added). Queues with
   * unfinished tasks met on the way are moved to the end, so that the next call does not
   * walk past them again; at most every queue is looked at once. O(1) amortised while idle
   * queues are kept at all, which the queue limits ensure: at most `maxQueues` (half of the
   * engine's cap here) have unfinished tasks.
   */
  private makeRoom(added: string): void {
    for (let looked = this.entries.size; looked > 0 && this.entries.size > this.deps.maxQueues; looked -= 1) {
      const oldest = this.entries.entries().next();
      if (oldest.done) return;
      const [queue, entry] = oldest.value;
      this.entries.delete(queue);
      if (queue === added || this.deps.hasUnfinished(queue)) this.entries.set(queue, entry);
    }
  }

  private windowsOf(entry: QueueEntry): Windows {
    entry.windows ??= {
      submitted: new RateWindow(),
      completed: new RateWindow(),
      dead: new RateWindow(),
      completedHistory: new RateWindow(HISTORY_BUCKETS, HISTORY_BUCKET_MS),
      deadHistory: new RateWindow(HISTORY_BUCKETS, HISTORY_BUCKET_MS),
    };
    return entry.windows;
  }
}

function noneFinished(): Record<FinishedState, number> {
  return { succeeded: 0, dead: 0, canceled: 0 };
}

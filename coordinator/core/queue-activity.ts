import type { Clock } from '../../shared/clock';
import { RateWindow } from './rate-window';
import { isTerminal, type TaskState } from './task';

export type FinishedState = 'succeeded' | 'dead' | 'canceled';

/** A queue's finished tasks by terminal state. */
export type FinishedCounts = Readonly<Record<FinishedState, number>>;

/** Tasks per second over the last minute. */
export interface QueueRates {
  readonly submittedPerSecond: number;
  /** Tasks that reached a terminal state (succeeded, dead or canceled). */
  readonly completedPerSecond: number;
}

const NO_FINISHED: FinishedCounts = { succeeded: 0, dead: 0, canceled: 0 };
const NO_RATES: QueueRates = { submittedPerSecond: 0, completedPerSecond: 0 };

interface Windows {
  readonly submitted: RateWindow;
  readonly completed: RateWindow;
}

/**
 * What each queue has done, for stats: its finished tasks by state, and its submissions and
 * completions over the last minute. The finished counts come from the store once, at
 * start-up (one grouped count), and are kept in step from then on: +1 when a terminal state
 * commits, -1 when RetryTask reopens a finished task. So a stats call never scans the store.
 *
 * Finished counts cost one small entry per queue that ever finished a task (as many as the
 * store has queue names). Rate windows exist only for queues active within the last minute,
 * and at most `maxRateQueues` of them: past that, idle windows go first, then the oldest.
 */
export class QueueActivity {
  private readonly finished = new Map<string, Record<FinishedState, number>>();
  private readonly windows = new Map<string, Windows>();

  constructor(
    private readonly clock: Clock,
    private readonly maxRateQueues: number,
  ) {}

  /** Starts the finished counts from the store's counts by queue and state (unfinished states are ignored). */
  seed(counts: Iterable<{ readonly queue: string; readonly state: TaskState; readonly count: number }>): void {
    for (const { queue, state, count } of counts) {
      if (isTerminal(state)) this.countsOf(queue)[state as FinishedState] += count;
    }
  }

  /** `count` tasks of `queue` were accepted (committed). */
  submitted(queue: string, count: number): void {
    this.windowsOf(queue).submitted.record(this.clock.now(), count);
  }

  /** A task of `queue` reached `state` and it committed. */
  taskFinished(queue: string, state: TaskState): void {
    if (!isTerminal(state)) return;
    this.countsOf(queue)[state as FinishedState] += 1;
    this.windowsOf(queue).completed.record(this.clock.now());
  }

  /** RetryTask moved a task of `queue` out of `state` (dead or canceled) back to the unfinished. */
  reopened(queue: string, state: TaskState): void {
    const counts = this.finished.get(queue);
    if (counts && isTerminal(state)) counts[state as FinishedState] = Math.max(0, counts[state as FinishedState] - 1);
  }

  finishedCounts(queue: string): FinishedCounts {
    return this.finished.get(queue) ?? NO_FINISHED;
  }

  /** Rates over the last minute; a queue idle that long loses its windows here. */
  rates(queue: string): QueueRates {
    const windows = this.windows.get(queue);
    if (!windows) return NO_RATES;
    const nowMs = this.clock.now();
    const rates = { submittedPerSecond: windows.submitted.perSecond(nowMs), completedPerSecond: windows.completed.perSecond(nowMs) };
    if (rates.submittedPerSecond === 0 && rates.completedPerSecond === 0) this.windows.delete(queue);
    return rates;
  }

  /** Queues that have finished tasks or activity within the last minute. */
  queues(): Set<string> {
    return new Set([...this.finished.keys(), ...this.windows.keys()]);
  }

  private countsOf(queue: string): Record<FinishedState, number> {
    let counts = this.finished.get(queue);
    if (!counts) {
      counts = { ...NO_FINISHED };
      this.finished.set(queue, counts);
    }
    return counts;
  }

  private windowsOf(queue: string): Windows {
    let windows = this.windows.get(queue);
    if (!windows) {
      if (this.windows.size >= this.maxRateQueues) this.makeRoom();
      windows = { submitted: new RateWindow(), completed: new RateWindow() };
      this.windows.set(queue, windows);
    }
    return windows;
  }

  /** Drops the windows of queues idle for a minute, or else the oldest one. */
  private makeRoom(): void {
    const nowMs = this.clock.now();
    for (const [queue, windows] of this.windows) {
      if (windows.submitted.isIdle(nowMs) && windows.completed.isIdle(nowMs)) this.windows.delete(queue);
    }
    if (this.windows.size < this.maxRateQueues) return;
    const oldest = this.windows.keys().next();
    if (!oldest.done) this.windows.delete(oldest.value);
  }
}

/**
 * When a schedule fires: the pure timing of a ScheduleSpec, without clocks, storage or tasks.
 * Instants are Unix ms (integers).
 */
import { CronFireTimes } from './cron-fire-times';
import type { ScheduleSpec } from './schedule';

/**
 * Counting cron fire times walks them one by one (10-200 µs each, with the zone's rules);
 * past this many, `between` reports a lower bound rather than block the event loop (a
 * one-second cron over a month of downtime is 2.6 million). The count only feeds a log line
 * and a metric.
 */
export const MAX_COUNTED_CRON_FIRES = 100;

/** The fire times `between` lists, and how many older ones it left out. */
export interface FireTimesBetween {
  /** Oldest first: the latest `limit` fire times of the range. */
  readonly fireTimesMs: readonly number[];
  /** Fire times of the range older than the listed ones. */
  readonly omittedCount: number;
  /** False when `omittedCount` is a lower bound (cron only, past MAX_COUNTED_CRON_FIRES). */
  readonly omittedCountExact: boolean;
}

/** What FireTimes reads of a spec. */
export type FireTimesSpec = Pick<ScheduleSpec, 'cadence' | 'timezone' | 'startAtMs' | 'endAtMs'>;

/** The fire times of one cadence, before start and end bounds. */
interface FireSequence {
  next(afterMs: number, untilMs: number): number | undefined;
  latest(afterMs: number, untilMs: number, limit: number): number[];
  count(afterMs: number, untilMs: number): { count: number; exact: boolean };
}

/** A schedule's fire times: never before startAtMs, never after endAtMs (both inclusive). */
export class FireTimes {
  private readonly sequence: FireSequence;
  /** Fire times are after this (exclusive). */
  private readonly floorMs: number;
  /** Fire times are at or before this. */
  private readonly ceilingMs: number;

  /**
   * @param anchorMs - the schedule's creation time: without startAtMs, `every` counts its
   *   intervals from it (the first fire is one interval later). Cron ignores it.
   * @throws Error when the cron expression does not parse (validate it with checkCronExpression first).
   */
  constructor(spec: FireTimesSpec, anchorMs: number) {
    const { cadence, startAtMs, endAtMs } = spec;
    this.sequence =
      cadence.kind === 'every'
        ? new EveryCadence(startAtMs ?? anchorMs, cadence.intervalMs, startAtMs === null ? 1 : 0)
        : new CronCadence(new CronFireTimes(cadence.expression, spec.timezone));
    this.floorMs = startAtMs === null ? -Infinity : startAtMs - 1;
    this.ceilingMs = endAtMs ?? Infinity;
  }

  /** The first fire time strictly after `afterMs`; undefined when there is none (past endAtMs). */
  next(afterMs: number): number | undefined {
    const fromMs = Math.max(afterMs, this.floorMs);
    if (fromMs >= this.ceilingMs) return undefined;
    return this.sequence.next(fromMs, this.ceilingMs);
  }

  /**
   * The fire times in (afterMs, untilMs], oldest first. When there are more than `limit`, the
   * latest `limit` of them, and the count of the older ones. The work is O(limit) for `every`;
   * for cron, O(limit) plus counting up to MAX_COUNTED_CRON_FIRES.
   */
  between(afterMs: number, untilMs: number, limit: number): FireTimesBetween {
    const fromMs = Math.max(afterMs, this.floorMs);
    const toMs = Math.min(untilMs, this.ceilingMs);
    if (toMs <= fromMs) return { fireTimesMs: [], omittedCount: 0, omittedCountExact: true };
    const fireTimesMs = this.sequence.latest(fromMs, toMs, Math.max(0, limit));
    if (fireTimesMs.length < limit) return { fireTimesMs, omittedCount: 0, omittedCountExact: true };
    const oldestMs = fireTimesMs[0];
    const { count, exact } = this.sequence.count(fromMs, oldestMs === undefined ? toMs : oldestMs - 1);
    return { fireTimesMs, omittedCount: count, omittedCountExact: exact };
  }
}

/** anchor + k × interval for k ≥ firstK, in closed form: a month of one-second fires costs nothing. */
class EveryCadence implements FireSequence {
  constructor(
    private readonly anchorMs: number,
    private readonly intervalMs: number,
    private readonly firstK: number,
  ) {
    // A zero interval would make `latest` loop forever; checkInterval refuses it at the API.
    if (!(intervalMs > 0)) throw new RangeError(`every: interval ${intervalMs}ms is not positive`);
  }

  next(afterMs: number, untilMs: number): number | undefined {
    const fireMs = this.at(this.firstAfter(afterMs));
    return fireMs <= untilMs ? fireMs : undefined;
  }

  latest(afterMs: number, untilMs: number, limit: number): number[] {
    const lastK = this.lastAtOrBefore(untilMs);
    const fireTimesMs: number[] = [];
    for (let k = Math.max(this.firstAfter(afterMs), lastK - limit + 1); k <= lastK; k += 1) fireTimesMs.push(this.at(k));
    return fireTimesMs;
  }

  count(afterMs: number, untilMs: number): { count: number; exact: boolean } {
    return { count: Math.max(0, this.lastAtOrBefore(untilMs) - this.firstAfter(afterMs) + 1), exact: true };
  }

  private at(k: number): number {
    return this.anchorMs + k * this.intervalMs;
  }

  private firstAfter(afterMs: number): number {
    return Math.max(this.firstK, Math.floor((afterMs - this.anchorMs) / this.intervalMs) + 1);
  }

  private lastAtOrBefore(untilMs: number): number {
    return Math.floor((untilMs - this.anchorMs) / this.intervalMs);
  }
}

class CronCadence implements FireSequence {
  constructor(private readonly times: CronFireTimes) {}

  next(afterMs: number, untilMs: number): number | undefined {
    for (const fireMs of this.times.ascending(afterMs, untilMs)) return fireMs;
    return undefined;
  }

  latest(afterMs: number, untilMs: number, limit: number): number[] {
    const newestFirst: number[] = [];
    if (limit === 0) return newestFirst;
    for (const fireMs of this.times.descending(afterMs, untilMs)) {
      if (newestFirst.push(fireMs) >= limit) break;
    }
    return newestFirst.reverse();
  }

  count(afterMs: number, untilMs: number): { count: number; exact: boolean } {
    let count = 0;
    for (const _fireMs of this.times.ascending(afterMs, untilMs)) {
      if (count === MAX_COUNTED_CRON_FIRES) return { count, exact: false };
      count += 1;
    }
    return { count, exact: true };
  }
}

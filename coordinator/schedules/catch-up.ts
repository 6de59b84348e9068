/**
 * Which due fire times fire now: the catch-up policy applied to what came due since the last
 * fire time dealt with. Pure: the scheduler supplies the clock and commits the plan.
 */
import type { FireTimes } from './fire-times';
import type { CatchUpPolicy } from './schedule';

/**
 * A due fire time later than now minus this is on time, not missed: a timer that fires a
 * little late, or a tick that takes a while, must not count as downtime.
 */
export const MISSED_AFTER_MS = 10_000;

export interface DueFiresInput {
  readonly times: FireTimes;
  readonly policy: CatchUpPolicy;
  /** At most this many fires in a plan (the schedule's catchUpLimit); the latest are kept. */
  readonly limit: number;
  /** The latest fire time dealt with: fire times after it, up to now, are due. */
  readonly lastFireMs: number;
  readonly nowMs: number;
  /** Default MISSED_AFTER_MS. */
  readonly missedAfterMs?: number;
}

export interface DueFiresPlan {
  /** Fire times to fire now, oldest first. */
  readonly fire: readonly number[];
  /** How many due fire times are not fired. */
  readonly dropped: number;
  /** False when `dropped` is a lower bound (see FireTimes.between). */
  readonly droppedExact: boolean;
  /** The latest due fire time, fired or dropped; the input's lastFireMs when none is due. */
  readonly lastFireMs: number;
}

/**
 * Plans the fires for the fire times due in (lastFireMs, nowMs].
 * - `skip`: on-time fire times fire; missed ones are dropped.
 * - `one`: on-time fire times fire, and the latest missed one stands for all missed ones.
 * - `all`: every due fire time fires.
 * Whatever the policy, a plan holds at most `limit` fires, the latest ones. The limit is
 * meant for `all`: under `skip` and `one`, only the on-time window's few fires (ten for a
 * one-second schedule) could meet it.
 */
export function planDueFires(input: DueFiresInput): DueFiresPlan {
  const { times, policy, limit, lastFireMs, nowMs } = input;
  // The common case, a timer on time with one fire time due, costs two steps forward rather
  // than the walks back below.
  const first = times.next(lastFireMs);
  if (first === undefined || first > nowMs) return { fire: [], dropped: 0, droppedExact: true, lastFireMs };
  const second = times.next(first);
  if ((second === undefined || second > nowMs) && first > nowMs - (input.missedAfterMs ?? MISSED_AFTER_MS) && limit >= 1) {
    return { fire: [first], dropped: 0, droppedExact: true, lastFireMs: first };
  }
  // Under `all`, no fire time counts as missed.
  const missedUntilMs = policy === 'all' ? lastFireMs : Math.max(lastFireMs, nowMs - (input.missedAfterMs ?? MISSED_AFTER_MS));
  // At least one listed, so that lastFireMs moves past due times even when none fire.
  const onTime = times.between(missedUntilMs, nowMs, Math.max(1, limit));
  const missed = times.between(lastFireMs, missedUntilMs, 1);
  const candidatesMs = policy === 'skip' ? onTime.fireTimesMs : [...missed.fireTimesMs, ...onTime.fireTimesMs];
  const fire = candidatesMs.slice(Math.max(0, candidatesMs.length - limit));
  const dueCount = missed.fireTimesMs.length + missed.omittedCount + onTime.fireTimesMs.length + onTime.omittedCount;
  return {
    fire,
    dropped: dueCount - fire.length,
    droppedExact: onTime.omittedCountExact && missed.omittedCountExact,
    lastFireMs: onTime.fireTimesMs.at(-1) ?? missed.fireTimesMs.at(-1) ?? lastFireMs,
  };
}

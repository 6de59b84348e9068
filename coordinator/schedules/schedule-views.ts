import type { FireTimes } from './fire-times';
import type { ScheduleRecord } from './schedule';

/** Fire times GetSchedule shows ahead. */
export const NEXT_FIRES_SHOWN = 5;

/** The schedule's next fire times after now (or after its latest fire, if later); none while paused. */
export function nextFireTimes(record: ScheduleRecord, times: FireTimes, nowMs: number, count = NEXT_FIRES_SHOWN): number[] {
  const next: number[] = [];
  if (record.paused) return next;
  let after = Math.max(record.lastFireMs, nowMs);
  for (let i = 0; i < count; i += 1) {
    const fireMs = times.next(after);
    if (fireMs === undefined) break;
    next.push(fireMs);
    after = fireMs;
  }
  return next;
}

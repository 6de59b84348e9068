import type { TaskState } from '../core/task';
import type { FireTimes } from './fire-times';
import type { ScheduleRecord } from './schedule';

/** A schedule as the runner holds it. */
export interface ScheduleEntry {
  record: ScheduleRecord;
  times: FireTimes;
  /** The task of the latest fire, for the overlap policy; null before the first. */
  lastTaskId: string | null;
  /** When its timer is set for; undefined while paused or past its end. */
  nextFireMs: number | undefined;
}

/** One fire that submitted a task, as GetSchedule shows it. */
export interface FireView {
  readonly fireMs: number;
  readonly taskId: string;
  readonly state: TaskState;
}

/** A schedule with what it will do and what it did. */
export interface ScheduleView {
  readonly record: ScheduleRecord;
  /** Up to 5 in GetSchedule; the next one alone in listings. */
  readonly nextFireMs: readonly number[];
  /** Newest first; empty in listings. */
  readonly recentFires: readonly FireView[];
}

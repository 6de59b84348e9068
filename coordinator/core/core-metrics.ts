import type { AttemptOutcome, TaskState } from './task';

/**
 * The events the core counts. The coordinator implements this with prom-client
 * (coordinator/metrics.ts); the core itself stays free of any metrics library.
 */
export interface CoreMetrics {
  tasksSubmitted(queue: string, count: number): void;
  attemptEnded(queue: string, outcome: AttemptOutcome): void;
  taskFinished(queue: string, state: TaskState): void;
  retryScheduled(queue: string): void;
  staleReportRejected(): void;
  heartbeatMissed(): void;
  /** Time from a task becoming due to its lease being sent. */
  dispatchLatency(queue: string, ms: number): void;
  /** Time from lease to result. */
  runTime(queue: string, ms: number): void;
  /** Fire times a schedule dealt with: fired (a task submitted), skipped (overlap or a full queue), or dropped by catch-up. */
  scheduleFires(outcome: ScheduleFireOutcome, count: number): void;
  /** Finished tasks retention deleted. */
  tasksDeleted(count: number): void;
}

export type ScheduleFireOutcome = 'fired' | 'skipped' | 'dropped';

export const NO_METRICS: CoreMetrics = {
  tasksSubmitted: () => undefined,
  attemptEnded: () => undefined,
  taskFinished: () => undefined,
  retryScheduled: () => undefined,
  staleReportRejected: () => undefined,
  heartbeatMissed: () => undefined,
  dispatchLatency: () => undefined,
  runTime: () => undefined,
  scheduleFires: () => undefined,
  tasksDeleted: () => undefined,
};

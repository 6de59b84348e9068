import type { Lease } from './leases';
import type { AttemptOutcome, TaskRecord } from './task';

/** How an attempt ended, as the attempt's trace records it. */
export interface AttemptEnding {
  readonly outcome: Exclude<AttemptOutcome, 'running'>;
  /** The handler's message, or why the coordinator ended the attempt. */
  readonly error?: string;
  /** The handler said the failure is final. */
  readonly nonRetryable?: boolean;
}

/**
 * The attempts as a trace sees them. The coordinator implements this with OpenTelemetry
 * (coordinator/tracing/attempt-spans.ts); the core stays free of any tracing library and
 * only says when an attempt starts, when its result arrives, and how it ends.
 */
export interface AttemptTracer {
  /**
   * A lease was granted; `queueWaitMs` is how long the task was due before it. Undefined for
   * a lease taken over from before a restart (the attempt goes on; the wait is history).
   */
  attemptStarted(task: TaskRecord, lease: Lease, queueWaitMs: number | undefined): void;
  /** The worker reported the attempt's result; storing it begins. */
  resultReceived(leaseId: string): void;
  /** The attempt is over: its result is stored, or it timed out, lost its worker, or was canceled. */
  attemptEnded(leaseId: string, ending: AttemptEnding): void;
  /** The coordinator stops: attempts still open end their spans as interrupted (a restart resumes them). */
  interrupted(reason: string): void;
  /** `trace_id` and `span_id` for a log line about `task` (and its attempt under `leaseId`). */
  logFields(task: Pick<TaskRecord, 'traceContext'>, leaseId?: string): { readonly trace_id?: string; readonly span_id?: string };
}

export const NO_TRACING: AttemptTracer = {
  attemptStarted: () => undefined,
  resultReceived: () => undefined,
  attemptEnded: () => undefined,
  interrupted: () => undefined,
  logFields: () => ({}),
};

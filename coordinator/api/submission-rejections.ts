import { BatonError } from '../../shared/errors';
import type { SubmitTasksRequest } from '../../shared/gen/baton/v1/task_queue';
import { QueueLimitError, type QueueLimit } from '../core/queue-occupancy';

/** Why a submission was refused: the closed set of `baton_submissions_rejected_total` reasons. */
export const SUBMISSION_REJECT_REASONS = [
  /** A field failed validation, or the message did not decode. */
  'invalid_argument',
  /** No credential, or one the coordinator does not know. */
  'unauthenticated',
  /** The credential's role or queues do not allow it. */
  'permission_denied',
  /** The queue is at maxQueuedTasksPerQueue. */
  'queue_full',
  /** The coordinator is at maxQueuedTasks. */
  'too_many_tasks',
  /** It would open a queue past maxQueues. */
  'too_many_queues',
  /** The coordinator is shutting down or lost its store. */
  'unavailable',
  /** Anything else (an internal error, a conflict on an idempotency key). */
  'other',
] as const;

export type SubmissionRejectReason = (typeof SUBMISSION_REJECT_REASONS)[number];

/** Where refused submissions are counted (the coordinator's metrics). */
export interface SubmissionRejections {
  /** `tasks` tasks were refused for `reason`. */
  rejected(reason: SubmissionRejectReason, tasks: number): void;
}

export const NO_REJECTION_COUNTS: SubmissionRejections = { rejected: () => undefined };

const REASON_BY_LIMIT: Record<QueueLimit, SubmissionRejectReason> = {
  maxQueuedTasksPerQueue: 'queue_full',
  maxQueuedTasks: 'too_many_tasks',
  maxQueues: 'too_many_queues',
};

/** The reason a submission failed with `err`. */
export function rejectionReason(err: unknown): SubmissionRejectReason {
  if (err instanceof QueueLimitError) return REASON_BY_LIMIT[err.limit];
  if (!(err instanceof BatonError)) return 'other';
  switch (err.code) {
    case 'INVALID_ARGUMENT':
      return 'invalid_argument';
    case 'UNAUTHENTICATED':
      return 'unauthenticated';
    case 'PERMISSION_DENIED':
      return 'permission_denied';
    case 'UNAVAILABLE':
      return 'unavailable';
    default:
      return 'other';
  }
}

/**
 * Tasks a refused SubmitTasks call held: its requests, or 1 when that is unknown (the
 * message did not decode) or zero (an empty batch), so that every refused call shows.
 */
export function tasksInBatch(request: SubmitTasksRequest | undefined): number {
  return Math.max(1, request?.tasks.length ?? 0);
}

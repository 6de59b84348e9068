/**
 * Every span and attribute name Baton emits, in one place. Spans follow the OpenTelemetry
 * messaging semantic conventions: the span name is `{operation} {queue}`, and the
 * `messaging.*` attributes say which queue, which task and which operation.
 * See docs/observability.md for the trace of one task.
 */

/** The instrumentation scope of Baton's spans (the tracer name). */
export const TRACER_NAME = 'baton';
export const TRACER_VERSION = '0.1.0';

/** `messaging.system`'s value. */
export const MESSAGING_SYSTEM = 'baton';

/** The four things that happen to a task, as messaging operations. */
export const Operation = {
  /** A client submits a task (the one PRODUCER span per task, or per batch). */
  send: 'send',
  /** Per task of a batch: the creation context its trace continues from. */
  create: 'create',
  /** The coordinator hands an attempt to a worker: from lease to result. */
  receive: 'receive',
  /** A worker runs an attempt's handler (CONSUMER). */
  process: 'process',
} as const;
export type OperationName = (typeof Operation)[keyof typeof Operation];

/** `{operation} {queue}`: low in cardinality, as span names must be. */
export function spanName(operation: OperationName, queue: string): string {
  return `${operation} ${queue}`;
}

export const Attr = {
  messagingSystem: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destination: 'messaging.destination.name',
  messageId: 'messaging.message.id',
  batchCount: 'messaging.batch.message_count',
  consumerGroup: 'messaging.consumer.group.name',
  errorType: 'error.type',
  taskType: 'baton.task.type',
  attempt: 'baton.attempt',
  maxAttempts: 'baton.max_attempts',
  outcome: 'baton.outcome',
  deduplicated: 'baton.deduplicated',
  workerId: 'baton.worker.id',
  leaseId: 'baton.lease.id',
  /** On an attempt span that a restarted coordinator took over from before the restart. */
  resumed: 'baton.resumed',
  /** Milliseconds from the task being due to its lease (the coordinator's attempt span). */
  queueWaitMs: 'baton.queue_wait_ms',
  priority: 'baton.priority',
} as const;

/**
 * How an attempt ended, as `baton.outcome` on attempt spans. The worker knows `canceled`
 * and `shutdown` as well; `worker_lost` and `interrupted` (the coordinator stopped while the
 * attempt ran; a restart resumes it in a further span) are the coordinator's alone.
 */
export type AttemptOutcomeName = 'succeeded' | 'failed' | 'non_retryable' | 'timed_out' | 'canceled' | 'worker_lost' | 'shutdown' | 'interrupted';

/** The messaging attributes every Baton span about one task carries. */
export function taskAttributes(operation: OperationName, queue: string, taskType: string): Record<string, string> {
  return {
    [Attr.messagingSystem]: MESSAGING_SYSTEM,
    [Attr.operationType]: operation,
    [Attr.operationName]: operation,
    [Attr.destination]: queue,
    [Attr.taskType]: taskType,
  };
}

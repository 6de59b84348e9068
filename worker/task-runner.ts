import { context } from '@opentelemetry/api';
import { errorMessage } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { JSON_CONTENT_TYPE, decodePayload, encodeJson } from '../shared/payload';
import type { Lease } from '../shared/gen/baton/v1/worker_service';
import type { AttemptSpan } from './attempt-span';
import type { Handler, TaskContext } from './handler';
import { isNonRetryable } from './non-retryable-error';

export type AttemptOutcome =
  | { readonly kind: 'success'; readonly result: Buffer; readonly contentType: string }
  | { readonly kind: 'failure'; readonly message: string; readonly nonRetryable: boolean; readonly errorType: string };

/**
 * Runs one lease's handler to completion, inside its attempt span's context, and describes
 * how it ended. Never throws: a handler's error, a bad payload and an unserialisable result
 * all become failures (and are recorded on the span).
 * @param logger makes the handler's logger (`context.logger`), called only if the handler reads it.
 * @param progress the handler's `context.progress`.
 */
export async function runAttempt(
  lease: Lease,
  handler: Handler | undefined,
  signal: AbortSignal,
  logger: () => Logger,
  span: AttemptSpan,
  progress: TaskContext['progress'],
): Promise<AttemptOutcome> {
  if (!handler) {
    const message = `no handler for task type "${lease.type}" on this worker`;
    span.failed(new UnknownTaskTypeError(message), false);
    return { kind: 'failure', message, nonRetryable: false, errorType: 'UnknownTaskType' };
  }
  try {
    // The lease's payload is this attempt's own (decoding the message copied it): a handler
    // that takes raw bytes gets them without another copy.
    const payload = decodePayload(lease.payload, lease.contentType, 'share');
    const taskContext: TaskContext = {
      taskId: lease.taskId,
      attempt: lease.attempt,
      maxAttempts: lease.maxAttempts,
      queue: lease.queue,
      type: lease.type,
      labels: lease.labels,
      traceContext: lease.traceContext,
      signal,
      // A pino child logger costs more than a no-op handler: made on first use only.
      get logger() {
        return logger();
      },
      span: span.span,
      progress,
    };
    const value: unknown = await context.with(span.context, () => handler(payload, taskContext));
    if (Buffer.isBuffer(value)) return { kind: 'success', result: value, contentType: 'application/octet-stream' };
    return { kind: 'success', result: encodeJson(value), contentType: JSON_CONTENT_TYPE };
  } catch (err: unknown) {
    span.failed(err, isNonRetryable(err));
    return {
      kind: 'failure',
      message: errorMessage(err) || 'handler failed',
      nonRetryable: isNonRetryable(err),
      errorType: err instanceof Error ? err.name : typeof err,
    };
  }
}

class UnknownTaskTypeError extends Error {
  override readonly name = 'UnknownTaskType';
}

import { errorMessage } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { JSON_CONTENT_TYPE, decodePayload, encodeJson } from '../shared/payload';
import type { Lease } from '../shared/gen/baton/v1/worker_service';
import type { Handler } from './handler';
import { isNonRetryable } from './non-retryable-error';

export type AttemptOutcome =
  | { readonly kind: 'success'; readonly result: Buffer; readonly contentType: string }
  | { readonly kind: 'failure'; readonly message: string; readonly nonRetryable: boolean; readonly errorType: string };

/**
 * Runs one lease's handler to completion and describes how it ended. Never throws: a
 * handler's error, a bad payload and an unserialisable result all become failures.
 */
export async function runAttempt(lease: Lease, handler: Handler | undefined, signal: AbortSignal, logger: Logger): Promise<AttemptOutcome> {
  if (!handler) {
    return { kind: 'failure', message: `no handler for task type "${lease.type}" on this worker`, nonRetryable: false, errorType: 'UnknownTaskType' };
  }
  try {
    const payload = decodePayload(lease.payload, lease.contentType);
    const value: unknown = await handler(payload, {
      taskId: lease.taskId,
      attempt: lease.attempt,
      maxAttempts: lease.maxAttempts,
      queue: lease.queue,
      type: lease.type,
      labels: lease.labels,
      traceContext: lease.traceContext,
      signal,
      logger,
    });
    if (Buffer.isBuffer(value)) return { kind: 'success', result: value, contentType: 'application/octet-stream' };
    return { kind: 'success', result: encodeJson(value), contentType: JSON_CONTENT_TYPE };
  } catch (err: unknown) {
    return {
      kind: 'failure',
      message: errorMessage(err) || 'handler failed',
      nonRetryable: isNonRetryable(err),
      errorType: err instanceof Error ? err.name : typeof err,
    };
  }
}

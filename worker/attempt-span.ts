import { ROOT_CONTEXT, SpanKind, SpanStatusCode, isSpanContextValid, trace, type Context, type Span } from '@opentelemetry/api';
import type { Lease } from '../shared/gen/baton/v1/worker_service';
import { traceLogFields, type TraceLogFields } from '../shared/tracing/log-fields';
import { Attr, Operation, spanName, taskAttributes, type AttemptOutcomeName } from '../shared/tracing/names';
import { batonTracer } from '../shared/tracing/tracer';
import { contextWithRemoteParent } from '../shared/tracing/w3c-trace-context';

/** Why an attempt's lease was taken back before its handler finished. */
export type Revocation = 'timeout' | 'canceled' | 'shutdown';

/**
 * The worker's CONSUMER span of one attempt, `process {queue}`: a child of the submitter's
 * context that the lease carries, so every attempt of a task, retries included, lands in
 * the trace its submit started. It is the active context while the handler runs, so spans
 * the handler makes nest under it with no code of its own.
 */
export class AttemptSpan {
  /** The context to run the handler in. */
  readonly context: Context;
  /** `trace_id` and `span_id` for every log line about this attempt. */
  readonly logFields: TraceLogFields;
  private failure: { readonly error: unknown; readonly nonRetryable: boolean } | undefined;

  private constructor(readonly span: Span) {
    // An invalid context means no SDK and no submitter's context: nothing to make active.
    const valid = isSpanContextValid(span.spanContext());
    this.context = valid ? trace.setSpan(ROOT_CONTEXT, span) : ROOT_CONTEXT;
    this.logFields = valid ? traceLogFields(span.spanContext()) : {};
  }

  /** Starts the span of `lease`. With no SDK in the process it records nothing. */
  static start(lease: Lease, workerId: string): AttemptSpan {
    const parent = contextWithRemoteParent(lease.traceContext);
    const span = batonTracer().startSpan(spanName(Operation.process, lease.queue), { kind: SpanKind.CONSUMER }, parent);
    // Unsampled (or no SDK): attributes would be thrown away.
    if (span.isRecording()) {
      span.setAttributes({
        ...taskAttributes(Operation.process, lease.queue, lease.type),
        [Attr.messageId]: lease.taskId,
        [Attr.attempt]: lease.attempt,
        [Attr.maxAttempts]: lease.maxAttempts,
        [Attr.workerId]: workerId,
      });
    }
    return new AttemptSpan(span);
  }

  /** The handler threw (or could not run): kept for the span's status and exception event. */
  failed(error: unknown, nonRetryable: boolean): void {
    this.failure = { error, nonRetryable };
  }

  /**
   * Ends the span with `baton.outcome` and, for anything but success, an error status.
   * @param revokedBy why the coordinator took the lease back, if it did: that, not the
   *   handler's reaction to its aborted signal, is how the attempt ended.
   */
  end(revokedBy: Revocation | undefined): void {
    const outcome = this.outcome(revokedBy);
    this.span.setAttribute(Attr.outcome, outcome);
    if (outcome !== 'succeeded') {
      const error = this.failure?.error;
      const message = revokedBy ? REVOKED_MESSAGES[revokedBy] : error instanceof Error ? error.message : String(error);
      this.span.setAttribute(Attr.errorType, revokedBy ? outcome : error instanceof Error ? error.name : typeof error);
      if (error instanceof Error) this.span.recordException(error);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message });
    }
    this.span.end();
  }

  private outcome(revokedBy: Revocation | undefined): AttemptOutcomeName {
    if (revokedBy === 'timeout') return 'timed_out';
    if (revokedBy) return revokedBy;
    if (!this.failure) return 'succeeded';
    return this.failure.nonRetryable ? 'non_retryable' : 'failed';
  }
}

const REVOKED_MESSAGES = {
  timeout: 'the execution timeout passed',
  canceled: 'the coordinator canceled the attempt',
  shutdown: 'the worker shut down before the handler finished',
} as const;

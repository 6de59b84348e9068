import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { traceLogFields, type TraceLogFields } from '../../shared/tracing/log-fields';
import { Attr, Operation, spanName, taskAttributes, type AttemptOutcomeName } from '../../shared/tracing/names';
import { batonTracer } from '../../shared/tracing/tracer';
import { contextWithRemoteParent, fromTraceContext } from '../../shared/tracing/w3c-trace-context';
import type { AttemptEnding, AttemptTracer } from '../core/attempt-tracer';
import type { Lease } from '../core/leases';
import type { TaskRecord } from '../core/task';

/** The event on an attempt span when its result arrives: from it to the span's end, the result is being stored. */
export const RESULT_RECEIVED = 'baton.result_received';

/**
 * The coordinator's span of each attempt, `receive {queue}`: from the lease to the end of
 * the attempt (its result stored, a timeout, a lost worker or a cancel), a child of the
 * submitter's context stored with the task, so retries are further spans of the same trace.
 * The queue wait is an attribute; the result's arrival is an event, so the time it took to
 * store shows without a span of its own. Spans are kept only while they record: with
 * tracing off (or the task unsampled) nothing is held, otherwise one span per lease.
 */
export class AttemptSpans implements AttemptTracer {
  private readonly open = new Map<string, Span>();

  /** Spans open now (a lease whose attempt has not ended). */
  get size(): number {
    return this.open.size;
  }

  attemptStarted(task: TaskRecord, lease: Lease, queueWaitMs: number | undefined): void {
    const span = batonTracer().startSpan(spanName(Operation.receive, task.queue), { kind: SpanKind.INTERNAL }, contextWithRemoteParent(task.traceContext));
    // Unsampled (or no SDK): nothing to describe and nothing to keep.
    if (!span.isRecording()) return;
    span.setAttributes({
      ...taskAttributes(Operation.receive, task.queue, task.type),
      [Attr.messageId]: task.id,
      [Attr.attempt]: lease.attempt,
      [Attr.workerId]: lease.workerId,
      ...(queueWaitMs === undefined ? { [Attr.resumed]: true } : { [Attr.queueWaitMs]: queueWaitMs }),
    });
    this.open.set(lease.leaseId, span);
  }

  resultReceived(leaseId: string): void {
    this.open.get(leaseId)?.addEvent(RESULT_RECEIVED);
  }

  attemptEnded(leaseId: string, ending: AttemptEnding): void {
    const span = this.open.get(leaseId);
    if (!span) return;
    this.open.delete(leaseId);
    const outcome: AttemptOutcomeName = ending.outcome === 'failed' && ending.nonRetryable ? 'non_retryable' : ending.outcome;
    span.setAttribute(Attr.outcome, outcome);
    if (outcome !== 'succeeded') {
      span.setAttribute(Attr.errorType, outcome);
      span.setStatus({ code: SpanStatusCode.ERROR, message: ending.error ?? outcome });
    }
    span.end();
  }

  interrupted(reason: string): void {
    for (const span of this.open.values()) {
      span.setAttribute(Attr.outcome, 'interrupted');
      span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
      span.end();
    }
    this.open.clear();
  }

  logFields(task: Pick<TaskRecord, 'traceContext'>, leaseId?: string): TraceLogFields {
    const span = leaseId === undefined ? undefined : this.open.get(leaseId);
    return traceLogFields(span ? span.spanContext() : fromTraceContext(task.traceContext));
  }
}


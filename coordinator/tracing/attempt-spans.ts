import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { traceLogFields, type TraceLogFields } from '../../shared/tracing/log-fields';
import { Attr, Operation, TRACER_NAME, TRACER_VERSION, spanName, taskAttributes, type AttemptOutcomeName } from '../../shared/tracing/names';
import { fromTraceContext } from '../../shared/tracing/w3c-trace-context';
import type { AttemptEnding, AttemptTracer } from '../core/attempt-tracer';
import type { Lease } from '../core/leases';
import type { TaskRecord } from '../core/task';

interface OpenAttempt {
  readonly span: Span;
  readonly queue: string;
  readonly taskType: string;
  settle: Span | undefined;
}

/**
 * The coordinator's spans of each attempt: `receive {queue}` from lease to the end of the
 * attempt, a child of the submitter's context stored with the task (so retries are further
 * spans of the same trace), with the queue wait as an attribute; and within it
 * `settle {queue}`, from the worker's result to its commit. Spans are kept only while they
 * record: with tracing off nothing is held, and at most one span per lease otherwise.
 */
export class AttemptSpans implements AttemptTracer {
  private readonly open = new Map<string, OpenAttempt>();

  /** Spans open now (a lease whose attempt has not ended). */
  get size(): number {
    return this.open.size;
  }

  attemptStarted(task: TaskRecord, lease: Lease, queueWaitMs: number): void {
    const submitter = fromTraceContext(task.traceContext);
    const parent = submitter ? trace.setSpanContext(ROOT_CONTEXT, submitter) : ROOT_CONTEXT;
    const attributes = {
      ...taskAttributes(Operation.receive, task.queue, task.type),
      [Attr.messageId]: task.id,
      [Attr.attempt]: lease.attempt,
      [Attr.maxAttempts]: task.maxAttempts,
      [Attr.workerId]: lease.workerId,
      [Attr.queueWaitMs]: queueWaitMs,
    };
    const span = tracer().startSpan(spanName(Operation.receive, task.queue), { kind: SpanKind.INTERNAL, attributes }, parent);
    if (span.isRecording()) this.open.set(lease.leaseId, { span, queue: task.queue, taskType: task.type, settle: undefined });
  }

  resultReceived(leaseId: string): void {
    const attempt = this.open.get(leaseId);
    if (!attempt || attempt.settle) return;
    const attributes = taskAttributes(Operation.settle, attempt.queue, attempt.taskType);
    attempt.settle = tracer().startSpan(spanName(Operation.settle, attempt.queue), { kind: SpanKind.INTERNAL, attributes }, trace.setSpan(ROOT_CONTEXT, attempt.span));
  }

  attemptEnded(leaseId: string, ending: AttemptEnding): void {
    const attempt = this.open.get(leaseId);
    if (!attempt) return;
    this.open.delete(leaseId);
    const outcome: AttemptOutcomeName = ending.outcome === 'failed' && ending.nonRetryable ? 'non_retryable' : ending.outcome;
    for (const span of attempt.settle ? [attempt.settle, attempt.span] : [attempt.span]) {
      span.setAttribute(Attr.outcome, outcome);
      if (outcome !== 'succeeded') {
        span.setAttribute(Attr.errorType, outcome);
        span.setStatus({ code: SpanStatusCode.ERROR, message: ending.error ?? outcome });
      }
      span.end();
    }
  }

  logFields(task: Pick<TaskRecord, 'traceContext'>, leaseId?: string): TraceLogFields {
    const attempt = leaseId === undefined ? undefined : this.open.get(leaseId);
    return traceLogFields(attempt ? attempt.span.spanContext() : fromTraceContext(task.traceContext));
  }
}

function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME, TRACER_VERSION);
}

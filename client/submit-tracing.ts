import { SpanKind, SpanStatusCode, context, isSpanContextValid, trace, type Context, type Link, type Span } from '@opentelemetry/api';
import { BatonError } from '../shared/errors';
import { DEFAULT_QUEUE } from '../shared/default-queue';
import type { SubmitTaskRequest, SubmitTaskResponse } from '../shared/gen/baton/v1/task_queue';
import { Attr, Operation, spanName, taskAttributes } from '../shared/tracing/names';
import { batonTracer } from '../shared/tracing/tracer';
import { contextWithRemoteParent, toTraceContext } from '../shared/tracing/w3c-trace-context';

/**
 * The client's side of a task's trace. Every submitted task carries the context of a
 * PRODUCER span made here, so the coordinator's and the workers' spans join the submitter's
 * trace; with no active context, the span starts a trace of its own. Only the OpenTelemetry
 * API is used: without an SDK in the process every span is a no-op and no context is sent.
 */


/**
 * Sends one task inside its `send {queue}` PRODUCER span. A `traceContext` the caller put
 * on the request is the span's parent; otherwise the active context is.
 */
export async function tracedSubmit(
  request: SubmitTaskRequest,
  send: (request: SubmitTaskRequest) => Promise<SubmitTaskResponse>,
): Promise<SubmitTaskResponse> {
  const parent = parentContext(request.traceContext);
  const span = startProducerSpan(Operation.send, request, parent);
  const traced = { ...request, traceContext: traceContextOf(span, request.traceContext) };
  try {
    const response = await context.with(trace.setSpan(parent, span), () => send(traced));
    describeSubmitted(span, response);
    return response;
  } catch (err: unknown) {
    recordError(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Sends a batch inside one `send` PRODUCER span linked to a `create {queue}` span per task:
 * each task gets a trace context of its own (its own trace, unless a context is active), so
 * a thousand tasks do not make one thousand-task trace.
 */
export async function tracedSubmitMany(
  requests: readonly SubmitTaskRequest[],
  send: (requests: SubmitTaskRequest[]) => Promise<SubmitTaskResponse[]>,
): Promise<SubmitTaskResponse[]> {
  const active = context.active();
  const batch = batonTracer().startSpan(spanName(Operation.send, batchQueue(requests)), { kind: SpanKind.PRODUCER }, active);
  if (!isSpanContextValid(batch.spanContext())) {
    // No SDK and no active context: no span anywhere, so none per task either (tracing off
    // must cost nothing per task). A trace context a caller gave a task goes as it is.
    batch.end();
    return send([...requests]);
  }
  const creates = requests.map((request) => startProducerSpan(Operation.create, request, parentContext(request.traceContext, active)));
  const traced = requests.map((request, index) => ({ ...request, traceContext: traceContextOf(creates[index] as Span, request.traceContext) }));
  const links: Link[] = creates.map((span) => span.spanContext()).filter(isSpanContextValid).map((spanContext) => ({ context: spanContext }));
  for (const link of links) batch.addLink(link);
  if (batch.isRecording()) batch.setAttributes({ ...taskAttributes(Operation.send, batchQueue(requests), batchType(requests)), [Attr.batchCount]: requests.length });
  try {
    const responses = await context.with(trace.setSpan(active, batch), () => send(traced));
    responses.forEach((response, index) => describeSubmitted(creates[index], response));
    return responses;
  } catch (err: unknown) {
    recordError(batch, err);
    for (const span of creates) recordError(span, err);
    throw err;
  } finally {
    for (const span of creates) span.end();
    batch.end();
  }
}

function startProducerSpan(operation: typeof Operation.send | typeof Operation.create, request: SubmitTaskRequest, parent: Context): Span {
  const queue = request.queue || DEFAULT_QUEUE;
  const span = batonTracer().startSpan(spanName(operation, queue), { kind: SpanKind.PRODUCER }, parent);
  // Unsampled (or no SDK): attributes would be thrown away.
  if (span.isRecording()) {
    span.setAttributes(taskAttributes(operation, queue, request.type));
    if (request.priority !== 0) span.setAttribute(Attr.priority, request.priority);
  }
  return span;
}

/** The caller's explicit trace context wins over the active one. */
function parentContext(traceContext: Readonly<Record<string, string>>, active: Context = context.active()): Context {
  return contextWithRemoteParent(traceContext, active);
}

/** The span's context, or (no SDK, nothing recorded) whatever the caller passed on. */
function traceContextOf(span: Span, given: Record<string, string>): Record<string, string> {
  const own = toTraceContext(span.spanContext());
  return Object.keys(own).length > 0 ? own : given;
}

function describeSubmitted(span: Span | undefined, response: SubmitTaskResponse): void {
  if (!span || !response.task) return;
  span.setAttribute(Attr.messageId, response.task.id);
  if (response.deduplicated) span.setAttribute(Attr.deduplicated, true);
}

function recordError(span: Span, err: unknown): void {
  const code = err instanceof BatonError ? err.code : 'UNKNOWN';
  span.setAttribute(Attr.errorType, code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  if (err instanceof Error) span.recordException(err);
}

/** A batch's queue for its span name: the one queue, or `(mixed)`. */
function batchQueue(requests: readonly SubmitTaskRequest[]): string {
  const queues = new Set(requests.map((request) => request.queue || DEFAULT_QUEUE));
  return queues.size === 1 ? ([...queues][0] as string) : '(mixed)';
}

function batchType(requests: readonly SubmitTaskRequest[]): string {
  const types = new Set(requests.map((request) => request.type));
  return types.size === 1 ? ([...types][0] as string) : '(mixed)';
}

import { expect } from 'chai';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { tracedSubmit, tracedSubmitMany } from '../../../client/submit-tracing';
import { BatonError } from '../../../shared/errors';
import type { SubmitTaskRequest, SubmitTaskResponse } from '../../../shared/gen/baton/v1/task_queue';
import { toSubmitTaskRequest } from '../../../client/submit-request';
import { fromTraceContext } from '../../../shared/tracing/w3c-trace-context';
import { useInMemoryTracing } from '../../support/in-memory-tracing';

/** What the coordinator would answer: the task with an id, carrying the request's trace context. */
function answer(request: SubmitTaskRequest, id: string): SubmitTaskResponse {
  return { task: { id, queue: request.queue || 'default', type: request.type, traceContext: request.traceContext } as SubmitTaskResponse['task'], deduplicated: false };
}

describe('submit tracing (client)', () => {
  const tracing = useInMemoryTracing();

  it('sends one task inside a PRODUCER span that starts a trace of its own, and hands its context on', async () => {
    let sent: SubmitTaskRequest | undefined;
    let activeDuringSend: string | undefined;
    await tracedSubmit(toSubmitTaskRequest('email.send', { to: 'a' }, { queue: 'mail', priority: 3 }), (request) => {
      sent = request;
      activeDuringSend = trace.getActiveSpan()?.spanContext().spanId;
      return Promise.resolve(answer(request, 'task-1'));
    });
    const span = tracing.span('send mail');
    expect(span.kind).to.equal(SpanKind.PRODUCER);
    expect(span.parentSpanContext).to.equal(undefined);
    expect(span.attributes).to.include({
      'messaging.system': 'baton',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'mail',
      'messaging.message.id': 'task-1',
      'baton.task.type': 'email.send',
      'baton.priority': 3,
    });
    const handedOn = fromTraceContext(sent?.traceContext ?? {});
    expect(handedOn?.traceId).to.equal(span.spanContext().traceId);
    expect(handedOn?.spanId).to.equal(span.spanContext().spanId);
    // The gRPC call (and its instrumentation's CLIENT span) runs inside the send span.
    expect(activeDuringSend).to.equal(span.spanContext().spanId);
  });

  it('is a child of the active span when there is one', async () => {
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('checkout', async (parent) => {
      await tracedSubmit(toSubmitTaskRequest('x'), (request) => Promise.resolve(answer(request, 't')));
      parent.end();
    });
    const send = tracing.span('send default');
    const parent = tracing.span('checkout');
    expect(send.parentSpanContext?.spanId).to.equal(parent.spanContext().spanId);
    expect(send.spanContext().traceId).to.equal(parent.spanContext().traceId);
  });

  it('continues an explicit traceContext option rather than the active context', async () => {
    const given = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
    await tracedSubmit(toSubmitTaskRequest('x', undefined, { traceContext: given }), (request) => Promise.resolve(answer(request, 't')));
    const send = tracing.span('send default');
    expect(send.spanContext().traceId).to.equal('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(send.parentSpanContext?.spanId).to.equal('00f067aa0ba902b7');
  });

  it('records a refused submit as an error with its code', async () => {
    const refused = new BatonError('INVALID_ARGUMENT', 'type: must not be empty');
    await tracedSubmit(toSubmitTaskRequest(''), () => Promise.reject(refused)).catch(() => undefined);
    const send = tracing.span('send default');
    expect(send.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'type: must not be empty' });
    expect(send.attributes['error.type']).to.equal('INVALID_ARGUMENT');
    expect(send.events.map((event) => event.name)).to.deep.equal(['exception']);
  });

  it('sends a batch in one span linked to a trace per task', async () => {
    let sent: SubmitTaskRequest[] = [];
    const requests = [toSubmitTaskRequest('a', 1, { queue: 'q' }), toSubmitTaskRequest('b', 2, { queue: 'q' })];
    await tracedSubmitMany(requests, (traced) => {
      sent = traced;
      return Promise.resolve(traced.map((request, index) => answer(request, `task-${index}`)));
    });
    const batch = tracing.span('send q');
    expect(batch.kind).to.equal(SpanKind.PRODUCER);
    expect(batch.attributes['messaging.batch.message_count']).to.equal(2);
    const creates = tracing.spans().filter((span) => span.name === 'create q');
    expect(creates.map((span) => span.attributes['messaging.message.id'])).to.deep.equal(['task-0', 'task-1']);
    expect(batch.links.map((link) => link.context.spanId)).to.deep.equal(creates.map((span) => span.spanContext().spanId));
    // Each task continues its own create span, in a trace of its own.
    expect(sent.map((request) => fromTraceContext(request.traceContext)?.spanId)).to.deep.equal(creates.map((span) => span.spanContext().spanId));
    expect(new Set(creates.map((span) => span.spanContext().traceId)).size).to.equal(2);
  });

  it('leaves the trace context as given when no SDK records (tracing off), single or batch', async () => {
    const noop = trace.getTracerProvider();
    trace.disable(); // back to the API's no-op provider for this one test
    try {
      let sent: SubmitTaskRequest | undefined;
      await tracedSubmit(toSubmitTaskRequest('x'), (request) => {
        sent = request;
        return Promise.resolve(answer(request, 't'));
      });
      expect(sent?.traceContext).to.deep.equal({});
      // A batch too, and a context a caller gave one of its tasks goes as it is.
      const given = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
      let batch: SubmitTaskRequest[] = [];
      await tracedSubmitMany([toSubmitTaskRequest('a'), toSubmitTaskRequest('b', 1, { traceContext: given })], (traced) => {
        batch = traced;
        return Promise.resolve(traced.map((request, index) => answer(request, `t${index}`)));
      });
      expect(batch.map((request) => request.traceContext)).to.deep.equal([{}, given]);
    } finally {
      trace.setGlobalTracerProvider(noop);
    }
  });
});

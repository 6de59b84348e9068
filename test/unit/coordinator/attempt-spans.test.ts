import { expect } from 'chai';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Lease } from '../../../coordinator/core/leases';
import { AttemptSpans, RESULT_RECEIVED } from '../../../coordinator/tracing/attempt-spans';
import { makeTask } from '../../support/tasks';
import { useInMemoryTracing } from '../../support/in-memory-tracing';

const SUBMITTER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
const task = makeTask({ id: 'task-1', queue: 'mail', type: 'email.send', maxAttempts: 4, traceContext: { traceparent: `00-${SUBMITTER.traceId}-${SUBMITTER.spanId}-01` } });

function lease(leaseId: string, attempt: number): Lease {
  return { leaseId, taskId: task.id, queue: 'default', attempt, workerId: 'worker-a', proof: '', principal: 'anonymous', sessionId: 's', startedAtMs: 0, deadlineMs: null, grantOrdinal: 1 };
}

describe('attempt spans (coordinator)', () => {
  const tracing = useInMemoryTracing();

  it('spans each attempt from lease to stored result, under the submitter, marking when the result arrived', () => {
    const spans = new AttemptSpans();
    spans.attemptStarted(task, lease('l1', 1), 42);
    expect(spans.size).to.equal(1);
    spans.resultReceived('l1');
    spans.attemptEnded('l1', { outcome: 'succeeded' });
    expect(spans.size).to.equal(0);
    const receive = tracing.span('receive mail');
    expect(tracing.spans()).to.have.length(1);
    expect(receive.kind).to.equal(SpanKind.INTERNAL);
    expect(receive.spanContext().traceId).to.equal(SUBMITTER.traceId);
    expect(receive.parentSpanContext?.spanId).to.equal(SUBMITTER.spanId);
    expect(receive.events.map((event) => event.name)).to.deep.equal([RESULT_RECEIVED]);
    expect(receive.attributes).to.include({
      'messaging.system': 'baton',
      'messaging.operation.type': 'receive',
      'messaging.destination.name': 'mail',
      'messaging.message.id': 'task-1',
      'baton.task.type': 'email.send',
      'baton.attempt': 1,
      'baton.worker.id': 'worker-a',
      'baton.queue_wait_ms': 42,
      'baton.outcome': 'succeeded',
    });
    expect(receive.status.code).to.equal(SpanStatusCode.UNSET);
  });

  it('ends a timed-out, lost or failed attempt with an error status, and a retry is a further span of the same trace', () => {
    const spans = new AttemptSpans();
    spans.attemptStarted(task, lease('l1', 1), 0);
    spans.attemptEnded('l1', { outcome: 'timed_out', error: 'execution timeout of 50ms exceeded' });
    spans.attemptStarted(task, lease('l2', 2), 0);
    spans.resultReceived('l2');
    spans.attemptEnded('l2', { outcome: 'failed', error: 'no such mailbox', nonRetryable: true });
    const [first, second] = tracing.spans().filter((span) => span.name === 'receive mail');
    expect(first?.attributes['baton.outcome']).to.equal('timed_out');
    expect(first?.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'execution timeout of 50ms exceeded' });
    expect(second?.attributes['baton.outcome']).to.equal('non_retryable');
    expect(second?.attributes['baton.attempt']).to.equal(2);
    expect(second?.spanContext().traceId).to.equal(first?.spanContext().traceId);
  });

  it('gives log lines the attempt span, or the submitter when no attempt is open', () => {
    const spans = new AttemptSpans();
    expect(spans.logFields(task)).to.deep.equal({ trace_id: SUBMITTER.traceId, span_id: SUBMITTER.spanId });
    spans.attemptStarted(task, lease('l1', 1), 0);
    const fields = spans.logFields(task, 'l1');
    spans.attemptEnded('l1', { outcome: 'canceled' });
    expect(fields).to.deep.equal({ trace_id: SUBMITTER.traceId, span_id: tracing.span('receive mail').spanContext().spanId });
    expect(spans.logFields({ traceContext: {} })).to.deep.equal({});
  });

  it('ends the spans of attempts still open when the coordinator stops, and resumes them after a restart', () => {
    const before = new AttemptSpans();
    before.attemptStarted(task, lease('l1', 1), 5);
    before.interrupted('the coordinator is shutting down');
    expect(before.size).to.equal(0);
    const after = new AttemptSpans(); // the restarted coordinator adopts the lease
    after.attemptStarted(task, lease('l1', 1), undefined);
    after.attemptEnded('l1', { outcome: 'succeeded' });
    const [interrupted, resumed] = tracing.spans();
    expect(interrupted?.attributes['baton.outcome']).to.equal('interrupted');
    expect(interrupted?.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'the coordinator is shutting down' });
    expect(resumed?.attributes).to.include({ 'baton.resumed': true, 'baton.outcome': 'succeeded' });
    expect(resumed?.attributes).to.not.have.property('baton.queue_wait_ms');
    expect(resumed?.parentSpanContext?.spanId).to.equal(SUBMITTER.spanId);
  });

  it('ignores an end it has no start for', () => {
    const spans = new AttemptSpans();
    spans.resultReceived('unknown');
    spans.attemptEnded('unknown', { outcome: 'worker_lost' });
    expect(tracing.spans()).to.have.length(0);
  });
});

describe('attempt spans (coordinator) without an SDK', () => {
  it('holds nothing: tracing off costs no memory per lease', () => {
    const spans = new AttemptSpans();
    spans.attemptStarted(task, lease('l1', 1), 0);
    expect(spans.size).to.equal(0);
    expect(spans.logFields(task, 'l1')).to.deep.equal({ trace_id: SUBMITTER.traceId, span_id: SUBMITTER.spanId });
  });
});

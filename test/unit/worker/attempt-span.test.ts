import { expect } from 'chai';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Lease } from '../../../shared/gen/baton/v1/worker_service';
import { silentLogger } from '../../../shared/logger';
import { encodeJson } from '../../../shared/payload';
import { AttemptSpan, type Revocation } from '../../../worker/attempt-span';
import type { Handler } from '../../../worker/handler';
import { NonRetryableError } from '../../../worker/non-retryable-error';
import { runAttempt } from '../../../worker/task-runner';
import { useInMemoryTracing } from '../../support/in-memory-tracing';

const SUBMITTER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };

function lease(attempt = 1): Lease {
  return Lease.fromPartial({
    leaseId: '0b7f1c7e-0000-4000-8000-000000000001',
    taskId: 'task-1',
    queue: 'images',
    type: 'resize',
    payload: encodeJson({ w: 10 }),
    contentType: 'application/json',
    attempt,
    maxAttempts: 3,
    traceContext: { traceparent: `00-${SUBMITTER.traceId}-${SUBMITTER.spanId}-01` },
  });
}

async function run(handler: Handler | undefined, revokedBy?: Revocation): Promise<void> {
  const span = AttemptSpan.start(lease(), 'worker-a');
  await runAttempt(lease(), handler, new AbortController().signal, () => silentLogger(), span, () => undefined);
  span.end(revokedBy);
}

describe('attempt spans (worker)', () => {
  const tracing = useInMemoryTracing();

  it('runs each attempt in a CONSUMER span that is a child of the submitter', async () => {
    await run(() => ({ ok: true }));
    const span = tracing.span('process images');
    expect(span.kind).to.equal(SpanKind.CONSUMER);
    expect(span.spanContext().traceId).to.equal(SUBMITTER.traceId);
    expect(span.parentSpanContext?.spanId).to.equal(SUBMITTER.spanId);
    expect(span.attributes).to.include({
      'messaging.system': 'baton',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'images',
      'messaging.message.id': 'task-1',
      'baton.task.type': 'resize',
      'baton.attempt': 1,
      'baton.worker.id': 'worker-a',
      'baton.outcome': 'succeeded',
    });
    expect(span.status.code).to.equal(SpanStatusCode.UNSET);
  });

  it("nests the handler's own spans under the attempt, across its awaits, and offers ctx.span", async () => {
    await run(async (_payload, ctx) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      await trace.getTracer('handler').startActiveSpan('resize.decode', async (own) => {
        await new Promise((resolve) => setImmediate(resolve));
        own.end();
      });
      ctx.span.setAttribute('image.width', 10);
      ctx.logger.info('inside the handler');
    });
    const attempt = tracing.span('process images');
    const own = tracing.span('resize.decode');
    expect(own.parentSpanContext?.spanId).to.equal(attempt.spanContext().spanId);
    expect(own.spanContext().traceId).to.equal(SUBMITTER.traceId);
    expect(attempt.attributes['image.width']).to.equal(10);
  });

  it('sets an error status and the exception on a failure', async () => {
    await run(() => {
      throw new TypeError('bad pixel');
    });
    const span = tracing.span('process images');
    expect(span.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'bad pixel' });
    expect(span.attributes).to.include({ 'baton.outcome': 'failed', 'error.type': 'TypeError' });
    expect(span.events[0]?.attributes?.['exception.message']).to.equal('bad pixel');
  });

  it('tells a non-retryable failure apart', async () => {
    await run(() => {
      throw new NonRetryableError('no such image');
    });
    expect(tracing.span('process images').attributes['baton.outcome']).to.equal('non_retryable');
  });

  it('ends a timed-out, canceled or abandoned attempt as such, with an error status', async () => {
    for (const [revokedBy, outcome] of [['timeout', 'timed_out'], ['canceled', 'canceled'], ['shutdown', 'shutdown']] as const) {
      tracing.reset();
      await run(() => Promise.reject(new Error('aborted')), revokedBy);
      const span = tracing.span('process images');
      expect(span.attributes['baton.outcome']).to.equal(outcome);
      expect(span.status.code).to.equal(SpanStatusCode.ERROR);
    }
  });

  it('records a task type without a handler as a failure', async () => {
    await run(undefined);
    const span = tracing.span('process images');
    expect(span.attributes).to.include({ 'baton.outcome': 'failed', 'error.type': 'UnknownTaskType' });
  });

  it('starts a trace of its own when the lease carries no context, and gives log lines its ids', () => {
    const span = AttemptSpan.start(Lease.fromPartial({ ...lease(), traceContext: {} }), 'w');
    span.end(undefined);
    const ended = tracing.span('process images');
    expect(ended.parentSpanContext).to.equal(undefined);
    expect(span.logFields).to.deep.equal({ trace_id: ended.spanContext().traceId, span_id: ended.spanContext().spanId });
  });
});

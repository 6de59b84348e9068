import { expect } from 'chai';
import { trace } from '@opentelemetry/api';
import { withSubmissionTrace } from '../../../coordinator/api/submission-trace';
import { taskSpec } from '../../support/tasks';
import { useInMemoryTracing } from '../../support/in-memory-tracing';

describe('the trace of a submission that brings none', () => {
  useInMemoryTracing();
  const given = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };

  it("joins the trace of the handling call's active span", () => {
    trace.getTracer('test').startActiveSpan('grpc.baton.v1.TaskQueue/SubmitTask', (server) => {
      const spec = withSubmissionTrace(taskSpec({ traceContext: { vendor: 'x' } }));
      expect(spec.traceContext).to.deep.equal({ vendor: 'x', traceparent: `00-${server.spanContext().traceId}-${server.spanContext().spanId}-01` });
      server.end();
    });
  });

  it("keeps the submitter's own trace context", () => {
    trace.getTracer('test').startActiveSpan('server', (server) => {
      expect(withSubmissionTrace(taskSpec({ traceContext: given })).traceContext).to.deep.equal(given);
      server.end();
    });
  });

  it('changes nothing when no span is active (the coordinator does not trace)', () => {
    const spec = taskSpec({ traceContext: {} });
    expect(withSubmissionTrace(spec)).to.equal(spec);
  });
});

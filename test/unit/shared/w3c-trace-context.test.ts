import { expect } from 'chai';
import { TraceFlags, createTraceState } from '@opentelemetry/api';
import { fromTraceContext, toTraceContext } from '../../../shared/tracing/w3c-trace-context';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

describe('W3C trace context of a task', () => {
  it('writes traceparent and tracestate, and reads them back as a remote parent', () => {
    const map = toTraceContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, traceState: createTraceState('vendor=a,other=b') });
    expect(map).to.deep.equal({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, tracestate: 'vendor=a,other=b' });
    const read = fromTraceContext(map);
    expect(read).to.include({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(read?.traceState?.get('vendor')).to.equal('a');
  });

  it('keeps an unsampled flag unsampled', () => {
    const map = toTraceContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.NONE });
    expect(map.traceparent).to.equal(`00-${TRACE_ID}-${SPAN_ID}-00`);
    expect(fromTraceContext(map)?.traceFlags).to.equal(TraceFlags.NONE);
  });

  it('writes nothing for an invalid span context (no SDK: nothing to continue)', () => {
    expect(toTraceContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 })).to.deep.equal({});
  });

  const malformed: Record<string, Record<string, string>> = {
    'no traceparent': {},
    'upper-case hex': { traceparent: `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01` },
    'an all-zero trace id': { traceparent: `00-${'0'.repeat(32)}-${SPAN_ID}-01` },
    'an all-zero span id': { traceparent: `00-${TRACE_ID}-${'0'.repeat(16)}-01` },
    'version ff': { traceparent: `ff-${TRACE_ID}-${SPAN_ID}-01` },
    'a short trace id': { traceparent: `00-${TRACE_ID.slice(2)}-${SPAN_ID}-01` },
    'trailing garbage': { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01-extra` },
  };
  for (const [what, map] of Object.entries(malformed)) {
    it(`reads no parent from ${what}`, () => {
      expect(fromTraceContext(map)).to.equal(undefined);
    });
  }

  it('drops a tracestate over the W3C limit but keeps the parent', () => {
    const read = fromTraceContext({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, tracestate: `k=${'v'.repeat(600)}` });
    expect(read?.traceId).to.equal(TRACE_ID);
    expect(read?.traceState).to.equal(undefined);
  });
});

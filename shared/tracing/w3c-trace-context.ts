import { ROOT_CONTEXT, TraceFlags, createTraceState, isSpanContextValid, trace, type Context, type SpanContext } from '@opentelemetry/api';

/**
 * A task's trace context travels as W3C Trace Context (`traceparent`, `tracestate`) in the
 * task's `trace_context` map, whatever propagator the submitting process has configured:
 * the map is part of Baton's wire contract, read by workers in any language.
 */

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
/** The W3C limit on tracestate; a longer one is dropped rather than trusted. */
const MAX_TRACESTATE_CHARS = 512;

/** The trace context map of a span context; empty for an invalid one (tracing off). */
export function toTraceContext(spanContext: SpanContext): Record<string, string> {
  if (!isSpanContextValid(spanContext)) return {};
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  const map: Record<string, string> = { traceparent: `00-${spanContext.traceId}-${spanContext.spanId}-${flags}` };
  const state = spanContext.traceState?.serialize();
  if (state) map.tracestate = state;
  return map;
}

/**
 * The remote span context a trace context map names, or undefined when it names none or is
 * malformed (it comes from whoever submitted the task, so it is checked, never trusted).
 */
export function fromTraceContext(map: Readonly<Record<string, string>>): SpanContext | undefined {
  const match = TRACEPARENT.exec(map.traceparent?.trim() ?? '');
  if (!match) return undefined;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  if (version === 'ff') return undefined;
  const spanContext: SpanContext = { traceId, spanId, traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true };
  if (!isSpanContextValid(spanContext)) return undefined;
  const state = map.tracestate;
  if (state && state.length <= MAX_TRACESTATE_CHARS) spanContext.traceState = createTraceState(state);
  return spanContext;
}

/**
 * `base` (default: the root context) with the span a trace context map names as its span,
 * so that spans started in it are its children; `base` itself when the map names none.
 */
export function contextWithRemoteParent(map: Readonly<Record<string, string>>, base: Context = ROOT_CONTEXT): Context {
  const remote = fromTraceContext(map);
  return remote ? trace.setSpanContext(base, remote) : base;
}

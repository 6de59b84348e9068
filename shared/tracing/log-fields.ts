import { isSpanContextValid, type SpanContext } from '@opentelemetry/api';

/** `trace_id` and `span_id` for a log line, the names the OpenTelemetry log data model uses. */
export interface TraceLogFields {
  readonly trace_id?: string;
  readonly span_id?: string;
}

/** The log fields of a span context; none for an invalid one (no trace to point at). */
export function traceLogFields(spanContext: SpanContext | undefined): TraceLogFields {
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

import { trace } from '@opentelemetry/api';
import { fromTraceContext, toTraceContext } from '../../shared/tracing/w3c-trace-context';
import type { TaskSpec } from '../core/task';

/**
 * Every task gets a trace. A submission that carries no trace context (a client without
 * OpenTelemetry, another language's stub, grpcurl) joins the trace of the gRPC call that
 * submitted it: the coordinator's server span, active while the handler starts (when the
 * coordinator traces). A batch of such tasks shares that call's trace. Call it before the
 * handler's first await, while that span is the active one.
 */
export function withSubmissionTrace(spec: TaskSpec): TaskSpec {
  if (fromTraceContext(spec.traceContext)) return spec;
  const active = trace.getActiveSpan()?.spanContext();
  const own = active ? toTraceContext(active) : {};
  return Object.keys(own).length === 0 ? spec : { ...spec, traceContext: { ...spec.traceContext, ...own } };
}

import { trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { TRACER_NAME, TRACER_VERSION } from './names';

let cachedProvider: TracerProvider | undefined;
let cachedTracer: Tracer | undefined;

/**
 * Baton's tracer. Looked up once per global provider rather than per span: without an SDK,
 * `trace.getTracer` allocates a proxy on every call, and that is on every task's path. The
 * proxy it returns follows an SDK registered later by itself; a new global provider (after
 * `trace.disable()`) gets a new tracer.
 */
export function batonTracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (provider !== cachedProvider || !cachedTracer) {
    cachedProvider = provider;
    cachedTracer = provider.getTracer(TRACER_NAME, TRACER_VERSION);
  }
  return cachedTracer;
}

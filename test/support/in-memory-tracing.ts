import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export interface InMemoryTracing {
  /** Spans ended so far, oldest first. */
  spans(): ReadableSpan[];
  /** The one ended span called `name`; throws when there is none or more than one. */
  span(name: string): ReadableSpan;
  reset(): void;
}

/**
 * Call inside a `describe`: a real OpenTelemetry SDK (the Node tracer provider, with its
 * AsyncLocalStorage context manager) registered globally for the suite, exporting to memory;
 * everything global is undone after it, so other suites see no SDK.
 */
export function useInMemoryTracing(): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  let provider: NodeTracerProvider | undefined;
  before(() => {
    provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
  });
  afterEach(() => exporter.reset());
  after(async () => {
    await provider?.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  return {
    spans: () => exporter.getFinishedSpans(),
    span: (name) => {
      const found = exporter.getFinishedSpans().filter((span) => span.name === name);
      if (found.length !== 1) throw new Error(`expected one span "${name}", found ${found.length}: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
      return found[0] as ReadableSpan;
    },
    reset: () => exporter.reset(),
  };
}

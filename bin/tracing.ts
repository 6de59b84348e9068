import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { tracingSettings, type TracingSettings } from './tracing-settings';

/** How long a process waits for its last spans to be exported before it exits anyway. */
export const FLUSH_TIMEOUT_MS = 2000;
/** At most one export failure line per this long: a receiver that is down is said once, not per batch. */
const EXPORT_ERROR_INTERVAL_MS = 60_000;
/**
 * gRPC methods left to Baton's own spans: a worker's Connect stream lives for hours and
 * carries every lease, and KeepAlive is a ping every heartbeat.
 */
const UNTRACED_GRPC_METHODS = /^(connect|keepalive)$/i;

/** The OpenTelemetry SDK of a `baton` process, or nothing at all when tracing is off. */
export interface ProcessTracing {
  readonly settings: TracingSettings;
  /** Exports the spans still buffered, giving up after {@link FLUSH_TIMEOUT_MS}. Never rejects. */
  shutdown(): Promise<void>;
}

/**
 * Sets up the OpenTelemetry Node SDK from the `OTEL_*` variables, before anything loads
 * grpc-js (the gRPC instrumentation hooks its loading). When tracing is off the SDK is not
 * even loaded, so it costs nothing. A receiver that is down costs spans, never tasks: the
 * exporter drops them and one line a minute on stderr says so.
 * @throws ConfigError for an unknown OTEL_TRACES_EXPORTER or OTLP protocol.
 */
export async function startProcessTracing(defaultServiceName: string, env: NodeJS.ProcessEnv = process.env): Promise<ProcessTracing> {
  const settings = tracingSettings(env, defaultServiceName);
  if (!settings.enabled) return { settings, shutdown: () => Promise.resolve() };
  const [{ NodeSDK }, { GrpcInstrumentation }, { setGlobalErrorHandler }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-grpc'),
    import('@opentelemetry/core'),
  ]);
  const grpc: InstrumentationConfig & { ignoreGrpcMethods: RegExp[] } = { ignoreGrpcMethods: [UNTRACED_GRPC_METHODS] };
  const sdk = new NodeSDK({
    ...(settings.serviceName === undefined ? {} : { serviceName: settings.serviceName }),
    instrumentations: [new GrpcInstrumentation(grpc)],
    // Baton's metrics are Prometheus (/metrics) and its logs pino: the SDK exports traces only.
    metricReaders: [],
    logRecordProcessors: [],
  });
  setGlobalErrorHandler(rateLimitedStderr());
  sdk.start();
  return { settings, shutdown: () => withTimeout(sdk.shutdown(), FLUSH_TIMEOUT_MS) };
}

function rateLimitedStderr(): (err: unknown) => void {
  let lastMs = -Infinity;
  return (err) => {
    const nowMs = Date.now();
    if (nowMs - lastMs < EXPORT_ERROR_INTERVAL_MS) return;
    lastMs = nowMs;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`baton: OpenTelemetry: ${message} (spans may be dropped; said at most once a minute)\n`);
  };
}

function withTimeout(work: Promise<void>, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

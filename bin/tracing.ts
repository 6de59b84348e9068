import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { tracingSettings, type TracingSettings } from './tracing-settings';

/** How long a process waits for its last spans to be exported before it exits anyway. */
export const FLUSH_TIMEOUT_MS = 2000;
/** At most one export failure line per this long: a receiver that is down is said once, not per batch. */
const EXPORT_ERROR_INTERVAL_MS = 60_000;
/**
 * gRPC methods left to Baton's own spans: a worker's Connect stream lives for hours and
 * carries every lease, KeepAlive is a ping every heartbeat, and a WatchTask stream lasts
 * until its task ends and is then cancelled by the client, which the instrumentation would
 * record as an error on every `baton wait`.
 */
const UNTRACED_GRPC_METHODS = /^(connect|keepalive|watchtask)$/i;

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
  const [{ NodeSDK }, { GrpcInstrumentation }, { setGlobalErrorHandler }, resources] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-grpc'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
  ]);
  const grpc: InstrumentationConfig & { ignoreGrpcMethods: RegExp[] } = { ignoreGrpcMethods: [UNTRACED_GRPC_METHODS] };
  const sdk = new NodeSDK({
    ...(settings.serviceName === undefined ? {} : { serviceName: settings.serviceName }),
    instrumentations: [new GrpcInstrumentation(grpc)],
    // Not the SDK's process detector: it exports the command line, and a CLI's command line
    // holds payloads and, with --token, a secret. The process is described without it.
    ...(env.OTEL_NODE_RESOURCE_DETECTORS ? {} : { resourceDetectors: [resources.envDetector, resources.hostDetector] }),
    resource: resources.resourceFromAttributes({
      'process.pid': process.pid,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
    }),
    // Baton's metrics are Prometheus (/metrics) and its logs pino: the SDK exports traces only.
    metricReaders: [],
    logRecordProcessors: [],
  });
  const report = rateLimitedStderr();
  setGlobalErrorHandler(report);
  sdk.start();
  return { settings, shutdown: () => withTimeout(sdk.shutdown(), FLUSH_TIMEOUT_MS, report) };
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

/** Waits for `work` at most `timeoutMs`; a failure, or running out of time, is reported, never thrown. */
function withTimeout(work: Promise<void>, timeoutMs: number, report: (err: unknown) => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      report(new Error(`the last spans were not exported within ${timeoutMs}ms`));
      resolve();
    }, timeoutMs);
    timer.unref();
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (err: unknown) => {
        clearTimeout(timer);
        report(Array.isArray(err) ? (err[0] as unknown) : err); // the SDK rejects with an array of errors
        resolve();
      },
    );
  });
}

/**
 * The `baton` executable. Tracing is set up first, from the OTEL_* variables, because the
 * gRPC instrumentation must see grpc-js being loaded: everything else is imported after it.
 * Entry points own the process: this is the only place that calls process.exit.
 */
import { errorMessage } from '../shared/errors';
import { startProcessTracing, type ProcessTracing } from './tracing';

/** `OTEL_SERVICE_NAME` unless the environment names one: what each kind of process calls itself. */
function serviceNameOf(command: string | undefined): string {
  if (command === 'coordinator') return 'baton-coordinator';
  if (command === 'worker') return 'baton-worker';
  return 'baton-cli';
}

function describeTracing(settings: ProcessTracing['settings']): string {
  if (!settings.enabled) return `off (${settings.reason})`;
  return `on (${settings.exporters.map((exporter) => (exporter === 'otlp' ? `otlp ${settings.protocol}` : exporter)).join(', ')})`;
}

async function main(argv: string[]): Promise<number> {
  let tracing: ProcessTracing;
  try {
    tracing = await startProcessTracing(serviceNameOf(argv[0]));
  } catch (err: unknown) {
    process.stderr.write(`baton: invalid tracing configuration: ${errorMessage(err)}\n`);
    return 2;
  }
  try {
    const { runBaton } = await import('./baton-commands.js');
    return await runBaton(argv, describeTracing(tracing.settings));
  } finally {
    // Spans of a short-lived command (the CLI) would be lost without this.
    await tracing.shutdown();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let stdout drain, then leave even if a library left a handle open.
    setImmediate(() => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`baton: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

import { ConfigError } from '../shared/errors';

/** The OTLP encodings Baton's processes can export in. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** Exporters the OpenTelemetry Node SDK builds from `OTEL_TRACES_EXPORTER`. */
const KNOWN_EXPORTERS = new Set(['otlp', 'console', 'zipkin', 'none']);

export type TracingSettings =
  | { readonly enabled: false; readonly reason: string }
  | {
      readonly enabled: true;
      readonly exporters: readonly string[];
      /** Of the OTLP exporter, when there is one. */
      readonly protocol: OtlpProtocol;
      /** The default service name to set, or undefined when the environment names the service. */
      readonly serviceName: string | undefined;
    };

/**
 * Whether a `baton` process traces, decided by the standard OpenTelemetry variables only:
 * off unless an OTLP endpoint is set or `OTEL_TRACES_EXPORTER` names an exporter;
 * `OTEL_SDK_DISABLED=true` wins over both. Pure, so that every rule is unit-tested.
 * @throws ConfigError naming the variable for an unknown protocol or exporter.
 */
export function tracingSettings(env: NodeJS.ProcessEnv, defaultServiceName: string): TracingSettings {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return { enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  const exporters = listOf(env.OTEL_TRACES_EXPORTER);
  for (const exporter of exporters) {
    if (!KNOWN_EXPORTERS.has(exporter)) throw new ConfigError('OTEL_TRACES_EXPORTER', `unknown exporter "${exporter}"; expected otlp, console, zipkin or none`);
  }
  if (exporters.includes('none')) return { enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  const endpoint = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (exporters.length === 0 && endpoint === undefined) {
    return { enabled: false, reason: 'no OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_TRACES_EXPORTER' };
  }
  return { enabled: true, exporters: exporters.length > 0 ? exporters : ['otlp'], protocol: protocolOf(env), serviceName: serviceNamed(env) ? undefined : defaultServiceName };
}

function protocolOf(env: NodeJS.ProcessEnv): OtlpProtocol {
  const key = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const value = nonEmpty(env[key])?.trim() ?? 'http/protobuf';
  if (!(OTLP_PROTOCOLS as readonly string[]).includes(value)) {
    throw new ConfigError(key, `unknown protocol "${value}"; expected ${OTLP_PROTOCOLS.join(', ')}`);
  }
  return value as OtlpProtocol;
}

/** OTEL_SERVICE_NAME, or service.name in OTEL_RESOURCE_ATTRIBUTES, overrides Baton's default. */
function serviceNamed(env: NodeJS.ProcessEnv): boolean {
  if (nonEmpty(env.OTEL_SERVICE_NAME) !== undefined) return true;
  return listOf(env.OTEL_RESOURCE_ATTRIBUTES).some((pair) => pair.split('=')[0]?.trim() === 'service.name');
}

function listOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

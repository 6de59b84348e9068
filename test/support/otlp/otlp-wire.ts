/**
 * The OTLP trace wire format for the test receiver: loading the protos in this directory and
 * turning an `ExportTraceServiceRequest`, in its binary or its JSON encoding, into plain
 * {@link ReceivedSpan}s.
 *
 * Both encodings are first brought to the same camelCase object shape (protobufjs `toObject`
 * for binary, `JSON.parse` for JSON) and then converted by one set of functions. The two
 * shapes differ only where OTLP/JSON departs from proto3's JSON mapping, and the converters
 * tell them apart by type: ids are `Uint8Array`s from binary but hex strings in JSON
 * (proto3 JSON would use base64), `bytes_value` is a `Uint8Array` or base64, int64 is a
 * decimal string or a number, and enums are numbers (names are accepted too).
 */
import { join } from 'node:path';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { Root, type Type } from 'protobufjs';

/** Include root of the protos; the layout under it mirrors opentelemetry-proto's. */
export const OTLP_PROTO_DIR = __dirname;

const TRACE_SERVICE_PROTO = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';
const TRACE_SERVICE_NAME = 'opentelemetry.proto.collector.trace.v1.TraceService';
const TRACE_REQUEST_NAME = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest';

/** An attribute value as OTLP's `AnyValue` carries it; `null` when no value was set. */
export type AttributeValue =
  | string
  | boolean
  /** `int_value` and `double_value`; an int64 beyond ±2^53 is a bigint instead. */
  | number
  | bigint
  | Uint8Array
  | null
  | readonly AttributeValue[]
  | { readonly [key: string]: AttributeValue };

export type ReceivedAttributes = Readonly<Record<string, AttributeValue>>;

export type ReceivedSpanKind = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
export type ReceivedStatusCode = 'UNSET' | 'OK' | 'ERROR';

export interface ReceivedEvent {
  readonly name: string;
  readonly timeUnixNano: bigint;
  readonly attributes: ReceivedAttributes;
}

export interface ReceivedLink {
  /** Lower-case hex. */
  readonly traceId: string;
  readonly spanId: string;
  readonly traceState: string;
  readonly attributes: ReceivedAttributes;
}

/** One span as an OTLP exporter sent it, with its resource and scope folded in. */
export interface ReceivedSpan {
  /** Lower-case hex, as `SpanContext.traceId`. */
  readonly traceId: string;
  readonly spanId: string;
  /** `''` for a root span. */
  readonly parentSpanId: string;
  readonly traceState: string;
  /** W3C trace flags in the low byte; bits 8 and 9 say whether the parent was remote. */
  readonly flags: number;
  readonly name: string;
  readonly kind: ReceivedSpanKind;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: ReceivedAttributes;
  readonly status: { readonly code: ReceivedStatusCode; readonly message: string };
  readonly events: readonly ReceivedEvent[];
  readonly links: readonly ReceivedLink[];
  /** The resource's attributes, e.g. `resource['service.name']`; shared by the request's spans. */
  readonly resource: ReceivedAttributes;
  /** The instrumentation scope's name (the `getTracer()` name). */
  readonly scope: string;
}

// The wire shapes both decoders produce. Every field may be missing (proto3 defaults).
type WireBytes = Uint8Array | string;
type WireInt64 = string | number;
type WireEnum = number | string;

interface WireAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: WireInt64;
  doubleValue?: number | string;
  arrayValue?: { values?: WireAnyValue[] };
  kvlistValue?: { values?: WireKeyValue[] };
  bytesValue?: WireBytes;
}

interface WireKeyValue {
  key?: string;
  value?: WireAnyValue;
}

interface WireSpan {
  traceId?: WireBytes;
  spanId?: WireBytes;
  traceState?: string;
  parentSpanId?: WireBytes;
  flags?: number;
  name?: string;
  kind?: WireEnum;
  startTimeUnixNano?: WireInt64;
  endTimeUnixNano?: WireInt64;
  attributes?: WireKeyValue[];
  events?: Array<{ timeUnixNano?: WireInt64; name?: string; attributes?: WireKeyValue[] }>;
  links?: Array<{ traceId?: WireBytes; spanId?: WireBytes; traceState?: string; attributes?: WireKeyValue[] }>;
  status?: { message?: string; code?: WireEnum };
}

interface WireExportTraceServiceRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: WireKeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string }; spans?: WireSpan[] }>;
  }>;
}

let requestType: Type | undefined;

/** Loaded on first use, so importing this file does no I/O. */
function exportTraceServiceRequestType(): Type {
  if (requestType === undefined) {
    const root = new Root();
    root.resolvePath = (_origin, target) => join(OTLP_PROTO_DIR, target);
    root.loadSync(TRACE_SERVICE_PROTO);
    requestType = root.lookupType(TRACE_REQUEST_NAME);
  }
  return requestType;
}

/**
 * The grpc-js definition of `TraceService`, from the protos by `@grpc/proto-loader`. Its
 * response serializer encodes `{}` as an empty `ExportTraceServiceResponse`.
 */
export function loadTraceServiceDefinition(): ServiceDefinition {
  const definition = loadSync(TRACE_SERVICE_PROTO, { includeDirs: [OTLP_PROTO_DIR] })[TRACE_SERVICE_NAME];
  if (definition === undefined || 'format' in definition) {
    throw new Error(`${TRACE_SERVICE_PROTO} does not define the service ${TRACE_SERVICE_NAME}`);
  }
  return definition;
}

/** Decodes a binary `ExportTraceServiceRequest`. @throws when the bytes are not one. */
export function decodeProtobufTraceRequest(body: Uint8Array): ReceivedSpan[] {
  const type = exportTraceServiceRequestType();
  // Bytes stay Uint8Arrays (no `bytes` option), which is how the converters tell them from JSON's hex.
  const request: WireExportTraceServiceRequest = type.toObject(type.decode(body), { longs: String, enums: Number });
  return toReceivedSpans(request);
}

/** Decodes an OTLP/JSON `ExportTraceServiceRequest`. @throws when the text is not one. */
export function decodeJsonTraceRequest(text: string): ReceivedSpan[] {
  const request: unknown = JSON.parse(text);
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new TypeError('an OTLP/JSON request must be a JSON object');
  }
  return toReceivedSpans(request);
}

function toReceivedSpans(request: WireExportTraceServiceRequest): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = toAttributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      const scope = scopeSpans.scope?.name ?? '';
      for (const span of scopeSpans.spans ?? []) spans.push(toReceivedSpan(span, resource, scope));
    }
  }
  return spans;
}

const SPAN_KINDS: readonly ReceivedSpanKind[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_CODES: readonly ReceivedStatusCode[] = ['UNSET', 'OK', 'ERROR'];

function toReceivedSpan(span: WireSpan, resource: ReceivedAttributes, scope: string): ReceivedSpan {
  return {
    traceId: toHex(span.traceId),
    spanId: toHex(span.spanId),
    parentSpanId: toHex(span.parentSpanId),
    traceState: span.traceState ?? '',
    flags: span.flags ?? 0,
    name: span.name ?? '',
    kind: enumName(SPAN_KINDS, 'SPAN_KIND_', span.kind),
    startTimeUnixNano: BigInt(span.startTimeUnixNano ?? 0),
    endTimeUnixNano: BigInt(span.endTimeUnixNano ?? 0),
    attributes: toAttributes(span.attributes),
    status: { code: enumName(STATUS_CODES, 'STATUS_CODE_', span.status?.code), message: span.status?.message ?? '' },
    events: (span.events ?? []).map((event) => ({
      name: event.name ?? '',
      timeUnixNano: BigInt(event.timeUnixNano ?? 0),
      attributes: toAttributes(event.attributes),
    })),
    links: (span.links ?? []).map((link) => ({
      traceId: toHex(link.traceId),
      spanId: toHex(link.spanId),
      traceState: link.traceState ?? '',
      attributes: toAttributes(link.attributes),
    })),
    resource,
    scope,
  };
}

/** Binary ids are bytes; OTLP/JSON ids are already hex. */
function toHex(id: WireBytes | undefined): string {
  if (id === undefined) return '';
  if (typeof id === 'string') return id.toLowerCase();
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

/** Accepts the number (what OTLP requires) or the full name, e.g. `SPAN_KIND_SERVER`. */
function enumName<T extends string>(names: readonly T[], prefix: string, value: WireEnum | undefined): T {
  const name = typeof value === 'string' ? names.find((n) => prefix + n === value) : names[value ?? 0];
  if (name === undefined) throw new TypeError(`unknown ${prefix}* value ${String(value)}`);
  return name;
}

function toAttributes(keyValues: readonly WireKeyValue[] | undefined): ReceivedAttributes {
  const attributes: Record<string, AttributeValue> = {};
  for (const { key, value } of keyValues ?? []) attributes[key ?? ''] = toAttributeValue(value);
  return attributes;
}

function toAttributeValue(value: WireAnyValue | undefined): AttributeValue {
  if (value == null) return null;
  if (value.stringValue != null) return value.stringValue;
  if (value.boolValue != null) return value.boolValue;
  if (value.intValue != null) return toInteger(value.intValue);
  // OTLP/JSON may spell NaN and the infinities as strings; Number() reads those.
  if (value.doubleValue != null) return Number(value.doubleValue);
  if (value.arrayValue != null) return (value.arrayValue.values ?? []).map(toAttributeValue);
  if (value.kvlistValue != null) return toAttributes(value.kvlistValue.values);
  // Always a plain Uint8Array (not protobufjs's Buffer), so both encodings compare equal.
  if (value.bytesValue != null) {
    const bytes = value.bytesValue;
    return new Uint8Array(typeof bytes === 'string' ? Buffer.from(bytes, 'base64') : bytes);
  }
  return null;
}

function toInteger(value: WireInt64): number | bigint {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : BigInt(value);
}

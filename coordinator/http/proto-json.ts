import { InvalidArgumentError } from '../../shared/errors';
import type { FieldSchema, MessageSchema, ScalarType, ValueType } from '../../shared/http/api-schema';
import { JSON_CONTENT_TYPE } from '../../shared/payload';
import { isJsonText, RawJson } from './json-text';

/** What the codec knows of the contract: generated from the .proto (shared/gen/http). */
export interface JsonSchemas {
  readonly messages: Readonly<Record<string, MessageSchema>>;
  readonly enums: Readonly<Record<string, readonly string[]>>;
}

/**
 * Bytes fields that carry a task's payload or result, each with the field naming its content
 * type (proto names). When that type is JSON (or empty, which means JSON), the bytes travel
 * as the JSON value they hold, not as base64: `{"payload": {"a": 2}}`.
 */
export const JSON_VALUED_BYTES: Readonly<Record<string, readonly { readonly bytes: string; readonly contentType: string }[]>> = {
  'baton.v1.SubmitTaskRequest': [{ bytes: 'payload', contentType: 'content_type' }],
  'baton.v1.TaskTemplate': [{ bytes: 'payload', contentType: 'content_type' }],
  'baton.v1.Task': [
    { bytes: 'payload', contentType: 'content_type' },
    { bytes: 'result', contentType: 'result_content_type' },
  ],
};

const TIMESTAMP = 'google.protobuf.Timestamp';
const DURATION = 'google.protobuf.Duration';
const FIELD_MASK = 'google.protobuf.FieldMask';

const INT32_RANGE: Partial<Record<ScalarType, readonly [number, number]>> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1],
};
const UNSIGNED_64: readonly ScalarType[] = ['uint64', 'fixed64'];

/** RFC 3339 with a Z or an offset, as proto3 JSON writes Timestamps. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
/** A number as JSON writes one: what a numeric field takes in a string, too. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const DURATION_TEXT = /^(-)?(\d{1,12})(?:\.(\d{1,9}))?s$/;
const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

/**
 * proto3 JSON, strictly, on top of ts-proto's generated `fromJSON`/`toJSON`. ts-proto's
 * readers coerce whatever they get (`String(123)`, unknown fields dropped) and write
 * Durations and 64-bit integers in shapes of their own, so requests are checked here first,
 * field by field against the .proto (naming the field that is wrong), and turned into the
 * shapes ts-proto reads; responses are turned from ts-proto's shapes into the canonical
 * ones.
 */
export class ProtoJson {
  constructor(private readonly schemas: JsonSchemas) {}

  /**
   * Checks `value` as the JSON of message `type` and returns it in the form ts-proto's
   * fromJSON reads.
   * @throws InvalidArgumentError naming the field (by its JSON path) and what is wrong.
   */
  decode(type: string, value: unknown, path = ''): Record<string, unknown> {
    if (!isObject(value)) throw new InvalidArgumentError(`${path || 'body'}: expected a JSON object (a ${shortName(type)}), got ${describe(value)}`);
    const schema = this.message(type);
    const out: Record<string, unknown> = {};
    const seenOneofs = new Map<string, string>();
    for (const [key, entry] of Object.entries(value)) {
      const field = schema.fields.find((f) => f.json === key || f.name === key);
      if (!field) throw new InvalidArgumentError(`${path}${key}: unknown field; ${shortName(type)} has ${fieldList(schema)}`);
      if (out[field.json] !== undefined) throw new InvalidArgumentError(`${path}${key}: set twice (as ${field.name} and ${field.json})`);
      if (this.jsonValued(type, field, value)) {
        // The payload's own text, as written (null included: it is the JSON value null).
        out[field.json] = Buffer.from(entry instanceof RawJson ? entry.text : JSON.stringify(entry), 'utf8').toString('base64');
        continue;
      }
      const raw = entry instanceof RawJson ? entry.value : entry;
      if (raw === null) continue; // proto3 JSON: null is the field's default
      if (field.oneof) {
        const other = seenOneofs.get(field.oneof);
        if (other) throw new InvalidArgumentError(`${path}${key}: only one of ${field.oneof} may be set, and ${other} is`);
        seenOneofs.set(field.oneof, key);
      }
      out[field.json] = this.decodeField(field, raw, `${path}${key}`);
    }
    return out;
  }

  /**
   * ts-proto's toJSON output of message `type`, in canonical proto3 JSON. JSON payloads and
   * results become {@link RawJson}: write the result with json-text.ts's stringifyJson.
   */
  encode(type: string, value: unknown): unknown {
    if (!isObject(value)) return value;
    const schema = this.message(type);
    for (const field of schema.fields) {
      const raw = value[field.json];
      if (raw === undefined) continue;
      if (this.jsonValued(type, field, value)) {
        const text = jsonTextOf(raw);
        if (text !== undefined) value[field.json] = new RawJson(text, undefined);
        continue;
      }
      value[field.json] = this.encodeField(field, raw);
    }
    return value;
  }

  private message(type: string): MessageSchema {
    const schema = this.schemas.messages[type];
    if (!schema) throw new Error(`no JSON schema for message ${type}`);
    return schema;
  }

  /** True when `field` of `type` is a payload whose content type in `object` is JSON. */
  private jsonValued(type: string, field: FieldSchema, object: Record<string, unknown>): boolean {
    const pair = JSON_VALUED_BYTES[type]?.find((p) => p.bytes === field.name);
    if (!pair) return false;
    const contentField = this.message(type).fields.find((f) => f.name === pair.contentType);
    const contentType = contentField ? (object[contentField.json] ?? object[contentField.name]) : undefined;
    return contentType === undefined || contentType === null || contentType === '' || contentType === JSON_CONTENT_TYPE;
  }

  private decodeField(field: FieldSchema, entry: unknown, path: string): unknown {
    // The body parser keeps the text of every value under a `payload` key; only a payload field wants it.
    const raw = entry instanceof RawJson ? entry.value : entry;
    if (field.mapKey) {
      if (!isObject(raw)) throw new InvalidArgumentError(`${path}: expected a JSON object (a map), got ${describe(raw)}`);
      const keyType = field.mapKey;
      return Object.fromEntries(
        Object.entries(raw).map(([key, entry]) => {
          // ts-proto builds maps on plain objects, where this key would vanish without a word.
          if (key === '__proto__') throw new InvalidArgumentError(`${path}["__proto__"]: not allowed as a key`);
          if (keyType !== 'string') this.decodeScalar(keyType, key, `${path}["${key}"] (key)`);
          return [key, this.decodeValue(field.value, entry, `${path}["${key}"]`)];
        }),
      );
    }
    if (field.repeated) {
      if (!Array.isArray(raw)) throw new InvalidArgumentError(`${path}: expected a JSON array, got ${describe(raw)}`);
      return raw.map((item, i) => {
        if (item === null) throw new InvalidArgumentError(`${path}[${i}]: null is not allowed in a list`);
        return this.decodeValue(field.value, item, `${path}[${i}]`);
      });
    }
    return this.decodeValue(field.value, raw, path);
  }

  private decodeValue(value: ValueType, entry: unknown, path: string): unknown {
    const raw = entry instanceof RawJson ? entry.value : entry;
    switch (value.kind) {
      case 'scalar':
        return this.decodeScalar(value.scalar, raw, path);
      case 'enum': {
        const names = this.schemas.enums[value.name] ?? [];
        if (typeof raw === 'string' && names.includes(raw)) return raw;
        if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw < names.length) return raw;
        throw new InvalidArgumentError(`${path}: ${JSON.stringify(raw)} is not one of ${names.join(', ')}`);
      }
      case 'message':
        return this.decodeMessageValue(value.name, raw, path);
    }
  }

  private decodeMessageValue(type: string, raw: unknown, path: string): unknown {
    if (type === TIMESTAMP) {
      if (typeof raw !== 'string' || !isCalendarTime(raw)) {
        throw new InvalidArgumentError(`${path}: expected an RFC 3339 time such as "2026-12-01T09:30:00Z", got ${describe(raw)}`);
      }
      return raw;
    }
    if (type === DURATION) {
      const match = typeof raw === 'string' ? DURATION_TEXT.exec(raw) : null;
      if (!match) throw new InvalidArgumentError(`${path}: expected a duration in seconds such as "1.5s", got ${describe(raw)}`);
      const sign = match[1] ? -1 : 1;
      const seconds = Number(match[2]);
      const nanos = Number((match[3] ?? '').padEnd(9, '0'));
      return { seconds: sign * seconds, nanos: sign * nanos };
    }
    if (type === FIELD_MASK) {
      if (typeof raw !== 'string') throw new InvalidArgumentError(`${path}: expected field paths separated by commas, got ${describe(raw)}`);
      // ts-proto keeps the paths as they are written; the handlers read proto (snake_case) names.
      return raw.split(',').filter((p) => p !== '').map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)).join(',');
    }
    return this.decode(type, raw, `${path}.`);
  }

  private decodeScalar(scalar: ScalarType, raw: unknown, path: string): unknown {
    switch (scalar) {
      case 'string':
        if (typeof raw !== 'string') throw new InvalidArgumentError(`${path}: expected a string, got ${describe(raw)}`);
        return raw;
      case 'bool':
        if (typeof raw !== 'boolean') throw new InvalidArgumentError(`${path}: expected true or false, got ${describe(raw)}`);
        return raw;
      case 'bytes':
        if (typeof raw !== 'string' || !BASE64.test(raw)) throw new InvalidArgumentError(`${path}: expected base64, got ${describe(raw)}`);
        return raw;
      case 'double':
      case 'float':
        if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
        if (raw === 'NaN' || raw === 'Infinity' || raw === '-Infinity') return Number(raw);
        if (typeof raw === 'string' && JSON_NUMBER.test(raw) && Number.isFinite(Number(raw))) return Number(raw);
        throw new InvalidArgumentError(`${path}: expected a number, got ${describe(raw)}`);
      default:
        return decodeInteger(scalar, raw, path);
    }
  }

  private encodeField(field: FieldSchema, raw: unknown): unknown {
    if (field.mapKey) return isObject(raw) ? Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, this.encodeValue(field.value, v)])) : raw;
    if (field.repeated) return Array.isArray(raw) ? raw.map((item) => this.encodeValue(field.value, item)) : raw;
    return this.encodeValue(field.value, raw);
  }

  private encodeValue(value: ValueType, raw: unknown): unknown {
    if (value.kind === 'scalar') return isInt64(value.scalar) && typeof raw === 'number' ? String(raw) : raw;
    if (value.kind !== 'message') return raw;
    if (value.name === DURATION) return isObject(raw) ? durationText(Number(raw.seconds ?? 0), Number(raw.nanos ?? 0)) : raw;
    if (value.name === TIMESTAMP || value.name === FIELD_MASK) return raw;
    return this.encode(value.name, raw);
  }
}

function decodeInteger(scalar: ScalarType, raw: unknown, path: string): number {
  // A string may hold any JSON number whose value is whole ("1e2" is 100), as proto3 JSON allows.
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && JSON_NUMBER.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${path}: expected an integer, got ${describe(raw)}`);
  const range = INT32_RANGE[scalar];
  if (range && (n < range[0] || n > range[1])) throw new InvalidArgumentError(`${path}: ${n} is out of range for ${scalar}`);
  if (!range && (!Number.isSafeInteger(n) || (UNSIGNED_64.includes(scalar) && n < 0))) {
    throw new InvalidArgumentError(`${path}: ${JSON.stringify(raw)} is out of range (at most 2^53 - 1${UNSIGNED_64.includes(scalar) ? ', not negative' : ''})`);
  }
  return n;
}

/** An RFC 3339 time whose fields are a real date and time: 2026-02-30 is refused, not read as March 2. */
function isCalendarTime(text: string): boolean {
  const match = RFC3339.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // setUTCFullYear, not Date.UTC: the latter reads years 0 to 99 as 1900 to 1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
}

function isInt64(scalar: ScalarType): boolean {
  return scalar.endsWith('64') && scalar !== 'float';
}

/** "1.5s", "-0.000001s", "3s": proto3 JSON's Duration, with 0, 3, 6 or 9 fractional digits. */
export function durationText(seconds: number, nanos: number): string {
  const negative = seconds < 0 || nanos < 0;
  const whole = Math.abs(seconds);
  const fraction = Math.abs(nanos);
  let digits = '';
  if (fraction !== 0) {
    digits = String(fraction).padStart(9, '0');
    digits = digits.endsWith('000000') ? digits.slice(0, 3) : digits.endsWith('000') ? digits.slice(0, 6) : digits;
    digits = `.${digits}`;
  }
  return `${negative ? '-' : ''}${whole}${digits}s`;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The JSON text in base64 bytes, exactly as stored; undefined when the bytes are not UTF-8
 * or not one JSON value within the depth limit (then they stay base64).
 */
function jsonTextOf(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  let text: string;
  try {
    text = strictUtf8.decode(Buffer.from(raw, 'base64'));
  } catch {
    return undefined;
  }
  return isJsonText(text) ? text : undefined;
}

/** A JSON object: not null, not an array. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shortName(type: string): string {
  return type.split('.').pop() ?? type;
}

function fieldList(schema: MessageSchema): string {
  if (schema.fields.length === 0) return 'no fields';
  return `fields ${schema.fields.map((f) => f.json).join(', ')}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

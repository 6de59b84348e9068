import { parseDurationMs } from '../shared/duration';
import { InvalidArgumentError, errorMessage } from '../shared/errors';
import type { RetryPolicy } from '../shared/gen/baton/v1/task';
import type { SubmitTaskRequest } from '../shared/gen/baton/v1/task_queue';
import type { Duration } from '../shared/gen/google/protobuf/duration';
import { JSON_CONTENT_TYPE, encodeJson } from '../shared/payload';
import { msToDuration } from '../shared/proto-time';
import { INT32, UINT32, checkWireInteger } from './wire-integers';

/** Content type of a binary payload submitted without `contentType`. */
export const BINARY_CONTENT_TYPE = 'application/octet-stream';

/**
 * How a task's attempts are spaced. Durations are `'5s'`-style strings or milliseconds.
 * Unset fields take the coordinator's defaults.
 */
export interface RetryOptions {
  /** Delay before the second attempt. */
  readonly initialBackoff?: string | number;
  /** Growth of the delay per further attempt; the coordinator accepts 1 to 100. */
  readonly multiplier?: number;
  /** Cap of the delay before jitter. */
  readonly maxBackoff?: string | number;
  /** Fraction of each delay that is randomised; the coordinator accepts 0 (none) to 1. */
  readonly jitter?: number;
  /**
   * Give attempts lost to a dead worker or a timeout a budget of their own: they stop using
   * up maxAttempts, and the task goes DEAD after more than this many. Unset: they count.
   */
  readonly maxInfrastructureFailures?: number;
}

/** Everything about a submission but its type and payload. All fields are optional. */
export interface SubmitOptions {
  /** Queue name; default the coordinator's `"default"`. */
  readonly queue?: string;
  /** Higher runs first within a queue; an int32, default 0. */
  readonly priority?: number;
  /** Run no earlier than now + delay (`'5s'` or milliseconds). Not with `runAt`: the coordinator refuses both. */
  readonly delay?: string | number;
  /** Run no earlier than this time. Not with `delay`. */
  readonly runAt?: Date;
  /** Total attempts including the first; 0 or unset takes the coordinator's default. */
  readonly maxAttempts?: number;
  readonly retry?: RetryOptions;
  /**
   * Execution timeout of each attempt (`'30s'` or milliseconds). Unset takes the queue's or
   * coordinator's default (`--default-timeout`, none unless configured); 0 means none at all.
   */
  readonly timeout?: string | number;
  /** A second submission with the same key returns the first task instead of a new one. */
  readonly idempotencyKey?: string;
  /** The tenant within the queue: workers take the queue's tasks round robin across keys. */
  readonly fairnessKey?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * W3C trace context (`traceparent`, `tracestate`) to continue. Default: the active
   * OpenTelemetry context. Either way the task carries the context of the PRODUCER span
   * `submit` makes under it, when an OpenTelemetry SDK is registered in the process.
   */
  readonly traceContext?: Readonly<Record<string, string>>;
  /**
   * MIME type of the payload. Default `application/json` for values (which are JSON-encoded)
   * and `application/octet-stream` for a Buffer or Uint8Array (sent as is).
   */
  readonly contentType?: string;
  /** Aborts the call; the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Builds the wire request for one submission. It refuses only what cannot be put on the wire
 * at all (a duration string that does not parse, a payload JSON cannot encode, a number
 * outside its wire type, a non-string label value); every other rule is the coordinator's,
 * which answers INVALID_ARGUMENT naming the field. Pure: no I/O, no clock.
 * @param payload any JSON-serialisable value (encoded as JSON), or a Buffer/Uint8Array (sent as is).
 * @throws InvalidArgumentError naming the offending option (`payload`, `delay`, `priority`, `labels.x`, ...).
 */
export function toSubmitTaskRequest(type: string, payload?: unknown, options: SubmitOptions = {}): SubmitTaskRequest {
  const { bytes, contentType } = encodePayload(payload, options.contentType);
  return {
    queue: options.queue ?? '',
    type,
    payload: bytes,
    contentType,
    priority: checkWireInteger(options.priority ?? 0, 'priority', INT32),
    delay: optionalDuration(options.delay, 'delay'),
    runAt: checkDate(options.runAt, 'runAt'),
    maxAttempts: checkWireInteger(options.maxAttempts ?? 0, 'maxAttempts', UINT32),
    retry: options.retry === undefined ? undefined : toRetryPolicy(options.retry),
    timeout: optionalDuration(options.timeout, 'timeout'),
    idempotencyKey: options.idempotencyKey ?? '',
    labels: checkStringMap(options.labels, 'labels'),
    traceContext: checkStringMap(options.traceContext, 'traceContext'),
    fairnessKey: options.fairnessKey ?? '',
  };
}

function encodePayload(payload: unknown, contentType: string | undefined): { bytes: Buffer; contentType: string } {
  if (Buffer.isBuffer(payload)) return { bytes: payload, contentType: contentType ?? BINARY_CONTENT_TYPE };
  if (payload instanceof Uint8Array) {
    // A view onto the same memory, not a copy.
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    return { bytes, contentType: contentType ?? BINARY_CONTENT_TYPE };
  }
  if (typeof payload === 'function' || typeof payload === 'symbol') {
    throw new InvalidArgumentError(`payload: a ${typeof payload} cannot be encoded as JSON`);
  }
  try {
    return { bytes: encodeJson(payload), contentType: contentType ?? JSON_CONTENT_TYPE };
  } catch (err: unknown) {
    // Circular structures and BigInts: JSON.stringify throws a TypeError.
    throw new InvalidArgumentError(`payload: cannot be encoded as JSON: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * A duration option as a protobuf Duration, or undefined when unset. Milliseconds go on the
 * wire as given (a negative one is the coordinator's to refuse); only a string must parse and
 * a number be finite, or there is nothing to encode.
 * @throws InvalidArgumentError naming `what`.
 */
export function optionalDuration(value: string | number | undefined, what: string): Duration | undefined {
  if (value === undefined) return undefined;
  let ms: number;
  if (typeof value === 'string') ms = parseDurationMs(value, what);
  else if (Number.isFinite(value)) ms = Math.round(value);
  else throw new InvalidArgumentError(`${what}: expected a finite number of milliseconds, got ${value}`);
  return msToDuration(ms);
}

/**
 * A time option, which must be a valid Date to be encoded as a Timestamp.
 * @throws InvalidArgumentError naming `what`.
 */
export function checkDate(date: Date | undefined, what: string): Date | undefined {
  if (date === undefined) return undefined;
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError(`${what}: expected a valid Date`);
  }
  return date;
}

function toRetryPolicy(retry: RetryOptions): RetryPolicy {
  return {
    initialBackoff: optionalDuration(retry.initialBackoff, 'retry.initialBackoff'),
    // Unset stays unset (the coordinator's default); multiplier and jitter carry presence on the wire.
    multiplier: retry.multiplier,
    maxBackoff: optionalDuration(retry.maxBackoff, 'retry.maxBackoff'),
    jitter: retry.jitter,
    maxInfrastructureFailures:
      retry.maxInfrastructureFailures === undefined ? undefined : checkWireInteger(retry.maxInfrastructureFailures, 'retry.maxInfrastructureFailures', UINT32),
  };
}

/** Copies a string map; a value of another type would go on the wire as something else. */
function checkStringMap(map: Readonly<Record<string, string>> | undefined, what: string): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [key, value] of Object.entries(map ?? {})) {
    if (typeof value !== 'string') {
      throw new InvalidArgumentError(`${what}.${key}: expected a string, got ${typeof value}`);
    }
    copy[key] = value;
  }
  return copy;
}

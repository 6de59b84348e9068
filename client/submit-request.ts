import { parseDurationMs } from '../shared/duration';
import { InvalidArgumentError, errorMessage } from '../shared/errors';
import type { RetryPolicy } from '../shared/gen/baton/v1/task';
import type { SubmitTaskRequest } from '../shared/gen/baton/v1/task_queue';
import type { Duration } from '../shared/gen/google/protobuf/duration';
import { JSON_CONTENT_TYPE, encodeJson } from '../shared/payload';
import { msToDuration } from '../shared/proto-time';

/** Content type of a binary payload submitted without `contentType`. */
export const BINARY_CONTENT_TYPE = 'application/octet-stream';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;

/**
 * How a task's attempts are spaced. Durations are `'5s'`-style strings or milliseconds.
 * Unset fields take the coordinator's defaults.
 */
export interface RetryOptions {
  /** Delay before the second attempt. */
  readonly initialBackoff?: string | number;
  /** Growth of the delay per further attempt; at least 1. */
  readonly multiplier?: number;
  /** Cap of the delay before jitter. */
  readonly maxBackoff?: string | number;
  /**
   * Fraction of each delay that is randomised, in [0, 1]. On the wire 0 cannot be told from
   * unset, so 0 takes the coordinator's default too.
   */
  readonly jitter?: number;
}

/** Everything about a submission but its type and payload. All fields are optional. */
export interface SubmitOptions {
  /** Queue name; default the coordinator's `"default"`. */
  readonly queue?: string;
  /** Higher runs first within a queue; an int32, default 0. */
  readonly priority?: number;
  /** Run no earlier than now + delay (`'5s'` or milliseconds). Not with `runAt`. */
  readonly delay?: string | number;
  /** Run no earlier than this time. Not with `delay`. */
  readonly runAt?: Date;
  /** Total attempts including the first; 0 or unset takes the coordinator's default. */
  readonly maxAttempts?: number;
  readonly retry?: RetryOptions;
  /** Execution timeout of each attempt (`'30s'` or milliseconds); unset or 0 means none. */
  readonly timeout?: string | number;
  /** A second submission with the same key returns the first task instead of a new one. */
  readonly idempotencyKey?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** W3C trace context (traceparent, tracestate) to continue the submitter's trace. */
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
 * Builds the wire request for one submission, checking what can be checked without the
 * coordinator. Pure: no I/O, no clock.
 * @param payload any JSON-serialisable value (encoded as JSON), or a Buffer/Uint8Array (sent as is).
 * @throws InvalidArgumentError naming the offending field (`type`, `payload`, `delay`, `retry.jitter`, ...).
 */
export function toSubmitTaskRequest(type: string, payload?: unknown, options: SubmitOptions = {}): SubmitTaskRequest {
  if (typeof type !== 'string' || type.trim() === '') {
    throw new InvalidArgumentError('type: a task type is required');
  }
  if (options.delay !== undefined && options.runAt !== undefined) {
    throw new InvalidArgumentError('delay and runAt: set at most one of them');
  }
  const { bytes, contentType } = encodePayload(payload, options.contentType);
  return {
    queue: options.queue ?? '',
    type,
    payload: bytes,
    contentType,
    priority: checkInteger(options.priority ?? 0, 'priority', INT32_MIN, INT32_MAX),
    delay: optionalDuration(options.delay, 'delay'),
    runAt: checkRunAt(options.runAt),
    maxAttempts: checkInteger(options.maxAttempts ?? 0, 'maxAttempts', 0, UINT32_MAX),
    retry: options.retry === undefined ? undefined : toRetryPolicy(options.retry),
    timeout: optionalDuration(options.timeout, 'timeout'),
    idempotencyKey: options.idempotencyKey ?? '',
    labels: checkStringMap(options.labels, 'labels'),
    traceContext: checkStringMap(options.traceContext, 'traceContext'),
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

/** A duration option as a protobuf Duration; unset and zero both mean "none". */
function optionalDuration(value: string | number | undefined, what: string): Duration | undefined {
  if (value === undefined) return undefined;
  const ms = parseDurationMs(value, what);
  return ms === 0 ? undefined : msToDuration(ms);
}

function checkRunAt(runAt: Date | undefined): Date | undefined {
  if (runAt === undefined) return undefined;
  if (!(runAt instanceof Date) || Number.isNaN(runAt.getTime())) {
    throw new InvalidArgumentError('runAt: expected a valid Date');
  }
  return runAt;
}

function checkInteger(value: number, what: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${what}: expected an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function toRetryPolicy(retry: RetryOptions): RetryPolicy {
  const { multiplier, jitter } = retry;
  if (multiplier !== undefined && !(Number.isFinite(multiplier) && multiplier >= 1)) {
    throw new InvalidArgumentError(`retry.multiplier: expected a number of at least 1, got ${multiplier}`);
  }
  if (jitter !== undefined && !(jitter >= 0 && jitter <= 1)) {
    throw new InvalidArgumentError(`retry.jitter: expected a number from 0 to 1, got ${jitter}`);
  }
  return {
    initialBackoff: optionalDuration(retry.initialBackoff, 'retry.initialBackoff'),
    // 0 is proto3's "unset": the coordinator's default applies.
    multiplier,
    maxBackoff: optionalDuration(retry.maxBackoff, 'retry.maxBackoff'),
    jitter,
  };
}

function checkStringMap(map: Readonly<Record<string, string>> | undefined, what: string): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [key, value] of Object.entries(map ?? {})) {
    if (key === '') throw new InvalidArgumentError(`${what}: keys must not be empty`);
    if (typeof value !== 'string') {
      throw new InvalidArgumentError(`${what}.${key}: expected a string, got ${typeof value}`);
    }
    copy[key] = value;
  }
  return copy;
}

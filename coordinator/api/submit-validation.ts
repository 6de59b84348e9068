import type { BackoffPolicy } from '../../shared/backoff';
import { DEFAULT_QUEUE } from '../../shared/default-queue';
import { InvalidArgumentError } from '../../shared/errors';
import { JSON_CONTENT_TYPE } from '../../shared/payload';
import { durationToMs } from '../../shared/proto-time';
import type { RetryPolicy } from '../../shared/gen/baton/v1/task';
import type { SubmitTaskRequest } from '../../shared/gen/baton/v1/task_queue';
import { NO_ENTRIES, type TaskSpec } from '../core/task';
import { FIRE_KEY_PREFIX } from '../schedules/schedule';
import { checkName } from './names';
import { defaultsFor, type SubmitPolicy } from './task-defaults';

export const MAX_ATTEMPTS_LIMIT = 1000;
export const MAX_LABELS = 64;
export const MAX_LABEL_LENGTH = 256;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;
export const MAX_FAIRNESS_KEY_LENGTH = 128;
const MAX_DURATION_MS = 365 * 24 * 3_600_000;

/**
 * Turns a wire submission into a TaskSpec, or throws InvalidArgumentError naming the field
 * (prefixed by `field`, e.g. "requests[3].").
 */
export function validateSubmission(request: SubmitTaskRequest, policy: SubmitPolicy, nowMs: number, field = ''): TaskSpec {
  const queue = request.queue === '' ? DEFAULT_QUEUE : request.queue;
  checkName(queue, `${field}queue`);
  checkName(request.type, `${field}type`);
  if (request.payload.length > policy.maxPayloadBytes) {
    throw new InvalidArgumentError(
      `${field}payload: ${request.payload.length} bytes exceeds the limit of ${policy.maxPayloadBytes} bytes`,
    );
  }
  if (request.delay && request.runAt) {
    throw new InvalidArgumentError(`${field}delay and ${field}run_at: set at most one of them`);
  }
  const delayMs = checkDuration(request.delay, `${field}delay`);
  const runAtMs = request.runAt ? checkRunAt(request.runAt, nowMs, `${field}run_at`) : delayMs ? nowMs + delayMs : undefined;
  if (request.maxAttempts > MAX_ATTEMPTS_LIMIT) {
    throw new InvalidArgumentError(`${field}max_attempts: ${request.maxAttempts} is over the limit of ${MAX_ATTEMPTS_LIMIT}`);
  }
  const defaults = defaultsFor(policy, queue);
  const idempotencyKey = request.idempotencyKey === '' ? null : request.idempotencyKey;
  if (idempotencyKey !== null && idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new InvalidArgumentError(`${field}idempotency_key: longer than ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  if (idempotencyKey !== null && CONTROL_CHARACTERS.test(idempotencyKey)) {
    throw new InvalidArgumentError(`${field}idempotency_key: holds control characters`);
  }
  // A fire's key is what keeps a fire time from submitting twice: a client that could take
  // one first would swallow the fire.
  if (idempotencyKey?.startsWith(FIRE_KEY_PREFIX)) {
    throw new InvalidArgumentError(`${field}idempotency_key: keys starting with "${FIRE_KEY_PREFIX}" are reserved for schedules' fires`);
  }
  const fairnessKey = request.fairnessKey === '' ? null : request.fairnessKey;
  if (fairnessKey !== null && (fairnessKey.length > MAX_FAIRNESS_KEY_LENGTH || CONTROL_CHARACTERS.test(fairnessKey))) {
    throw new InvalidArgumentError(`${field}fairness_key: must be at most ${MAX_FAIRNESS_KEY_LENGTH} characters, without control characters`);
  }
  return {
    queue,
    type: request.type,
    // A view, not a copy: the store takes the bytes at commit and the ledger keeps none.
    payload: Buffer.from(request.payload.buffer, request.payload.byteOffset, request.payload.byteLength),
    contentType: checkContentType(request.contentType, `${field}content_type`),
    priority: request.priority,
    runAtMs,
    maxAttempts: request.maxAttempts === 0 ? defaults.maxAttempts : request.maxAttempts,
    retry: checkRetry(request.retry, defaults.retry, `${field}retry`),
    maxInfraFailures: checkInfraBudget(request.retry?.maxInfrastructureFailures, defaults.maxInfraFailures, `${field}retry`),
    timeoutMs: checkDuration(request.timeout, `${field}timeout`) ?? defaults.timeoutMs,
    idempotencyKey,
    labels: checkMap(request.labels, `${field}labels`),
    traceContext: checkMap(request.traceContext, `${field}trace_context`),
    fairnessKey,
  };
}

function checkDuration(duration: { seconds: number; nanos: number } | undefined, field: string): number | undefined {
  const ms = durationToMs(duration);
  if (ms === undefined) return undefined;
  if (!Number.isFinite(ms) || ms < 0 || duration!.nanos < 0) throw new InvalidArgumentError(`${field}: must not be negative`);
  if (ms > MAX_DURATION_MS) throw new InvalidArgumentError(`${field}: longer than the limit of 365 days`);
  return ms;
}

/** run_at has the horizon of delay: a task due centuries ahead is a mistake, or an attempt to park data forever. */
function checkRunAt(date: Date, nowMs: number, field: string): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`${field}: not a valid timestamp`);
  if (ms - nowMs > MAX_DURATION_MS) throw new InvalidArgumentError(`${field}: more than the limit of 365 days ahead`);
  return ms;
}

function checkRetry(retry: RetryPolicy | undefined, defaults: BackoffPolicy, field: string): BackoffPolicy {
  if (!retry) return defaults;
  const initialMs = checkDuration(retry.initialBackoff, `${field}.initial_backoff`) ?? defaults.initialMs;
  const maxMs = checkDuration(retry.maxBackoff, `${field}.max_backoff`) ?? Math.max(defaults.maxMs, initialMs);
  const multiplier = retry.multiplier ?? defaults.multiplier;
  const jitter = retry.jitter ?? defaults.jitter;
  if (!Number.isFinite(multiplier) || multiplier < 1 || multiplier > 100) {
    throw new InvalidArgumentError(`${field}.multiplier: must be between 1 and 100, got ${multiplier}`);
  }
  if (!Number.isFinite(jitter) || jitter < 0 || jitter > 1) {
    throw new InvalidArgumentError(`${field}.jitter: must be between 0 and 1, got ${jitter}`);
  }
  if (maxMs < initialMs) {
    throw new InvalidArgumentError(`${field}.max_backoff: ${maxMs}ms is below initial_backoff ${initialMs}ms`);
  }
  return { initialMs, multiplier, maxMs, jitter };
}

function checkInfraBudget(value: number | undefined, fallback: number | null, field: string): number | null {
  if (value === undefined) return fallback;
  if (value > MAX_ATTEMPTS_LIMIT) {
    throw new InvalidArgumentError(`${field}.max_infrastructure_failures: ${value} is over the limit of ${MAX_ATTEMPTS_LIMIT}`);
  }
  return value;
}

function checkContentType(contentType: string, field: string): string {
  if (contentType === '') return JSON_CONTENT_TYPE;
  if (contentType.length > 128 || !/^[\w.+-]+\/[\w.+-]+(;.*)?$/.test(contentType)) {
    throw new InvalidArgumentError(`${field}: "${contentType.slice(0, 64)}" is not a MIME type`);
  }
  return contentType;
}

/** Label keys are names (they may become metric labels or URL parts); values are free text without control characters. */
const LABEL_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$/;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function checkMap(map: Record<string, string>, field: string): Record<string, string> {
  const entries = Object.entries(map);
  if (entries.length > MAX_LABELS) throw new InvalidArgumentError(`${field}: more than ${MAX_LABELS} entries`);
  for (const [key, value] of entries) {
    if (key === '' || key.length > MAX_LABEL_LENGTH || value.length > MAX_LABEL_LENGTH) {
      throw new InvalidArgumentError(`${field}: keys must be 1-${MAX_LABEL_LENGTH} characters and values at most ${MAX_LABEL_LENGTH}`);
    }
    if (!LABEL_KEY.test(key)) throw new InvalidArgumentError(`${field}: key "${key.slice(0, 64)}" has characters outside letters, digits and _ . : / -`);
    if (CONTROL_CHARACTERS.test(value)) throw new InvalidArgumentError(`${field}.${key}: the value holds control characters`);
  }
  return entries.length === 0 ? NO_ENTRIES : { ...map };
}

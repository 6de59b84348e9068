import { DEFAULT_QUEUE } from '../../shared/default-queue';
import { InvalidArgumentError, ResourceExhaustedError } from '../../shared/errors';
import { MAX_CONCURRENCY } from '../../shared/limits';
import { msToDuration } from '../../shared/proto-time';
import type { Hello, Lease, TaskResult } from '../../shared/gen/baton/v1/worker_service';
import type { HelloSpec, LeaseGrant, TaskReport } from '../core/worker-channel';
import { requireQueue, requireRole } from '../security/authenticator';
import type { Principal } from '../security/principal';
import { checkName } from './names';

/** What one session may make the coordinator keep. */
export const MAX_HELLO_QUEUES = 100;
export const MAX_HELLO_TASK_TYPES = 1000;
/** Characters of queue and type names together in one Hello. */
export const MAX_HELLO_NAME_CHARS = 16 * 1024;
/** Longest handler error message or error type kept; longer ones are cut, not refused (a worker cannot shorten a library's error). */
export const MAX_ERROR_LENGTH = 4096;
const LEASE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RESUME_SECRET = /^[A-Za-z0-9_-]{16,128}$/;
/** Longest Hello.hostname: a DNS name is at most 253 characters. */
export const MAX_HOSTNAME_LENGTH = 255;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Checks a Hello and binds it to the stream's credential.
 * @throws InvalidArgumentError naming the field; PermissionDeniedError for a queue outside the credential's.
 */
export function validateHello(hello: Hello, caller: Principal): HelloSpec {
  checkName(hello.workerId, 'hello.worker_id');
  if (hello.concurrency < 1 || hello.concurrency > MAX_CONCURRENCY) {
    throw new InvalidArgumentError(`hello.concurrency: must be between 1 and ${MAX_CONCURRENCY}, got ${hello.concurrency}`);
  }
  const queues = hello.queues.length === 0 ? [DEFAULT_QUEUE] : hello.queues;
  checkHelloSize(queues, hello.taskTypes);
  queues.forEach((queue, index) => checkName(queue, `hello.queues[${index}]`));
  hello.taskTypes.forEach((type, index) => checkName(type, `hello.task_types[${index}]`));
  workerAccess(caller, queues);
  hello.heldLeaseIds.forEach((leaseId, index) => checkLeaseId(leaseId, `hello.held_lease_ids[${index}]`));
  if (hello.resumeSecret !== '' && !RESUME_SECRET.test(hello.resumeSecret)) {
    throw new InvalidArgumentError('hello.resume_secret: not a secret from a Welcome');
  }
  const hostname = hello.hostname ?? '';
  checkHostname(hostname);
  return {
    principal: caller.id,
    workerId: hello.workerId,
    hostname,
    queues: [...new Set(queues)],
    types: hello.taskTypes,
    concurrency: hello.concurrency,
    heldLeaseIds: [...new Set(hello.heldLeaseIds)],
    resumeSecret: hello.resumeSecret,
  };
}

/** The hostname is only shown to operators, but it is kept and printed: bounded, and free of terminal escapes. */
function checkHostname(hostname: string): void {
  if (hostname.length > MAX_HOSTNAME_LENGTH) {
    throw new InvalidArgumentError(`hello.hostname: ${hostname.length} characters is over the limit of ${MAX_HOSTNAME_LENGTH}`);
  }
  if (CONTROL_CHARACTERS.test(hostname)) throw new InvalidArgumentError('hello.hostname: holds control characters');
}

/** @throws ResourceExhaustedError when a Hello names more than one session may make the coordinator keep. */
function checkHelloSize(queues: readonly string[], types: readonly string[]): void {
  if (queues.length > MAX_HELLO_QUEUES) throw new ResourceExhaustedError(`hello.queues: ${queues.length} entries is over the limit of ${MAX_HELLO_QUEUES}`);
  if (types.length > MAX_HELLO_TASK_TYPES) throw new ResourceExhaustedError(`hello.task_types: ${types.length} entries is over the limit of ${MAX_HELLO_TASK_TYPES}`);
  const chars = [...queues, ...types].reduce((sum, name) => sum + name.length, 0);
  if (chars > MAX_HELLO_NAME_CHARS) {
    throw new ResourceExhaustedError(`hello: queue and task type names add up to ${chars} characters, over the limit of ${MAX_HELLO_NAME_CHARS}`);
  }
}

/** Throws unless `caller` may run a worker on `queues`: after Hello, and again after each credentials reload. */
export function workerAccess(caller: Principal, queues: readonly string[]): void {
  requireRole(caller, ['worker'], 'Connect');
  for (const queue of queues) requireQueue(caller, queue, 'hello.queues');
}

/** @throws InvalidArgumentError unless `leaseId` looks like a lease id the coordinator hands out. */
export function checkLeaseId(leaseId: string, field: string): void {
  if (!LEASE_ID.test(leaseId)) throw new InvalidArgumentError(`${field}: "${leaseId.slice(0, 64)}" is not a lease id`);
}

export function toReport(result: TaskResult, index: number, maxResultBytes: number): TaskReport {
  const outcome = result.outcome;
  checkLeaseId(result.leaseId, `results[${index}].lease_id`);
  if (!outcome) throw new InvalidArgumentError(`results[${index}]: neither success nor failure is set`);
  if (outcome.$case === 'success' && outcome.value.result.length > maxResultBytes) {
    // Storing it would break the limit every reader relies on; retrying would make the same result.
    const message = `result of ${outcome.value.result.length} bytes exceeds the limit of ${maxResultBytes} bytes`;
    return { leaseId: result.leaseId, kind: 'failure', message, nonRetryable: true };
  }
  if (outcome.$case === 'success') {
    const contentType = outcome.value.contentType || 'application/json';
    if (contentType.length > 128) throw new InvalidArgumentError(`results[${index}].success.content_type: longer than 128 characters`);
    return { leaseId: result.leaseId, kind: 'success', result: Buffer.from(outcome.value.result), contentType };
  }
  const message = (outcome.value.message || 'handler failed').slice(0, MAX_ERROR_LENGTH);
  return { leaseId: result.leaseId, kind: 'failure', message, nonRetryable: outcome.value.nonRetryable };
}

export function toWireLease({ lease, task, payload }: LeaseGrant): Lease {
  return {
    leaseId: lease.leaseId,
    taskId: task.id,
    queue: task.queue,
    type: task.type,
    payload,
    contentType: task.contentType,
    attempt: lease.attempt,
    maxAttempts: task.maxAttempts,
    timeout: task.timeoutMs > 0 ? msToDuration(task.timeoutMs) : undefined,
    deadline: lease.deadlineMs === null ? undefined : new Date(lease.deadlineMs),
    // Encoding only reads them: no copy.
    labels: task.labels,
    traceContext: task.traceContext,
  };
}

/** Payload bytes per Leases message at most (one lease alone may exceed it). */
export const LEASE_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Splits leases into messages of at most LEASE_MESSAGE_BYTES of payload, in order: many small
 * leases share a message, a large one is never held back for want of room.
 */
export function leaseMessages<T>(items: readonly T[], payloadBytes: (item: T) => number): T[][] {
  const messages: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = payloadBytes(item);
    if (batch.length > 0 && bytes + size > LEASE_MESSAGE_BYTES) {
      messages.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length > 0) messages.push(batch);
  return messages;
}

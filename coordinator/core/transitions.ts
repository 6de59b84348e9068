/**
 * The task state machine as plain functions over records: each checks nothing about
 * sockets or storage and returns what changed, so the rules are unit-testable alone.
 */
import { backoffDelayMs } from '../../shared/backoff';
import type { Lease } from './leases';
import type { AttemptOutcome, AttemptRecord, TaskRecord } from './task';

/** RUNNING: the task is leased; returns the open attempt record. */
export function beginAttempt(task: TaskRecord, lease: Lease, nowMs: number): AttemptRecord {
  task.state = 'running';
  task.attempt = lease.attempt;
  task.progress = null; // progress is the current attempt's
  task.updatedAtMs = nowMs;
  return {
    number: lease.attempt,
    workerId: lease.workerId,
    leaseId: lease.leaseId,
    workerProof: lease.proof,
    workerPrincipal: lease.principal,
    startedAtMs: nowMs,
    endedAtMs: null,
    outcome: 'running',
    error: '',
  };
}

/** SUCCEEDED with the handler's result. */
export function recordSuccess(
  task: TaskRecord,
  attempt: AttemptRecord,
  result: Buffer,
  resultContentType: string,
  nowMs: number,
): void {
  closeAttempt(attempt, 'succeeded', '', nowMs);
  task.state = 'succeeded';
  task.result = result;
  task.resultContentType = resultContentType;
  task.updatedAtMs = nowMs;
  task.finishedAtMs = nowMs;
}

export type FailureVerdict = { readonly kind: 'retry'; readonly runAtMs: number } | { readonly kind: 'dead' };

export interface Failure {
  readonly outcome: Exclude<AttemptOutcome, 'running' | 'succeeded' | 'canceled'>;
  readonly error: string;
  /** False for a non-retryable handler error: the task goes DEAD at once. */
  readonly retryable: boolean;
}

/**
 * A failed attempt: SCHEDULED again after backoff while attempts remain, else DEAD.
 * @param random source of jitter, in [0, 1).
 */
export function recordFailure(
  task: TaskRecord,
  attempt: AttemptRecord | undefined,
  failure: Failure,
  nowMs: number,
  random: () => number,
): FailureVerdict {
  if (attempt) closeAttempt(attempt, failure.outcome, failure.error, nowMs);
  task.lastError = failure.error;
  task.updatedAtMs = nowMs;
  const infrastructure = failure.outcome === 'worker_lost' || failure.outcome === 'timed_out';
  if (infrastructure) task.infraFailures += 1;
  let exhausted = task.attempt >= task.maxAttempts;
  if (infrastructure && task.maxInfraFailures !== null) {
    // A separate budget: this attempt does not use up one of maxAttempts.
    task.maxAttempts += 1;
    exhausted = task.infraFailures > task.maxInfraFailures;
  }
  if (!failure.retryable || exhausted) {
    task.state = 'dead';
    task.finishedAtMs = nowMs;
    return { kind: 'dead' };
  }
  task.state = 'scheduled';
  task.runAtMs = nowMs + backoffDelayMs(task.retry, task.attempt, random);
  return { kind: 'retry', runAtMs: task.runAtMs };
}

/** CANCELED, closing the running attempt if there is one. */
export function recordCancel(task: TaskRecord, attempt: AttemptRecord | undefined, nowMs: number): void {
  if (attempt) closeAttempt(attempt, 'canceled', 'task canceled', nowMs);
  task.state = 'canceled';
  task.updatedAtMs = nowMs;
  task.finishedAtMs = nowMs;
}

/**
 * QUEUED again with a fresh attempt budget (RetryTask): attempt numbers carry on, and the
 * cap rises so that the task gets its submitted number of attempts once more.
 */
export function requeue(task: TaskRecord, nowMs: number): void {
  task.state = 'queued';
  task.maxAttempts = task.attempt + task.attemptBudget;
  task.infraFailures = 0;
  task.result = null;
  task.resultContentType = '';
  task.runAtMs = nowMs;
  task.updatedAtMs = nowMs;
  task.finishedAtMs = null;
}

function closeAttempt(attempt: AttemptRecord, outcome: AttemptOutcome, error: string, nowMs: number): void {
  attempt.outcome = outcome;
  attempt.error = error;
  attempt.endedAtMs = nowMs;
}

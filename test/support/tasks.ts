import type { TaskRecord, TaskSpec } from '../../coordinator/core/task';

/** A queued task with sensible defaults, for unit tests. */
export function makeTask(overrides: Partial<TaskRecord> & { id: string }): TaskRecord {
  return {
    queue: 'default',
    type: 'noop',
    state: 'queued',
    payload: Buffer.from('{}'),
    contentType: 'application/json',
    priority: 0,
    attempt: 0,
    maxAttempts: 3,
    attemptBudget: 3,
    maxInfraFailures: null,
    infraFailures: 0,
    retry: { initialMs: 1000, multiplier: 2, maxMs: 60_000, jitter: 0 },
    timeoutMs: 0,
    idempotencyKey: null,
    labels: {},
    traceContext: {},
    result: null,
    resultContentType: '',
    lastError: '',
    createdAtMs: 0,
    updatedAtMs: 0,
    runAtMs: 0,
    finishedAtMs: null,
    fairnessKey: null,
    scheduleName: null,
    scheduleFireMs: null,
    progress: null,
    ...overrides,
  };
}

/** A submission with sensible defaults, for unit tests of the engine. */
export function taskSpec(overrides: Partial<TaskSpec> = {}): TaskSpec {
  return {
    queue: 'default',
    type: 'noop',
    payload: Buffer.from('{}'),
    contentType: 'application/json',
    priority: 0,
    runAtMs: undefined,
    maxAttempts: 3,
    retry: { initialMs: 100, multiplier: 2, maxMs: 1000, jitter: 0 },
    maxInfraFailures: null,
    timeoutMs: 0,
    idempotencyKey: null,
    labels: {},
    traceContext: {},
    ...overrides,
  };
}

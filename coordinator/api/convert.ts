import { AttemptOutcome as WireOutcome, TaskState as WireState, type Attempt, type Task } from '../../shared/gen/baton/v1/task';
import { msToDuration } from '../../shared/proto-time';
import type { AttemptOutcome, AttemptRecord, TaskRecord, TaskState } from '../core/task';

const WIRE_STATE: Record<TaskState, WireState> = {
  scheduled: WireState.TASK_STATE_SCHEDULED,
  queued: WireState.TASK_STATE_QUEUED,
  running: WireState.TASK_STATE_RUNNING,
  succeeded: WireState.TASK_STATE_SUCCEEDED,
  dead: WireState.TASK_STATE_DEAD,
  canceled: WireState.TASK_STATE_CANCELED,
};

const STATE_BY_WIRE = new Map<WireState, TaskState>(
  Object.entries(WIRE_STATE).map(([state, wire]) => [wire, state as TaskState]),
);

const WIRE_OUTCOME: Record<AttemptOutcome, WireOutcome> = {
  running: WireOutcome.ATTEMPT_OUTCOME_RUNNING,
  succeeded: WireOutcome.ATTEMPT_OUTCOME_SUCCEEDED,
  failed: WireOutcome.ATTEMPT_OUTCOME_FAILED,
  timed_out: WireOutcome.ATTEMPT_OUTCOME_TIMED_OUT,
  worker_lost: WireOutcome.ATTEMPT_OUTCOME_WORKER_LOST,
  canceled: WireOutcome.ATTEMPT_OUTCOME_CANCELED,
};

export function toWireState(state: TaskState): WireState {
  return WIRE_STATE[state];
}

/** The core state for a wire state; undefined for UNSPECIFIED or unknown values. */
export function fromWireState(state: WireState): TaskState | undefined {
  return STATE_BY_WIRE.get(state);
}

export function toWireTask(task: TaskRecord, attempts: readonly AttemptRecord[] = []): Task {
  return {
    id: task.id,
    queue: task.queue,
    type: task.type,
    state: WIRE_STATE[task.state],
    payload: task.payload,
    contentType: task.contentType,
    priority: task.priority,
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    retry: {
      initialBackoff: msToDuration(task.retry.initialMs),
      multiplier: task.retry.multiplier,
      maxBackoff: msToDuration(task.retry.maxMs),
      jitter: task.retry.jitter,
      maxInfrastructureFailures: task.maxInfraFailures ?? undefined,
    },
    infrastructureFailures: task.infraFailures,
    timeout: task.timeoutMs > 0 ? msToDuration(task.timeoutMs) : undefined,
    idempotencyKey: task.idempotencyKey ?? '',
    labels: { ...task.labels },
    traceContext: { ...task.traceContext },
    result: task.result ?? Buffer.alloc(0),
    resultContentType: task.resultContentType,
    lastError: task.lastError,
    createdAt: new Date(task.createdAtMs),
    updatedAt: new Date(task.updatedAtMs),
    runAt: new Date(task.runAtMs),
    finishedAt: task.finishedAtMs === null ? undefined : new Date(task.finishedAtMs),
    attempts: attempts.map(toWireAttempt),
    schedule: task.scheduleName ?? '',
    fairnessKey: task.fairnessKey ?? '',
    scheduleFireTime: task.scheduleFireMs === null ? undefined : new Date(task.scheduleFireMs),
    progress: task.progress === null ? undefined : { fraction: task.progress.fraction, message: task.progress.message, updatedAt: new Date(task.progress.atMs) },
  };
}

function toWireAttempt(attempt: AttemptRecord): Attempt {
  return {
    number: attempt.number,
    workerId: attempt.workerId,
    leaseId: attempt.leaseId,
    startedAt: new Date(attempt.startedAtMs),
    endedAt: attempt.endedAtMs === null ? undefined : new Date(attempt.endedAtMs),
    outcome: WIRE_OUTCOME[attempt.outcome],
    error: attempt.error,
  };
}

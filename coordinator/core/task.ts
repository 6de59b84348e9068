/**
 * The coordinator's own model of a task: plain data, independent of the wire (api/convert.ts)
 * and of storage (store/). Times are Unix milliseconds.
 */
import type { BackoffPolicy } from '../../shared/backoff';

export type TaskState = 'scheduled' | 'queued' | 'running' | 'succeeded' | 'dead' | 'canceled';

export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set(['succeeded', 'dead', 'canceled']);

export function isTerminal(state: TaskState): boolean {
  return TERMINAL_STATES.has(state);
}

export type AttemptOutcome = 'running' | 'succeeded' | 'failed' | 'timed_out' | 'worker_lost' | 'canceled';

export interface AttemptRecord {
  /** 1-based. */
  readonly number: number;
  readonly workerId: string;
  readonly leaseId: string;
  /** The lease's worker proof (worker-admission.ts), kept so that a reclaim after a restart can be checked. Never on the wire. */
  readonly workerProof: string;
  /** The credential the worker connected with; with the proof, what a reclaim after a restart is checked against. Never on the wire. */
  readonly workerPrincipal: string;
  readonly startedAtMs: number;
  endedAtMs: number | null;
  outcome: AttemptOutcome;
  /** The handler's message, or why the coordinator ended the attempt. */
  error: string;
}

export interface TaskRecord {
  readonly id: string;
  readonly queue: string;
  readonly type: string;
  state: TaskState;
  /**
   * The submitted bytes. Empty in the ledger's records: from the commit of its submission the
   * store holds a task's payload, and dispatch reads it back for the lease, so the memory an
   * unfinished task costs does not grow with its payload (TaskLedger.payloadOf).
   */
  payload: Buffer;
  readonly contentType: string;
  readonly priority: number;
  /** Number of the current or latest attempt; 0 before the first lease. */
  attempt: number;
  /** Attempt number after which a failure is final. RetryTask raises it by `attemptBudget`. */
  maxAttempts: number;
  /** Attempts per run, as submitted: what RetryTask grants afresh. */
  readonly attemptBudget: number;
  readonly retry: BackoffPolicy;
  /** Infrastructure failures tolerated outside maxAttempts; null: they count as attempts. */
  readonly maxInfraFailures: number | null;
  /** Attempts ended as worker_lost or timed_out since submission or the last RetryTask. */
  infraFailures: number;
  /** Execution timeout per attempt; 0 means none. */
  readonly timeoutMs: number;
  readonly idempotencyKey: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly traceContext: Readonly<Record<string, string>>;
  result: Buffer | null;
  resultContentType: string;
  lastError: string;
  readonly createdAtMs: number;
  updatedAtMs: number;
  /** When the task is (or was) due; orders tasks of equal priority. */
  runAtMs: number;
  finishedAtMs: number | null;
  /** Round robin across the keys of a queue (tenants); null for a task without one. */
  readonly fairnessKey: string | null;
  /** The schedule whose fire submitted the task; null for a task submitted directly. */
  readonly scheduleName: string | null;
  /** The fire time the task stands for; null unless scheduleName is set. */
  readonly scheduleFireMs: number | null;
  /** The latest progress the handler reported in the current or latest attempt; null for none. */
  progress: TaskProgress | null;
}

/** What a handler said of how far it got (ctx.progress), replaced whole by each report. */
export interface TaskProgress {
  /** In [0, 1]. */
  readonly fraction: number;
  readonly message: string;
  readonly atMs: number;
}

/** Where a task submitted by a schedule's fire came from. */
export interface ScheduleOrigin {
  readonly scheduleName: string;
  readonly fireMs: number;
}

/** What a validated submission asks for; the engine turns it into a TaskRecord. */
export interface TaskSpec {
  readonly queue: string;
  readonly type: string;
  readonly payload: Buffer;
  readonly contentType: string;
  readonly priority: number;
  /** Absolute due time; undefined means now. */
  readonly runAtMs: number | undefined;
  readonly maxAttempts: number;
  readonly retry: BackoffPolicy;
  readonly maxInfraFailures: number | null;
  readonly timeoutMs: number;
  readonly idempotencyKey: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly traceContext: Readonly<Record<string, string>>;
  /** Set when a schedule's fire submits the task. */
  readonly origin?: ScheduleOrigin;
  /** Undefined or null: no key. */
  readonly fairnessKey?: string | null;
}

/** The empty payload of a record whose payload is in the store. */
export const PAYLOAD_IN_STORE: Buffer = Buffer.alloc(0);

/** The labels or trace context of a task that has none, shared: a million queued tasks need not hold a million empty objects. */
export const NO_ENTRIES: Readonly<Record<string, string>> = Object.freeze({});

/** A task with its attempt history, as GetTask returns it. */
export interface TaskView {
  readonly task: TaskRecord;
  readonly attempts: readonly AttemptRecord[];
}

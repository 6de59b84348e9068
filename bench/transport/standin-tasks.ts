/**
 * The stand-in's tasks: the wire Task of each one, the queued ones in FIFO order, and who
 * watches which. No store and no engine: no retries, delays, priorities or timeouts are
 * enforced (see standin-coordinator.ts for what the stand-in is for).
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_QUEUE } from '../../shared/default-queue';
import { BatonError, InvalidArgumentError } from '../../shared/errors';
import { AttemptOutcome, TaskState, type Attempt, type RetryPolicy, type Task } from '../../shared/gen/baton/v1/task';
import type { SubmitTaskRequest, SubmitTaskResponse } from '../../shared/gen/baton/v1/task_queue';
import { JSON_CONTENT_TYPE } from '../../shared/payload';
import { durationToMs, msToDuration } from '../../shared/proto-time';

/** The real coordinator's defaults (coordinator/config.ts), so that tasks have the real shape and size. */
const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_RETRY = { initialMs: 1000, multiplier: 2, maxMs: 300_000, jitter: 0.2 };
const EMPTY = Buffer.alloc(0);

/** How an attempt ended, as the worker reported it (or the stand-in decided). */
export type AttemptEnd =
  | { readonly kind: 'success'; readonly result: Buffer; readonly contentType: string }
  | { readonly kind: 'failure'; readonly message: string }
  | { readonly kind: 'lost'; readonly message: string };

/** The terminal state of a finished task, for the metric. */
export type FinishedState = 'succeeded' | 'dead';

type Watcher = (task: Task) => void;

interface ReadyEntry {
  readonly seq: number;
  readonly taskId: string;
}

/** A queue with O(1) push and shift. */
class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // let the entry go
    this.head += 1;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/**
 * Every task the stand-in was given, as the wire Task that GetTask answers with. A Task
 * object is never changed once stored: each change stores a new one, so that a response
 * already handed to grpc-js keeps what it said.
 */
export class TaskBook {
  private readonly tasks = new Map<string, Task>();
  /** queue → type → queued tasks, oldest first. */
  private readonly ready = new Map<string, Map<string, Fifo<ReadyEntry>>>();
  private readyCount = 0;
  private nextSeq = 0;
  private readonly watchers = new Map<string, Set<Watcher>>();
  /** `queue \n key` → task id, for submissions with an idempotency key. */
  private readonly keys = new Map<string, string>();

  constructor(private readonly onFinished: (queue: string, state: FinishedState) => void) {}

  /** Tasks waiting for a lease. */
  get readySize(): number {
    return this.readyCount;
  }

  get(id: string): Task | undefined {
    return this.tasks.get(id);
  }

  /**
   * Accepts submissions at once, queued, in order.
   * @throws BatonError INVALID_ARGUMENT for a submission without a type; UNIMPLEMENTED for a
   *   delay or run_at, which the stand-in has no timer for. Nothing is accepted then.
   */
  submit(requests: readonly SubmitTaskRequest[], nowMs: number): SubmitTaskResponse[] {
    requests.forEach((request, index) => checkSubmission(request, requests.length > 1 ? `requests[${index}].` : ''));
    return requests.map((request) => {
      const queue = request.queue === '' ? DEFAULT_QUEUE : request.queue;
      const key = request.idempotencyKey === '' ? undefined : `${queue}\n${request.idempotencyKey}`;
      const existing = key === undefined ? undefined : this.tasks.get(this.keys.get(key) ?? '');
      if (existing) return { task: existing, deduplicated: true };
      const task = newTask(request, queue, nowMs);
      this.tasks.set(task.id, task);
      if (key !== undefined) this.keys.set(key, task.id);
      this.enqueue(task);
      return { task, deduplicated: false };
    });
  }

  /** The oldest queued task of `queues` whose type is in `types` (any type when empty), taken off the queue. */
  take(queues: readonly string[], types: ReadonlySet<string>): Task | undefined {
    let best: { fifo: Fifo<ReadyEntry>; entry: ReadyEntry } | undefined;
    for (const queue of queues) {
      const byType = this.ready.get(queue);
      if (!byType) continue;
      for (const [type, fifo] of byType) {
        if (types.size > 0 && !types.has(type)) continue;
        const entry = fifo.peek();
        if (entry && (!best || entry.seq < best.entry.seq)) best = { fifo, entry };
      }
    }
    if (!best) return undefined;
    best.fifo.shift();
    this.readyCount -= 1;
    const task = this.tasks.get(best.entry.taskId);
    if (task && best.fifo.size === 0) this.forgetEmpty(task.queue, task.type);
    return task;
  }

  /** A lease was granted: the task is RUNNING its next attempt. */
  started(task: Task, leaseId: string, workerId: string, nowMs: number): Task {
    const now = new Date(nowMs);
    const attempt: Attempt = { number: task.attempt + 1, workerId, leaseId, startedAt: now, endedAt: undefined, outcome: AttemptOutcome.ATTEMPT_OUTCOME_RUNNING, error: '' };
    return this.replace({ ...task, state: TaskState.TASK_STATE_RUNNING, attempt: attempt.number, updatedAt: now, attempts: [...task.attempts, attempt] });
  }

  /**
   * The current attempt ended. Success ends the task SUCCEEDED; a failure ends it DEAD (the
   * stand-in never retries); a lost lease (its worker went away or dropped it) queues it again.
   */
  ended(taskId: string, end: AttemptEnd, nowMs: number): void {
    const task = this.tasks.get(taskId);
    if (!task) return;
    const now = new Date(nowMs);
    const outcome = end.kind === 'success' ? AttemptOutcome.ATTEMPT_OUTCOME_SUCCEEDED : end.kind === 'failure' ? AttemptOutcome.ATTEMPT_OUTCOME_FAILED : AttemptOutcome.ATTEMPT_OUTCOME_WORKER_LOST;
    const error = end.kind === 'success' ? '' : end.message;
    const attempts = task.attempts.map((attempt) => (attempt.number === task.attempt ? { ...attempt, endedAt: now, outcome, error } : attempt));
    if (end.kind === 'lost') {
      this.enqueue(this.replace({ ...task, state: TaskState.TASK_STATE_QUEUED, updatedAt: now, attempts, lastError: error }));
      return;
    }
    const state = end.kind === 'success' ? TaskState.TASK_STATE_SUCCEEDED : TaskState.TASK_STATE_DEAD;
    const result = end.kind === 'success' ? { result: end.result, resultContentType: end.contentType } : { lastError: error };
    this.replace({ ...task, ...result, state, updatedAt: now, finishedAt: now, attempts });
    this.onFinished(task.queue, end.kind === 'success' ? 'succeeded' : 'dead');
  }

  /**
   * Calls `watcher` with each new version of the task until it is terminal.
   * @returns the function that stops the calls.
   */
  watch(taskId: string, watcher: Watcher): () => void {
    let set = this.watchers.get(taskId);
    if (!set) {
      set = new Set();
      this.watchers.set(taskId, set);
    }
    const watchers = set;
    watchers.add(watcher);
    return () => {
      watchers.delete(watcher);
      if (watchers.size === 0 && this.watchers.get(taskId) === watchers) this.watchers.delete(taskId);
    };
  }

  private replace(task: Task): Task {
    this.tasks.set(task.id, task);
    const watchers = this.watchers.get(task.id);
    if (watchers) for (const watcher of [...watchers]) watcher(task);
    return task;
  }

  private enqueue(task: Task): void {
    let byType = this.ready.get(task.queue);
    if (!byType) {
      byType = new Map();
      this.ready.set(task.queue, byType);
    }
    let fifo = byType.get(task.type);
    if (!fifo) {
      fifo = new Fifo();
      byType.set(task.type, fifo);
    }
    fifo.push({ seq: ++this.nextSeq, taskId: task.id });
    this.readyCount += 1;
  }

  /** Queue and type names come from clients: forget the ones with nothing queued. */
  private forgetEmpty(queue: string, type: string): void {
    const byType = this.ready.get(queue);
    byType?.delete(type);
    if (byType?.size === 0) this.ready.delete(queue);
  }
}

function checkSubmission(request: SubmitTaskRequest, field: string): void {
  if (request.type === '') throw new InvalidArgumentError(`${field}type: must not be empty`);
  if (request.delay || request.runAt) throw new BatonError('UNIMPLEMENTED', `${field}delay, run_at: the transport stand-in runs every task at once`);
}

/** The Task the real coordinator would store and answer with (api/convert.ts toWireTask). */
function newTask(request: SubmitTaskRequest, queue: string, nowMs: number): Task {
  const now = new Date(nowMs);
  const timeoutMs = durationToMs(request.timeout) ?? 0;
  return {
    id: randomUUID(),
    queue,
    type: request.type,
    state: TaskState.TASK_STATE_QUEUED,
    payload: Buffer.from(request.payload), // a copy: the stand-in holds every task for its life, and must not pin the request's buffer
    contentType: request.contentType === '' ? JSON_CONTENT_TYPE : request.contentType,
    priority: request.priority,
    attempt: 0,
    maxAttempts: request.maxAttempts === 0 ? DEFAULT_MAX_ATTEMPTS : request.maxAttempts,
    retry: retryOf(request.retry),
    infrastructureFailures: 0,
    timeout: timeoutMs > 0 ? msToDuration(timeoutMs) : undefined,
    idempotencyKey: request.idempotencyKey,
    labels: { ...request.labels },
    traceContext: { ...request.traceContext },
    result: EMPTY,
    resultContentType: '',
    lastError: '',
    createdAt: now,
    updatedAt: now,
    runAt: now,
    finishedAt: undefined,
    attempts: [],
    schedule: '',
    fairnessKey: request.fairnessKey,
    scheduleFireTime: undefined,
    progress: undefined,
  };
}

function retryOf(retry: RetryPolicy | undefined): RetryPolicy {
  return {
    initialBackoff: retry?.initialBackoff ?? msToDuration(DEFAULT_RETRY.initialMs),
    multiplier: retry?.multiplier ?? DEFAULT_RETRY.multiplier,
    maxBackoff: retry?.maxBackoff ?? msToDuration(DEFAULT_RETRY.maxMs),
    jitter: retry?.jitter ?? DEFAULT_RETRY.jitter,
    maxInfrastructureFailures: retry?.maxInfrastructureFailures,
  };
}

import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { TaskStore } from './task-store';
import { QueueOccupancy } from './queue-occupancy';
import { ReadyIndex } from './ready-index';
import { BatonError } from '../../shared/errors';
import { isTerminal, PAYLOAD_IN_STORE, type AttemptRecord, type TaskRecord } from './task';
import { TaskWatchers } from './task-watchers';
import { TimerQueue } from './timer-queue';

export interface TaskLedgerDeps {
  readonly store: TaskStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called when tasks become ready to run (new, due, or requeued). */
  readonly onReady: () => void;
  /**
   * Called when a transition could not be stored. Memory is then ahead of the store, which
   * is the truth; the coordinator stops, and a restart rebuilds memory from the store.
   */
  readonly onStoreFailure: (err: unknown) => void;
  /** `trace_id` and `span_id` of a task, for the ledger's log lines about it. Default: none. */
  readonly traceFields?: (task: TaskRecord) => { readonly trace_id?: string; readonly span_id?: string };
  /** Called once a task's terminal state has committed, as the ledger forgets it. Default: nothing. */
  readonly onFinished?: (task: TaskRecord) => void;
}

/**
 * The in-memory view of every unfinished task, kept in step with the store: the ready
 * index, the delay queue, and the write path whose commits drive watchers.
 *
 * A task stays here from the commit of its submission until the commit of its terminal
 * state; after that the store alone answers for it.
 */
export class TaskLedger {
  readonly ready = new ReadyIndex();
  readonly watchers = new TaskWatchers();
  /** The tracked tasks by queue, for the queue limits. */
  readonly occupancy = new QueueOccupancy();
  /** The scheduled tasks (those in the delay queue) by queue. */
  readonly scheduled = new QueueOccupancy();
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly delayed: TimerQueue<string>;

  constructor(private readonly deps: TaskLedgerDeps) {
    this.delayed = new TimerQueue(
      deps.clock,
      (taskId) => this.promote(taskId),
      (err, taskId) => deps.logger.error({ err, task_id: taskId, ...this.traceFieldsOf(taskId) }, 'promoting a due task failed'),
    );
  }

  get size(): number {
    return this.tasks.size;
  }

  get delayedCount(): number {
    return this.delayed.size;
  }

  get(taskId: string): TaskRecord | undefined {
    return this.tasks.get(taskId);
  }

  /** Starts tracking a committed task and puts it where its state says; its payload stays in the store. */
  track(task: TaskRecord): void {
    task.payload = PAYLOAD_IN_STORE;
    if (!this.tasks.has(task.id)) this.occupancy.add(task.queue);
    this.tasks.set(task.id, task);
    this.place(task);
  }

  /**
   * The payload of a tracked task, from the store: one indexed read when a lease is granted.
   * @throws BatonError INTERNAL when the store has no such task (memory is ahead of the store).
   */
  payloadOf(task: TaskRecord): Buffer {
    const payload = this.deps.store.readPayload(task.id);
    if (payload === undefined) throw new BatonError('INTERNAL', `task ${task.id} is tracked but not in the store`);
    return payload;
  }

  /** A store operation about `task` failed outside a write: logged, and the coordinator stops (see onStoreFailure). */
  storeFailed(err: unknown, task: TaskRecord, what: string): void {
    this.deps.logger.error({ err, task_id: task.id, ...this.deps.traceFields?.(task) }, what);
    this.deps.onStoreFailure(err);
  }

  /** Files a queued task as ready, and a scheduled one under its run_at. */
  place(task: TaskRecord): void {
    if (task.state === 'queued') {
      this.ready.add(task);
      this.deps.onReady();
    } else if (task.state === 'scheduled') {
      if (!this.delayed.has(task.id)) this.scheduled.add(task.queue);
      this.delayed.set(task.id, task.runAtMs);
    }
  }

  /** Takes a task out of the ready index and the delay queue (it stays tracked). */
  unplace(taskId: string): void {
    this.ready.remove(taskId);
    if (!this.delayed.has(taskId)) return;
    this.delayed.cancel(taskId);
    const task = this.tasks.get(taskId);
    if (task) this.scheduled.remove(task.queue);
  }

  /**
   * Writes the task's current state (and the attempt, if given) through the group commit.
   * Once committed, watchers see the snapshot and a terminal task is forgotten here.
   */
  persist(task: TaskRecord, attempt?: AttemptRecord): Promise<void> {
    // The store captures what it writes during the call; the snapshot is for the watchers.
    const snapshot: TaskRecord = { ...task };
    const mutations = attempt
      ? [
          { kind: 'updateTask', task: snapshot } as const,
          { kind: 'putAttempt', taskId: task.id, attempt } as const,
        ]
      : [{ kind: 'updateTask', task: snapshot } as const];
    return this.deps.store.write(mutations).then(
      () => this.committed(task, snapshot),
      (err: unknown) => {
        this.deps.logger.error({ err, task_id: task.id, state: snapshot.state, ...this.deps.traceFields?.(task) }, 'failed to persist a task transition');
        this.deps.onStoreFailure(err);
        throw err;
      },
    );
  }

  /** After a submission commits: announce the new task. */
  announce(task: TaskRecord): void {
    this.watchers.notify({ ...task });
  }

  close(): void {
    this.delayed.close();
    this.watchers.closeAll();
  }

  private committed(task: TaskRecord, snapshot: TaskRecord): void {
    if (isTerminal(snapshot.state) && this.tasks.get(task.id) === task && isTerminal(task.state)) {
      this.tasks.delete(task.id);
      this.occupancy.remove(task.queue);
      this.deps.onFinished?.(snapshot);
    }
    this.watchers.notify(snapshot);
  }

  private traceFieldsOf(taskId: string): { readonly trace_id?: string; readonly span_id?: string } {
    const task = this.tasks.get(taskId);
    return task && this.deps.traceFields ? this.deps.traceFields(task) : {};
  }

  private promote(taskId: string): void {
    const task = this.tasks.get(taskId);
    // The delay queue let go of the task before this call, even if it is no longer scheduled.
    if (task) this.scheduled.remove(task.queue);
    if (task?.state !== 'scheduled') return;
    task.state = 'queued';
    task.updatedAtMs = this.deps.clock.now();
    this.persist(task).catch(() => undefined); // logged in persist; the task still runs
    this.place(task);
  }
}

import type { Clock, TimerHandle } from '../../shared/clock';
import { ResourceExhaustedError, UnavailableError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { Task } from '../../shared/gen/baton/v1/task';
import type { WatchTaskResponse } from '../../shared/gen/baton/v1/task_queue';
import type { Engine } from '../core/engine';
import { isTerminal, type AttemptRecord, type TaskRecord } from '../core/task';
import type { Principal } from '../security/principal';
import { toWireTask } from './convert';
import { endStreamWithError, logError } from './unary';

/** What a watch needs of its grpc-js server stream. */
export interface WatchCall {
  /** False once the stream's buffer is full; 'drain' follows when it empties. */
  write(message: WatchTaskResponse): boolean;
  end(): void;
  on(event: 'cancelled' | 'drain', listener: () => void): unknown;
  emit(event: 'error', error: unknown): boolean;
}

export interface TaskWatchDeps {
  readonly engine: Engine;
  readonly clock: Clock;
  readonly log: Logger;
  /** A client that reads nothing this long is dropped. */
  readonly stallMs: number;
  /** Gives the watch's slot back; told whether the client reset the stream. */
  readonly release: (resetByClient: boolean) => void;
  /** CallGuard.track: re-checks the caller when credentials reload; returns the untrack function. */
  readonly track: (caller: Principal, stillAllowed: (current: Principal) => void, revoke: (err: unknown) => void) => () => void;
  /** CallGuard.current: the caller as the credentials in force see it. */
  readonly current: (caller: Principal) => Principal;
}

/** Throws unless `caller` may see `task` (its role and queue). */
export type WatchAccess = (caller: Principal, task: TaskRecord) => void;

const NO_BYTES = Buffer.alloc(0);

/**
 * One WatchTask stream: the task now, then each committed change of state or progress, then the end. It
 * holds at most one update for a client that does not read: while the stream's buffer is
 * full, a newer state replaces the one waiting, and a client that reads nothing for
 * `stallMs` is dropped with RESOURCE_EXHAUSTED. Updates carry neither payload nor result, and
 * are read from the store without them (GetTask has them), so watching a large task costs
 * what watching a small one does.
 */
export class TaskWatch {
  /** What the client saw last: a change of any of these is news (progress included). */
  private last: { state: string; attempt: number; progressAtMs: number | undefined } | undefined;
  private waiting: Task | undefined;
  private blocked = false;
  private stallTimer: TimerHandle | undefined;
  private done = false;
  /** The caller may see this task: until then no update goes out. */
  private admitted = false;
  /** The newest change heard before `admitted`, sent once the check passes. */
  private early: TaskRecord | undefined;
  /** The final state is sent or waiting: the stream ends once it is written. */
  private ending = false;
  private unsubscribe: () => void = () => undefined;
  private untrack: () => void = () => undefined;

  constructor(
    private readonly call: WatchCall,
    private readonly deps: TaskWatchDeps,
  ) {}

  /**
   * Subscribes, then sends the committed state. `access` may refuse the task (its queue):
   * nothing at all is sent before it has passed, changes that commit meanwhile included (the
   * state read after subscribing already holds them). It is asked again whenever the
   * credentials reload, and the watch ends if it refuses then.
   */
  async start(taskId: string, caller: Principal, access: WatchAccess): Promise<void> {
    this.unsubscribe = this.deps.engine.watch(
      taskId,
      (snapshot) => {
        if (this.admitted) this.changed(snapshot);
        else this.early = snapshot;
      },
      () => this.fail(new UnavailableError('the coordinator is shutting down; watch again')),
    );
    this.call.on('cancelled', () => this.stop(true));
    this.call.on('drain', () => this.drained());
    const view = await this.deps.engine.summary(taskId);
    const now = this.deps.current(caller); // credentials may have reloaded while reading
    access(now, view.task);
    if (this.done) return; // cancelled while reading
    this.admitted = true;
    this.untrack = this.deps.track(now, (current) => access(current, view.task), (err) => this.fail(err));
    this.changed(view.task, view.attempts);
    // A change that committed after the read but before the check is not lost.
    const early = this.early;
    this.early = undefined;
    if (early && early.updatedAtMs >= view.task.updatedAtMs) this.changed(early);
  }

  /** Ends the stream with `err`'s status (used for failures before or during the watch). */
  fail(err: unknown): void {
    if (this.done) return;
    this.stop();
    endStreamWithError(this.call, err);
  }

  private changed(snapshot: TaskRecord, attempts?: readonly AttemptRecord[]): void {
    const progressAtMs = snapshot.progress?.atMs;
    if (this.done || this.ending || (this.last?.state === snapshot.state && this.last.attempt === snapshot.attempt && this.last.progressAtMs === progressAtMs)) return;
    this.last = { state: snapshot.state, attempt: snapshot.attempt, progressAtMs };
    if (!isTerminal(snapshot.state)) {
      this.send(lightTask(snapshot, []));
      return;
    }
    // The final message carries the attempt history, which only the store has.
    if (attempts) {
      this.finish(lightTask(snapshot, attempts));
      return;
    }
    this.deps.engine.summary(snapshot.id).then(
      (view) => this.finish(lightTask(view.task, view.attempts)),
      (err: unknown) => {
        logError(this.deps.log, 'WatchTask', err);
        this.fail(err);
      },
    );
  }

  private finish(task: Task): void {
    if (this.done || this.ending) return;
    this.send(task);
    this.ending = true;
    this.unsubscribe();
    if (!this.blocked) this.end();
  }

  private send(task: Task): void {
    if (this.done) return;
    if (this.blocked) {
      this.waiting = task; // only the newest state matters to a watcher
      return;
    }
    if (!this.call.write({ task })) {
      this.blocked = true;
      this.stallTimer = this.deps.clock.setTimer(() => this.stalled(), this.deps.stallMs);
    }
  }

  private drained(): void {
    if (this.done) return;
    this.blocked = false;
    this.stallTimer?.cancel();
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) this.send(waiting);
    if (!this.blocked && this.ending) this.end();
  }

  private stalled(): void {
    this.fail(new ResourceExhaustedError(`the watch was dropped: its client read nothing for ${this.deps.stallMs}ms (watchStallTimeout)`));
  }

  private end(): void {
    if (this.done) return;
    this.stop();
    this.call.end();
  }

  private stop(resetByClient = false): void {
    this.done = true;
    this.stallTimer?.cancel();
    this.waiting = undefined;
    this.unsubscribe();
    this.untrack();
    this.deps.release(resetByClient);
  }
}

/** The task as a watch sends it: no payload or result, and attempts only in the final message. */
function lightTask(task: TaskRecord, attempts: readonly AttemptRecord[]): Task {
  return { ...toWireTask(task, attempts), payload: NO_BYTES, result: NO_BYTES };
}

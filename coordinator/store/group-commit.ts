/**
 * Group commit: many writers' mutations share one transaction, so that an fsync per
 * transaction (synchronous=FULL) is paid once per batch instead of once per write.
 */
import { MAX_TIMER_DELAY_MS } from '../../shared/clock';
import { BatonError, UnavailableError, errorMessage, type ErrorCode } from '../../shared/errors';

/**
 * By default a batch commits as soon as the event loop has taken in what has arrived (on
 * setImmediate): at once when idle, while under load a turn brings many writes and a
 * synchronous commit that takes longer lets more arrive for the next one. A fixed wait only
 * added latency: measured in bench/RESULTS.md (issue 8).
 */
export const DEFAULT_COMMIT_INTERVAL_MS = 0;
/** Commit at once when this many items are pending, by default. */
export const DEFAULT_COMMIT_MAX_BATCH = 1000;

/**
 * Applies one batch in one transaction. `groups` holds, in enqueue order, the items of each
 * `enqueue` call; a group is never split across transactions.
 *
 * Return nothing when every group was applied, or one entry per group: `undefined` for a
 * group that was applied, an error for a group that alone failed (its own changes undone,
 * the rest of the batch committed). Throwing (or rejecting) fails the whole batch.
 */
export type CommitBatch<T> = (
  groups: ReadonlyArray<readonly T[]>,
) => ReadonlyArray<Error | undefined> | void | Promise<ReadonlyArray<Error | undefined> | void>;

export interface GroupCommitterOptions<T> {
  readonly commit: CommitBatch<T>;
  /** Delay after the first pending item before committing; 0 (the default) commits on setImmediate. */
  readonly commitIntervalMs?: number;
  /** Pending items that trigger a commit at once. Default 1000. */
  readonly maxBatch?: number;
}

/** Why a whole batch failed; `cause` is what the commit function threw. */
export class CommitFailedError extends BatonError {
  constructor(groupCount: number, cause: unknown) {
    // Keep the cause's code when it has one, so that a mapped store error still maps to the
    // right gRPC status at the edge; anything else is a server-side fault.
    const code: ErrorCode = cause instanceof BatonError ? cause.code : 'INTERNAL';
    super(code, `group commit of ${groupCount} write(s) failed: ${errorMessage(cause)}`, { cause });
  }
}

type CommitterState = 'open' | 'closing' | 'closed';

type CommitTimer =
  | { readonly kind: 'timeout'; readonly handle: NodeJS.Timeout }
  | { readonly kind: 'immediate'; readonly handle: NodeJS.Immediate };

interface PendingGroup<T> {
  readonly items: readonly T[];
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Collects items from concurrent `enqueue` calls and commits them in batches, one batch at a
 * time, in enqueue order. A batch is committed `commitIntervalMs` after its first item or as
 * soon as `maxBatch` items are pending, whichever comes first; each enqueue promise settles
 * only after the transaction that holds its items has committed (or failed).
 *
 * A synchronous commit function (better-sqlite3) runs inside the `enqueue` call that fills a
 * batch, so a burst of writes commits every `maxBatch` items without waiting for the event
 * loop; an asynchronous one (a future network store) runs one batch at a time.
 */
export class GroupCommitter<T> {
  private readonly commitFn: CommitBatch<T>;
  private readonly commitIntervalMs: number;
  private readonly maxBatch: number;

  private state: CommitterState = 'open';
  private pending: Array<PendingGroup<T>> = [];
  private pendingItemCount = 0;
  private timer: CommitTimer | undefined;
  /** The batch being committed; it never rejects. */
  private inFlight: Promise<void> | undefined;
  /** Sequence number of the last group enqueued, and of the last group whose batch settled. */
  private enqueuedSeq = 0;
  private settledSeq = 0;
  private closing: Promise<void> | undefined;

  /** @throws RangeError when `commitIntervalMs` or `maxBatch` is out of range. */
  constructor(options: GroupCommitterOptions<T>) {
    this.commitFn = options.commit;
    this.commitIntervalMs = options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
    this.maxBatch = options.maxBatch ?? DEFAULT_COMMIT_MAX_BATCH;
    if (!Number.isFinite(this.commitIntervalMs) || this.commitIntervalMs < 0 || this.commitIntervalMs > MAX_TIMER_DELAY_MS) {
      throw new RangeError(`commitIntervalMs must be between 0 and ${MAX_TIMER_DELAY_MS}, got ${this.commitIntervalMs}`);
    }
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) {
      throw new RangeError(`maxBatch must be a positive integer, got ${this.maxBatch}`);
    }
  }

  /** Items waiting for the next batch (not counting a batch being committed). */
  get pendingItems(): number {
    return this.pendingItemCount;
  }

  /**
   * Queues `items` as one group for the next batch.
   * @returns a promise that resolves once the batch holding the group has committed.
   * @throws (rejects) UnavailableError once `close()` was called; CommitFailedError when the
   * whole batch failed; the commit function's error for this group when it alone failed.
   */
  enqueue(items: readonly T[]): Promise<void> {
    if (this.state !== 'open') {
      return Promise.reject(new UnavailableError('the store is closing or closed; no more writes are accepted'));
    }
    return new Promise<void>((resolve, reject) => {
      this.enqueuedSeq += 1;
      this.pending.push({ items, seq: this.enqueuedSeq, resolve, reject });
      this.pendingItemCount += items.length;
      if (this.pendingItemCount >= this.maxBatch) this.startBatch();
      else this.armTimer();
    });
  }

  /**
   * Commits what is pending now, without waiting for the interval.
   * Resolves once every group enqueued before the call has settled; a failed group is
   * reported to its own writer, not here, so this never rejects.
   */
  async flush(): Promise<void> {
    const target = this.enqueuedSeq;
    while (this.settledSeq < target) {
      if (this.inFlight === undefined) this.startBatch();
      if (this.inFlight === undefined) break; // a synchronous commit settled everything already
      await this.inFlight;
    }
  }

  /** Commits everything queued, then rejects further writes. Idempotent. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.transition('closing');
      this.closing = this.flush().finally(() => {
        this.clearTimer();
        this.transition('closed');
      });
    }
    return this.closing;
  }

  /** The only place `state` changes; it checks the legal predecessor. */
  private transition(to: CommitterState): void {
    const legalFrom: Record<CommitterState, CommitterState | undefined> = { open: undefined, closing: 'open', closed: 'closing' };
    if (legalFrom[to] !== this.state) throw new Error(`GroupCommitter: illegal transition ${this.state} -> ${to}`);
    this.state = to;
  }

  private armTimer(): void {
    if (this.timer !== undefined) return;
    const fire = (): void => {
      this.timer = undefined;
      this.startBatch();
    };
    // Both stay ref'd: they exist only while writes are pending, and a pending write must
    // commit (or fail) before the process may exit; the wait is a few milliseconds at most.
    this.timer =
      this.commitIntervalMs === 0
        ? { kind: 'immediate', handle: setImmediate(fire) }
        : { kind: 'timeout', handle: setTimeout(fire, this.commitIntervalMs) };
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    if (this.timer.kind === 'immediate') clearImmediate(this.timer.handle);
    else clearTimeout(this.timer.handle);
    this.timer = undefined;
  }

  /**
   * Commits everything pending, in batches of about `maxBatch` items (whole groups), one
   * after another. A synchronous commit function runs them all before returning; an
   * asynchronous one continues from afterFlight().
   */
  private startBatch(): void {
    this.clearTimer();
    while (this.inFlight === undefined && this.pending.length > 0) {
      const batch = this.takeBatch();
      let result: ReturnType<CommitBatch<T>>;
      try {
        result = this.commitFn(batch.map((group) => group.items));
      } catch (err: unknown) {
        this.fail(batch, err);
        continue;
      }
      if (isPromiseLike(result)) {
        this.inFlight = Promise.resolve(result)
          .then(
            (outcomes) => this.settle(batch, outcomes),
            (err: unknown) => this.fail(batch, err),
          )
          .finally(() => {
            this.inFlight = undefined;
            this.afterFlight();
          });
      } else {
        this.settle(batch, result);
      }
    }
  }

  /**
   * Whole groups from the front of the queue until `maxBatch` items are reached. Only a
   * backlog left by an asynchronous commit ever leaves groups behind.
   */
  private takeBatch(): Array<PendingGroup<T>> {
    let count = 0;
    let taken = 0;
    for (const group of this.pending) {
      if (count >= this.maxBatch) break;
      count += group.items.length;
      taken += 1;
    }
    this.pendingItemCount -= count;
    return this.pending.splice(0, taken);
  }

  /** Groups that arrived while a batch was in flight still need their commit. */
  private afterFlight(): void {
    if (this.pending.length === 0) return;
    // A timer that fired or a full batch that was refused during the flight left no timer.
    if (this.timer === undefined || this.pendingItemCount >= this.maxBatch) this.startBatch();
  }

  private settle(batch: ReadonlyArray<PendingGroup<T>>, outcomes: ReadonlyArray<Error | undefined> | void): void {
    batch.forEach((group, index) => {
      const error = outcomes?.[index];
      if (error === undefined) group.resolve();
      else group.reject(error);
    });
    this.markSettled(batch);
  }

  private fail(batch: ReadonlyArray<PendingGroup<T>>, err: unknown): void {
    const failure = new CommitFailedError(batch.length, err);
    for (const group of batch) group.reject(failure);
    this.markSettled(batch);
  }

  private markSettled(batch: ReadonlyArray<PendingGroup<T>>): void {
    const last = batch[batch.length - 1];
    if (last !== undefined) this.settledSeq = last.seq;
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

import type { Lease, TaskResult } from '../shared/gen/baton/v1/worker_service';
import type { AttemptSpan, Revocation } from './attempt-span';

/**
 * One attempt's life on this worker, from its lease to the coordinator's answer:
 *
 * ```
 * leased → running ─────────────→ awaiting-ack ─→ settled   (acknowledged, rejected, or canceled)
 *             └─→ revoked ─┐
 *                  ↑      ├───→ dropped                     (the handler returned; nothing is sent)
 *                  └──────┘
 * ```
 *
 * - `leased`: the lease arrived; its handler starts at once (this state lasts no longer than that).
 * - `running`: the handler runs and holds a slot; heartbeats list the lease.
 * - `revoked`: the coordinator took the lease back (a client's cancel, the execution timeout, a
 *   lease it does not know) or the shutdown grace ran out. The handler's signal is aborted; it
 *   holds its slot until it returns, and heartbeats no longer list the lease. A later
 *   revocation replaces the reason.
 * - `awaiting-ack`: the handler returned, its slot went back as credit, and its result is
 *   sent, and sent again after every reconnect, until the coordinator answers for it.
 *   Heartbeats list the lease.
 * - `settled` and `dropped` are final: the attempt leaves the table.
 *
 * Credit follows the protocol (docs/protocol.md, rule 2): a slot goes back when the handler
 * returns (→ awaiting-ack or → dropped), not when the result is acknowledged.
 */
export type AttemptState = 'leased' | 'running' | 'revoked' | 'awaiting-ack';
export type FinalAttemptState = 'settled' | 'dropped';

/** Each state and the states it may be entered from: the only legal moves. */
export const ATTEMPT_STATE_PREDECESSORS: { readonly [To in AttemptState | FinalAttemptState]: readonly AttemptState[] } = {
  leased: [],
  running: ['leased'],
  revoked: ['running', 'revoked'],
  'awaiting-ack': ['running'],
  settled: ['awaiting-ack'],
  dropped: ['revoked'],
};

/** What a running handler needs until it returns. */
export interface HandlerRun {
  readonly lease: Lease;
  readonly controller: AbortController;
  readonly span: AttemptSpan;
  /** The task type as metrics label it: one value for every type without a handler, so they stay bounded. */
  readonly metricType: string;
  /** performance.now() when the handler was started: the run time metric wants a monotonic, sub-millisecond reading. */
  readonly startedMs: number;
}

/** One attempt, as the table's readers see it. */
export interface Attempt {
  readonly leaseId: string;
  readonly state: AttemptState;
  /** The running handler (`running`, `revoked`); let go when it returns, and the lease's payload with it. */
  readonly run: HandlerRun | undefined;
  /** Why the lease was taken back, once it was (`revoked`). */
  readonly revokedBy: Revocation | undefined;
  /** The result to send until it is acknowledged (`awaiting-ack`). */
  readonly result: TaskResult | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What a transition changes besides the state. */
type Change =
  | { readonly to: 'running'; readonly run: HandlerRun }
  | { readonly to: 'settled' | 'dropped' }
  | { readonly to: 'revoked'; readonly revokedBy: Revocation }
  | { readonly to: 'awaiting-ack'; readonly result: TaskResult };

/**
 * The attempts this worker answers for, by lease id. Every state change goes through one
 * function, {@link AttemptTable.transition}, which checks the legal predecessor and keeps the
 * counts; an illegal move throws, as it would be a bug in the worker.
 */
export class AttemptTable {
  private readonly attempts = new Map<string, Mutable<Attempt>>();
  private readonly counts: Record<AttemptState, number> = { leased: 0, running: 0, revoked: 0, 'awaiting-ack': 0 };

  /** Handlers running now (running or revoked): the slots in use. */
  get handlersRunning(): number {
    return this.counts.running + this.counts.revoked;
  }

  /** Results sent, or waiting to be sent, that the coordinator has not answered for. */
  get awaitingAck(): number {
    return this.counts['awaiting-ack'];
  }

  get(leaseId: string): Attempt | undefined {
    return this.attempts.get(leaseId);
  }

  /**
   * A lease arrived and its handler is about to start: (new) → leased → running.
   * @throws Error when the lease is already in the table (the caller checks first).
   */
  start(run: HandlerRun): Attempt {
    const leaseId = run.lease.leaseId;
    if (this.attempts.has(leaseId)) throw new Error(`attempt ${leaseId} is already on this worker`);
    const attempt: Mutable<Attempt> = { leaseId, state: 'leased', run: undefined, revokedBy: undefined, result: undefined };
    this.attempts.set(leaseId, attempt);
    this.counts.leased += 1;
    this.transition(attempt, { to: 'running', run });
    return attempt;
  }

  /** True if `leaseId` is in the table, in any state. */
  has(leaseId: string): boolean {
    return this.attempts.has(leaseId);
  }

  /** The lease was taken back while the handler runs: running (or revoked) → revoked. */
  revoke(attempt: Attempt, revokedBy: Revocation): void {
    this.transition(attempt, { to: 'revoked', revokedBy });
  }

  /** The handler returned with its lease still held: running → awaiting-ack. */
  finish(attempt: Attempt, result: TaskResult): void {
    this.transition(attempt, { to: 'awaiting-ack', result });
  }

  /** The handler of a revoked lease returned: revoked → dropped. */
  drop(attempt: Attempt): void {
    this.transition(attempt, { to: 'dropped' });
  }

  /**
   * The coordinator answered for the result of `leaseId` (stored, refused, or canceled its
   * lease): awaiting-ack → settled. Anything else is left alone: an answer can arrive for a
   * lease this worker no longer has, or for one whose handler is still running.
   * @returns true if a result was settled.
   */
  settle(leaseId: string): boolean {
    const attempt = this.attempts.get(leaseId);
    if (attempt?.state !== 'awaiting-ack') return false;
    this.transition(attempt, { to: 'settled' });
    return true;
  }

  /** Every lease this worker still has (Hello's `held_lease_ids`): handlers running, revoked ones included, and results not acknowledged. */
  leaseIds(): string[] {
    return [...this.attempts.keys()];
  }

  /** The leases a heartbeat lists: running, or finished with the result not yet acknowledged. */
  heldLeaseIds(): string[] {
    const held: string[] = [];
    for (const attempt of this.attempts.values()) if (attempt.state === 'running' || attempt.state === 'awaiting-ack') held.push(attempt.leaseId);
    return held;
  }

  /** The attempts whose handlers run now, revoked ones included. */
  withHandlers(): Attempt[] {
    return [...this.attempts.values()].filter((attempt) => attempt.state === 'running' || attempt.state === 'revoked');
  }

  /** Every result not yet acknowledged, to send again on a new stream. */
  unackedResults(): TaskResult[] {
    const results: TaskResult[] = [];
    for (const attempt of this.attempts.values()) if (attempt.state === 'awaiting-ack' && attempt.result) results.push(attempt.result);
    return results;
  }

  /** The one place an attempt's state changes. */
  private transition(attempt: Attempt, change: Change): void {
    const record = this.attempts.get(attempt.leaseId);
    const legal = ATTEMPT_STATE_PREDECESSORS[change.to];
    if (record !== attempt || !legal.includes(record.state)) {
      throw new Error(`attempt ${attempt.leaseId} cannot go from ${record === attempt ? record.state : 'gone'} to ${change.to}`);
    }
    this.counts[record.state] -= 1;
    switch (change.to) {
      case 'settled':
      case 'dropped':
        this.attempts.delete(record.leaseId);
        return;
      case 'running':
        record.run = change.run;
        break;
      case 'revoked':
        record.revokedBy = change.revokedBy;
        break;
      case 'awaiting-ack':
        record.run = undefined;
        record.result = change.result;
        break;
    }
    record.state = change.to;
    this.counts[change.to] += 1;
  }
}

/**
 * The lease table: which attempt of which task each worker session holds right now. A lease
 * id is the fencing token: a report that names a lease not in this table is stale.
 */
export interface Lease {
  readonly leaseId: string;
  readonly taskId: string;
  /** The task's queue: what queue concurrency limits count running attempts by. */
  readonly queue: string;
  readonly attempt: number;
  readonly workerId: string;
  /** See worker-admission.ts: only a session with the same proof may reclaim this lease. */
  readonly proof: string;
  /** The credential of the worker it was granted to. */
  readonly principal: string;
  /** The stream that holds it; null while orphaned (stream closed, or coordinator restarted). */
  sessionId: string | null;
  readonly startedAtMs: number;
  /** When the execution timeout passes; null for no timeout. */
  readonly deadlineMs: number | null;
  /**
   * 1 for the first lease sent on its session, 2 for the next...; 0 for a lease the session
   * reclaimed. Heartbeats say how many leases the worker has received, so a lease can be
   * told apart from one still in flight.
   */
  grantOrdinal: number;
}

export class LeaseTable {
  private readonly byId = new Map<string, Lease>();
  private readonly bySessionId = new Map<string, Set<string>>();
  /** A task has at most one current lease. */
  private readonly byTaskId = new Map<string, Lease>();
  private held = 0;

  get size(): number {
    return this.byId.size;
  }

  /** Leases held by a connected session (the others are orphaned). */
  get heldCount(): number {
    return this.held;
  }

  /** Leases held by one session, without copying them. */
  countHeldBy(sessionId: string): number {
    return this.bySessionId.get(sessionId)?.size ?? 0;
  }

  all(): IterableIterator<Lease> {
    return this.byId.values();
  }

  get(leaseId: string): Lease | undefined {
    return this.byId.get(leaseId);
  }

  add(lease: Lease): void {
    this.byId.set(lease.leaseId, lease);
    this.byTaskId.set(lease.taskId, lease);
    this.index(lease);
  }

  /** The current lease of a task, if it is running. */
  ofTask(taskId: string): Lease | undefined {
    return this.byTaskId.get(taskId);
  }

  remove(leaseId: string): Lease | undefined {
    const lease = this.byId.get(leaseId);
    if (!lease) return undefined;
    this.byId.delete(leaseId);
    if (this.byTaskId.get(lease.taskId) === lease) this.byTaskId.delete(lease.taskId);
    this.unindex(lease);
    return lease;
  }

  /** Moves a lease to another session (a reconnecting worker reclaiming it), or orphans it. */
  assign(lease: Lease, sessionId: string | null): void {
    this.unindex(lease);
    lease.sessionId = sessionId;
    this.index(lease);
  }

  heldBy(sessionId: string): Lease[] {
    const ids = this.bySessionId.get(sessionId);
    if (!ids) return [];
    return [...ids].map((id) => this.byId.get(id)).filter((lease): lease is Lease => lease !== undefined);
  }

  orphans(): Lease[] {
    return [...this.byId.values()].filter((lease) => lease.sessionId === null);
  }

  private index(lease: Lease): void {
    if (lease.sessionId === null) return;
    this.held += 1;
    let ids = this.bySessionId.get(lease.sessionId);
    if (!ids) {
      ids = new Set();
      this.bySessionId.set(lease.sessionId, ids);
    }
    ids.add(lease.leaseId);
  }

  private unindex(lease: Lease): void {
    if (lease.sessionId === null) return;
    this.held -= 1;
    const ids = this.bySessionId.get(lease.sessionId);
    ids?.delete(lease.leaseId);
    if (ids?.size === 0) this.bySessionId.delete(lease.sessionId);
  }
}

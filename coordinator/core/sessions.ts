import type { WorkerChannel } from './worker-channel';

/** One connected worker stream. */
export interface WorkerSession {
  readonly id: string;
  /** The credential's identity (token or certificate); 'anonymous' without auth. */
  readonly principal: string;
  readonly workerId: string;
  /** What the worker's Hello says its host is called; empty if it did not say. For operators only. */
  readonly hostname: string;
  /** When the session opened. */
  readonly connectedAtMs: number;
  /** worker-admission.ts: binds the session to the process that holds the resume secret. */
  readonly proof: string;
  readonly queues: readonly string[];
  /** Empty means any type. */
  readonly types: ReadonlySet<string>;
  readonly concurrency: number;
  /** Leases the worker will still accept: grows by Credit messages, shrinks per lease sent. */
  credit: number;
  /** Leases sent on this session so far. */
  leasesGranted: number;
  draining: boolean;
  lastSeenMs: number;
  readonly channel: WorkerChannel;
}

/** The connected sessions, indexed by queue, with a rotating order so that dispatch spreads work fairly. */
export class SessionRegistry {
  private readonly byId = new Map<string, WorkerSession>();
  private readonly byQueue = new Map<string, Set<WorkerSession>>();
  /** By principal and worker id: one credential's worker ids never meet another's. */
  private readonly byOwner = new Map<string, WorkerSession>();
  private readonly perPrincipal = new Map<string, number>();
  private rotation = 0;
  private slots = 0;

  get size(): number {
    return this.byId.size;
  }

  /** The declared concurrency of every connected session, added up. */
  get totalConcurrency(): number {
    return this.slots;
  }

  /** Adds a session; the caller has removed any earlier session of the same owner. */
  add(session: WorkerSession): void {
    this.byId.set(session.id, session);
    this.slots += session.concurrency;
    this.byOwner.set(ownerKey(session.principal, session.workerId), session);
    this.perPrincipal.set(session.principal, this.countOf(session.principal) + 1);
    for (const queue of session.queues) {
      let set = this.byQueue.get(queue);
      if (!set) {
        set = new Set();
        this.byQueue.set(queue, set);
      }
      set.add(session);
    }
  }

  get(sessionId: string): WorkerSession | undefined {
    return this.byId.get(sessionId);
  }

  remove(sessionId: string): void {
    const session = this.byId.get(sessionId);
    if (!session) return;
    this.byId.delete(sessionId);
    this.slots -= session.concurrency;
    const key = ownerKey(session.principal, session.workerId);
    if (this.byOwner.get(key) === session) this.byOwner.delete(key);
    const left = this.countOf(session.principal) - 1;
    if (left > 0) this.perPrincipal.set(session.principal, left);
    else this.perPrincipal.delete(session.principal);
    for (const queue of session.queues) {
      const set = this.byQueue.get(queue);
      set?.delete(session);
      if (set?.size === 0) this.byQueue.delete(queue);
    }
  }

  /** Sessions connected with this credential. */
  countOf(principal: string): number {
    return this.perPrincipal.get(principal) ?? 0;
  }

  /** The live session of this credential's worker id, if any. */
  ofWorker(principal: string, workerId: string): WorkerSession | undefined {
    return this.byOwner.get(ownerKey(principal, workerId));
  }

  all(): IterableIterator<WorkerSession> {
    return this.byId.values();
  }

  /**
   * Sessions that serve any of `queues` and can take a lease now, starting one further along
   * each call. Sessions of other queues are never looked at, however many there are.
   */
  withCreditFor(queues: Iterable<string>): WorkerSession[] {
    const found = new Set<WorkerSession>();
    for (const queue of queues) {
      for (const session of this.byQueue.get(queue) ?? []) {
        if (session.credit > 0 && !session.draining && session.channel.writable) found.add(session);
      }
    }
    const ready = [...found];
    if (ready.length < 2) return ready;
    const start = this.rotation++ % ready.length;
    return [...ready.slice(start), ...ready.slice(0, start)];
  }
}

/** A worker id as seen within one credential: the unit of worker identity. */
export function ownerKey(principal: string, workerId: string): string {
  return `${principal}\n${workerId}`;
}

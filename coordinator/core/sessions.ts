import type { WorkerChannel } from './worker-channel';

/** One connected worker stream. */
export interface WorkerSession {
  readonly id: string;
  readonly workerId: string;
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

/** The connected sessions, with a rotating order so that dispatch spreads work fairly. */
export class SessionRegistry {
  private readonly byId = new Map<string, WorkerSession>();
  private rotation = 0;

  get size(): number {
    return this.byId.size;
  }

  add(session: WorkerSession): void {
    this.byId.set(session.id, session);
  }

  get(sessionId: string): WorkerSession | undefined {
    return this.byId.get(sessionId);
  }

  remove(sessionId: string): void {
    this.byId.delete(sessionId);
  }

  byWorkerId(workerId: string): WorkerSession[] {
    return [...this.byId.values()].filter((session) => session.workerId === workerId);
  }

  all(): IterableIterator<WorkerSession> {
    return this.byId.values();
  }

  /** Sessions that can take a lease now, starting one further along each call. */
  withCredit(): WorkerSession[] {
    const ready = [...this.byId.values()].filter((session) => session.credit > 0 && !session.draining);
    if (ready.length < 2) return ready;
    const start = this.rotation++ % ready.length;
    return [...ready.slice(start), ...ready.slice(0, start)];
  }
}

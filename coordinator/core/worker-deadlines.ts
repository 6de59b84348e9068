import type { Clock } from '../../shared/clock';
import { TimerQueue } from './timer-queue';

type DeadlineKey = `session:${string}` | `lease:${string}` | `orphan:${string}`;

/** What happens when each kind of deadline passes. */
export interface DeadlineHandlers {
  /** A session's liveness check is due: it may have been silent too long. */
  readonly sessionCheck: (sessionId: string) => void;
  /** A lease's execution timeout passed. */
  readonly leaseTimeout: (leaseId: string) => void;
  /** An orphaned lease was not reclaimed within the lease window. */
  readonly orphanExpired: (leaseId: string) => void;
  readonly onError: (err: unknown, what: string) => void;
}

/**
 * The three clocks the worker side runs on, in one timer queue: when to check a session's
 * silence, when a lease's execution deadline passes, and when an orphaned lease gives up
 * waiting for its worker.
 */
export class WorkerDeadlines {
  private readonly queue: TimerQueue<DeadlineKey>;

  constructor(clock: Clock, handlers: DeadlineHandlers) {
    this.queue = new TimerQueue<DeadlineKey>(
      clock,
      (key) => {
        const colon = key.indexOf(':');
        const id = key.slice(colon + 1);
        const kind = key.slice(0, colon);
        if (kind === 'session') handlers.sessionCheck(id);
        else if (kind === 'lease') handlers.leaseTimeout(id);
        else handlers.orphanExpired(id);
      },
      (err, key) => handlers.onError(err, key),
    );
  }

  checkSessionAt(sessionId: string, atMs: number): void {
    this.queue.set(`session:${sessionId}`, atMs);
  }

  forgetSession(sessionId: string): void {
    this.queue.cancel(`session:${sessionId}`);
  }

  leaseDeadlineAt(leaseId: string, atMs: number): void {
    this.queue.set(`lease:${leaseId}`, atMs);
  }

  orphanExpiresAt(leaseId: string, atMs: number): void {
    this.queue.set(`orphan:${leaseId}`, atMs);
  }

  /** The lease was reclaimed: it no longer waits to expire. */
  reclaimed(leaseId: string): void {
    this.queue.cancel(`orphan:${leaseId}`);
  }

  /** The lease ended: none of its deadlines apply any more. */
  forgetLease(leaseId: string): void {
    this.queue.cancel(`lease:${leaseId}`);
    this.queue.cancel(`orphan:${leaseId}`);
  }

  close(): void {
    this.queue.close();
  }
}

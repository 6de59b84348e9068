import { randomUUID } from 'node:crypto';
import { LeaseTable, type Lease } from './leases';
import { QueueOccupancy } from './queue-occupancy';
import type { WorkerSession } from './sessions';
import type { AttemptRecord, TaskRecord } from './task';
import { beginAttempt } from './transitions';
import type { WorkerDeadlines } from './worker-deadlines';

/** A lease with the attempt it runs. */
export interface OpenAttempt {
  readonly lease: Lease;
  readonly attempt: AttemptRecord;
}

/**
 * The attempts running now: each one's lease (the fencing token), its attempt record and its
 * execution deadline, which begin together and end together. Every attempt starts here, by
 * dispatch (`open`) or at start-up (`adopt`), and every ending (result, expiry, cancel)
 * passes through `close`, so a lease can never outlive its record or its deadline.
 */
export class AttemptTable {
  /** The index of leases by id, task and session. */
  readonly leases = new LeaseTable();
  /** Attempts running by queue, orphaned ones included: what queue concurrency limits count. */
  readonly runningByQueue = new QueueOccupancy();
  private readonly records = new Map<string, AttemptRecord>();

  constructor(private readonly deadlines: Pick<WorkerDeadlines, 'leaseDeadlineAt' | 'forgetLease'>) {}

  /** Leases `task` to `session`: the task is RUNNING from `nowMs` under a new lease, with its execution deadline set. */
  open(session: WorkerSession, task: TaskRecord, nowMs: number): OpenAttempt {
    const lease: Lease = {
      leaseId: randomUUID(),
      taskId: task.id,
      queue: task.queue,
      attempt: task.attempt + 1,
      workerId: session.workerId,
      proof: session.proof,
      principal: session.principal,
      sessionId: session.id,
      startedAtMs: nowMs,
      deadlineMs: task.timeoutMs > 0 ? nowMs + task.timeoutMs : null,
      grantOrdinal: ++session.leasesGranted,
    };
    const attempt = beginAttempt(task, lease, nowMs);
    this.track(lease, attempt);
    return { lease, attempt };
  }

  /** At start-up: an attempt that was running before the restart, with its lease orphaned until its worker reclaims it. */
  adopt(lease: Lease, attempt: AttemptRecord): void {
    this.track(lease, attempt);
  }

  /** Ends the lease: drops it with its deadlines, and hands back its attempt record for the ending to fill in. */
  close(lease: Lease): AttemptRecord | undefined {
    if (this.leases.get(lease.leaseId) === lease) this.runningByQueue.remove(lease.queue);
    this.leases.remove(lease.leaseId);
    this.deadlines.forgetLease(lease.leaseId);
    const attempt = this.records.get(lease.leaseId);
    this.records.delete(lease.leaseId);
    return attempt;
  }

  private track(lease: Lease, attempt: AttemptRecord): void {
    this.leases.add(lease);
    this.runningByQueue.add(lease.queue);
    this.records.set(lease.leaseId, attempt);
    if (lease.deadlineMs !== null) this.deadlines.leaseDeadlineAt(lease.leaseId, lease.deadlineMs);
  }
}

import { randomUUID } from 'node:crypto';
import type { Clock } from '../../shared/clock';
import type { AttemptTracer } from './attempt-tracer';
import type { CoreMetrics } from './core-metrics';
import { dispatch } from './dispatcher';
import type { Lease, LeaseTable } from './leases';
import type { SessionRegistry, WorkerSession } from './sessions';
import type { AttemptRecord, TaskRecord } from './task';
import type { TaskLedger } from './task-ledger';
import type { WorkerDeadlines } from './worker-deadlines';

/** What running dispatch passes needs from the worker gateway around it. */
export interface DispatchSchedulerDeps {
  readonly ledger: TaskLedger;
  readonly sessions: SessionRegistry;
  readonly leases: LeaseTable;
  readonly deadlines: Pick<WorkerDeadlines, 'leaseDeadlineAt'>;
  readonly clock: Clock;
  readonly metrics: CoreMetrics;
  readonly tracer: AttemptTracer;
  /** The attempt of a new lease has begun (its task is RUNNING). */
  readonly began: (lease: Lease, attempt: AttemptRecord) => void;
}

/**
 * When dispatch runs and what a grant records. Requests are coalesced into one pass per turn
 * (dispatcher.ts); each lease granted gets its execution deadline, the dispatch-latency
 * metric and its attempt span, and the begun attempt is persisted.
 */
export class DispatchScheduler {
  private requested = false;
  private closed = false;

  constructor(private readonly deps: DispatchSchedulerDeps) {}

  /** Leases ready tasks to sessions with credit, soon (coalesced within one turn). */
  request(): void {
    if (this.requested || this.closed) return;
    this.requested = true;
    queueMicrotask(() => {
      this.requested = false;
      if (!this.closed) this.dispatchNow();
    });
  }

  /** No pass runs any more, not even one already requested. */
  close(): void {
    this.closed = true;
  }

  private dispatchNow(): void {
    dispatch({
      ready: this.deps.ledger.ready,
      sessions: this.deps.sessions,
      nowMs: this.deps.clock.now(),
      grant: (session, task, nowMs) => this.grant(session, task, nowMs),
      payloadOf: (task) => this.deps.ledger.payloadOf(task),
      started: (lease, attempt) => {
        this.deps.began(lease, attempt);
        const task = this.deps.ledger.get(lease.taskId);
        if (task) this.deps.ledger.persist(task, attempt).catch(() => undefined); // logged by the ledger
      },
    });
  }

  private grant(session: WorkerSession, task: TaskRecord, nowMs: number): Lease {
    const lease: Lease = {
      leaseId: randomUUID(),
      taskId: task.id,
      attempt: task.attempt + 1,
      workerId: session.workerId,
      proof: session.proof,
      principal: session.principal,
      sessionId: session.id,
      startedAtMs: nowMs,
      deadlineMs: task.timeoutMs > 0 ? nowMs + task.timeoutMs : null,
      grantOrdinal: ++session.leasesGranted,
    };
    this.deps.leases.add(lease);
    if (lease.deadlineMs !== null) this.deps.deadlines.leaseDeadlineAt(lease.leaseId, lease.deadlineMs);
    const queueWaitMs = Math.max(0, nowMs - task.runAtMs);
    this.deps.metrics.dispatchLatency(task.queue, queueWaitMs);
    this.deps.tracer.attemptStarted(task, lease, queueWaitMs);
    return lease;
  }
}

import type { Clock } from '../../shared/clock';
import type { AttemptTable } from './attempt-table';
import type { AttemptTracer } from './attempt-tracer';
import type { CoreMetrics } from './core-metrics';
import { dispatch } from './dispatcher';
import type { QueueFlow } from './queue-flow';
import type { SessionRegistry, WorkerSession } from './sessions';
import type { TaskRecord } from './task';
import type { TaskLedger } from './task-ledger';
import type { LeaseGrant } from './worker-channel';

/** What running dispatch passes needs from the worker gateway around it. */
export interface DispatchSchedulerDeps {
  readonly ledger: TaskLedger;
  readonly sessions: SessionRegistry;
  readonly attempts: AttemptTable;
  readonly clock: Clock;
  readonly metrics: CoreMetrics;
  readonly tracer: AttemptTracer;
  readonly flow: QueueFlow;
}

/**
 * When dispatch runs and what one lease takes. Requests are coalesced into one pass per turn
 * (dispatcher.ts picks the tasks and batches each session's leases); for every lease, `lease`
 * is the whole hot path: the attempt opens, the metric and span start, the RUNNING state is
 * written through the group commit, and the payload is read back from the store.
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
    const nowMs = this.deps.clock.now();
    dispatch({
      ready: this.deps.ledger.ready,
      sessions: this.deps.sessions,
      lease: (session, task) => this.lease(session, task, nowMs),
      flow: this.deps.flow,
      nowMs,
    });
  }

  /** @returns undefined when the payload cannot be read: nothing was granted, and the store failure stops the coordinator. */
  private lease(session: WorkerSession, task: TaskRecord, nowMs: number): LeaseGrant | undefined {
    let payload: Buffer;
    try {
      payload = this.deps.ledger.payloadOf(task);
    } catch (err: unknown) {
      // The task is out of the ready index and stays so: the restart that follows a store
      // failure recovers it from the store, where it is still queued.
      this.deps.ledger.storeFailed(err, task, 'reading the payload for a lease failed');
      return undefined;
    }
    const queueWaitMs = Math.max(0, nowMs - task.runAtMs);
    const { lease, attempt } = this.deps.attempts.open(session, task, nowMs);
    this.deps.metrics.dispatchLatency(task.queue, queueWaitMs);
    this.deps.tracer.attemptStarted(task, lease, queueWaitMs);
    this.deps.ledger.persist(task, attempt).catch(() => undefined); // logged by the ledger
    return { lease, task, payload };
  }
}

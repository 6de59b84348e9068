import type { Clock } from '../../shared/clock';
import type { Lease } from './leases';
import type { AttemptRecord, TaskRecord } from './task';
import type { TaskLedger } from './task-ledger';
import type { TaskStore } from './task-store';
import { recordFailure } from './transitions';

export interface RecoveryDeps {
  readonly store: TaskStore;
  readonly ledger: TaskLedger;
  readonly clock: Clock;
  /** Source of retry jitter, in [0, 1). */
  readonly random: () => number;
  /** Takes a lease that was running before the restart, to wait for its worker (WorkerGateway.adoptOrphan). */
  readonly adoptOrphan: (task: TaskRecord, lease: Lease, attempt: AttemptRecord) => void;
}

/**
 * At start-up, rebuilds the ledger from the store's unfinished tasks. A running task with an
 * attempt record becomes an orphaned lease its worker may reclaim within one lease window; one
 * without is failed as worker_lost at once (and retried if its budget allows).
 * @returns the number of orphaned leases.
 */
export function recoverUnfinished(deps: RecoveryDeps): number {
  const running = deps.store.loadRunningAttempts();
  let orphans = 0;
  // The store may stream the rows: nothing is written until the scan is over.
  const lost: TaskRecord[] = [];
  for (const task of deps.store.loadUnfinished()) {
    const attempt = running.get(task.id);
    if (task.state !== 'running') {
      deps.ledger.track(task);
    } else if (attempt) {
      deps.ledger.track(task);
      deps.adoptOrphan(task, orphanLease(task, attempt), attempt);
      orphans += 1;
    } else {
      deps.ledger.track(task);
      recordFailure(task, undefined, { outcome: 'worker_lost', error: 'running with no attempt record at start-up', retryable: true }, deps.clock.now(), deps.random);
      deps.ledger.place(task);
      lost.push(task);
    }
  }
  for (const task of lost) deps.ledger.persist(task).catch(() => undefined); // logged by the ledger
  return orphans;
}

/** The lease of an attempt that was running before the restart: orphaned, its deadline from the original start. */
function orphanLease(task: TaskRecord, attempt: AttemptRecord): Lease {
  const { leaseId, workerId, workerProof: proof, workerPrincipal: principal, number, startedAtMs } = attempt;
  return {
    leaseId,
    taskId: task.id,
    queue: task.queue,
    attempt: number,
    workerId,
    proof,
    principal,
    sessionId: null,
    startedAtMs,
    deadlineMs: task.timeoutMs > 0 ? startedAtMs + task.timeoutMs : null,
    grantOrdinal: 0,
  };
}

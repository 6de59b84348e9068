import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { AttemptTracer } from './attempt-tracer';
import type { CoreMetrics } from './core-metrics';
import type { AttemptTable } from './attempt-table';
import type { Lease } from './leases';
import type { SessionRegistry } from './sessions';
import type { AttemptRecord } from './task';
import type { TaskLedger } from './task-ledger';
import { recordFailure, recordSuccess, type Failure } from './transitions';
import type { CancelReason, ResultAck, TaskReport } from './worker-channel';

/** What ending an attempt needs from the worker gateway around it. */
export interface AttemptEndingsDeps {
  readonly ledger: TaskLedger;
  readonly attempts: AttemptTable;
  /** To tell a session's worker to abort an attempt taken from it. */
  readonly sessions: Pick<SessionRegistry, 'get'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: CoreMetrics;
  readonly tracer: AttemptTracer;
  /** Source of retry jitter, in [0, 1). */
  readonly random: () => number;
  /** An expired attempt may have put its task back among the ready ones. */
  readonly requestDispatch: () => void;
}

/**
 * How an attempt ends: its worker's result (fenced by the lease), an expiry (execution
 * timeout, or its worker is gone), or a client's cancel; and how a stale result is refused.
 * Every ending closes the attempt in the AttemptTable (lease and deadlines go), records the
 * outcome on the task and ends the attempt's span.
 */
export class AttemptEndings {
  constructor(private readonly deps: AttemptEndingsDeps) {}

  /**
   * Applies a session's results. A result counts only if its lease is current and held by
   * this session (fencing); each gets an ack once its outcome is committed.
   */
  applyReports(sessionId: string, workerId: string | undefined, reports: readonly TaskReport[]): Promise<ResultAck[]> {
    const nowMs = this.deps.clock.now();
    const acks: Array<Promise<ResultAck>> = [];
    let stale = 0;
    for (const report of reports) {
      const lease = this.deps.attempts.leases.get(report.leaseId);
      if (!lease || lease.sessionId !== sessionId) {
        stale += 1;
        acks.push(Promise.resolve(this.rejectStale(report.leaseId, lease)));
        continue;
      }
      acks.push(this.applyReport(lease, report, nowMs));
    }
    // One line per message, however many it rejects: a log is no amplifier either.
    if (stale > 0) this.deps.log.warn({ session_id: sessionId, worker_id: workerId, stale }, 'rejected stale results');
    return Promise.all(acks);
  }

  /** Takes a running task's lease away (client cancel); tells its worker to abort. */
  revoke(lease: Lease, reason: CancelReason, message: string): AttemptRecord | undefined {
    const attempt = this.deps.attempts.close(lease);
    if (lease.sessionId) this.deps.sessions.get(lease.sessionId)?.channel.sendCancel([lease.leaseId], reason, message);
    this.deps.tracer.attemptEnded(lease.leaseId, { outcome: 'canceled', error: message });
    return attempt;
  }

  /** The lease's execution deadline passed: its worker is told to abort, and the attempt fails. */
  timedOut(leaseId: string): void {
    const lease = this.deps.attempts.leases.get(leaseId);
    if (!lease) return;
    const session = lease.sessionId ? this.deps.sessions.get(lease.sessionId) : undefined;
    const message = `execution timeout of ${(lease.deadlineMs ?? 0) - lease.startedAtMs}ms exceeded`;
    session?.channel.sendCancel([leaseId], 'timeout', message);
    this.expire(lease, 'timed_out', message);
  }

  /** Ends a lease as a failed attempt (timeout, or its worker is gone). */
  expire(lease: Lease, outcome: 'timed_out' | 'worker_lost', error: string): void {
    const nowMs = this.deps.clock.now();
    const attempt = this.deps.attempts.close(lease);
    const task = this.deps.ledger.get(lease.taskId);
    if (task?.state !== 'running' || task.attempt !== lease.attempt) {
      this.deps.tracer.attemptEnded(lease.leaseId, { outcome, error });
      return;
    }
    this.fail(task.id, attempt, { outcome, error, retryable: true }, nowMs, lease.leaseId);
    this.deps.tracer.attemptEnded(lease.leaseId, { outcome, error });
    this.deps.ledger.persist(task, attempt).catch(() => undefined); // logged by the ledger
    this.deps.requestDispatch();
  }

  private async applyReport(lease: Lease, report: TaskReport, nowMs: number): Promise<ResultAck> {
    const attempt = this.deps.attempts.close(lease);
    const task = this.deps.ledger.get(lease.taskId);
    if (!task || !attempt) {
      this.deps.tracer.attemptEnded(lease.leaseId, { outcome: 'failed', error: 'the task of this lease is missing' });
      return { leaseId: lease.leaseId, error: { code: 'INTERNAL', message: 'task of this lease is missing' } };
    }
    this.deps.tracer.resultReceived(lease.leaseId);
    this.deps.metrics.runTime(task.queue, nowMs - attempt.startedAtMs);
    if (report.kind === 'success') {
      recordSuccess(task, attempt, report.result, report.contentType, nowMs);
      this.deps.metrics.attemptEnded(task.queue, 'succeeded');
    } else {
      this.fail(task.id, attempt, { outcome: 'failed', error: report.message, retryable: !report.nonRetryable }, nowMs, lease.leaseId);
    }
    const ending = report.kind === 'success' ? { outcome: 'succeeded' as const } : { outcome: 'failed' as const, error: report.message, nonRetryable: report.nonRetryable };
    try {
      await this.deps.ledger.persist(task, attempt);
      this.deps.tracer.attemptEnded(lease.leaseId, ending);
      return { leaseId: lease.leaseId };
    } catch {
      this.deps.tracer.attemptEnded(lease.leaseId, { ...ending, outcome: 'failed', error: 'the result could not be stored' });
      return { leaseId: lease.leaseId, error: { code: 'UNAVAILABLE', message: 'the result could not be stored; resend it' } };
    }
  }

  private fail(taskId: string, attempt: AttemptRecord | undefined, failure: Failure, nowMs: number, leaseId: string): void {
    const task = this.deps.ledger.get(taskId);
    if (!task) return;
    const verdict = recordFailure(task, attempt, failure, nowMs, this.deps.random);
    this.deps.metrics.attemptEnded(task.queue, failure.outcome);
    if (verdict.kind === 'retry') {
      this.deps.metrics.retryScheduled(task.queue);
      this.deps.ledger.place(task);
    }
    this.deps.log.info(
      { task_id: taskId, attempt: task.attempt, outcome: failure.outcome, err_message: failure.error, next: verdict.kind, ...this.deps.tracer.logFields(task, leaseId) },
      'attempt failed',
    );
  }

  private rejectStale(leaseId: string, lease: Lease | undefined): ResultAck {
    this.deps.metrics.staleReportRejected();
    const why = lease ? 'it is held by another session' : 'it expired, was canceled, or was never granted';
    const message = `lease ${leaseId} is not current: ${why}; the result was discarded`;
    return { leaseId, error: { code: 'FAILED_PRECONDITION', message } };
  }
}

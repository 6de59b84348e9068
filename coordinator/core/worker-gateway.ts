import { randomUUID } from 'node:crypto';
import type { Clock } from '../../shared/clock';
import { ResourceExhaustedError, UnavailableError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { AttemptTracer } from './attempt-tracer';
import type { CoreMetrics } from './core-metrics';
import { dispatch } from './dispatcher';
import { limitsOf, type EngineOptions } from './engine-options';
import { LeaseTable, type Lease } from './leases';
import { SessionRegistry, type WorkerSession } from './sessions';
import type { AttemptRecord, TaskRecord } from './task';
import type { TaskLedger } from './task-ledger';
import { WorkerDeadlines } from './worker-deadlines';
import { admitHello, HELD_LEASE_MARGIN, maxHeldLeases, newResumeSecret, WorkerIdReservations, workerProof } from './worker-admission';
import { recordFailure, recordSuccess, type Failure } from './transitions';
import type { CancelReason, HelloSpec, OpenedSession, ResultAck, TaskReport, WorkerChannel } from './worker-channel';

export interface WorkerGatewayDeps {
  readonly ledger: TaskLedger;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: CoreMetrics;
  readonly tracer: AttemptTracer;
  readonly options: EngineOptions;
  readonly random: () => number;
}

/**
 * Everything about workers: their sessions, the leases they hold, liveness, results, and
 * the expiry of leases whose worker went quiet or whose execution deadline passed.
 */
export class WorkerGateway {
  readonly leases = new LeaseTable();
  readonly sessions = new SessionRegistry();
  private readonly reservations = new WorkerIdReservations();
  private readonly attempts = new Map<string, AttemptRecord>();
  private readonly deadlines: WorkerDeadlines;
  private readonly log: Logger;
  private dispatchRequested = false;
  private closed = false;

  constructor(private readonly deps: WorkerGatewayDeps) {
    this.log = deps.logger.child({ component: 'worker-gateway' });
    this.deadlines = new WorkerDeadlines(deps.clock, {
      sessionCheck: (sessionId) => this.checkLiveness(sessionId),
      leaseTimeout: (leaseId) => this.onLeaseTimeout(leaseId),
      orphanExpired: (leaseId) => {
        const lease = this.leases.get(leaseId);
        if (lease) this.expire(lease, 'worker_lost', `worker ${lease.workerId} lost: it did not come back within the lease timeout`);
      },
      onError: (err, what) => this.log.error({ err, deadline: what }, 'a deadline handler failed'),
    });
  }

  /**
   * Registers a stream after its Hello and reclaims the leases the worker still runs. Only
   * the process that holds the resume secret of a worker id (under the same credential) may
   * take over its live session, reclaim its leases or give them up: see worker-admission.ts.
   * @throws BatonError ALREADY_EXISTS when the worker id has a live session and the Hello
   *   does not prove it is that process; RESOURCE_EXHAUSTED over a limit; UNAVAILABLE once closed.
   */
  open(hello: HelloSpec, channel: WorkerChannel): OpenedSession {
    if (this.closed) throw new UnavailableError('the coordinator is shutting down');
    const nowMs = this.deps.clock.now();
    const resumeSecret = hello.resumeSecret === '' ? newResumeSecret() : hello.resumeSecret;
    const proof = workerProof(hello.principal, hello.workerId, resumeSecret);
    const previous = this.sessions.ofWorker(hello.principal, hello.workerId);
    admitHello(hello, {
      proof,
      previous,
      reservedFor: this.reservations.holder(hello.principal, hello.workerId, nowMs),
      connected: this.sessions.size,
      connectedWithCredential: this.sessions.countOf(hello.principal),
      limits: limitsOf(this.deps.options),
      leaseTimeoutMs: this.deps.options.leaseTimeoutMs,
    });
    if (previous) {
      previous.channel.close('UNAVAILABLE', `superseded by a newer connection from worker ${hello.workerId}`);
      this.release(previous.id, nowMs);
    }
    // The process is back (or its id is free): nothing is held for it any more.
    this.reservations.release(hello.principal, hello.workerId);
    const session: WorkerSession = {
      id: randomUUID(),
      principal: hello.principal,
      proof,
      workerId: hello.workerId,
      hostname: hello.hostname,
      connectedAtMs: nowMs,
      queues: hello.queues,
      types: new Set(hello.types),
      concurrency: hello.concurrency,
      credit: Math.max(0, hello.concurrency - hello.heldLeaseIds.length),
      leasesGranted: 0,
      draining: false,
      lastSeenMs: nowMs,
      channel,
    };
    this.sessions.add(session);
    const { reclaimedLeaseIds, unknownLeaseIds } = this.reclaim(session, hello.heldLeaseIds);
    this.deadlines.checkSessionAt(session.id, nowMs + this.deps.options.leaseTimeoutMs);
    this.log.info(
      { worker_id: hello.workerId, principal: hello.principal, session_id: session.id, queues: hello.queues, concurrency: hello.concurrency, reclaimed: reclaimedLeaseIds.length },
      'worker connected',
    );
    this.requestDispatch();
    return { sessionId: session.id, resumeSecret, reclaimedLeaseIds, unknownLeaseIds };
  }

  /**
   * Gives a new session the orphaned leases its process lists (same proof), and expires at
   * once those of its leases it no longer lists: waiting out the lease window would only
   * delay their retry. Leases of other processes are untouched, whatever the Hello says.
   */
  private reclaim(session: WorkerSession, heldLeaseIds: readonly string[]): { reclaimedLeaseIds: string[]; unknownLeaseIds: string[] } {
    const reclaimedLeaseIds: string[] = [];
    const unknownLeaseIds: string[] = [];
    for (const leaseId of heldLeaseIds) {
      const lease = this.leases.get(leaseId);
      if (lease && lease.proof === session.proof && lease.sessionId === null) {
        this.leases.assign(lease, session.id);
        lease.grantOrdinal = 0;
        this.deadlines.reclaimed(leaseId);
        reclaimedLeaseIds.push(leaseId);
      } else {
        unknownLeaseIds.push(leaseId);
      }
    }
    const held = new Set(heldLeaseIds);
    for (const lease of this.leases.orphans()) {
      if (lease.proof === session.proof && !held.has(lease.leaseId)) {
        this.expire(lease, 'worker_lost', `worker ${session.workerId} reconnected without the lease`);
      }
    }
    return { reclaimedLeaseIds, unknownLeaseIds };
  }

  /** Any message from the worker proves it alive. */
  touch(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (session) session.lastSeenMs = this.deps.clock.now();
  }

  /**
   * A heartbeat: the worker is alive and holds `leaseIds`. Reconciles at once: a lease it
   * holds that the coordinator does not give it is canceled on the worker; a lease the
   * coordinator gave it (and it has received) that it no longer holds is released for retry.
   */
  heartbeat(sessionId: string, leaseIds: readonly string[], leasesReceived: number): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    const limit = maxHeldLeases(session.concurrency);
    if (leaseIds.length > limit) {
      throw new ResourceExhaustedError(`heartbeat.lease_ids: ${leaseIds.length} entries is over the limit of ${limit} (2 × concurrency + ${HELD_LEASE_MARGIN})`);
    }
    session.lastSeenMs = this.deps.clock.now();
    const held = new Set(leaseIds);
    const unknown = [...held].filter((leaseId) => this.leases.get(leaseId)?.sessionId !== sessionId);
    if (unknown.length > 0) session.channel.sendCancel(unknown, 'unknown_lease', 'not current: expired, reassigned, or never granted to this session');
    for (const lease of this.leases.heldBy(sessionId)) {
      if (lease.grantOrdinal <= leasesReceived && !held.has(lease.leaseId)) {
        const task = this.deps.ledger.get(lease.taskId);
        const traceFields = task ? this.deps.tracer.logFields(task, lease.leaseId) : {};
        this.log.warn({ worker_id: session.workerId, lease_id: lease.leaseId, task_id: lease.taskId, ...traceFields }, 'worker no longer holds a lease; releasing it');
        this.expire(lease, 'worker_lost', `worker ${session.workerId} no longer holds the lease (heartbeat)`);
      }
    }
  }

  /**
   * Liveness from the worker's side channel (a thread of its own), so that a handler that
   * blocks the worker's event loop does not make the session look dead.
   * @returns false when the session is gone.
   */
  keepAlive(principal: string, workerId: string, sessionId: string): boolean {
    const session = this.sessions.get(sessionId);
    if (!session || session.workerId !== workerId || session.principal !== principal) return false;
    session.lastSeenMs = this.deps.clock.now();
    return true;
  }

  /** Grants more leases, never beyond the session's declared concurrency. */
  credit(sessionId: string, slots: number): void {
    const session = this.sessions.get(sessionId);
    if (!session || session.draining) return;
    session.lastSeenMs = this.deps.clock.now();
    const held = this.leases.heldBy(sessionId).length;
    session.credit = Math.min(session.credit + slots, Math.max(0, session.concurrency - held));
    this.requestDispatch();
  }

  drain(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    session.draining = true;
    session.credit = 0;
    this.log.info({ worker_id: session.workerId, session_id: sessionId }, 'worker draining');
  }

  /**
   * Applies results. A result counts only if its lease is current and held by this session
   * (fencing); each gets an ack once its outcome is committed.
   * @throws ResourceExhaustedError (synchronously) for more results than the session could hold.
   */
  report(sessionId: string, reports: readonly TaskReport[]): Promise<ResultAck[]> {
    const session = this.sessions.get(sessionId);
    if (session && reports.length > maxHeldLeases(session.concurrency)) {
      const limit = maxHeldLeases(session.concurrency);
      throw new ResourceExhaustedError(`results: ${reports.length} entries is over the limit of ${limit} (2 × concurrency + ${HELD_LEASE_MARGIN})`);
    }
    this.touch(sessionId);
    const nowMs = this.deps.clock.now();
    const acks: Array<Promise<ResultAck>> = [];
    let stale = 0;
    for (const report of reports) {
      const lease = this.leases.get(report.leaseId);
      if (!lease || lease.sessionId !== sessionId) {
        stale += 1;
        acks.push(Promise.resolve(this.rejectStale(report.leaseId, lease)));
        continue;
      }
      acks.push(this.applyReport(lease, report, nowMs));
    }
    // One line per message, however many it rejects: a log is no amplifier either.
    if (stale > 0) this.log.warn({ session_id: sessionId, worker_id: session?.workerId, stale }, 'rejected stale results');
    return Promise.all(acks);
  }

  /** The stream ended: its leases wait one lease window for the worker to come back. */
  disconnect(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    this.log.info({ worker_id: session.workerId, session_id: sessionId }, 'worker disconnected');
    this.release(sessionId, this.deps.clock.now());
  }

  /** Takes a running task's lease away (client cancel); tells its worker to abort. */
  revoke(taskId: string, reason: CancelReason, message: string): AttemptRecord | undefined {
    const lease = this.leases.ofTask(taskId);
    if (!lease) return undefined;
    this.dropLease(lease);
    const attempt = this.attempts.get(lease.leaseId);
    this.attempts.delete(lease.leaseId);
    if (lease.sessionId) this.sessions.get(lease.sessionId)?.channel.sendCancel([lease.leaseId], reason, message);
    this.deps.tracer.attemptEnded(lease.leaseId, { outcome: 'canceled', error: message });
    return attempt;
  }

  /** At start-up: a lease that was running before the restart, waiting to be reclaimed. */
  adoptOrphan(task: TaskRecord, lease: Lease, attempt: AttemptRecord): void {
    const untilMs = this.deps.clock.now() + this.deps.options.leaseTimeoutMs;
    this.leases.add(lease);
    this.attempts.set(lease.leaseId, attempt);
    this.deadlines.orphanExpiresAt(lease.leaseId, untilMs);
    if (lease.proof !== '') this.reservations.reserve(lease.principal, lease.workerId, lease.proof, untilMs);
    if (lease.deadlineMs !== null) this.deadlines.leaseDeadlineAt(lease.leaseId, lease.deadlineMs);
    this.deps.tracer.attemptStarted(task, lease, undefined);
  }

  /** Leases ready tasks to sessions with credit, soon (coalesced within one turn). */
  requestDispatch(): void {
    if (this.dispatchRequested || this.closed) return;
    this.dispatchRequested = true;
    queueMicrotask(() => {
      this.dispatchRequested = false;
      if (!this.closed) this.dispatchNow();
    });
  }

  /** Ends every stream (coordinator shutdown) and stops all timers. */
  close(message: string): void {
    this.closed = true;
    for (const session of [...this.sessions.all()]) {
      session.channel.close('UNAVAILABLE', message);
      this.sessions.remove(session.id);
    }
    this.deadlines.close();
    this.deps.tracer.interrupted(message);
  }

  private dispatchNow(): void {
    dispatch({
      ready: this.deps.ledger.ready,
      sessions: this.sessions,
      nowMs: this.deps.clock.now(),
      grant: (session, task, nowMs) => {
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
        this.leases.add(lease);
        if (lease.deadlineMs !== null) this.deadlines.leaseDeadlineAt(lease.leaseId, lease.deadlineMs);
        const queueWaitMs = Math.max(0, nowMs - task.runAtMs);
        this.deps.metrics.dispatchLatency(task.queue, queueWaitMs);
        this.deps.tracer.attemptStarted(task, lease, queueWaitMs);
        return lease;
      },
      started: (lease, attempt) => {
        this.attempts.set(lease.leaseId, attempt);
        const task = this.deps.ledger.get(lease.taskId);
        if (task) this.deps.ledger.persist(task, attempt).catch(() => undefined); // logged by the ledger
      },
    });
  }

  private async applyReport(lease: Lease, report: TaskReport, nowMs: number): Promise<ResultAck> {
    this.dropLease(lease);
    const attempt = this.attempts.get(lease.leaseId);
    this.attempts.delete(lease.leaseId);
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
      this.deps.metrics.taskFinished(task.queue, 'succeeded');
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
    } else {
      this.deps.metrics.taskFinished(task.queue, 'dead');
    }
    this.log.info(
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

  /** Ends a lease as a failed attempt (timeout, or its worker is gone). */
  private expire(lease: Lease, outcome: 'timed_out' | 'worker_lost', error: string): void {
    const nowMs = this.deps.clock.now();
    this.dropLease(lease);
    const attempt = this.attempts.get(lease.leaseId);
    this.attempts.delete(lease.leaseId);
    const task = this.deps.ledger.get(lease.taskId);
    if (task?.state !== 'running' || task.attempt !== lease.attempt) {
      this.deps.tracer.attemptEnded(lease.leaseId, { outcome, error });
      return;
    }
    this.fail(task.id, attempt, { outcome, error, retryable: true }, nowMs, lease.leaseId);
    this.deps.tracer.attemptEnded(lease.leaseId, { outcome, error });
    this.deps.ledger.persist(task, attempt).catch(() => undefined); // logged by the ledger
    this.requestDispatch();
  }

  /** Closes a session's dispatch; its leases become orphans for one lease window. */
  private release(sessionId: string, nowMs: number): void {
    const session = this.sessions.get(sessionId);
    this.sessions.remove(sessionId);
    this.deadlines.forgetSession(sessionId);
    const orphaned = this.leases.heldBy(sessionId);
    const untilMs = nowMs + this.deps.options.leaseTimeoutMs;
    for (const lease of orphaned) {
      this.leases.assign(lease, null);
      this.deadlines.orphanExpiresAt(lease.leaseId, untilMs);
    }
    if (session && orphaned.length > 0) this.reservations.reserve(session.principal, session.workerId, session.proof, untilMs);
  }

  private dropLease(lease: Lease): void {
    this.leases.remove(lease.leaseId);
    this.deadlines.forgetLease(lease.leaseId);
  }

  private onLeaseTimeout(leaseId: string): void {
    const lease = this.leases.get(leaseId);
    if (!lease) return;
    const session = lease.sessionId ? this.sessions.get(lease.sessionId) : undefined;
    const message = `execution timeout of ${(lease.deadlineMs ?? 0) - lease.startedAtMs}ms exceeded`;
    session?.channel.sendCancel([leaseId], 'timeout', message);
    this.expire(lease, 'timed_out', message);
  }

  private checkLiveness(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    const nowMs = this.deps.clock.now();
    const silentMs = nowMs - session.lastSeenMs;
    if (silentMs < this.deps.options.leaseTimeoutMs) {
      this.deadlines.checkSessionAt(sessionId, session.lastSeenMs + this.deps.options.leaseTimeoutMs);
      return;
    }
    this.deps.metrics.heartbeatMissed();
    this.log.warn({ worker_id: session.workerId, session_id: sessionId, silent_ms: silentMs }, 'worker missed its heartbeats; session declared dead');
    session.channel.close('UNAVAILABLE', `no heartbeat for ${silentMs}ms (lease timeout ${this.deps.options.leaseTimeoutMs}ms); session declared dead`);
    this.sessions.remove(sessionId);
    for (const lease of this.leases.heldBy(sessionId)) {
      this.expire(lease, 'worker_lost', `worker ${session.workerId} lost: no heartbeat for ${silentMs}ms`);
    }
  }
}

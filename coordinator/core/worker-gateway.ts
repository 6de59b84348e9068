import { randomUUID } from 'node:crypto';
import type { Clock } from '../../shared/clock';
import { ResourceExhaustedError, UnavailableError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { AttemptEndings } from './attempt-endings';
import { AttemptTable } from './attempt-table';
import type { AttemptTracer } from './attempt-tracer';
import type { CoreMetrics } from './core-metrics';
import { DispatchScheduler } from './dispatch-scheduler';
import { limitsOf, type EngineOptions } from './engine-options';
import type { Lease, LeaseTable } from './leases';
import { ProgressRecorder } from './progress-recorder';
import { QueueFlow } from './queue-flow';
import { SessionRegistry, type WorkerSession } from './sessions';
import type { AttemptRecord, TaskRecord } from './task';
import type { TaskLedger } from './task-ledger';
import { WorkerDeadlines } from './worker-deadlines';
import { admitHello, HELD_LEASE_MARGIN, maxHeldLeases, newResumeSecret, WorkerIdReservations, workerProof } from './worker-admission';
import type { CancelReason, HelloSpec, OpenedSession, ProgressReport, ResultAck, TaskReport, WorkerChannel } from './worker-channel';

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
 * Everything about workers: their sessions, liveness, credit and results, and which leases
 * they hold. The attempts themselves (lease, record, deadline) are attempt-table.ts; how one
 * begins, dispatch-scheduler.ts; how one ends, attempt-endings.ts.
 */
export class WorkerGateway {
  readonly sessions = new SessionRegistry();
  /** Pause, concurrency and rate limits, and weights, of the queues. */
  readonly flow: QueueFlow;
  private readonly attempts: AttemptTable;
  private readonly reservations = new WorkerIdReservations();
  private readonly deadlines: WorkerDeadlines;
  private readonly endings: AttemptEndings;
  private readonly dispatcher: DispatchScheduler;
  private readonly progressRecorder: ProgressRecorder;
  private readonly log: Logger;
  private closed = false;

  constructor(private readonly deps: WorkerGatewayDeps) {
    this.log = deps.logger.child({ component: 'worker-gateway' });
    this.deadlines = new WorkerDeadlines(deps.clock, {
      sessionCheck: (sessionId) => this.checkLiveness(sessionId),
      leaseTimeout: (leaseId) => this.endings.timedOut(leaseId),
      orphanExpired: (leaseId) => {
        const lease = this.leases.get(leaseId);
        if (lease) this.endings.expire(lease, 'worker_lost', `worker ${lease.workerId} lost: it did not come back within the lease timeout`);
      },
      onError: (err, what) => this.log.error({ err, deadline: what }, 'a deadline handler failed'),
    });
    this.attempts = new AttemptTable(this.deadlines);
    const { ledger, clock, metrics, tracer, random } = deps;
    const { attempts, sessions } = this;
    const requestDispatch = (): void => this.requestDispatch();
    this.endings = new AttemptEndings({ ledger, attempts, sessions, clock, log: this.log, metrics, tracer, random, requestDispatch });
    this.flow = new QueueFlow({
      clock,
      running: (queue) => attempts.runningByQueue.count(queue),
      onUnblocked: requestDispatch,
      configured: deps.options.queues,
      defaults: deps.options.queueDefaults,
    });
    const { flow } = this;
    this.progressRecorder = new ProgressRecorder((task) => ledger.persist(task));
    this.dispatcher = new DispatchScheduler({ ledger, sessions, attempts, clock, metrics, tracer, flow });
  }

  /** Attempts of `queue` running now, orphaned ones included. */
  runningIn(queue: string): number {
    return this.attempts.runningByQueue.count(queue);
  }

  /** The current leases, by id, task and session. */
  get leases(): LeaseTable {
    return this.attempts.leases;
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
        this.endings.expire(lease, 'worker_lost', `worker ${session.workerId} reconnected without the lease`);
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
        this.endings.expire(lease, 'worker_lost', `worker ${session.workerId} no longer holds the lease (heartbeat)`);
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
    const held = this.leases.countHeldBy(sessionId);
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
    return this.endings.applyReports(sessionId, session?.workerId, reports);
  }

  /**
   * Handlers' progress. A report counts only if its lease is current and held by this session;
   * others are ignored (the attempt ended, or was reassigned).
   * @throws ResourceExhaustedError for more reports than the session could hold leases.
   */
  progress(sessionId: string, reports: readonly ProgressReport[]): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    const limit = maxHeldLeases(session.concurrency);
    if (reports.length > limit) {
      throw new ResourceExhaustedError(`progress.reports: ${reports.length} entries is over the limit of ${limit} (2 × concurrency + ${HELD_LEASE_MARGIN})`);
    }
    this.touch(sessionId);
    const atMs = this.deps.clock.now();
    for (const report of reports) {
      const lease = this.leases.get(report.leaseId);
      const task = lease?.sessionId === sessionId ? this.deps.ledger.get(lease.taskId) : undefined;
      if (task && task.attempt === lease?.attempt) this.progressRecorder.record(task, { fraction: report.fraction, message: report.message, atMs });
    }
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
    return lease ? this.endings.revoke(lease, reason, message) : undefined;
  }

  /** At start-up: a lease that was running before the restart, waiting to be reclaimed. */
  adoptOrphan(task: TaskRecord, lease: Lease, attempt: AttemptRecord): void {
    const untilMs = this.deps.clock.now() + this.deps.options.leaseTimeoutMs;
    this.attempts.adopt(lease, attempt);
    this.deadlines.orphanExpiresAt(lease.leaseId, untilMs);
    if (lease.proof !== '') this.reservations.reserve(lease.principal, lease.workerId, lease.proof, untilMs);
    this.deps.tracer.attemptStarted(task, lease, undefined);
  }

  /** Leases ready tasks to sessions with credit, soon (coalesced within one turn). */
  requestDispatch(): void {
    this.dispatcher.request();
  }

  /** Ends every stream (coordinator shutdown) and stops all timers. */
  close(message: string): void {
    this.closed = true;
    this.dispatcher.close();
    this.flow.close();
    for (const session of [...this.sessions.all()]) {
      session.channel.close('UNAVAILABLE', message);
      this.sessions.remove(session.id);
    }
    this.deadlines.close();
    this.deps.tracer.interrupted(message);
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
      this.endings.expire(lease, 'worker_lost', `worker ${session.workerId} lost: no heartbeat for ${silentMs}ms`);
    }
  }
}
